/**
 * Anthropic's signed thinking, carried where other protocols have no field for it.
 *
 * A `thinking` block comes with a `signature` and a `redacted_thinking` block is only `data`:
 * both are opaque to everyone but Anthropic, which wants them back unchanged in a later turn
 * (during a tool loop with thinking on it refuses an assistant turn without them). The hub
 * carries them in two places:
 * - a Responses reasoning item's `encrypted_content` (what OpenAI's own reasoning items carry
 *   back and forth): `anthropic.thinking:<signature>` beside the item's `reasoning_text`, or
 *   `anthropic.redacted_thinking:<data>` on an item with no text. The prefix tells the hub's own
 *   from OpenAI's encrypted reasoning (a client may resend those from another conversation):
 *   only a prefixed one goes back to a Messages participant, anything else is dropped as before;
 *   (responses-via-messages: `encryptedContentOfBlock` for its answers, `blockOfReasoningItem`
 *   for the items sent back);
 * - chat's `reasoning_details` entries, OpenRouter's shape for the same thing:
 *   `{type: "reasoning.text", text, signature, format}` and `{type: "reasoning.encrypted", data,
 *   format}`: chat-via-messages writes them on its non-streaming answers (`detailOfBlock`, `format`
 *   `anthropic-claude-v1` as OpenRouter labels Anthropic's) and reads them on a chat client's
 *   assistant message (`blocksOfDetails`): a client that sends its assistant message back as it
 *   came (the openai package's `messages.push(choice.message)`) keeps them.
 * A signature that cannot be carried is dropped, never invented: an unsigned block (a chat
 * participant's, llama.cpp's `signature: ""`) makes no entry and no `encrypted_content`.
 *
 * And the other way: a Responses participant's encrypted reasoning (a reasoning item's
 * `encrypted_content`, what OpenAI gives back for a stateless next turn) carried in a thinking
 * block's `signature`, for a Messages client (messages-via-responses), as
 * `responses.reasoning:<participant>:<model>:<encrypted_content>`: the participant and the model
 * that wrote it (each URI-encoded; `responses.reasoning:<model>:…` where no participant is
 * known), so that it goes back only to that participant's model (`reasoningOfBlock`). Encrypted
 * reasoning can be read only by the account that wrote it: two participants serving the same
 * model name with their own keys would refuse each other's with a 400. Anthropic's own
 * signatures, another writer's and unprefixed ones go to no Responses participant (the model
 * then reasons afresh).
 */
import { isObject, type Json } from "../json.ts";

const SIGNED = "anthropic.thinking:";
const REDACTED = "anthropic.redacted_thinking:";
/** A thinking block's signature as a reasoning item's `encrypted_content`. */
export const carriedSignature = (signature: string): string => SIGNED + signature;
/** A redacted thinking block's data as a reasoning item's `encrypted_content`. */
export const carriedRedacted = (data: string): string => REDACTED + data;

/** The `encrypted_content` of the reasoning item for a thinking block (its signature) or a redacted one (its data); undefined when it carries neither. */
export function encryptedContentOfBlock(block: Json): string | undefined {
  if (block.type === "thinking" && typeof block.signature === "string" && block.signature !== "") return carriedSignature(block.signature);
  if (block.type === "redacted_thinking" && typeof block.data === "string" && block.data !== "") return carriedRedacted(block.data);
  return undefined;
}

/** A reasoning item the hub made from a thinking block → that block again (this text, its signature) or the redacted one; undefined for any other reasoning item. */
export function blockOfReasoningItem(item: Json, text: string): Json | undefined {
  const enc = item.encrypted_content;
  if (typeof enc !== "string") return undefined;
  if (enc.startsWith(SIGNED) && enc.length > SIGNED.length) return { type: "thinking", thinking: text, signature: enc.slice(SIGNED.length) };
  if (enc.startsWith(REDACTED) && enc.length > REDACTED.length) return { type: "redacted_thinking", data: enc.slice(REDACTED.length) };
  return undefined;
}

const FORMAT = "anthropic-claude-v1";

/** A thinking block (its whole text, its signature) or a redacted one → the chat `reasoning_details` entry that carries it; undefined when it carries neither (unsigned, or empty). */
export function detailOfBlock(block: Json): Json | undefined {
  if (block.type === "thinking" && typeof block.signature === "string" && block.signature !== "") {
    return { type: "reasoning.text", text: typeof block.thinking === "string" ? block.thinking : "", signature: block.signature, format: FORMAT };
  }
  if (block.type === "redacted_thinking" && typeof block.data === "string" && block.data !== "") return { type: "reasoning.encrypted", data: block.data, format: FORMAT };
  return undefined;
}

/** Chat `reasoning_details` → the Messages blocks they carry, in order (entries without a signature or data are no block). */
export function blocksOfDetails(details: unknown): Json[] {
  if (!Array.isArray(details)) return [];
  const out: Json[] = [];
  for (const d of details) {
    if (!isObject(d)) continue;
    if (d.type === "reasoning.text" && typeof d.signature === "string" && d.signature !== "") {
      out.push({ type: "thinking", thinking: typeof d.text === "string" ? d.text : "", signature: d.signature });
    } else if (d.type === "reasoning.encrypted" && typeof d.data === "string" && d.data !== "") out.push({ type: "redacted_thinking", data: d.data });
  }
  return out;
}

const RESPONSES = "responses.reasoning:";

/** Who wrote a Responses participant's encrypted reasoning: its model, and the participant (its id) when known. */
export interface ReasoningWriter {
  model: unknown;
  participant?: string;
}

const responsesPrefix = (w: ReasoningWriter): string =>
  `${RESPONSES}${w.participant === undefined ? "" : `${encodeURIComponent(w.participant)}:`}${encodeURIComponent(String(w.model ?? ""))}:`;

/** A Responses participant's `encrypted_content` as the signature of the thinking block made from its reasoning item, tagged with its writer. */
export const signatureOfReasoning = (writer: ReasoningWriter, encrypted: string): string => responsesPrefix(writer) + encrypted;

/** The `encrypted_content` a thinking block's signature carries for `writer`; undefined for any other block or signature. */
export function reasoningOfBlock(block: Json, writer: ReasoningWriter): string | undefined {
  if (block.type !== "thinking" || typeof block.signature !== "string") return undefined;
  const prefix = responsesPrefix(writer);
  return block.signature.startsWith(prefix) && block.signature.length > prefix.length ? block.signature.slice(prefix.length) : undefined;
}

/**
 * Whether a Messages conversation may not have thinking on: its last assistant message calls
 * tools (the turn goes on with their results) and does not start with a thinking block.
 * Anthropic refuses such a request with thinking enabled (a 400: the final assistant message
 * must start with a thinking block, signed, as the model wrote it), and the hub cannot invent
 * the block: a client whose answer carried no signature (a streamed chat answer, an SDK that
 * keeps only the text) would otherwise fail on its tool loop's second request. With thinking
 * off for that request the loop goes on; the next turn may think again.
 */
export function unsignedToolLoop(messages: unknown): boolean {
  if (!Array.isArray(messages)) return false;
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i];
    if (!isObject(m) || m.role !== "assistant") continue;
    const content = Array.isArray(m.content) ? m.content.filter(isObject) : [];
    if (!content.some((b) => b.type === "tool_use")) return false;
    const first = content[0]?.type;
    return first !== "thinking" && first !== "redacted_thinking";
  }
  return false;
}
