/**
 * A Chat Completions request → a Messages request body (docs/protocols.md has the table;
 * content.ts the messages, tools.ts the tools).
 *
 * Mapped: `model` (as the hub set it); `messages` → `system` + `messages`; `tools`,
 * `tool_choice`, `parallel_tool_calls`; `max_completion_tokens` (or else `max_tokens`) →
 * `max_tokens` — when the client gives neither, the hub's defaults step fills it after mapping
 * (the room's `max_tokens`, else 4096: protocol/defaults.ts), since the Messages API requires
 * one; `stop` → `stop_sequences` (a string becomes a list; empty strings dropped);
 * `temperature`, `top_p`, and the vendor extension `top_k`, as they are (a temperature above 1
 * is passed on, for the participant to refuse or take: Anthropic's range is 0–1, llama.cpp's is
 * not); `response_format` `json_schema` → `output_config.format: {type: "json_schema", schema}`
 * (`text` is the default); `reasoning_effort` → `thinking` (below); `safety_identifier` (or else
 * `user`) → `metadata.user_id`; `stream: true` → `stream: true`.
 * `reasoning_effort` → `thinking: {type: "enabled", budget_tokens}`: `minimal` 1024 (the API's
 * least), `low` 2048, `medium` 8192, `high` 16384, `xhigh` 32768; `none` → `{type:
 * "disabled"}`. The budget counts within `max_tokens`, as reasoning counts within chat's
 * `max_completion_tokens`: a client's limit that leaves no room for it lowers the budget to the
 * limit less one, and one under 1025 leaves thinking off (the effort only tunes; the client's
 * limit holds). Without a client limit, `max_tokens` is the budget plus 4096 for the answer.
 * Thinking stays off, too, for a tool loop whose assistant turn comes back without its signed
 * thinking block (protocol/anthropic/thinking.ts `unsignedToolLoop`: a streamed answer carries
 * no signature), which Anthropic would refuse with thinking on.
 * Read elsewhere: `stream_options.include_usage` (by the stream mapper).
 * Ignored (they tune or annotate, or the hub handles them): `seed`, `verbosity`, `store`,
 * `metadata`, `service_tier`, `prompt_cache_key`, `prompt_cache_retention`, `logit_bias: {}`,
 * `n: 1`, `logprobs: false`, `top_logprobs: 0`, penalties of 0, `modalities: ["text"]`, and any
 * other field: the Messages API refuses fields it does not know, so nothing else is passed on.
 * Rejected (400 `unsupported_parameter` naming the field and the Messages API): `n > 1`,
 * `logprobs`, `top_logprobs`, a non-empty `logit_bias`, non-zero `presence_penalty` /
 * `frequency_penalty`, `response_format` `json_object` (JSON without a schema: the Messages API
 * constrains output only to a schema), `audio`, `modalities` with anything but text,
 * `prediction`, `web_search_options`, legacy `functions` / `function_call`, and what content.ts
 * and tools.ts reject.
 */
import { isObject, type Json } from "../../json.ts";
import { MESSAGES_DEFAULT_MAX_TOKENS } from "../../anthropic/message.ts";
import { invalid, unsupported } from "../rejections.ts";
import { mapMessages } from "./content.ts";
import { unsignedToolLoop } from "../../anthropic/thinking.ts";
import { mapTools } from "./tools.ts";

const SPEAKS = "Messages API";
const present = (v: unknown) => v !== undefined && v !== null;

/** Anthropic's least thinking budget. */
export const MIN_THINKING_BUDGET = 1024;
export const THINKING_BUDGET: Record<string, number> = { minimal: 1024, low: 2048, medium: 8192, high: 16384, xhigh: 32768 };

function rejectUnsupported(body: Json): void {
  if (present(body.n) && body.n !== 1) throw unsupported("n", "more than one choice", SPEAKS);
  if (present(body.logprobs) && body.logprobs !== false) throw unsupported("logprobs", "token log probabilities", SPEAKS);
  if (present(body.top_logprobs) && body.top_logprobs !== 0) throw unsupported("top_logprobs", "token log probabilities", SPEAKS);
  if (present(body.logit_bias) && !(isObject(body.logit_bias) && Object.keys(body.logit_bias).length === 0)) throw unsupported("logit_bias", "a logit bias", SPEAKS);
  for (const k of ["presence_penalty", "frequency_penalty"]) {
    if (present(body[k]) && body[k] !== 0) throw unsupported(k, "a repetition penalty", SPEAKS);
  }
  if (present(body.audio)) throw unsupported("audio", "audio output", SPEAKS);
  if (present(body.modalities) && !(Array.isArray(body.modalities) && body.modalities.every((m) => m === "text"))) throw unsupported("modalities", "output other than text", SPEAKS);
  if (present(body.prediction)) throw unsupported("prediction", "predicted outputs", SPEAKS);
  if (present(body.web_search_options)) throw unsupported("web_search_options", "web search", SPEAKS);
  if (present(body.functions)) throw unsupported("functions", "legacy functions (use tools)", SPEAKS);
  if (present(body.function_call)) throw unsupported("function_call", "the legacy function_call (use tool_choice)", SPEAKS);
}

export function mapRequest(body: Json): Json {
  if (!isObject(body)) throw invalid("body", "must be a JSON object");
  rejectUnsupported(body);
  const out: Json = { model: body.model };
  const { system, messages } = mapMessages(body.messages);
  if (system !== undefined) out.system = system;
  out.messages = messages;
  mapSettings(body, out, !unsignedToolLoop(messages));
  return out;
}

/**
 * A chat request's settings, everything but `model` and `messages`, as Messages fields, with the
 * same 400s: responses-via-messages maps a Responses request's settings through here, once
 * responses-via-chat has made them chat fields (its conversation it maps itself, and says
 * whether it may think: `unsignedToolLoop`).
 */
export function settingsOf(body: Json, mayThink: boolean): Json {
  rejectUnsupported(body);
  const out: Json = {};
  mapSettings(body, out, mayThink);
  return out;
}

function mapSettings(body: Json, out: Json, mayThink: boolean): void {
  mapTools(body, out);
  const maxParam = present(body.max_completion_tokens) ? "max_completion_tokens" : "max_tokens";
  const max = body[maxParam];
  if (present(max)) {
    if (typeof max !== "number" || !Number.isInteger(max) || max < 1) throw invalid(maxParam, "must be a positive integer");
    out.max_tokens = max;
  }
  const stop = stopSequences(body.stop);
  if (stop) out.stop_sequences = stop;
  for (const k of ["temperature", "top_p", "top_k"] as const) {
    if (!present(body[k])) continue;
    if (typeof body[k] !== "number") throw invalid(k, "must be a number");
    out[k] = body[k];
  }
  const format = outputFormat(body.response_format);
  if (format) out.output_config = { format };
  if (present(body.reasoning_effort)) thinking(body.reasoning_effort, out, mayThink);
  const user = typeof body.safety_identifier === "string" && body.safety_identifier !== "" ? body.safety_identifier : body.user;
  if (typeof user === "string" && user !== "") out.metadata = { user_id: user };
  if (body.stream === true) out.stream = true;
}

function stopSequences(stop: unknown): string[] | undefined {
  if (!present(stop)) return undefined;
  const list = typeof stop === "string" ? [stop] : stop;
  if (!Array.isArray(list) || !list.every((s) => typeof s === "string")) throw invalid("stop", "must be a string or an array of strings");
  const kept = list.filter((s) => s !== "");
  return kept.length > 0 ? kept : undefined;
}

function outputFormat(format: unknown): Json | undefined {
  if (!present(format)) return undefined;
  if (!isObject(format)) throw invalid("response_format", "must be an object");
  switch (format.type) {
    case "text":
      return undefined;
    case "json_schema": {
      const js = format.json_schema;
      if (!isObject(js) || !isObject(js.schema)) throw invalid("response_format.json_schema.schema", "must be a JSON schema object");
      return { type: "json_schema", schema: js.schema };
    }
    case "json_object":
      throw unsupported("response_format.type", "JSON output without a schema (json_object; give a json_schema instead)", SPEAKS);
    default:
      throw invalid("response_format.type", `unknown type ${JSON.stringify(format.type)}`);
  }
}

/** `reasoning_effort` → `thinking`, within the client's token limit, and not where Anthropic would refuse it (see above). */
function thinking(effort: unknown, out: Json, mayThink: boolean): void {
  if (effort === "none") {
    out.thinking = { type: "disabled" };
    return;
  }
  const wanted = typeof effort === "string" && Object.hasOwn(THINKING_BUDGET, effort) ? THINKING_BUDGET[effort] : undefined;
  if (wanted === undefined) throw invalid("reasoning_effort", `${JSON.stringify(effort)} is not one of none, ${Object.keys(THINKING_BUDGET).join(", ")}`);
  if (!mayThink) return;
  const limit = out.max_tokens as number | undefined;
  if (limit === undefined) {
    out.thinking = { type: "enabled", budget_tokens: wanted };
    out.max_tokens = wanted + MESSAGES_DEFAULT_MAX_TOKENS;
    return;
  }
  const budget = Math.min(wanted, limit - 1);
  if (budget >= MIN_THINKING_BUDGET) out.thinking = { type: "enabled", budget_tokens: budget };
}
