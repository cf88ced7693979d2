/**
 * A Messages request → a Responses request body. The conversation (`system`, `messages`) is
 * mapped straight to `instructions` and input items (conversation.ts), so what the chat shape
 * cannot carry still arrives: images and PDFs in tool results, PDF documents, this participant's
 * own encrypted reasoning sent back in thinking blocks, in the order the blocks came. Every
 * other field takes the two steps it took through the chat shape — messages-via-chat's settings,
 * then chat-via-responses' — so each has the fate both give it in docs/protocols.md ("Messages
 * request → Chat Completions or Responses participant"), and their 400s name the Responses API
 * as what the participant speaks: `tools` (function tools), `tool_choice`,
 * `disable_parallel_tool_use` → `parallel_tool_calls: false`, `max_tokens` →
 * `max_output_tokens`, `temperature`, `top_p`, `output_config.format` → `text.format`,
 * `stream`; always `store: false` (a Messages request is stateless).
 * This direction's own: a non-empty `stop_sequences` is a 400 naming it, before anything else
 * (the Responses API has no stop sequences).
 */
import type { Json } from "../../json.ts";
import { unsupported } from "../rejections.ts";
import { readMessages } from "../messages-input.ts";
import { rejectMcpServers, settingsOf as chatSettingsOf } from "../messages-via-chat/request.ts";
import { settingsOf as responsesSettingsOf } from "../chat-via-responses/request.ts";
import { ItemBuilder } from "./conversation.ts";
import type { AdapterContext } from "../types.ts";

const SPEAKS = "Responses API";

/** `ctx.participant`: who the request goes to, whose own encrypted reasoning goes back (thinking.ts). */
export function mapRequest(body: Json, ctx?: Pick<AdapterContext, "participant">): Json {
  if (Array.isArray(body.stop_sequences) && body.stop_sequences.length > 0) throw unsupported("stop_sequences", "stop sequences (the Responses API has none)", SPEAKS);
  rejectMcpServers(body, SPEAKS);
  const items = new ItemBuilder({ model: body.model, participant: ctx?.participant });
  readMessages(body, items, { speaks: SPEAKS });
  const settings = responsesSettingsOf(chatSettingsOf(body, SPEAKS));
  const out: Json = { model: body.model };
  const instructions = items.instructions;
  if (instructions !== undefined) out.instructions = instructions;
  out.input = items.input;
  return Object.assign(out, settings);
}
