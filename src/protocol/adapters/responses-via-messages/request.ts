/**
 * A Responses request → a Messages request body. The conversation (`instructions`, the hub's
 * stored items for `previous_response_id`, `input`) is mapped straight to Messages turns
 * (conversation.ts), so what the chat shape cannot carry still arrives: images and PDFs in tool
 * outputs, files, signed thinking in the order it came. Every other field takes the two steps
 * the chat participant's and a chat client's requests take — responses-via-chat's settings, then
 * chat-via-messages' — so each has the fate both tables give it in docs/protocols.md, and their
 * 400s name the Messages API as what the participant speaks.
 *
 * This direction's own (named as the client sent them, not as the chat step calls them):
 * - rejected: `top_logprobs` > 0 and `include: ["message.output_text.logprobs"]` (no log
 *   probabilities), a `text.format` of type `json_object` (JSON without a schema: give a
 *   `json_schema`);
 * - invalid: `max_output_tokens` that is not a positive integer, a `reasoning.effort` that is
 *   not one of none, minimal, low, medium, high, xhigh;
 * - an empty conversation (no user or assistant turn) is a 400 on `input`;
 * - `reasoning.effort` leaves thinking off for a tool loop whose assistant turn comes back
 *   without its signed thinking (a reasoning item without the hub's `encrypted_content`), as
 *   for a chat client: Anthropic would refuse it with thinking on.
 */
import { isObject, type Json } from "../../json.ts";
import { invalid, unsupported } from "../rejections.ts";
import { readConversation } from "../responses-input.ts";
import { chatSettingsOf } from "../responses-via-chat/request.ts";
import { settingsOf, THINKING_BUDGET } from "../chat-via-messages/request.ts";
import { TurnBuilder } from "./conversation.ts";
import { unsignedToolLoop } from "../../anthropic/thinking.ts";

const SPEAKS = "Messages API";

function rejectUnsupported(body: Json): void {
  if (typeof body.top_logprobs === "number" && body.top_logprobs > 0) throw unsupported("top_logprobs", "token log probabilities", SPEAKS);
  if (Array.isArray(body.include) && body.include.includes("message.output_text.logprobs")) throw unsupported("include", "token log probabilities (message.output_text.logprobs)", SPEAKS);
  if (isObject(body.text) && isObject(body.text.format) && body.text.format.type === "json_object") {
    throw unsupported("text.format.type", "JSON output without a schema (json_object; give a json_schema instead)", SPEAKS);
  }
  const max = body.max_output_tokens;
  if (typeof max === "number" && !(Number.isInteger(max) && max >= 1)) throw invalid("max_output_tokens", "must be a positive integer");
  const effort = isObject(body.reasoning) ? body.reasoning.effort : undefined;
  if (typeof effort === "string" && effort !== "none" && !Object.hasOwn(THINKING_BUDGET, effort)) {
    throw invalid("reasoning.effort", `${JSON.stringify(effort)} is not one of none, ${Object.keys(THINKING_BUDGET).join(", ")}`);
  }
}

export function mapRequest(body: Json, opts: { history?: Json[] } = {}): Json {
  rejectUnsupported(body);
  const chat = chatSettingsOf(body, SPEAKS);
  const turns = new TurnBuilder();
  readConversation(body, opts.history ?? [], turns, SPEAKS);
  if (turns.messages.length === 0) throw invalid("input", "there is nothing to answer: input is empty");
  const out: Json = { model: body.model };
  const system = turns.system;
  if (system !== undefined) out.system = system;
  out.messages = turns.messages;
  return Object.assign(out, settingsOf(chat, !unsignedToolLoop(turns.messages)));
}
