/**
 * A Responses request → a Chat Completions request body (docs/protocols.md
 * has the full table).
 *
 * Mapped: `model` (as the hub set it); `instructions` → a first system message (only this
 * request's: a previous response's instructions are not carried over, the API's rule);
 * `previous_response_id`'s stored items (`opts.history`) then `input` → `messages` (items.ts);
 * function `tools` → `{type:"function", function:{name, description, parameters, strict}}`;
 * `tool_choice` `auto`/`none`/`required`/`{type:"function", name}`, and `allowed_tools` as the
 * tool list narrowed to the allowed functions with `mode` as the choice; `parallel_tool_calls`
 * (only with tools: OpenAI rejects it alone); `text.format` `json_schema` / `json_object` →
 * `response_format` (`text` = the default, not sent); `text.verbosity` → `verbosity`;
 * `max_output_tokens` → `max_tokens` (every local server knows it; `max_completion_tokens` is
 * newer and OpenAI-only); `temperature`, `top_p`, `stop`, `seed`, `frequency_penalty`,
 * `presence_penalty`, `user`; `reasoning.effort` → `reasoning_effort`; `top_logprobs` (> 0) and
 * `include: ["message.output_text.logprobs"]` → `logprobs: true` (+ `top_logprobs`);
 * `stream: true` → `stream: true, stream_options: {include_usage: true}`.
 * Ignored (the hub handles them, or they do not change the answer; echoed in the Response):
 * `store`, `previous_response_id`, `metadata`, `include` (other values), `truncation`,
 * `service_tier`, `prompt_cache_key`, `prompt_cache_retention`, `prompt_cache_options`,
 * `safety_identifier`, `max_tool_calls` (built-in tools only), `stream_options`,
 * `context_management`, `reasoning.summary` (reasoning comes back as raw `reasoning_text`),
 * `background: false`.
 * Rejected (400 naming the field): non-function tools (`web_search`, `web_search_preview`,
 * `file_search`, `code_interpreter`, `computer_use_preview`, `mcp`, `image_generation`,
 * `local_shell`, `shell`, `apply_patch`, `custom`, …) and tool choices naming them,
 * `background: true`, `prompt`, `conversation`, `moderation`, a `text.format` of another type,
 * and an empty conversation.
 */
import { isObject, type Json } from "../../json.ts";
import type { Speaks } from "../rejections.ts";
import { invalid, str, unsupported } from "./common.ts";
import { MessageBuilder } from "./items.ts";
import { readConversation } from "../responses-input.ts";

export interface MapRequestOptions {
  /** Items of the earlier turns (`previous_response_id`), inputs and outputs, oldest first. */
  history?: Json[];
  /** Send reasoning items back as `reasoning_content` (see items.ts). Default false: dropped. */
  reasoningContent?: boolean;
  /** What a 400 says the participant speaks: Chat Completions unless the chat body goes on to another protocol. */
  speaks?: Speaks;
}

const PASS_THROUGH = ["temperature", "top_p", "stop", "seed", "frequency_penalty", "presence_penalty", "user"] as const;

export function mapRequest(body: Json, opts: MapRequestOptions = {}): Json {
  const speaks = opts.speaks;
  rejectUnsupported(body, speaks);
  const out: Json = { model: body.model };
  const builder = new MessageBuilder({ reasoningContent: opts.reasoningContent, speaks });
  readConversation(body, opts.history ?? [], builder, speaks ?? "Chat Completions");
  if (!builder.messages.some((m) => m.role !== "system")) throw invalid("input", "there is nothing to answer: input is empty");
  out.messages = builder.messages;
  mapSettings(body, out, speaks);
  return out;
}

/**
 * A Responses request's settings, everything but `model` and its conversation, as chat fields,
 * with the same 400s (naming the Responses fields; `speaks` what the participant speaks):
 * responses-via-messages maps them on to Messages through chat-via-messages, and its
 * conversation itself.
 */
export function chatSettingsOf(body: Json, speaks?: Speaks): Json {
  rejectUnsupported(body, speaks);
  const out: Json = {};
  mapSettings(body, out, speaks);
  return out;
}

function mapSettings(body: Json, out: Json, speaks: Speaks | undefined): void {
  const { tools, toolChoice } = mapTools(body.tools, body.tool_choice, speaks);
  if (tools.length > 0) {
    out.tools = tools;
    if (toolChoice !== undefined) out.tool_choice = toolChoice;
    if (typeof body.parallel_tool_calls === "boolean") out.parallel_tool_calls = body.parallel_tool_calls;
  } else if (toolChoice === "required") {
    throw invalid("tool_choice", '"required" needs at least one function tool');
  }

  const format = mapFormat(body.text, speaks);
  if (format) out.response_format = format;
  if (isObject(body.text) && typeof body.text.verbosity === "string") out.verbosity = body.text.verbosity;

  if (typeof body.max_output_tokens === "number") out.max_tokens = body.max_output_tokens;
  for (const k of PASS_THROUGH) if (body[k] !== undefined && body[k] !== null) out[k] = body[k];
  if (isObject(body.reasoning) && typeof body.reasoning.effort === "string") out.reasoning_effort = body.reasoning.effort;

  const wantLogprobs = Array.isArray(body.include) && body.include.includes("message.output_text.logprobs");
  if (typeof body.top_logprobs === "number" && body.top_logprobs > 0) {
    out.logprobs = true;
    out.top_logprobs = body.top_logprobs;
  } else if (wantLogprobs) out.logprobs = true;

  if (body.stream === true) {
    out.stream = true;
    out.stream_options = { include_usage: true };
  }
}

function rejectUnsupported(body: Json, speaks: Speaks | undefined): void {
  if (body.background === true) throw unsupported("background", "background mode", speaks);
  if (body.prompt !== undefined && body.prompt !== null) throw unsupported("prompt", "a reusable prompt (prompt templates live on OpenAI)", speaks);
  if (body.conversation !== undefined && body.conversation !== null) {
    throw unsupported("conversation", "a Conversations API conversation (use previous_response_id)", speaks);
  }
  if (body.moderation !== undefined && body.moderation !== null) throw unsupported("moderation", "moderation", speaks);
}

function mapTools(tools: unknown, choice: unknown, speaks: Speaks | undefined): { tools: Json[]; toolChoice?: unknown } {
  if (tools !== undefined && tools !== null && !Array.isArray(tools)) throw invalid("tools", "tools must be an array");
  let mapped = (Array.isArray(tools) ? tools : []).map((tool, i) => {
    if (!isObject(tool)) throw invalid(`tools[${i}]`, "a tool must be an object");
    if (tool.type !== "function") throw unsupported(`tools[${i}].type`, `the ${JSON.stringify(tool.type)} tool`, speaks);
    const name = str(tool.name);
    if (!name) throw invalid(`tools[${i}].name`, "a function tool needs a name");
    const fn: Json = { name };
    if (typeof tool.description === "string") fn.description = tool.description;
    if (tool.parameters !== undefined && tool.parameters !== null) fn.parameters = tool.parameters;
    if (typeof tool.strict === "boolean") fn.strict = tool.strict;
    return { type: "function", function: fn };
  });
  if (choice === undefined || choice === null) return { tools: mapped };
  if (choice === "auto" || choice === "none" || choice === "required") return { tools: mapped, toolChoice: choice };
  if (!isObject(choice)) throw invalid("tool_choice", `${JSON.stringify(choice)} is not a tool choice`);
  if (choice.type === "function") {
    const name = str(choice.name);
    if (!name || !mapped.some((t) => t.function.name === name)) throw invalid("tool_choice.name", `no function tool named ${JSON.stringify(choice.name)}`);
    return { tools: mapped, toolChoice: { type: "function", function: { name } } };
  }
  if (choice.type === "allowed_tools") {
    // Chat has no "allowed subset": sending only the allowed functions is the same constraint.
    const allowed = Array.isArray(choice.tools) ? choice.tools : [];
    const names = new Set<string>();
    allowed.forEach((t: unknown, i: number) => {
      if (!isObject(t) || t.type !== "function") throw unsupported(`tool_choice.tools[${i}].type`, `allowing the ${JSON.stringify(isObject(t) ? t.type : t)} tool`, speaks);
      if (typeof t.name !== "string") throw invalid(`tool_choice.tools[${i}].name`, "an allowed function needs its name");
      names.add(t.name);
    });
    const mode = choice.mode ?? "auto";
    if (mode !== "auto" && mode !== "required") throw invalid("tool_choice.mode", `${JSON.stringify(mode)} is not auto or required`);
    mapped = mapped.filter((t) => names.has(t.function.name as string));
    if (mapped.length === 0) return { tools: [], toolChoice: mode === "required" ? "required" : undefined };
    return { tools: mapped, toolChoice: mode };
  }
  throw unsupported("tool_choice.type", `a tool choice of type ${JSON.stringify(choice.type)}`, speaks);
}

function mapFormat(text: unknown, speaks: Speaks | undefined): Json | undefined {
  if (text === undefined || text === null) return undefined;
  if (!isObject(text)) throw invalid("text", "text must be an object");
  const format = text.format;
  if (format === undefined || format === null) return undefined;
  if (!isObject(format)) throw invalid("text.format", "format must be an object");
  switch (format.type) {
    case "text":
      return undefined;
    case "json_object":
      return { type: "json_object" };
    case "json_schema": {
      if (typeof format.name !== "string") throw invalid("text.format.name", "a json_schema format needs a name");
      if (!isObject(format.schema)) throw invalid("text.format.schema", "a json_schema format needs a schema object");
      const schema: Json = { name: format.name, schema: format.schema };
      if (typeof format.description === "string") schema.description = format.description;
      if (typeof format.strict === "boolean") schema.strict = format.strict;
      return { type: "json_schema", json_schema: schema };
    }
    default:
      throw unsupported("text.format.type", `the ${JSON.stringify(format.type)} output format`, speaks);
  }
}
