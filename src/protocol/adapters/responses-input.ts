/**
 * A Responses request's conversation, read item by item for the adapters that turn it into
 * another protocol's (responses-via-chat: chat messages; responses-via-messages: Messages
 * turns): `instructions`, then the items of the earlier turns (`previous_response_id`: the
 * hub's store), then `input` (a string is one user message). Each item is checked and read here,
 * once; what it becomes is the adapter's `ConversationSink`.
 *
 * Read:
 * - `message` items, and the shorthand `{role, content}` without `type`: role `user`,
 *   `assistant`, `system` or `developer`; content a string, or parts;
 * - parts: `input_text`, `output_text` and a bare `text` → `text`; `refusal` (an earlier refused
 *   turn) → `refusal`, its text; `input_image` with an `image_url` (a URL or a data URL) and its
 *   `detail`; `input_file` as sent (which kinds of file a participant takes is the sink's to say);
 * - `function_call` (its `call_id` and `name`; `arguments` as text: "" when absent, an object's
 *   JSON), `function_call_output` (its `call_id`; `output` a string or parts, as above);
 * - `reasoning` items, as they are;
 * - `item_reference` → the item of this conversation it names (the stored items, then this
 *   input; resolved once: a reference to a reference names nothing).
 * Rejected (400 naming the field): an image by `file_id` (files live on OpenAI), any other part
 * type (`input_audio`, …) and any other item type (built-in tool calls and their outputs,
 * `custom_tool_call`, `compaction`, …); invalid: a role, a missing `call_id`, `name`, text or
 * `image_url`, an unresolvable `item_reference`, `instructions` or `input` of the wrong type.
 * `param` says where each came from: `input[2].content[0]`, `previous_response_id (stored item 3)`.
 */
import { isObject, type Json } from "../json.ts";
import { invalid, unsupported, type Speaks } from "./rejections.ts";

export type Role = "user" | "assistant" | "system" | "developer";

export type InputPart =
  | { kind: "text" | "refusal"; text: string; param: string }
  | { kind: "input_image"; url: string; detail?: string; param: string }
  | { kind: "input_file"; part: Json; param: string };

export interface ConversationSink {
  /** `instructions` come as a system message, first. */
  message(role: Role, content: string | InputPart[], param: string): void;
  functionCall(callId: string, name: string, args: string, param: string): void;
  functionCallOutput(callId: string, output: string | InputPart[], param: string): void;
  reasoning(item: Json, param: string): void;
}

const ROLES = new Set<string>(["user", "assistant", "system", "developer"]);
const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);

/** Feeds `sink` the conversation: instructions, `history` (the stored items of earlier turns), then `input`. */
export function readConversation(body: Json, history: Json[], sink: ConversationSink, speaks: Speaks): void {
  const byId = new Map<string, Json>();
  const input = Array.isArray(body.input) ? body.input : [];
  for (const item of [...history, ...input]) {
    if (isObject(item) && typeof item.id === "string" && item.type !== "item_reference") byId.set(item.id, item);
  }
  const read = (item: unknown, param: string, resolving = false): void => {
    if (!isObject(item)) throw invalid(param, "an input item must be an object");
    const type = item.type ?? (item.role !== undefined ? "message" : undefined);
    switch (type) {
      case "message": {
        const role = str(item.role);
        if (role === undefined || !ROLES.has(role)) throw invalid(`${param}.role`, `role ${JSON.stringify(item.role)} is not one of user, assistant, system, developer`);
        return sink.message(role as Role, contentOf(item.content, `${param}.content`, speaks), param);
      }
      case "function_call": {
        const callId = str(item.call_id);
        const name = str(item.name);
        if (!callId) throw invalid(`${param}.call_id`, "a function_call needs its call_id");
        if (!name) throw invalid(`${param}.name`, "a function_call needs its name");
        const args = typeof item.arguments === "string" ? item.arguments : item.arguments === undefined ? "" : JSON.stringify(item.arguments);
        return sink.functionCall(callId, name, args, param);
      }
      case "function_call_output": {
        const callId = str(item.call_id);
        if (!callId) throw invalid(`${param}.call_id`, "a function_call_output needs its call_id");
        if (typeof item.output !== "string" && !Array.isArray(item.output)) throw invalid(`${param}.output`, "output must be a string or an array of content parts");
        return sink.functionCallOutput(callId, contentOf(item.output, `${param}.output`, speaks), param);
      }
      case "reasoning":
        return sink.reasoning(item, param);
      case "item_reference": {
        const id = str(item.id);
        const found = id !== undefined && !resolving ? byId.get(id) : undefined;
        if (!found) throw invalid(`${param}.id`, `item_reference ${JSON.stringify(item.id)} names no item of this conversation`);
        return read(found, param, true);
      }
      default:
        throw unsupported(`${param}.type`, `input item type ${JSON.stringify(type)}`, speaks);
    }
  };

  if (typeof body.instructions === "string" && body.instructions.length > 0) sink.message("system", body.instructions, "instructions");
  else if (body.instructions !== undefined && body.instructions !== null && typeof body.instructions !== "string") {
    throw invalid("instructions", "instructions must be a string");
  }
  history.forEach((item, i) => read(item, `previous_response_id (stored item ${i})`));
  if (typeof body.input === "string") sink.message("user", body.input, "input");
  else if (Array.isArray(body.input)) body.input.forEach((item, i) => read(item, `input[${i}]`));
  else if (body.input !== undefined && body.input !== null) throw invalid("input", "input must be a string or an array of items");
}

function contentOf(content: unknown, param: string, speaks: Speaks): string | InputPart[] {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) throw invalid(param, "content must be a string or an array of content parts");
  return content.map((part, j) => partOf(part, `${param}[${j}]`, speaks));
}

function partOf(part: unknown, param: string, speaks: Speaks): InputPart {
  if (!isObject(part)) throw invalid(param, "a content part must be an object");
  switch (part.type) {
    case "input_text":
    case "output_text":
    case "text":
      if (typeof part.text !== "string") throw invalid(`${param}.text`, "a text part needs its text");
      return { kind: "text", text: part.text, param };
    case "refusal":
      if (typeof part.refusal !== "string") throw invalid(`${param}.refusal`, "a refusal part needs its refusal text");
      return { kind: "refusal", text: part.refusal, param };
    case "input_image": {
      const url = str(part.image_url);
      if (url === undefined) {
        if (part.file_id !== undefined) throw unsupported(`${param}.file_id`, "an image given by file_id", speaks);
        throw invalid(`${param}.image_url`, "an input_image needs its image_url");
      }
      return typeof part.detail === "string" ? { kind: "input_image", url, detail: part.detail, param } : { kind: "input_image", url, param };
    }
    case "input_file":
      return { kind: "input_file", part, param };
    default:
      throw unsupported(`${param}.type`, `content part type ${JSON.stringify(part.type)}`, speaks);
  }
}
