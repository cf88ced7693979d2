/**
 * A Chat Completions request body → a Responses API request body (docs/protocols.md).
 *
 * Mapped: `model`; `messages` (messages.ts); `tools`, `tool_choice`, `response_format`,
 * `verbosity` (tools.ts); `max_completion_tokens` (or else `max_tokens`) → `max_output_tokens`;
 * `reasoning_effort` → `reasoning.effort`; `stream`; `stream_options.include_obfuscation`;
 * as is: `temperature`, `top_p`, `parallel_tool_calls`, `user`, `metadata`, `service_tier`,
 * `safety_identifier`, `prompt_cache_key`, `prompt_cache_retention`, `prompt_cache_options`,
 * `moderation`. Always `store: false`: a chat request is stateless, and chat's own `store`
 * (keep the completion for evals/distillation) has no Responses counterpart — ignored.
 * Read elsewhere: `stream_options.include_usage` (by the stream mapper).
 * Ignored (harmless): `seed` (the Responses API has none; determinism was best-effort anyway);
 * the following at their neutral values: `n: 1`, `logprobs: false`, `top_logprobs: 0`,
 * `presence_penalty`/`frequency_penalty: 0`, `logit_bias: {}`, `modalities: ["text"]`,
 * `stop` empty.
 * Rejected (400 `unsupported_parameter` naming the field): `n > 1`, `logprobs`, `top_logprobs`,
 * `logit_bias`, non-zero `presence_penalty`/`frequency_penalty`, non-empty `stop`, `audio`,
 * `modalities` with anything but text, `prediction`, `web_search_options`, legacy
 * `functions`/`function_call`.
 * Any other field is passed through unchanged for the participant to accept or refuse
 * (vendor extensions such as `top_k` mean the same on both of a server's endpoints).
 */
import type { Json } from "../../json.ts";
import { invalid, unsupported } from "./errors.ts";
import { mapMessages } from "./messages.ts";
import { mapTextConfig, mapToolChoice, mapTools } from "./tools.ts";

/** Fields copied unchanged (same name and meaning in both APIs). */
const SAME = ["model", "temperature", "top_p", "parallel_tool_calls", "user", "metadata", "service_tier", "safety_identifier", "prompt_cache_key", "prompt_cache_retention", "prompt_cache_options", "moderation"];

/** Chat fields this mapper reads (mapped, checked or deliberately dropped): never passed through. */
const HANDLED = new Set([
  ...SAME,
  "messages", "tools", "tool_choice", "response_format", "verbosity", "max_tokens", "max_completion_tokens", "reasoning_effort",
  "stream", "stream_options", "store", "seed", "n", "logprobs", "top_logprobs", "logit_bias", "presence_penalty",
  "frequency_penalty", "stop", "audio", "modalities", "prediction", "web_search_options", "functions", "function_call",
]);

const present = (v: unknown) => v !== undefined && v !== null;

function rejectUnsupported(body: Json): void {
  if (present(body.n) && body.n !== 1) throw unsupported("n", "only one choice can be generated");
  if (present(body.logprobs) && body.logprobs !== false) throw unsupported("logprobs", "token log probabilities are not adapted");
  if (present(body.top_logprobs) && body.top_logprobs !== 0) throw unsupported("top_logprobs", "token log probabilities are not adapted");
  if (present(body.logit_bias) && !(typeof body.logit_bias === "object" && Object.keys(body.logit_bias as object).length === 0)) {
    throw unsupported("logit_bias", "the Responses API has no logit bias");
  }
  for (const k of ["presence_penalty", "frequency_penalty"]) {
    if (present(body[k]) && body[k] !== 0) throw unsupported(k, "the Responses API has no repetition penalties");
  }
  const stop = body.stop;
  if (present(stop) && stop !== "" && !(Array.isArray(stop) && stop.every((s) => s === ""))) {
    throw unsupported("stop", "the Responses API has no stop sequences");
  }
  if (present(body.audio)) throw unsupported("audio", "audio output cannot be adapted");
  if (present(body.modalities) && !(Array.isArray(body.modalities) && body.modalities.every((m) => m === "text"))) {
    throw unsupported("modalities", "only text output can be adapted");
  }
  if (present(body.prediction)) throw unsupported("prediction", "predicted outputs are not available in the Responses API");
  if (present(body.web_search_options)) throw unsupported("web_search_options", "web search is not adapted");
  if (present(body.functions)) throw unsupported("functions", "legacy functions are not adapted; use tools");
  if (present(body.function_call)) throw unsupported("function_call", "the legacy function_call is not adapted; use tool_choice");
}

export function mapRequest(body: Json): Json {
  if (typeof body !== "object" || body === null || Array.isArray(body)) throw invalid("body", "must be a JSON object");
  rejectUnsupported(body);
  const out = copied(body);
  const { instructions, input } = mapMessages(body.messages);
  if (instructions !== undefined) out.instructions = instructions;
  out.input = input;
  mapSettings(body, out);
  return out;
}

/**
 * A chat request's settings, everything but `messages`, as Responses fields, with the same 400s:
 * messages-via-responses maps a Messages request's settings through here, once messages-via-chat
 * has made them chat fields (its conversation it maps itself).
 */
export function settingsOf(body: Json): Json {
  rejectUnsupported(body);
  const out = copied(body);
  mapSettings(body, out);
  return out;
}

/** The fields passed through (unknown ones) and copied (`SAME`). */
function copied(body: Json): Json {
  const out: Json = {};
  for (const [k, v] of Object.entries(body)) if (!HANDLED.has(k)) out[k] = v;
  for (const k of SAME) if (present(body[k])) out[k] = body[k];
  return out;
}

function mapSettings(body: Json, out: Json): void {
  const tools = mapTools(body.tools);
  if (tools && tools.length > 0) out.tools = tools;
  const choice = mapToolChoice(body.tool_choice);
  if (choice !== undefined) out.tool_choice = choice;
  const text = mapTextConfig(body.response_format, body.verbosity);
  if (text) out.text = text;

  const max = present(body.max_completion_tokens) ? body.max_completion_tokens : body.max_tokens;
  if (present(max)) out.max_output_tokens = max;
  if (present(body.reasoning_effort)) {
    const reasoning = typeof out.reasoning === "object" && out.reasoning !== null ? (out.reasoning as Json) : {};
    out.reasoning = { ...reasoning, effort: body.reasoning_effort };
  }

  if (body.stream === true) {
    out.stream = true;
    const so = body.stream_options;
    if (so && typeof so === "object" && typeof (so as Json).include_obfuscation === "boolean") {
      out.stream_options = { include_obfuscation: (so as Json).include_obfuscation };
    }
  } else if (present(body.stream)) {
    out.stream = false;
  }
  out.store = false;
}
