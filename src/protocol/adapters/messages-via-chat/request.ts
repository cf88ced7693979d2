/**
 * A Messages request → a Chat Completions request body (docs/protocols.md, "Messages", has the
 * table; content.ts the messages, tools.ts the tools).
 *
 * Mapped: `model` (as the hub set it); `system` + `messages` → `messages`; `tools`,
 * `tool_choice`; `max_tokens` → `max_tokens` (required, a positive integer, as Anthropic
 * requires); `stop_sequences` → `stop`; `temperature`, `top_p` as they are (not rescaled:
 * Anthropic's 0–1 temperature is a valid chat temperature with the same meaning at 0 and 1);
 * `output_config.format` (and the beta's `output_format`) of type `json_schema` →
 * `response_format: {type: "json_schema", json_schema: {name: "output", schema}}`;
 * `stream: true` → `stream: true, stream_options: {include_usage: true}` (usage for
 * `message_delta`).
 * Ignored (they tune or annotate; real clients send them on every request):
 * `top_k` (chat has none; vendor extensions are not guessed at), `metadata` (`user_id` is a
 * caller's claim: neither sent to another person's endpoint nor trusted for the room's fair
 * queue), `thinking` (enabled with a budget, adaptive or disabled: a chat model reasons or not
 * by itself, and what it reasons comes back as `thinking` blocks; `reasoning_effort` would be
 * refused by chat models that do not reason), `output_config.effort`, `context_management`,
 * `service_tier`, `container`, `inference_geo`, `cache_control` anywhere, and any other field.
 * Rejected (400 naming the field): server tools (tools.ts), `mcp_servers` (non-empty: remote
 * MCP servers are called by Anthropic), an `output_config.format` of another type, and the
 * blocks content.ts lists.
 */
import { isObject, type Json } from "../../json.ts";
import { invalid, unsupported, type Speaks } from "./common.ts";
import { mapMessages } from "./content.ts";
import { mapTools } from "./tools.ts";

export interface MapRequestOptions {
  /** The participant's protocol, as a 400 names it (the Responses adapter maps through this one). */
  speaks?: Speaks;
}

export function mapRequest(body: Json, opts: MapRequestOptions = {}): Json {
  const speaks = opts.speaks ?? "Chat Completions";
  rejectMcpServers(body, speaks);
  const out: Json = { model: body.model, messages: mapMessages(body, speaks) };
  return Object.assign(out, settingsOf(body, speaks));
}

/** Remote MCP servers (non-empty `mcp_servers`): Anthropic calls them, a participant cannot. Checked before the conversation. */
export function rejectMcpServers(body: Json, speaks: Speaks): void {
  if (Array.isArray(body.mcp_servers) && body.mcp_servers.length > 0) throw unsupported("mcp_servers", "remote MCP servers (Anthropic calls them)", speaks);
}

/**
 * A Messages request's settings, everything but `model` and its conversation, as chat fields,
 * with the same 400s (`speaks` what the participant speaks): messages-via-responses maps them on
 * to Responses through chat-via-responses' settings, and its conversation itself.
 */
export function settingsOf(body: Json, speaks: Speaks): Json {
  const out: Json = {};
  mapTools(body, out, speaks);

  const max = body.max_tokens;
  if (typeof max !== "number" || !Number.isInteger(max) || max < 1) throw invalid("max_tokens", "max_tokens must be a positive integer");
  out.max_tokens = max;

  const stop = body.stop_sequences;
  if (stop !== undefined && stop !== null) {
    if (!Array.isArray(stop) || !stop.every((s) => typeof s === "string")) throw invalid("stop_sequences", "stop_sequences must be an array of strings");
    if (stop.length > 0) out.stop = stop;
  }
  for (const k of ["temperature", "top_p"] as const) {
    if (body[k] === undefined || body[k] === null) continue;
    if (typeof body[k] !== "number") throw invalid(k, `${k} must be a number`);
    out[k] = body[k];
  }
  const format = outputFormat(body, speaks);
  if (format) out.response_format = format;
  if (body.stream === true) {
    out.stream = true;
    out.stream_options = { include_usage: true };
  }
  return out;
}

function outputFormat(body: Json, speaks: Speaks): Json | undefined {
  const config = isObject(body.output_config) ? body.output_config : undefined;
  const [format, param] = config?.format !== undefined && config.format !== null ? [config.format, "output_config.format"] : [body.output_format, "output_format"];
  if (format === undefined || format === null) return undefined;
  if (!isObject(format)) throw invalid(param, "an output format must be an object");
  if (format.type !== "json_schema") throw unsupported(`${param}.type`, `the ${JSON.stringify(format.type)} output format`, speaks);
  if (!isObject(format.schema)) throw invalid(`${param}.schema`, "a json_schema output format needs its schema");
  return { type: "json_schema", json_schema: { name: "output", schema: format.schema } };
}
