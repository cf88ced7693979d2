/**
 * Responses streams shaped like llama.cpp's `llama-server` sends them, for what the recorded
 * ones (test/fixtures/responses/llamacpp-tiny-*.sse: text only, the tiny model calls no tool)
 * cannot show: reasoning and tool calls. The shape follows llama.cpp's
 * tools/server/server-task.cpp (`to_json_oaicompat_resp` for the partial results, and
 * `to_json_oaicompat_resp_stream` for the final one) and agrees with the recordings where they
 * overlap:
 * - `response.created` / `in_progress` carry `{id, object, status}` only; no event has
 *   `sequence_number`, `output_index` or `content_index`;
 * - a reasoning item is added (with `encrypted_content: ""`), its `reasoning_text.delta`s name
 *   it by `item_id`, with no content part; the message is added with one `content_part.added`;
 * - a tool call's `output_item.added` has no `id`, only `call_id: "fc_<id>"`; its argument
 *   deltas name `item_id: "fc_<id>"`; there is no `function_call_arguments.done`;
 * - nothing is closed until the end, where the final result sends, in this order: the reasoning
 *   item's `output_item.done`, the message's `output_text.done`, `content_part.done` and
 *   `output_item.done`, each call's `output_item.done` (no id), then `response.completed`
 *   with usage and llama.cpp's `timings` beside the response.
 */
export interface LlamaTurn {
  id?: string;
  reasoning?: string[];
  text?: string[];
  calls?: { id: string; name: string; args: string[] }[];
  usage?: { input: number; output: number };
  /** Leave out the final result (the stream is cut before it). */
  cut?: boolean;
}

const ev = (data: Record<string, unknown>) => `event: ${data.type}\ndata: ${JSON.stringify(data)}\n\n`;

/** The stream's events, one SSE frame each (what a fake upstream writes one by one). */
export function llamaResponsesStream(t: LlamaTurn): string[] {
  const id = t.id ?? "resp_llama0001";
  const rs = "rs_llama0001";
  const msg = "msg_llama0001";
  const out: string[] = [];
  const head = { id, object: "response", status: "in_progress" };
  out.push(ev({ type: "response.created", response: head }), ev({ type: "response.in_progress", response: head }));
  if (t.reasoning?.length) {
    out.push(ev({ type: "response.output_item.added", item: { id: rs, summary: [], type: "reasoning", content: [], encrypted_content: "", status: "in_progress" } }));
    for (const delta of t.reasoning) out.push(ev({ type: "response.reasoning_text.delta", delta, item_id: rs }));
  }
  if (t.text?.length) {
    out.push(ev({ type: "response.output_item.added", item: { content: [], id: msg, role: "assistant", status: "in_progress", type: "message" } }));
    out.push(ev({ type: "response.content_part.added", item_id: msg, part: { type: "output_text", text: "" } }));
    for (const delta of t.text) out.push(ev({ type: "response.output_text.delta", item_id: msg, delta }));
  }
  for (const c of t.calls ?? []) {
    out.push(ev({ type: "response.output_item.added", item: { arguments: "", call_id: `fc_${c.id}`, name: c.name, type: "function_call", status: "in_progress" } }));
    for (const delta of c.args) out.push(ev({ type: "response.function_call_arguments.delta", delta, item_id: `fc_${c.id}` }));
  }
  if (t.cut) return out;
  const output: Record<string, unknown>[] = [];
  if (t.reasoning?.length) {
    const item = { id: rs, summary: [], type: "reasoning", content: [{ text: t.reasoning.join(""), type: "reasoning_text" }], encrypted_content: "" };
    out.push(ev({ type: "response.output_item.done", item }));
    output.push(item);
  }
  if (t.text?.length) {
    const text = t.text.join("");
    const part = { type: "output_text", annotations: [], logprobs: [], text };
    out.push(ev({ type: "response.output_text.done", item_id: msg, text }));
    out.push(ev({ type: "response.content_part.done", item_id: msg, part }));
    const item = { type: "message", status: "completed", id: msg, content: [part], role: "assistant" };
    out.push(ev({ type: "response.output_item.done", item }));
    output.push(item);
  }
  for (const c of t.calls ?? []) {
    const item = { type: "function_call", status: "completed", arguments: c.args.join(""), call_id: `fc_${c.id}`, name: c.name };
    out.push(ev({ type: "response.output_item.done", item }));
    output.push(item);
  }
  const usage = { input_tokens: t.usage?.input ?? 10, output_tokens: t.usage?.output ?? 5, total_tokens: (t.usage?.input ?? 10) + (t.usage?.output ?? 5) };
  const response = { id, object: "response", created_at: 1_796_526_290, status: "completed", model: "tiny", output, usage };
  out.push(ev({ type: "response.completed", response, timings: { prompt_n: usage.input_tokens, predicted_n: usage.output_tokens } }));
  return out;
}
