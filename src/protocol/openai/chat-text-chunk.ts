/**
 * The commonest event of a chat participant's stream, read without `JSON.parse` (../json-scan.ts):
 * a chunk whose one choice carries only text (`choices: [{delta: {content: "…"}, finish_reason:
 * null, …}]`, no usage, no error). llama.cpp, vLLM, Ollama, Groq, TGI and OpenRouter write those
 * chunks alike but for their text, so a template learnt from one takes the next; OpenAI's change
 * every time (`obfuscation`) and are parsed as before (chat-stream-event.ts).
 *
 * `scanTextChunk` vets the chunk a template is learnt from. It reads every key that any reader
 * of such a chunk looks at, and takes no chance with the rest:
 * - top level: `choices` once, an array of exactly one object; `usage` only `null`; `error` and
 *   `x_groq` (where Groq puts usage) not at all; any other key (`id`, `model`, `provider`, …) is
 *   skipped, its value checked as JSON;
 * - the choice: `delta` once; `finish_reason` absent or `null`; other keys (`index`,
 *   `logprobs`, `stop_reason`, `content_filter_results`, `token_ids`, …) skipped: with one
 *   choice and no finish, nothing reads them;
 * - the delta: `content` once, a string; `role` (Ollama and TGI repeat it); `refusal`,
 *   `reasoning_content`, `reasoning` only `null`; `tool_calls` and `reasoning_details` `null` or
 *   `[]`; any other key → refused.
 * A reader that keeps logprobs (responses-via-chat, `readsLogprobs`) also wants the choice's
 * `logprobs` null or absent and its `index` 0 or absent (it reads choice 0 only).
 */
import { JsonScan, literalOf, TextTemplate, type TextAt } from "../json-scan.ts";

export class TextChunks extends TextTemplate<null> {
  /** `readsLogprobs`: the reader keeps a chunk's logprobs (responses-via-chat), so a text chunk is one whose `logprobs` is null or absent and whose choice is index 0 (or unnumbered). */
  constructor(options: { readsLogprobs?: boolean } = {}) {
    super(options.readsLogprobs ? (data) => scanTextChunk(data, true) : scanTextChunk);
  }
}

const scan = new JsonScan();

/** Where a text-only chunk's content string is, and that string as JSON.stringify writes it; undefined if it is not certainly such a chunk. */
export function scanTextChunk(data: string, readsLogprobs = false): TextAt<null> | undefined {
  scan.reset(data);
  let start = -1;
  let end = -1;
  let choices = false;

  const textDelta = () =>
    scan.object((key) => {
      switch (key) {
        case "content":
          if (start >= 0) return false;
          start = scan.pos;
          if (!scan.text()) return false;
          end = scan.pos;
          return true;
        case "role":
          return scan.value();
        case "refusal":
        case "reasoning_content":
        case "reasoning":
          return scan.word("null");
        case "tool_calls":
        case "reasoning_details":
          return scan.word("null") || scan.emptyArray();
        default:
          return false;
      }
    });

  const oneChoice = () => {
    if (!scan.expect(0x5b /* [ */)) return false;
    let delta = false;
    let finish = false;
    const ok = scan.object((key) => {
      switch (key) {
        case "delta":
          if (delta) return false;
          delta = true;
          return textDelta();
        case "finish_reason":
          if (finish) return false;
          finish = true;
          return scan.word("null");
        case "logprobs":
          return readsLogprobs ? scan.word("null") : scan.value();
        case "index":
          return readsLogprobs ? scan.word("0") : scan.value();
        default:
          return scan.value();
      }
    });
    return ok && delta && scan.expect(0x5d /* ] */);
  };

  const ok = scan.object((key) => {
    switch (key) {
      case "choices":
        if (choices) return false;
        choices = true;
        return oneChoice();
      case "usage":
        return scan.word("null");
      case "error":
      case "x_groq":
        return false;
      default:
        return scan.value();
    }
  });
  const at = ok && choices && start >= 0 && scan.atEnd() ? { start, end, literal: literalOf(scan, start, end), info: null } : undefined;
  scan.src = "";
  return at;
}
