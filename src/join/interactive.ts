/**
 * `gambi join`'s questions, one function each, asked only for what the flags left open and in
 * the issue's order: room → provider → auth headers → (probe) models → nickname → password
 * (the password question is terminal/prompt.ts's askRoomPassword, which `gambi chat` asks too).
 * A secret typed here goes into a masked prompt and comes back as a value in memory; nothing
 * in this file prints or stores it.
 */
import { looksLikeRoomCode } from "../common/room-code.ts";
import * as p from "@clack/prompts";
import type { HubClient, PublicRoom } from "../client.ts";
import { normalizeBaseUrl } from "../protocol/endpoint.ts";
import { ask } from "../terminal/prompt.ts";
import { isHeaderName } from "../common/http-header.ts";
import type { AuthHeaderEntry } from "./headers.ts";
import { keyHeaderOf, PROVIDERS, providerFor, withBearerScheme } from "./providers.ts";

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export async function askRoom(client: HubClient): Promise<{ code: string; room?: PublicRoom }> {
  const { rooms } = await client.listRooms();
  if (rooms.length) {
    const picked = await ask(
      p.select<string>({
        message: `Room on ${client.url}`,
        options: [
          ...rooms.map((r) => ({
            value: r.code,
            label: `${r.code}  ${r.name}`,
            hint: `${r.participantCount} participant${r.participantCount === 1 ? "" : "s"}${r.passwordProtected ? ", password" : ""}`,
          })),
          { value: "", label: "Enter a code" },
        ],
      }),
    );
    if (picked) return { code: picked, room: rooms.find((r) => r.code === picked) };
  }
  const typed = await ask(p.text({ message: "Room code", placeholder: "6 characters, e.g. K7QX2M", validate: (v) => (looksLikeRoomCode(v ?? "") ? undefined : "a room code is 6 letters or digits") }));
  const code = typed.trim().toUpperCase();
  return { code, room: rooms.find((r) => r.code === code) };
}

export async function askEndpoint(): Promise<string> {
  const id = await ask(
    p.select<string>({
      message: "Where does your model run?",
      options: [...PROVIDERS.map((pr) => ({ value: pr.id, label: pr.label, hint: pr.baseUrl })), { value: "custom", label: "Custom URL", hint: "any OpenAI-compatible base URL" }],
    }),
  );
  const provider = PROVIDERS.find((pr) => pr.id === id);
  if (provider) return provider.baseUrl;
  const url = await ask(
    p.text({
      message: "Base URL (the hub appends /v1/...)",
      placeholder: "http://192.168.1.20:8000",
      validate: (v) => {
        try {
          normalizeBaseUrl((v ?? "").trim());
          return undefined;
        } catch (err) {
          return (err as Error).message;
        }
      },
    }),
  );
  return normalizeBaseUrl(url.trim());
}

async function askHeaderValue(name: string, keyEnv: string | undefined): Promise<AuthHeaderEntry> {
  const source = await ask(
    p.select<"env" | "typed">({
      message: `Value of ${name}`,
      options: [
        { value: "typed", label: "Type it (hidden)", hint: "kept in memory only, never saved" },
        { value: "env", label: "Read it from an environment variable", hint: "the variable's name can be saved in a profile" },
      ],
      initialValue: keyEnv && process.env[keyEnv] ? "env" : "typed",
    }),
  );
  let raw: string;
  let env: string | undefined;
  if (source === "env") {
    env = (
      await ask(
        p.text({
          message: "Environment variable",
          initialValue: keyEnv,
          validate: (v) => {
            const n = (v ?? "").trim();
            if (!ENV_NAME.test(n)) return "letters, digits and _ (not starting with a digit)";
            if (!process.env[n]) return `${n} is not set (or empty) in this shell`;
            if (/[\r\n\0]/.test(process.env[n]!)) return `the value of ${n} contains CR, LF or NUL`;
            return undefined;
          },
        }),
      )
    ).trim();
    raw = process.env[env]!;
  } else {
    raw = await ask(
      p.password({
        message: `${name} (input hidden)`,
        validate: (v) => (!v?.trim() ? "empty; press Ctrl-C to cancel" : /[\r\n\0]/.test(v) ? "must not contain CR, LF or NUL" : undefined),
      }),
    );
  }
  const { value, added } = withBearerScheme(name, raw);
  if (added) p.log.info(`sending it as "${name}: Bearer ..." (the scheme was missing)`);
  return env ? { name, value, env } : { name, value };
}

/** "Add an auth header?" → name → value source, repeatable. Cloud providers default to yes. */
export async function askAuthHeaders(endpoint: string): Promise<AuthHeaderEntry[]> {
  const provider = providerFor(endpoint);
  const cloud = provider ? !provider.local : !/^http:\/\/(localhost|127\.|\[::1\])/.test(endpoint);
  const out: AuthHeaderEntry[] = [];
  while (await ask(p.confirm({ message: out.length ? "Add another header?" : "Add an auth header (API key)?", initialValue: out.length === 0 && cloud }))) {
    const name = (
      await ask(
        p.text({
          message: "Header name",
          initialValue: out.length ? "" : keyHeaderOf(provider),
          validate: (v) => (isHeaderName((v ?? "").trim()) ? undefined : "letters, digits and !#$%&'*+-.^_`|~ only"),
        }),
      )
    ).trim();
    out.push(await askHeaderValue(name, name.toLowerCase() === keyHeaderOf(provider).toLowerCase() ? provider?.keyEnv : undefined));
  }
  return out;
}

/**
 * The models to serve, picked from the endpoint's list: space (or tab, in a long list) adds one,
 * enter confirms; the first picked is the default. A short list starts with its first model
 * picked, so enter alone serves it, as when one model was all a participant could serve. An
 * endpoint without a list gets the names typed, comma-separated.
 */
export async function askModels(models: string[] | undefined): Promise<string[]> {
  const list = [...new Set(models ?? [])];
  if (!list.length) {
    const typed = await ask(p.text({ message: "Model (as your endpoint names it; several: separate them with commas)", validate: (v) => (splitModels(v ?? "").length ? undefined : "required") }));
    return splitModels(typed);
  }
  const options = list.map((m) => ({ value: m, label: m }));
  // Cloud providers list hundreds of models: type to filter instead of scrolling.
  if (list.length > 12) {
    return ask(p.autocompleteMultiselect<string>({ message: `Models (${list.length} offered; type to filter, tab or space picks, enter confirms)`, options, maxItems: 10, required: true }));
  }
  return ask(p.multiselect<string>({ message: "Models (space picks more, enter confirms; the first picked is the default)", options, initialValues: [list[0]!], required: true }));
}

const splitModels = (typed: string): string[] => typed.split(",").map((m) => m.trim()).filter(Boolean);

export async function askNickname(suggested: string): Promise<string> {
  const v = await ask(p.text({ message: "Your name in the room", placeholder: suggested, defaultValue: suggested }));
  return v.trim() || suggested;
}

/** Offers to save the settings; returns the profile name, or undefined. */
export async function askSaveProfile(suggested: string, typedSecrets: string[]): Promise<string | undefined> {
  const note = typedSecrets.length ? ` (${typedSecrets.join(", ")} typed by hand is not saved: you will be asked again)` : "";
  if (!(await ask(p.confirm({ message: `Save these settings as a profile?${note}`, initialValue: false })))) return undefined;
  const name = await ask(p.text({ message: "Profile name", initialValue: suggested, validate: (v) => (/^[\w.-]{1,64}$/.test((v ?? "").trim()) ? undefined : "letters, digits, '.', '_' or '-'") }));
  return name.trim();
}
