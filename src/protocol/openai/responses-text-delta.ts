/**
 * The commonest events of a Responses participant's stream, read without `JSON.parse`
 * (../json-scan.ts): `response.output_text.delta`, `response.reasoning_text.delta` and
 * `response.reasoning_summary_text.delta`. A participant writes those of one part alike but for
 * the text, its `sequence_number` (one more each time) and OpenAI's `obfuscation` (random
 * padding), which nobody reads: those two are the template's holes, so a template learnt from
 * one delta takes the rest of its part (responses-stream-reader.ts).
 *
 * `scanResponsesTextDelta` vets the event a template is learnt from: `type` one of the three,
 * `delta` a string, `output_index`, `content_index` or `summary_index` non-negative integers,
 * `item_id` a string, `sequence_number` a non-negative integer, `obfuscation` a string,
 * `logprobs` only `[]`; each once, nothing else (per-token logprobs, which LM Studio sends and
 * which differ every time, and any other key: the event is parsed as before).
 */
import { JsonScan, literalOf, TextTemplate, type TextAt } from "../json-scan.ts";

export type DeltaType = "response.output_text.delta" | "response.reasoning_text.delta" | "response.reasoning_summary_text.delta";

/** What a delta event says but its text, as the reader keys it. */
export interface DeltaInfo {
  type: DeltaType;
  outputIndex?: number;
  itemId?: string;
  /** `content_index`, or `summary_index` for a summary. */
  index?: number;
}

export class ResponsesTextDeltas extends TextTemplate<DeltaInfo> {
  constructor() {
    super(scanResponsesTextDelta);
  }
}

const TYPES: DeltaType[] = ["response.output_text.delta", "response.reasoning_text.delta", "response.reasoning_summary_text.delta"];
const scan = new JsonScan();

/** Where a text delta's string is, that string as JSON.stringify writes it, the holes, and what else it says; undefined if it is not certainly one. */
export function scanResponsesTextDelta(data: string): TextAt<DeltaInfo> | undefined {
  scan.reset(data);
  let start = -1;
  let end = -1;
  let type: DeltaType | undefined;
  const info: Omit<DeltaInfo, "type"> = {};
  const holes: { start: number; end: number }[] = [];
  const seen = new Set<string>();
  const ok = scan.object((key) => {
    if (seen.has(key)) return false;
    seen.add(key);
    switch (key) {
      case "type":
        type = TYPES.find((t) => scan.word(`"${t}"`));
        return type !== undefined;
      case "delta":
        start = scan.pos;
        if (!scan.text()) return false;
        end = scan.pos;
        return true;
      case "output_index":
        info.outputIndex = scan.index();
        return info.outputIndex >= 0;
      case "content_index":
      case "summary_index":
        if (info.index !== undefined) return false;
        info.index = scan.index();
        return info.index >= 0;
      case "item_id": {
        const from = scan.pos;
        if (!scan.string() || scan.escaped) return false;
        info.itemId = data.slice(from + 1, scan.pos - 1);
        return true;
      }
      case "sequence_number": {
        const from = scan.pos;
        if (scan.index() < 0) return false;
        holes.push({ start: from, end: scan.pos });
        return true;
      }
      case "obfuscation": {
        const from = scan.pos;
        if (!scan.string()) return false;
        holes.push({ start: from, end: scan.pos });
        return true;
      }
      case "logprobs":
        return scan.emptyArray();
      default:
        return false;
    }
  });
  // A summary's index is `summary_index`, a text's `content_index`: the other name is refused.
  const indexName = type === "response.reasoning_summary_text.delta" ? "summary_index" : "content_index";
  const wrongIndex = seen.has(indexName === "summary_index" ? "content_index" : "summary_index");
  const at = ok && type !== undefined && start >= 0 && !wrongIndex && scan.atEnd() ? { start, end, literal: literalOf(scan, start, end), info: { type, ...info }, holes } : undefined;
  scan.src = "";
  return at;
}
