/**
 * One turn against a room: POST the request, hand each piece of text to `onText` the moment
 * its event is decoded, and return what the summary line needs (who answered, timings, usage).
 *
 * Failures and their exit codes (see EXIT in client.ts):
 * - hub unreachable, or the connection to it breaks off mid-answer → 3;
 * - an HTTP error from the hub: 5xx → 3 (503: no participant online to serve the request,
 *   502/504: the participant's endpoint is unreachable or timed out), 4xx → 4 (404: no such
 *   room or model, 400: the participants do not speak this protocol, 401/403/409/429 ...);
 *   thrown as HubError with the hub's own message, as the other commands do;
 * - an error event inside a 200 stream is returned in `reply.error`, not thrown, so the text
 *   printed so far stays valid: the hub's "upstream broke off" → 3, a provider's own in-band
 *   error (quota, token limit, tool validation) → 1.
 */
import { bearer, describeHubFailure, EXIT, HubError } from "../client.ts";
import type { Usage } from "../protocol/observe.ts";
import type { Protocol } from "../protocol/protocols.ts";
import { SseDecoder, type SseEvent } from "../protocol/sse/decode.ts";
import { readChatBody, readChatEvent } from "./chat-stream.ts";
import { parseJson, type Json, type StreamPart } from "./parts.ts";
import type { TurnRequest } from "./request.ts";
import { readResponsesBody, readResponsesEvent } from "./responses-stream.ts";

export interface Reply {
  text: string;
  /** From the hub's `x-gambi-participant` header. */
  participantId?: string;
  usage?: Usage;
  responseId?: string;
  finishReason?: string;
  error?: { message: string; code?: string };
  startedAt: number;
  /** First text or reasoning token: what TTFT measures (a reasoning model is working already). */
  firstTokenAt?: number;
  endedAt: number;
}

export interface TurnOptions {
  hub: string;
  code: string;
  protocol: Protocol;
  request: TurnRequest;
  /** A protected room's password, sent as the bearer token. */
  password?: string;
  onText?: (text: string) => void;
  signal?: AbortSignal;
  now?: () => number;
  fetch?: typeof fetch;
}

/** Codes that mean a connection broke, not that the model or provider refused: retry-able, exit 3. */
const BROKE_OFF = new Set(["upstream_disconnected", "hub_disconnected", "stream_truncated"]);

export function exitCodeForStatus(status: number): number {
  return status >= 500 ? EXIT.unreachable : EXIT.rejected;
}

export function exitCodeForStreamError(code: string | undefined): number {
  return code !== undefined && BROKE_OFF.has(code) ? EXIT.unreachable : EXIT.unexpected;
}

function networkMessage(err: unknown): string {
  const e = err as { message?: string; code?: string; cause?: { message?: string } } | undefined;
  return e?.cause?.message ?? e?.message ?? String(err);
}

export async function httpError(res: Response): Promise<HubError> {
  const text = await res.text().catch(() => "");
  const error = parseJson(text)?.error;
  const message =
    typeof error?.message === "string" ? error.message : typeof error === "string" ? error : `the hub answered HTTP ${res.status}${text ? `: ${text.slice(0, 200)}` : ""}`;
  const code = typeof error?.code === "string" ? error.code : undefined;
  return new HubError(message, res.status, code, exitCodeForStatus(res.status));
}

export async function sendTurn(opts: TurnOptions): Promise<Reply> {
  const now = opts.now ?? (() => performance.now());
  const doFetch = opts.fetch ?? fetch;
  const hub = opts.hub.replace(/\/+$/, "");
  const url = `${hub}/rooms/${encodeURIComponent(opts.code)}${opts.request.path}`;
  const reply: Reply = { text: "", startedAt: now(), endedAt: 0 };

  let res: Response;
  try {
    res = await doFetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "text/event-stream", ...bearer(opts.password) },
      body: JSON.stringify(opts.request.body),
      signal: opts.signal,
    });
  } catch (err) {
    if (opts.signal?.aborted) throw err;
    throw new HubError(describeHubFailure(err, hub), undefined, "hub_unreachable", EXIT.unreachable);
  }
  if (!res.ok) throw await httpError(res);
  reply.participantId = res.headers.get("x-gambi-participant") ?? undefined;

  const take = (parts: StreamPart[]) => {
    for (const part of parts) {
      switch (part.type) {
        case "text":
          reply.firstTokenAt ??= now();
          reply.text += part.text;
          opts.onText?.(part.text);
          break;
        case "reasoning":
          reply.firstTokenAt ??= now();
          break;
        case "usage":
          reply.usage = part.usage;
          break;
        case "response-id":
          reply.responseId ??= part.id;
          break;
        case "finish":
          reply.finishReason = part.reason;
          break;
        case "error":
          // OpenAI follows `error` with `response.failed` for the same failure: keep the first.
          reply.error ??= part.code === undefined ? { message: part.message } : { message: part.message, code: part.code };
          break;
      }
    }
  };

  const contentType = res.headers.get("content-type") ?? "";
  if (!contentType.includes("text/event-stream") && contentType.includes("json")) {
    const body = parseJson(await res.text());
    if (body) take(opts.protocol === "chat" ? readChatBody(body) : readResponsesBody(body as Json));
    else reply.error = { message: "the hub answered with a body that is not JSON", code: "bad_body" };
    reply.endedAt = now();
    return reply;
  }

  const read = opts.protocol === "chat" ? readChatEvent : readResponsesEvent;
  const decoder = new SseDecoder();
  const each = (events: SseEvent[]) => {
    for (const ev of events) take(read(ev));
  };
  if (res.body) {
    const reader = res.body.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        each(decoder.push(value));
      }
      each(decoder.end());
    } catch (err) {
      if (opts.signal?.aborted) throw err;
      reply.error ??= { message: `the connection to the hub broke off: ${networkMessage(err)}`, code: "hub_disconnected" };
    }
  }
  // Every Responses stream ends with completed/incomplete/failed; one that just stops was cut short.
  if (opts.protocol === "responses" && !reply.error && reply.finishReason === undefined) {
    reply.error = { message: "the stream ended before the response was complete", code: "stream_truncated" };
  }
  reply.endedAt = now();
  return reply;
}
