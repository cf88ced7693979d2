/**
 * The join flow: the form (the transport, direct or tunnel, with a word on what it means; Advanced options folding out to auth header entries, each a
 * header name and an environment variable name, marked when unusable), then the model list
 * from the probe (picked models numbered in the order picked: 1 is the default; on an endpoint
 * with /v1/embeddings, a column marks the models picked to embed), then
 * nickname, password and the maximum concurrency (its placeholder: what the hub would assume).
 */
import { Box } from "ink";
import type { ReactNode } from "react";
import { focusOrder, modelMatches, providerLabel, transportNote, type JoinForm } from "../join-form.ts";
import { Button, Choice, Field } from "./fields.tsx";
import { Line } from "./theme.tsx";

function HeaderRows({ f }: { f: JoinForm }) {
  return (
    <>
      {f.headers.map((h, i) => {
        const problem = h.problem;
        return (
          <Box key={i} flexDirection="column">
            <Field indent={4} label={`Header ${i + 1}`} value={h.name} focused={f.focus === `h${i}.name`} placeholder="e.g. Authorization" />
            <Field indent={4} label="  from env var" value={h.env} focused={f.focus === `h${i}.env`} placeholder="e.g. OPENAI_AUTH" problem={problem} note={h.ok ? "✓ set" : undefined} />
          </Box>
        );
      })}
      <Line tone={f.focus === "add" && "cyan"}>{`${f.focus === "add" ? "›" : " "}     + add a header (name → environment variable)`}</Line>
    </>
  );
}

function FormPhase({ f }: { f: JoinForm }) {
  const n = f.headers.length;
  const profile = f.profile >= 0 ? f.profiles[f.profile]!.name : "none";
  const transport = transportNote(f);
  return (
    <Box flexDirection="column">
      <Line tone="bold">Join a room with your endpoint</Line>
      {f.profiles.length ? <Choice label="Profile" value={profile} focused={f.focus === "profile"} note={`${f.profiles.length} saved`} /> : null}
      <Field label="Room code" value={f.code} focused={f.focus === "code"} placeholder="6 characters" />
      <Choice label="Provider" value={providerLabel(f.provider)} focused={f.focus === "provider"} />
      <Field label="Endpoint URL" value={f.endpoint} focused={f.focus === "endpoint"} placeholder="http://host:port" note={f.networkEndpoint ? `(the hub uses ${f.networkEndpoint})` : undefined} />
      <Choice label="Transport" value={f.tunnel ? "tunnel" : "direct"} focused={f.focus === "transport"} note={transport.text} warn={transport.warn} />
      <Line tone={f.focus === "advanced" && "cyan"}>
        {`${f.focus === "advanced" ? "›" : " "} ${f.advanced ? "▾" : "▸"} Advanced options (auth headers: ${n})`}
      </Line>
      {f.advanced ? <HeaderRows f={f} /> : null}
      <Field label="Save profile as" value={f.saveAs} focused={f.focus === "save"} placeholder="(optional)" />
      <Button label={f.phase === "probing" ? `Probing ${f.endpoint}…` : "Probe endpoint"} focused={f.focus === "probe"} />
      {f.error ? <Line tone="red">{f.error}</Line> : null}
    </Box>
  );
}

function ModelPhase({ f, height }: { f: JoinForm; height: number }) {
  const matches = modelMatches(f);
  const room = Math.max(1, height - 5);
  const first = Math.min(Math.max(0, f.modelIndex - room + 1), Math.max(0, matches.length - room));
  const probed = f.probed!;
  // Picked names the list does not show (typed, or a profile's): listed so they are not forgotten.
  const unlisted = [...new Set([...f.models, ...f.embeddingModels])].filter((m) => !probed.models.includes(m));
  const embeds = probed.embeddings === true || f.embeddingModels.length > 0;
  const mark = (m: string) => {
    const n = f.models.indexOf(m);
    const chat = n === -1 ? "   " : `✓${String(n + 1).padEnd(2)}`;
    return embeds ? `${chat}${f.embeddingModels.includes(m) ? "E" : " "}` : chat;
  };
  const picked = [
    f.models.length ? `picked: ${f.models.join(", ")} (the first is the default)` : "",
    f.embeddingModels.length ? `to embed: ${f.embeddingModels.join(", ")}` : "",
    unlisted.length ? `not listed: ${unlisted.join(", ")}` : "",
  ].filter(Boolean);
  return (
    <Box flexDirection="column">
      <Line tone="bold">{`Join room ${f.code} · ${probed.endpoint} speaks ${probed.speaks} · ${probed.models.length} models`}</Line>
      <Line tone="cyan">{`› Models (type to filter, space picks${probed.embeddings ? ", tab picks to embed" : ""}): ${f.modelFilter}█`}</Line>
      <Line tone="dim">{picked.length ? `  ${picked.join(" · ")}` : `  enter takes the highlighted one; space picks several${probed.embeddings ? "; tab, models that embed" : ""}`}</Line>
      {probed.models.length === 0 ? <Line tone="dim">{"  the endpoint lists no models: type a name, space to pick it, enter when done"}</Line> : null}
      {probed.models.length > 0 && matches.length === 0 ? <Line tone="dim">{`  none match "${f.modelFilter}": space or enter uses it as typed`}</Line> : null}
      {matches.slice(first, first + room).map((m, i) => (
        <Line key={m} tone={first + i === f.modelIndex && "inverse"}>{`${first + i === f.modelIndex ? "›" : " "} ${mark(m)} ${m}`}</Line>
      ))}
      {f.error ? <Line tone="red">{f.error}</Line> : null}
    </Box>
  );
}

function DetailsPhase({ f }: { f: JoinForm }) {
  const chat = f.models.length === 0 ? "" : f.models.length === 1 ? `model ${f.models[0]}` : `models ${f.models.join(", ")}`;
  const models = [chat, f.embeddingModels.length ? `to embed: ${f.embeddingModels.join(", ")}` : ""].filter(Boolean).join(" · ");
  return (
    <Box flexDirection="column">
      <Line tone="bold">{`Join room ${f.code} · ${f.probed?.endpoint ?? f.endpoint} · ${models}`}</Line>
      <Line />
      <Field label="Nickname" value={f.nickname} focused={f.focus === "nickname"} />
      {f.passwordNeeded ? <Field label="Room password" value={f.password} focused={f.focus === "password"} secret /> : null}
      <Field
        label="At once (max)"
        value={f.maxConcurrency}
        focused={f.focus === "concurrency"}
        placeholder={`default ${f.probed?.concurrency ?? "(the hub decides)"}`}
        note={f.focus === "concurrency" ? "requests served at once, 1-1024; empty: the default" : undefined}
      />
      <Line />
      <Button label={f.phase === "joining" ? "Joining…" : "Join"} focused={f.focus === "join"} />
      {f.error ? <Line tone="red">{f.error}</Line> : null}
    </Box>
  );
}

export function Join({ f, height }: { f: JoinForm; height: number }) {
  if (f.phase === "model") return <ModelPhase f={f} height={height} />;
  if (f.phase === "details" || f.phase === "joining") return <DetailsPhase f={f} />;
  // The form can outgrow a short terminal once headers are added: keep the focused row in view.
  return <Scrolled height={height} at={Math.max(0, focusOrder(f).indexOf(f.focus))}><FormPhase f={f} /></Scrolled>;
}

/** Shifts its child up so that row `at` (+ a few rows of context) stays within `height`. */
function Scrolled({ height, at, children }: { height: number; at: number; children: ReactNode }) {
  const shift = Math.max(0, at + 4 - height);
  return (
    <Box flexDirection="column" height={height} overflow="hidden">
      <Box flexDirection="column" marginTop={-shift}>
        {children}
      </Box>
    </Box>
  );
}
