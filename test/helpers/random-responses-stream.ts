/**
 * Responses event streams drawn at random (seeded with test/helpers/prng.ts, so a failure names
 * its seed), for the tests of the mappers that read them: items in order (messages with text and
 * refusal parts, reasoning items with raw or summary text and encrypted content, function calls
 * with arguments in deltas, whole, or only in `.done`), each event kept or left out at random
 * (`added`, `.done`, `content_part.done`, `output_item.done`), with and without `event:` lines,
 * `output_index` or only `item_id`, `sequence_number`; an item only the terminal Response lists;
 * an end that is `completed`, `incomplete` (either reason), `failed`, an `error` event or none;
 * now and then a stray `[DONE]`, data that is not JSON or no object, an empty event.
 */
import type { SseEvent } from "../../src/protocol/sse/decode.ts";

type Json = Record<string, any>;
type Ev = SseEvent;

export function randomResponsesStream(rnd: () => number): Ev[] {
  const pick = <T,>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const maybe = (p: number) => rnd() < p;
  const out: Ev[] = [];
  const lines = maybe(0.8);
  let seq = 0;
  const ev = (type: string, data: Json) => out.push({ ...(lines ? { event: type } : {}), data: JSON.stringify({ type, ...data, ...(maybe(0.7) ? { sequence_number: seq++ } : {}) }) });
  const resp = (status: string, output: Json[] | null, usage?: Json) => ({
    id: "resp_1",
    object: "response",
    ...(maybe(0.8) ? { created_at: 1_700_000_000 + Math.floor(rnd() * 1000) } : {}),
    status,
    ...(maybe(0.8) ? { model: pick(["gpt-x", ""]) } : {}),
    ...(output ? { output } : {}),
    ...(usage ? { usage } : {}),
    ...(status === "incomplete" ? { incomplete_details: { reason: pick(["max_output_tokens", "content_filter", undefined]) } } : {}),
  });
  const words = () => pick(["", "a", "Hel", "lo ", "é\n", '"q"', "\\", "💡"]);
  if (maybe(0.85)) ev("response.created", { response: resp("in_progress", []) });
  if (maybe(0.5)) ev("response.in_progress", { response: resp("in_progress", []) });
  const nItems = Math.floor(rnd() * 4);
  const finals: Json[] = [];
  for (let i = 0; i < nItems; i++) {
    const kind = pick(["message", "message", "reasoning", "function_call"]);
    const id = `${kind.slice(0, 2)}_${i}`;
    const where = () => (maybe(0.9) ? { output_index: i, item_id: id } : { item_id: id });
    if (kind === "message") {
      if (maybe(0.9)) ev("response.output_item.added", { ...where(), item: { id, type: "message", role: "assistant", status: "in_progress", content: [] } });
      const parts: Json[] = [];
      const nParts = 1 + Math.floor(rnd() * 2);
      for (let j = 0; j < nParts; j++) {
        const refusal = maybe(0.15);
        let text = "";
        const n = Math.floor(rnd() * 5);
        for (let k = 0; k < n; k++) {
          const w = words();
          text += w;
          ev(refusal ? "response.refusal.delta" : "response.output_text.delta", { ...where(), content_index: j, delta: w, ...(maybe(0.3) ? { logprobs: [], obfuscation: "x" } : {}) });
        }
        if (maybe(0.2)) text += "more";
        if (maybe(0.6)) ev(refusal ? "response.refusal.done" : "response.output_text.done", { ...where(), content_index: j, ...(refusal ? { refusal: text } : { text }) });
        const part = refusal ? { type: "refusal", refusal: text } : { type: "output_text", text, annotations: [] };
        if (maybe(0.5)) ev("response.content_part.done", { ...where(), content_index: j, part });
        parts.push(part);
      }
      const item = { id, type: "message", role: "assistant", status: "completed", content: parts };
      if (maybe(0.8)) ev("response.output_item.done", { ...where(), item });
      finals.push(item);
    } else if (kind === "reasoning") {
      const enc = maybe(0.5) ? `gAAAA${i}${Math.floor(rnd() * 100)}` : undefined;
      if (maybe(0.9)) ev("response.output_item.added", { ...where(), item: { id, type: "reasoning", summary: [], ...(enc && maybe(0.5) ? { encrypted_content: enc + "early" } : {}) } });
      const summary: Json[] = [];
      const content: Json[] = [];
      const nParts = Math.floor(rnd() * 3);
      const raw = maybe(0.5);
      for (let j = 0; j < nParts; j++) {
        let text = "";
        const n = Math.floor(rnd() * 4);
        for (let k = 0; k < n; k++) {
          const w = words();
          text += w;
          if (raw) ev("response.reasoning_text.delta", { ...where(), content_index: j, delta: w });
          else ev("response.reasoning_summary_text.delta", { ...where(), summary_index: j, delta: w });
        }
        if (maybe(0.2)) text += "+";
        if (maybe(0.5)) {
          if (raw) ev("response.reasoning_text.done", { ...where(), content_index: j, text });
          else ev("response.reasoning_summary_text.done", { ...where(), summary_index: j, text });
        }
        if (!raw && maybe(0.3)) ev("response.reasoning_summary_part.done", { ...where(), summary_index: j, part: { type: "summary_text", text } });
        if (raw && maybe(0.3)) ev("response.content_part.done", { ...where(), content_index: j, part: { type: "reasoning_text", text } });
        if (raw) content.push({ type: "reasoning_text", text });
        else summary.push({ type: "summary_text", text });
      }
      const item = { id, type: "reasoning", summary, ...(raw ? { content } : {}), ...(enc ? { encrypted_content: enc } : {}) };
      if (maybe(0.85)) ev("response.output_item.done", { ...where(), item });
      finals.push(item);
    } else {
      const callId = maybe(0.9) ? `call_${i}` : undefined;
      const name = maybe(0.95) ? pick(["f", "get_weather"]) : undefined;
      const args = pick(['{"a":1}', "{}", "", '{"city":"Paris","n":[1,2]}', "{oops"]);
      const whole = maybe(0.15);
      if (maybe(0.9)) ev("response.output_item.added", { ...where(), item: { id, type: "function_call", ...(callId ? { call_id: callId } : {}), ...(name ? { name } : {}), arguments: whole ? args : "" } });
      if (!whole && maybe(0.8)) {
        for (let k = 0; k < args.length; k += 3) ev("response.function_call_arguments.delta", { ...where(), delta: args.slice(k, k + 3) });
      }
      if (maybe(0.6)) ev("response.function_call_arguments.done", { ...where(), arguments: args });
      const item = { id, type: "function_call", ...(callId ? { call_id: callId } : {}), ...(name ? { name } : {}), arguments: args, status: "completed" };
      if (maybe(0.8)) ev("response.output_item.done", { ...where(), item });
      finals.push(item);
    }
    if (maybe(0.05)) out.push(pick<Ev>([{ data: "[DONE]" }, { data: "{nope" }, { data: "[1]" }, { data: "" }, { event: "keepalive", data: "{}" }]));
  }
  // An extra item only the terminal response lists.
  if (maybe(0.1)) finals.push(pick([{ id: "x", type: "message", content: [{ type: "output_text", text: "late" }] }, { id: "y", type: "function_call", call_id: "c9", name: "late", arguments: '{"z":1}' }, { id: "z", type: "reasoning", summary: [{ type: "summary_text", text: "late thought" }], encrypted_content: "gAAAlate" }]));
  const usage = maybe(0.8) ? { input_tokens: 10, ...(maybe(0.5) ? { input_tokens_details: { cached_tokens: 4 } } : {}), output_tokens: 7, ...(maybe(0.5) ? { output_tokens_details: { reasoning_tokens: 2 } } : {}), total_tokens: 17 } : undefined;
  const end = pick(["completed", "completed", "completed", "incomplete", "failed", "error", "none"]);
  if (end === "completed" || end === "incomplete") ev(`response.${end}`, { response: resp(end, finals, usage) });
  else if (end === "failed") ev("response.failed", { response: { ...resp("failed", finals), error: maybe(0.7) ? { message: "boom", code: pick(["server_error", 42, undefined]) } : null } });
  else if (end === "error") ev("error", maybe(0.5) ? { code: "insufficient_quota", message: "quota" } : { error: { type: "invalid_request_error", message: "bad", code: null } });
  if (maybe(0.2)) out.push({ data: "[DONE]" });
  return out;
}
