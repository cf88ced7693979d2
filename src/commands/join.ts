/** `gambi join`: offer an OpenAI-compatible endpoint to a room until Ctrl-C. */
import { defineCommand } from "citty";
import { networkInterfaces } from "node:os";
import { readFile } from "node:fs/promises";
import { createHubClient, EXIT } from "../client.ts";
import { log } from "../logger.ts";
import { guard, hubArgs, hubUrl, jsonArgs, repeatedFlag, UsageError } from "./_args.ts";
import { resolveAuthHeaders } from "../join/headers.ts";
import { machineSpecs } from "../join/specs.ts";
import { friendlyName, participantId } from "../join/names.ts";
import { startParticipant } from "../join/runtime.ts";
import { isLoopbackHost, normalizeBaseUrl } from "../proxy/endpoint.ts";
import { matchModel, probeEndpoint, suggestModels } from "../proxy/probe.ts";
import { GambiError } from "../proxy/openai/errors.ts";

function lanAddress(): string | undefined {
  return Object.values(networkInterfaces())
    .flat()
    .find((a) => a && a.family === "IPv4" && !a.internal)?.address;
}

function baseUrl(raw: string, flag: string): string {
  try {
    return normalizeBaseUrl(raw);
  } catch (err) {
    throw new UsageError(`${flag}: ${(err as Error).message}`);
  }
}

async function readConfig(path: string | undefined): Promise<Record<string, unknown> | undefined> {
  if (!path) return undefined;
  try {
    return JSON.parse(await readFile(path, "utf8"));
  } catch (err) {
    throw new UsageError(`--config ${path}: ${(err as Error).message}`);
  }
}

export default defineCommand({
  meta: { name: "join", description: "Join a room with an OpenAI-compatible endpoint (Ollama, LM Studio, vLLM, OpenRouter, ...)" },
  args: {
    code: { type: "string", description: "Room code" },
    endpoint: { type: "string", description: "Endpoint base URL", default: "http://localhost:11434" },
    model: { type: "string", description: "Model to serve, as the endpoint names it" },
    nickname: { type: "string", description: "Name shown in the room (default: a generated one)" },
    header: { type: "string", description: "Auth header Name=Value sent to your endpoint (repeatable)" },
    "header-env": { type: "string", description: "Auth header Name=ENV_VAR, value read from the environment (repeatable)" },
    password: { type: "string", description: "Room password" },
    config: { type: "string", description: "JSON file with participant defaults (instructions, temperature, ...)" },
    specs: { type: "boolean", description: "Share machine specs (--no-specs to keep them private)", default: true },
    "network-endpoint": { type: "string", description: "URL the hub should use for your endpoint, if not the one probed locally" },
    "allow-unlisted-model": { type: "boolean", description: "Accept a model the endpoint's /v1/models does not list", default: false },
    ...hubArgs,
    ...jsonArgs,
  },
  run: ({ args, rawArgs }) =>
    guard(async () => {
      if (!args.code) throw new UsageError("--code is required (the room code; gambi list shows the rooms)");
      if (!args.model) throw new UsageError("--model is required (the model your endpoint serves, e.g. llama3.2)");
      const authHeaders = resolveAuthHeaders(repeatedFlag(rawArgs, "header"), repeatedFlag(rawArgs, "header-env"), process.env);
      const local = baseUrl(args.endpoint, "--endpoint");
      const published = args["network-endpoint"] ? baseUrl(args["network-endpoint"], "--network-endpoint") : local;
      const client = createHubClient(hubUrl(args.hub));

      // Probe from here first: a typo or a rejected key is reported before the hub is involved.
      log.start(`probing ${local} ...`);
      let probe;
      try {
        probe = await probeEndpoint({ base: local, authHeaders, label: "your endpoint" }, { timeoutMs: 10_000 });
      } catch (err) {
        if (!(err instanceof GambiError)) throw err;
        log.error(err.message);
        process.exitCode = err.status === 502 ? EXIT.unreachable : EXIT.rejected;
        return;
      }
      if (probe.models?.length && !args["allow-unlisted-model"] && !matchModel(probe.models, args.model)) {
        throw new UsageError(`model "${args.model}" is not served by ${local}; it offers: ${suggestModels(probe.models, args.model).join(", ")}`);
      }
      const hubHost = new URL(client.url).hostname;
      if (published === local && isLoopbackHost(local) && !isLoopbackHost(`http://${hubHost.includes(":") ? `[${hubHost}]` : hubHost}`)) {
        const lan = lanAddress();
        log.warn(
          `your endpoint is on localhost, but the hub (${client.url}) runs elsewhere and cannot reach your localhost.` +
            (lan ? ` Try --network-endpoint ${local.replace(/\/\/[^/:]+/, `//${lan}`)} (and make the server listen on that address).` : ""),
        );
      }

      const participant = startParticipant({
        client,
        code: args.code,
        log,
        request: {
          id: participantId(),
          nickname: args.nickname || friendlyName(),
          model: args.model,
          endpoint: published,
          password: args.password || undefined,
          specs: args.specs ? machineSpecs() : undefined,
          config: await readConfig(args.config),
          authHeaders: Object.keys(authHeaders).length ? authHeaders : undefined,
          allowUnlistedModel: args["allow-unlisted-model"] || undefined,
        },
      });
      const joined = await participant.start();
      if (args.json) console.log(JSON.stringify(joined));
      else log.success(`joined room ${args.code.toUpperCase()} as ${joined.nickname} (${joined.id}) serving ${args.model}; Ctrl-C to leave`);

      let leaving = false;
      const leave = async () => {
        if (leaving) return;
        leaving = true;
        await participant.stop();
        log.info(`left room ${args.code}`);
        process.exit(0);
      };
      process.once("SIGINT", leave);
      process.once("SIGTERM", leave);
    }),
});
