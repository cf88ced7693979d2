/**
 * One turn against a room: send the request (the hub client's `inference`), hand each piece
 * of text to `onText` the moment its event is decoded, and return what the summary line needs
 * (who answered, timings, usage).
 *
 * Failures and their exit codes (see EXIT in terminal/errors.ts):
 * - hub unreachable, or the connection to it breaks off mid-answer → 3;
 * - an HTTP error from the hub: 5xx → 3 (503: no participant online to serve the request,
 *   502/504: the participant's endpoint is unreachable or timed out), 4xx → 4 (404: no such
 *   room or model, 400: the participants do not speak this protocol, 401/403/409/429 ...);
 *   thrown by client.ts as HubError with the hub's own message, as for the other commands;
 * - an error event inside a 200 stream is returned in `reply.error`, not thrown, so the text
 *   printed so far stays valid: an answer cut off on its way (connection broken, deadline
 *   passed, stream stopped short, hub stopping) → 3, like the same failures before the first
 *   byte; a provider's own in-band error (quota, token limit, tool validation) → 1.
 * The classes, for scripts: 3 try again later, 4 fix the request, 1 look at the message.
 */
import type { HubClient } from "../client.ts";
import type { ErrorCode } from "../protocol/error-codes.ts";
import type { Usage } from "../protocol/observe.ts";
import type { Protocol } from "../protocol/protocols.ts";
import { SseDecoder, type SseEvent } from "../protocol/sse/decode.ts";
import { EXIT } from "../terminal/errors.ts";
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
  /** The hub client: it sends the request (with --ca) and turns a refusal into HubError. */
  client: Pick<HubClient, "inference">;
  code: string;
  protocol: Protocol;
  request: TurnRequest;
  /** A protected room's password, sent as the bearer token. */
  password?: string;
  onText?: (text: string) => void;
  signal?: AbortSignal;
  now?: () => number;
}

/**
 * In-band codes that mean the answer was cut off on its way, not refused: a connection broke
 * (the hub's `upstream_disconnected`, our `hub_disconnected`), a deadline passed
 * (`upstream_timeout`), the stream stopped short (the hub's `upstream_truncated` and
 * `upstream_incomplete`, our `stream_truncated`) or the hub is stopping (`hub_shutting_down`).
 * Before the first byte the hub reports these same failures as 502/503/504, which exit 3; an
 * answer that fails the same way halfway exits 3 too, so a script's "try again" does not
 * depend on when the failure struck.
 */
const CUT_OFF: ReadonlySet<string> = new Set<ErrorCode>([
  "upstream_disconnected",
  "hub_disconnected",
  "upstream_timeout",
  "upstream_truncated",
  "upstream_incomplete",
  "stream_truncated",
  "hub_shutting_down",
]);

/** 3 for an answer cut off on its way (CUT_OFF); 1 for anything else: the provider's own error (quota, token limit, content filter) or a stream the hub could not use. */
export function exitCodeForStreamError(code: string | undefined): number {
  return code !== undefined && CUT_OFF.has(code) ? EXIT.unreachable : EXIT.unexpected;
}

function networkMessage(err: unknown): string {
  const e = err as { message?: string; code?: string; cause?: { message?: string } } | undefined;
  return e?.cause?.message ?? e?.message ?? String(err);
}

export async function sendTurn(opts: TurnOptions): Promise<Reply> {
  const now = opts.now ?? (() => performance.now());
  const reply: Reply = { text: "", startedAt: now(), endedAt: 0 };
  const res = await opts.client.inference(opts.code, opts.request.path, opts.request.body, { password: opts.password, signal: opts.signal });
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
    else reply.error = { message: "the hub answered with a body that is not JSON", code: "bad_body" satisfies ErrorCode };
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
      reply.error ??= { message: `the connection to the hub broke off: ${networkMessage(err)}`, code: "hub_disconnected" satisfies ErrorCode };
    }
  }
  // Every Responses stream ends with completed/incomplete/failed; one that just stops was cut short.
  if (opts.protocol === "responses" && !reply.error && reply.finishReason === undefined) {
    reply.error = { message: "the stream ended before the response was complete", code: "stream_truncated" satisfies ErrorCode };
  }
  reply.endedAt = now();
  return reply;
}
