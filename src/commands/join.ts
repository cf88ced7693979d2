/** `gambi join`: offer an OpenAI-compatible endpoint to a room until Ctrl-C. */
import { defineCommand } from "citty";
import * as p from "@clack/prompts";
import { readFile } from "node:fs/promises";
import { createHubClient } from "../client.ts";
import { log } from "../logger.ts";
import { UsageError } from "../terminal/errors.ts";
import { canPrompt } from "../terminal/prompt.ts";
import { caArgs, guard, hubCa, hubToken, interactiveArgs, jsonArgs, repeatedFlag, tokenArgs } from "./_args.ts";
import { findableHubArgs, findHub } from "./_find-hub.ts";
import { raiseFetchLimit } from "./_fetch-limit.ts";
import { joinedProfile, prepareJoin } from "../join/prepare.ts";
import { serveInRoom } from "../join/serve.ts";
import { explainRefusal } from "../chat/password.ts";
import { saveJoinProfile } from "../join/session.ts";
import { findProfile, loadSettings } from "../settings.ts";
import { parseMaxConcurrency } from "../common/max-concurrency.ts";

async function readConfig(path: string | undefined): Promise<Record<string, unknown> | undefined> {
  if (!path) return undefined;
  try {
    return JSON.parse(await readFile(path, "utf8"));
  } catch (err) {
    throw new UsageError(`--config ${path}: ${(err as Error).message}`);
  }
}

/** `--max-concurrency N`: a whole number from 1 to 1024, else a usage error (exit 2). */
function maxConcurrencyFlag(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const parsed = parseMaxConcurrency(value);
  if ("problem" in parsed) throw new UsageError(`--max-concurrency must be ${parsed.problem}`);
  return parsed.value;
}

/** citty cannot tell a boolean's default from an explicit flag; the raw argv can. */
const given = (rawArgs: string[], name: string) => rawArgs.some((a) => a === `--${name}` || a === `--no-${name}` || a.startsWith(`--${name}=`));

/** " (4 at once, probed)": what the hub settled on, when it says (an older hub does not). */
function capacityNote(joined: Record<string, unknown>): string {
  return typeof joined.maxConcurrency === "number" ? ` (${joined.maxConcurrency} at once, ${String(joined.maxConcurrencySource ?? "")})` : "";
}

export default defineCommand({
  meta: { name: "join", description: "Join a room with an OpenAI-compatible endpoint (Ollama, LM Studio, vLLM, OpenRouter, ...)" },
  args: {
    code: { type: "string", description: "Room code" },
    endpoint: { type: "string", description: "Endpoint base URL (default http://localhost:11434, Ollama)" },
    model: { type: "string", description: "Model to serve, as the endpoint names it (repeatable: several models from this endpoint, the first is the default)" },
    "embedding-model": { type: "string", description: "Model of this endpoint that embeds (POST /v1/embeddings; repeatable); embeddings requests go only to these, and --model may then be left out" },
    "max-concurrency": { type: "string", description: "Requests your endpoint serves at once, 1-1024 (default: its llama.cpp slots, else a default for its kind)" },
    nickname: { type: "string", description: "Name shown in the room (default: a generated one)" },
    header: { type: "string", description: "Auth header Name=Value sent to your endpoint (repeatable)" },
    "header-env": { type: "string", description: "Auth header Name=ENV_VAR, value read from the environment (repeatable)" },
    password: { type: "string", description: "Room password" },
    config: { type: "string", description: "JSON file with participant defaults (instructions, temperature, ...)" },
    specs: { type: "boolean", description: "Share machine specs (--no-specs to keep them private)", default: true },
    "network-endpoint": { type: "string", description: "URL the hub should use for your endpoint, if not the one probed locally" },
    tunnel: { type: "boolean", description: "Serve through a tunnel to the hub: it never dials your endpoint, your keys stay here (for a laptop behind a router)", default: false },
    "allow-unlisted-model": { type: "boolean", description: "Accept a model the endpoint's /v1/models does not list", default: false },
    profile: { type: "string", description: "Use settings saved with --save (flags still win)" },
    save: { type: "string", description: "Save these settings as a profile (auth headers only as env-var names)" },
    ...findableHubArgs,
    ...caArgs,
    ...tokenArgs,
    ...jsonArgs,
    ...interactiveArgs,
  },
  run: ({ args, rawArgs }) =>
    guard(async () => {
      // First thing, before any prompt: a tunnel's requests are this process's fetches (_fetch-limit.ts).
      raiseFetchLimit();
      const maxConcurrency = maxConcurrencyFlag(args["max-concurrency"]);
      const profile = args.profile ? findProfile(loadSettings(), args.profile) : undefined;
      const interactive = canPrompt(args) && !args.json;
      const { url: hub } = await findHub({ flag: args.hub, profileHub: profile?.hub, discover: args.discover, interactive });
      // The token is only for listing rooms in the picker; joining itself needs none.
      const client = createHubClient(hub, { token: hubToken(args.token), ca: hubCa(args.ca) });
      const prepared = await prepareJoin({
        client,
        interactive,
        log,
        profile,
        flags: {
          code: args.code,
          endpoint: args.endpoint,
          networkEndpoint: args["network-endpoint"],
          models: repeatedFlag(rawArgs, "model"),
          embeddingModels: repeatedFlag(rawArgs, "embedding-model"),
          maxConcurrency,
          nickname: args.nickname,
          password: args.password,
          headers: repeatedFlag(rawArgs, "header"),
          headerEnvs: repeatedFlag(rawArgs, "header-env"),
          allowUnlistedModel: args["allow-unlisted-model"],
          save: args.save,
          tunnel: given(rawArgs, "tunnel") ? args.tunnel : undefined,
        },
      });
      const specs = given(rawArgs, "specs") ? args.specs : (profile?.specs ?? true);
      const served = await serveInRoom({
        client,
        prepared,
        specs,
        config: await readConfig(args.config),
        allowUnlistedModel: args["allow-unlisted-model"],
        log,
        tty: !args.json && process.stdout.isTTY === true,
        onLeft: () => process.exit(0),
      }).catch((err: unknown) => {
        throw explainRefusal(err, prepared.code);
      });
      const serving = `serving ${[...prepared.models, ...prepared.embeddingModels.map((m) => `${m} (embeddings)`)].join(", ")}${capacityNote(served.joined)}`;
      if (args.json) console.log(JSON.stringify(served.joined));
      else if (interactive) p.outro(`joined room ${prepared.code} as ${served.joined.nickname}, ${serving}; Ctrl-C to leave`);
      else log.success(`joined room ${prepared.code} as ${served.joined.nickname} (${served.id}) ${serving}; Ctrl-C to leave`);
      // A hub from before several models per participant reads only `model`: it serves the first.
      if (prepared.models.length > 1 && !Array.isArray(served.joined.models)) log.warn(`the hub serves only ${prepared.models[0]} for you: it predates several models per participant`);

      // After the join, so only settings that worked are saved.
      if (prepared.saveAs) {
        const saved = saveJoinProfile(prepared.saveAs, joinedProfile(prepared, client.url, specs), { setDefaultHub: true });
        const typed = prepared.headers.filter((h) => !h.env).map((h) => h.name);
        if ("problem" in saved) log.warn(`profile not saved: ${saved.problem}`);
        else log.info(`saved profile "${prepared.saveAs}" in ${saved.path}${typed.length ? ` (without ${typed.join(", ")}: only env-var names are saved)` : ""}; next time: gambi join --profile ${prepared.saveAs}`);
      }
      if (!args.json) served.follow();
    }),
});
