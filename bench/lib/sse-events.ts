/**
 * The bench upstream's responses, shaped like OpenAI's (see test/fixtures:
 * chat/openai-text-usage.sse and responses/openai-text.sse) so the hub parses events of real
 * size and kind. Everything that does not vary per request is encoded once and reused.
 *
 * A stream of `n` events:
 * - chat: role chunk, n-4 content chunks, finish chunk, usage chunk (`choices: []`), `[DONE]`;
 * - responses: response.created, response.in_progress, output_item.added, content_part.added,
 *   n-8 output_text.delta, output_text.done, content_part.done, output_item.done,
 *   response.completed carrying usage;
 * - messages (Anthropic's, as test/fixtures/messages/anthropic-text-usage.sse): message_start,
 *   content_block_start, n-5 text_delta, content_block_stop, message_delta carrying usage,
 *   message_stop.
 */
const enc = new TextEncoder();
const CREATED = 1782955818;
const MODEL = "bench-model";
const MSG_ID = "msg_0bench000000000000000000000000000000000000000000000";
const TOKEN = " tok";

export const MIN_EVENTS = 8;

function chatChunk(delta: object, finish: string | null, extra: object = {}): Uint8Array {
  const chunk = {
    id: "chatcmpl-bench0000000000000000000000",
    object: "chat.completion.chunk",
    created: CREATED,
    model: MODEL,
    system_fingerprint: "fp_bench",
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    usage: null,
    ...extra,
  };
  return enc.encode(`data: ${JSON.stringify(chunk)}\n\n`);
}

const chatCache = new Map<number, Uint8Array[]>();

/** The events of one chat stream; the same array for every request (nothing in it varies). */
export function chatStream(n: number): Uint8Array[] {
  let events = chatCache.get(n);
  if (events) return events;
  const content = n - 4;
  const usage = { prompt_tokens: 12, completion_tokens: content, total_tokens: 12 + content };
  events = [
    chatChunk({ role: "assistant", content: "", refusal: null }, null),
    ...Array.from({ length: content }, () => chatChunk({ content: TOKEN }, null)),
    chatChunk({}, "stop"),
    chatChunk({}, null, { choices: [], usage }),
    enc.encode("data: [DONE]\n\n"),
  ];
  chatCache.set(n, events);
  return events;
}

const responsesEvent = (type: string, payload: object) => enc.encode(`event: ${type}\ndata: ${JSON.stringify({ type, ...payload })}\n\n`);

function responseObject(id: string, status: string, text: string | null, outputTokens: number) {
  return {
    id,
    object: "response",
    created_at: CREATED,
    status,
    error: null,
    incomplete_details: null,
    instructions: null,
    max_output_tokens: null,
    model: MODEL,
    output:
      text === null
        ? []
        : [{ id: MSG_ID, type: "message", status: "completed", role: "assistant", content: [{ type: "output_text", annotations: [], logprobs: [], text }] }],
    parallel_tool_calls: true,
    previous_response_id: null,
    store: false,
    temperature: 1,
    text: { format: { type: "text" } },
    tool_choice: "auto",
    tools: [],
    top_p: 1,
    truncation: "disabled",
    usage: text === null ? null : { input_tokens: 12, input_tokens_details: { cached_tokens: 0 }, output_tokens: outputTokens, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 12 + outputTokens },
    metadata: {},
  };
}

interface ResponsesParts {
  middle: Uint8Array[];
  text: string;
  deltas: number;
}
const responsesCache = new Map<number, ResponsesParts>();

function responsesParts(n: number): ResponsesParts {
  let parts = responsesCache.get(n);
  if (parts) return parts;
  const deltas = n - 8;
  const text = TOKEN.repeat(deltas);
  const part = (t: string) => ({ type: "output_text", annotations: [], logprobs: [], text: t });
  const common = { content_index: 0, item_id: MSG_ID, output_index: 0 };
  let seq = 2;
  const middle = [
    responsesEvent("response.output_item.added", { item: { id: MSG_ID, type: "message", status: "in_progress", content: [], role: "assistant" }, output_index: 0, sequence_number: seq++ }),
    responsesEvent("response.content_part.added", { ...common, part: part(""), sequence_number: seq++ }),
    ...Array.from({ length: deltas }, () => responsesEvent("response.output_text.delta", { ...common, delta: TOKEN, logprobs: [], obfuscation: "bench0", sequence_number: seq++ })),
    responsesEvent("response.output_text.done", { ...common, logprobs: [], text, sequence_number: seq++ }),
    responsesEvent("response.content_part.done", { ...common, part: part(text), sequence_number: seq++ }),
    responsesEvent("response.output_item.done", {
      item: { id: MSG_ID, type: "message", status: "completed", content: [part(text)], role: "assistant" },
      output_index: 0,
      sequence_number: seq++,
    }),
  ];
  parts = { middle, text, deltas };
  responsesCache.set(n, parts);
  return parts;
}

/** The events of one Responses stream; only the first two and the last carry the (unique) response id. */
export function responsesStream(n: number, id: string): Uint8Array[] {
  const { middle, text, deltas } = responsesParts(n);
  return [
    responsesEvent("response.created", { response: responseObject(id, "in_progress", null, 0), sequence_number: 0 }),
    responsesEvent("response.in_progress", { response: responseObject(id, "in_progress", null, 0), sequence_number: 1 }),
    ...middle,
    responsesEvent("response.completed", { response: responseObject(id, "completed", text, deltas), sequence_number: n - 1 }),
  ];
}

/** A small non-streaming chat.completion, like chat/openai-text.json. */
export const CHAT_COMPLETION = JSON.stringify({
  id: "chatcmpl-bench0000000000000000000000",
  object: "chat.completion",
  created: CREATED,
  model: MODEL,
  choices: [{ index: 0, message: { role: "assistant", content: "Olá!", refusal: null, annotations: [] }, logprobs: null, finish_reason: "stop" }],
  usage: { prompt_tokens: 20, completion_tokens: 2, total_tokens: 22 },
  service_tier: "default",
  system_fingerprint: "fp_bench",
});

export const responseJson = (id: string) => JSON.stringify(responseObject(id, "completed", "Olá!", 2));

const messagesEvent = (type: string, payload: object) => enc.encode(`event: ${type}\ndata: ${JSON.stringify({ type, ...payload })}\n\n`);
const messagesCache = new Map<number, Uint8Array[]>();
const MESSAGE_ID = "msg_01bench0000000000000000";
const messagesUsage = (output: number) => ({ input_tokens: 12, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: output });

/** The events of one Messages stream; the same array for every request (nothing in it varies). */
export function messagesStream(n: number): Uint8Array[] {
  let events = messagesCache.get(n);
  if (events) return events;
  const deltas = n - 5;
  events = [
    messagesEvent("message_start", { message: { id: MESSAGE_ID, type: "message", role: "assistant", model: MODEL, content: [], stop_reason: null, stop_sequence: null, usage: messagesUsage(1) } }),
    messagesEvent("content_block_start", { index: 0, content_block: { type: "text", text: "" } }),
    ...Array.from({ length: deltas }, () => messagesEvent("content_block_delta", { index: 0, delta: { type: "text_delta", text: TOKEN } })),
    messagesEvent("content_block_stop", { index: 0 }),
    messagesEvent("message_delta", { delta: { stop_reason: "end_turn", stop_sequence: null }, usage: { output_tokens: deltas } }),
    messagesEvent("message_stop", {}),
  ];
  messagesCache.set(n, events);
  return events;
}

/** A small non-streaming Messages answer, like messages/anthropic-text.json. */
export const MESSAGE_JSON = JSON.stringify({
  id: MESSAGE_ID,
  type: "message",
  role: "assistant",
  model: MODEL,
  content: [{ type: "text", text: "Olá!" }],
  stop_reason: "end_turn",
  stop_sequence: null,
  usage: messagesUsage(2),
});
