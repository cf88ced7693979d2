/**
 * A Responses participant that keeps no conversations, answering like llama.cpp: the messages
 * are the ones the real-llm kit's llama-server (b11669) gave —
 * 400 "llama.cpp does not support 'previous_response_id'." to any `previous_response_id`,
 * 400 "Cannot determine type of 'item'" to an `item_reference`, 404 "File Not Found" to
 * `GET /v1/responses/{id}` — and its answers show what it was sent: `<name> #<N>: <text>`, N
 * the user messages in its input, text the last one's. With `tools` offered and no tool result
 * yet, it calls `get_weather`; a tool result comes back as `weather: <output>`.
 *
 * Its streams are well formed (output_index, sequence_number: llama.cpp's lack them; repairing
 * those is not this helper's business). Options turn it into the other servers the hub meets:
 * a probe that tells nothing, a lookup that returns the response (a server that does keep
 * them), or vLLM's refusal of the default `store: true`.
 */
import { sseResponse, startFakeUpstream, type FakeUpstream } from "./fake-upstream.ts";

type Json = Record<string, any>;

export const LLAMA_PREVIOUS = "llama.cpp does not support 'previous_response_id'.";
export const LLAMA_ITEM = "Cannot determine type of 'item'";
export const VLLM_STORE = "`store=True` (default) is not supported. Please set `store=False` in Responses API or set `VLLM_ENABLE_RESPONSES_API_STORE=1` in the env var when starting the vLLM server.";

export interface StatelessOptions {
  name: string;
  model?: string;
  /** The state probe's answer (default: llama.cpp's refusal). */
  probe?: "stateless" | "ambiguous" | "stateful";
  /** GET /v1/responses/{id}: llama.cpp's 404 (default), the response back, or an outage. */
  lookup?: "missing" | "kept" | "outage";
  /** Refuse a request whose `store` is not false (absent means true), as vLLM without its store can. */
  refuseStore?: boolean;
  /** Refuse `previous_response_id` even when it answers lookups (a server swapped behind the endpoint). */
  refusePrevious?: boolean;
  requireHeader?: { name: string; value: string };
  /** Appended to every answer's text and to its refusal of previous_response_id (a provider echoing what it should not). */
  echo?: string;
}

export interface StatelessUpstream extends FakeUpstream {
  /** Parsed bodies of the POSTs it answered or refused, in order. */
  posts(): Json[];
  /** Paths of the GET /v1/responses/{id} lookups it got. */
  lookups(): string[];
  /** A restart of a server that keeps responses in memory (vLLM): a follow-up then gets its "not found". */
  forget(): void;
}

const refuse = (status: number, message: string) => Response.json({ error: { code: status, message, type: status === 404 ? "not_found_error" : "invalid_request_error" } }, { status });

function userTexts(input: unknown): string[] {
  if (typeof input === "string") return [input];
  if (!Array.isArray(input)) return [];
  return input
    .filter((i: Json) => i.role === "user")
    .map((i: Json) => (typeof i.content === "string" ? i.content : (i.content as Json[]).map((p) => p.text).join("")));
}

function output(name: string, body: Json, n: number, earlier: string[]): Json[] {
  const input = Array.isArray(body.input) ? (body.input as Json[]) : [];
  const last = input.at(-1);
  if (last?.type === "function_call_output") return [message(n, `weather: ${last.output}`)];
  if ((body.tools as Json[] | undefined)?.some((t) => t.name === "get_weather")) {
    return [{ id: `fc_${name}_${n}`, type: "function_call", status: "completed", call_id: `call_${n}`, name: "get_weather", arguments: '{"city":"Paris"}' }];
  }
  const users = [...earlier, ...userTexts(body.input)];
  return [message(n, `${name} #${users.length}: ${users.at(-1) ?? ""}`)];
}

const message = (n: number, text: string): Json => ({ id: `msg_${n}_${Math.random().toString(36).slice(2, 8)}`, type: "message", status: "completed", role: "assistant", content: [{ type: "output_text", text, annotations: [], logprobs: [] }] });

function stream(response: Json): Response {
  let seq = 0;
  const ev = (type: string, data: Json) => `event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: seq++, ...data })}\n\n`;
  const start = { ...response, status: "in_progress", output: [], usage: null };
  const parts = [ev("response.created", { response: start }), ev("response.in_progress", { response: start })];
  (response.output as Json[]).forEach((item, output_index) => {
    parts.push(ev("response.output_item.added", { output_index, item: { ...item, status: "in_progress", ...(item.type === "message" ? { content: [] } : { arguments: "" }) } }));
    if (item.type === "message") {
      const text = item.content[0].text as string;
      const ids = { item_id: item.id, output_index, content_index: 0 };
      parts.push(ev("response.content_part.added", { ...ids, part: { type: "output_text", text: "", annotations: [] } }));
      for (const word of text.split(/(?<= )/)) parts.push(ev("response.output_text.delta", { ...ids, delta: word, logprobs: [] }));
      parts.push(ev("response.output_text.done", { ...ids, text, logprobs: [] }));
      parts.push(ev("response.content_part.done", { ...ids, part: item.content[0] }));
    } else {
      parts.push(ev("response.function_call_arguments.done", { item_id: item.id, output_index, arguments: item.arguments }));
    }
    parts.push(ev("response.output_item.done", { output_index, item }));
  });
  parts.push(ev("response.completed", { response }));
  return sseResponse(parts);
}

export function startStatelessUpstream(opts: StatelessOptions): StatelessUpstream {
  const model = opts.model ?? "m";
  const u = startFakeUpstream({ models: [model], chat: false, responsesState: opts.probe ?? "stateless", requireHeader: opts.requireHeader });
  const answered = new Map<string, Json>();
  // What a server that keeps responses remembers of each: the user messages up to it.
  const remembered = new Map<string, string[]>();
  let n = 0;
  u.handle((req, raw) => {
    const path = new URL(req.url).pathname;
    if (req.method === "GET" && path.startsWith("/v1/responses/")) {
      const id = decodeURIComponent(path.slice("/v1/responses/".length));
      if (opts.lookup === "outage") return refuse(503, "loading model");
      if (opts.lookup === "kept" && answered.has(id)) return Response.json(answered.get(id));
      return refuse(404, "File Not Found");
    }
    const body = JSON.parse(raw) as Json;
    if (opts.refuseStore && body.store !== false) return refuse(400, VLLM_STORE);
    if (body.previous_response_id && (opts.lookup !== "kept" || opts.refusePrevious)) return refuse(400, LLAMA_PREVIOUS + (opts.echo ?? ""));
    if (Array.isArray(body.input) && body.input.some((i: Json) => i.type === "item_reference")) return refuse(400, LLAMA_ITEM);
    const id = `resp_${opts.name}_${++n}`;
    const earlier = (body.previous_response_id && remembered.get(body.previous_response_id)) || [];
    if (body.previous_response_id && !remembered.has(body.previous_response_id)) return refuse(404, `Response with id '${body.previous_response_id}' not found.`);
    remembered.set(id, [...earlier, ...userTexts(body.input)]);
    const out = output(opts.name, body, n, earlier);
    if (opts.echo) for (const item of out) if (item.type === "message") item.content[0].text += opts.echo;
    const response = { id, object: "response", created_at: 1_800_000_000, status: "completed", model, output: out, usage: { input_tokens: 10, output_tokens: 5, total_tokens: 15 } };
    answered.set(id, response);
    return body.stream ? stream(response) : Response.json(response);
  });
  return {
    ...u,
    posts: () => u.inference().filter((r) => r.method === "POST").map((r) => JSON.parse(r.body) as Json),
    lookups: () => u.inference().filter((r) => r.method === "GET").map((r) => r.path),
    forget: () => {
      remembered.clear();
      answered.clear();
    },
  };
}
