/**
 * The hub's own token counts, for an answer whose participant reported no usage (the ledger
 * and /metrics mark them `estimated`). Pure. The rule is the usual rough one, about four
 * characters of English text per token, and every estimate is at least 1 when there was text:
 *
 * - input: the characters of the request's text (chat and Messages `messages[].content`,
 *   Responses `input` and `instructions`, Messages `system`, text parts and tool results
 *   included, and a Responses function call's `arguments`; images and other binary parts,
 *   tool definitions and chat's `tool_calls` are not counted), ÷ 4, rounded up; also the answer
 *   of `POST …/v1/messages/count_tokens`;
 * - output, streamed: one token per content event (llama.cpp, Ollama, vLLM and hosted APIs send
 *   about one token per chunk), the events counted without decoding them: the bytes of the
 *   stream from its first content event on ÷ the size of that event (the relays count bytes per
 *   read: nothing per event, proxy/relay-passthrough.ts). At least 1 once content came;
 * - output, a whole body: its bytes ÷ 4, rounded up (an over-estimate: the JSON around the
 *   text is counted too).
 */
import type { Observation } from "../../protocol/observe.ts";

export const CHARS_PER_TOKEN = 4;

/** The characters of text in a request body's messages / input / instructions / system. */
export function requestTextChars(body: Record<string, unknown>): number {
  let n = 0;
  const visit = (v: unknown, depth: number): void => {
    if (depth > 8) return;
    if (typeof v === "string") n += v.length;
    else if (Array.isArray(v)) for (const x of v) visit(x, depth + 1);
    else if (v && typeof v === "object") {
      const o = v as Record<string, unknown>;
      // Message/item text: `content` (string or parts), a part's `text`, a tool output's `output`.
      for (const key of ["content", "text", "output", "arguments"]) if (key in o) visit(o[key], depth + 1);
    }
  };
  visit(body.messages, 0);
  visit(body.input, 0);
  visit(body.instructions, 0);
  visit(body.system, 0);
  return n;
}

export function estimateInputTokens(body: Record<string, unknown>): number {
  return Math.max(1, Math.ceil(requestTextChars(body) / CHARS_PER_TOKEN));
}

export function estimateOutputTokens(o: Observation, stream: boolean): number {
  const bytes = o.bytes ?? 0;
  if (!stream) return bytes > 0 ? Math.ceil(bytes / CHARS_PER_TOKEN) : 0;
  if (o.firstContentAt === undefined) return 0;
  const unit = o.contentEventBytes;
  if (!unit) return 1;
  return Math.max(1, Math.round((bytes - (o.contentStartBytes ?? 0)) / unit));
}
