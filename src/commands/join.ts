/** `gambi join`: offer an OpenAI-compatible endpoint to a room until Ctrl-C. */
import { defineCommand } from "citty";
import * as p from "@clack/prompts";
import { readFile } from "node:fs/promises";
import { createHubClient } from "../client.ts";
import { log } from "../logger.ts";
import { UsageError } from "../terminal/errors.ts";
import { canPrompt } from "../terminal/prompt.ts";
import { caArgs, guard, hubArgs, hubCa, hubToken, hubUrl, interactiveArgs, jsonArgs, repeatedFlag, tokenArgs } from "./_args.ts";
import { headerRecord } from "../join/headers.ts";
import { machineSpecs } from "../join/specs.ts";
import { participantId } from "../join/names.ts";
import { prepareJoin } from "../join/prepare.ts";
import { startParticipant } from "../join/runtime.ts";
import { applyRoomEvent, createStatusLine, initialStatus } from "../join/status.ts";
import { findProfile, loadSettings, saveProfile, SettingsError } from "../settings.ts";

async function readConfig(path: string | undefined): Promise<Record<string, unknown> | undefined> {
  if (!path) return undefined;
  try {
    return JSON.parse(await readFile(path, "utf8"));
  } catch (err) {
    throw new UsageError(`--config ${path}: ${(err as Error).message}`);
  }
}

/** citty cannot tell a boolean's default from an explicit flag; the raw argv can. */
const given = (rawArgs: string[], name: string) => rawArgs.some((a) => a === `--${name}` || a === `--no-${name}` || a.startsWith(`--${name}=`));

export default defineCommand({
  meta: { name: "join", description: "Join a room with an OpenAI-compatible endpoint (Ollama, LM Studio, vLLM, OpenRouter, ...)" },
  args: {
    code: { type: "string", description: "Room code" },
    endpoint: { type: "string", description: "Endpoint base URL (default http://localhost:11434, Ollama)" },
    model: { type: "string", description: "Model to serve, as the endpoint names it" },
    nickname: { type: "string", description: "Name shown in the room (default: a generated one)" },
    header: { type: "string", description: "Auth header Name=Value sent to your endpoint (repeatable)" },
    "header-env": { type: "string", description: "Auth header Name=ENV_VAR, value read from the environment (repeatable)" },
    password: { type: "string", description: "Room password" },
    config: { type: "string", description: "JSON file with participant defaults (instructions, temperature, ...)" },
    specs: { type: "boolean", description: "Share machine specs (--no-specs to keep them private)", default: true },
    "network-endpoint": { type: "string", description: "URL the hub should use for your endpoint, if not the one probed locally" },
    "allow-unlisted-model": { type: "boolean", description: "Accept a model the endpoint's /v1/models does not list", default: false },
    profile: { type: "string", description: "Use settings saved with --save (flags still win)" },
    save: { type: "string", description: "Save these settings as a profile (auth headers only as env-var names)" },
    ...hubArgs,
    ...caArgs,
    ...tokenArgs,
    ...jsonArgs,
    ...interactiveArgs,
  },
  run: ({ args, rawArgs }) =>
    guard(async () => {
      const profile = args.profile ? findProfile(loadSettings(), args.profile) : undefined;
      // The token is only for listing rooms in the picker; joining itself needs none.
      const client = createHubClient(hubUrl(args.hub, profile?.hub), { token: hubToken(args.token), ca: hubCa(args.ca) });
      const interactive = canPrompt(args) && !args.json;
      const prepared = await prepareJoin({
        client,
        interactive,
        log,
        profile,
        flags: {
          code: args.code,
          endpoint: args.endpoint,
          networkEndpoint: args["network-endpoint"],
          model: args.model,
          nickname: args.nickname,
          password: args.password,
          headers: repeatedFlag(rawArgs, "header"),
          headerEnvs: repeatedFlag(rawArgs, "header-env"),
          allowUnlistedModel: args["allow-unlisted-model"],
          save: args.save,
        },
      });
      // The status line (room, model, state, requests served) is fed by the room's event stream.
      const line = createStatusLine({ log, tty: !args.json && process.stdout.isTTY === true });
      let status = initialStatus(prepared.code, prepared.model);
      function render(next: typeof status, finished?: Parameters<typeof line.update>[1]) {
        status = next;
        line.update(status, finished);
      }
      const specs = given(rawArgs, "specs") ? args.specs : (profile?.specs ?? true);
      const authHeaders = headerRecord(prepared.headers);
      const participant = startParticipant({
        client,
        code: prepared.code,
        log,
        onStateChange: (state) => render({ ...status, participant: state }),
        request: {
          id: participantId(),
          nickname: prepared.nickname,
          model: prepared.model,
          endpoint: prepared.published,
          password: prepared.password,
          specs: specs ? machineSpecs() : undefined,
          config: await readConfig(args.config),
          authHeaders: Object.keys(authHeaders).length ? authHeaders : undefined,
          allowUnlistedModel: args["allow-unlisted-model"] || undefined,
        },
      });
      // Signals are handled from before the join request: a Ctrl-C that lands while the hub is
      // registering us still leaves the room instead of leaving a ghost participant behind.
      const watching = new AbortController();
      let starting: Promise<unknown> | undefined;
      let leaving = false;
      const leave = async () => {
        if (leaving) return;
        leaving = true;
        watching.abort();
        line.clear();
        await starting?.catch(() => undefined);
        await participant.stop();
        log.info(`left room ${prepared.code}`);
        process.exit(0);
      };
      process.once("SIGINT", leave);
      process.once("SIGTERM", leave);

      starting = participant.start();
      const joined = (await starting) as Awaited<ReturnType<typeof participant.start>>;
      const id = String(joined.id);
      if (args.json) console.log(JSON.stringify(joined));
      else if (interactive) p.outro(`joined room ${prepared.code} as ${joined.nickname}, serving ${prepared.model}; Ctrl-C to leave`);
      else log.success(`joined room ${prepared.code} as ${joined.nickname} (${id}) serving ${prepared.model}; Ctrl-C to leave`);

      if (prepared.saveAs) {
        // After the join, so only settings that worked are saved; a failure to save is a
        // warning: the participant is already serving.
        const typed = prepared.headers.filter((h) => !h.env).map((h) => h.name);
        try {
          const path = saveProfile(
            prepared.saveAs,
            { hub: client.url, code: prepared.code, endpoint: prepared.local, networkEndpoint: prepared.published !== prepared.local ? prepared.published : undefined, model: prepared.model, nickname: prepared.nickname, specs, headers: prepared.headers },
            { setDefaultHub: true },
          );
          log.info(`saved profile "${prepared.saveAs}" in ${path}${typed.length ? ` (without ${typed.join(", ")}: only env-var names are saved)` : ""}; next time: gambi join --profile ${prepared.saveAs}`);
        } catch (err) {
          if (!(err instanceof SettingsError) && !(err instanceof Error && "code" in err)) throw err;
          log.warn(`profile not saved: ${(err as Error).message}`);
        }
      }

      if (!args.json && !leaving) {
        render(status);
        void client.watchRoomEvents(prepared.code, (event) => {
          const { state, finished } = applyRoomEvent(status, event, id);
          if (state !== status || finished) render(state, finished);
        }, watching.signal, { password: prepared.password, onRefused: (message) => log.warn(message) });
      }
    }),
});
