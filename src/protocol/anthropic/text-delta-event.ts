/**
 * The commonest event of a Messages stream, read without `JSON.parse` (../json-scan.ts): a
 * `content_block_delta` whose delta is a `text_delta`. Every such event of a block is written
 * alike but for its text, so a template learnt from one takes the rest of the block
 * (stream-reader.ts); its block's `index` is in the template, read once.
 *
 * `scanTextDelta` vets the event a template is learnt from, exactly as Anthropic writes it:
 * `type` the string `"content_block_delta"`, `index` a non-negative integer, `delta` an object
 * with `type` `"text_delta"` and `text` a string, each once and nothing else (another key, at
 * either level, and the event is parsed as before).
 */
import { JsonScan, literalOf, TextTemplate, type TextAt } from "../json-scan.ts";

export class TextDeltas extends TextTemplate<number> {
  constructor() {
    super(scanTextDelta);
  }
}

const scan = new JsonScan();

/** Where a text delta's string is, that string as JSON.stringify writes it, and its block's index (`info`); undefined if it is not certainly one. */
export function scanTextDelta(data: string): TextAt<number> | undefined {
  scan.reset(data);
  let start = -1;
  let end = -1;
  let index = -1;
  let type = false;
  let deltaType = false;
  let delta = false;
  const ok = scan.object((key) => {
    switch (key) {
      case "type":
        if (type) return false;
        type = true;
        return scan.word('"content_block_delta"');
      case "index":
        if (index >= 0) return false;
        index = scan.index();
        return index >= 0;
      case "delta":
        if (delta) return false;
        delta = true;
        return scan.object((k) => {
          switch (k) {
            case "type":
              if (deltaType) return false;
              deltaType = true;
              return scan.word('"text_delta"');
            case "text":
              if (start >= 0) return false;
              start = scan.pos;
              if (!scan.text()) return false;
              end = scan.pos;
              return true;
            default:
              return false;
          }
        });
      default:
        return false;
    }
  });
  const at = ok && type && deltaType && index >= 0 && start >= 0 && scan.atEnd() ? { start, end, literal: literalOf(scan, start, end), info: index } : undefined;
  scan.src = "";
  return at;
}
