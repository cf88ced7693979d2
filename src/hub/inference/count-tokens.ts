/**
 * `POST /rooms/:code/v1/messages/count_tokens` (Anthropic's token counting, which Claude Code
 * calls to size its context). The body must be what `/v1/messages` takes (`model`, `messages`);
 * `max_tokens` is not needed here, as with Anthropic.
 *
 * When an online participant that speaks Messages serves the model (`*`: any of them; healthy
 * ones first, then the first to have joined: pool/scheduler.ts `lookup`), the request goes to its
 * own `/v1/messages/count_tokens`, with `model` rewritten to the participant's, its own auth
 * headers (never the client's key), `anthropic-version` and the client's `anthropic-beta`; its
 * answer comes back as it came, cut of the participant's secrets, and its errors in Anthropic's
 * shape (lane.ts). A model nobody in the room serves (online or not: no participant, model or
 * pair matches it) is answered as `/v1/messages` answers it, the 404 `model_not_found` in
 * Anthropic's shape (`not_found_error`, unservable.ts), as Anthropic does for an unknown model.
 * The hub's own estimate — the ledger's (ledger/estimate.ts): the characters of `system` and the
 * messages' text ÷ 4, rounded up, at least 1 — answers instead when:
 * - no online participant that speaks Messages serves the model (chat and Responses servers have
 *   no such endpoint; `*` in a room with nobody online);
 * - the participant has no such route: 404, 405 or 501 (a server with `/v1/messages` but no
 *   counting), or a 2xx that is no count;
 * - it cannot count now: unreachable, past the first-byte deadline, its key refused (401, 403),
 *   429, 5xx. A count only sizes a request, and one participant's trouble must not fail it.
 * Its other errors (400, 413, 422: about the request itself) are the client's to see.
 * A count takes no slot of the participant's, and makes no event, metric or ledger row: it is
 * not inference.
 */
import { GambiError } from "../../protocol/openai/errors.ts";
import { isObject, type Json } from "../../protocol/json.ts";
import { callUpstream } from "../../proxy/upstream.ts";
import { clientResponseHeaders } from "../../proxy/headers.ts";
import { shapeUpstreamError } from "../../proxy/upstream-error.ts";
import { estimateInputTokens } from "../ledger/estimate.ts";
import { unservable } from "./unservable.ts";
import type { HubContext } from "../context.ts";
import type { Participant, Room } from "../rooms/registry.ts";

const invalid = (field: string | undefined, what: string) =>
  new GambiError(400, field ? `invalid body: "${field}": ${what}` : `invalid body: ${what}`, { code: "invalid_request", param: field });

/** The participant's answers that are about the request itself, and so the client's. */
const ABOUT_THE_REQUEST = new Set([400, 413, 422]);

export async function countTokensAnswer(ctx: HubContext, room: Room, raw: unknown, request: Request): Promise<Response> {
  if (!isObject(raw)) return invalid(undefined, "Expected object").toResponse();
  const body = raw;
  if (typeof body.model !== "string" || body.model === "") return invalid("model", "Expected a model name").toResponse();
  if (!Array.isArray(body.messages)) return invalid("messages", "Expected array").toResponse();
  const want = room.scheduler.want(body.model);
  // A model nobody in the room serves: the 404 /v1/messages answers, as Anthropic's API does for an unknown model.
  const unknown = room.scheduler.unknown(want);
  if (unknown) throw unservable(room, body.model, want, unknown);
  const found = room.scheduler.lookup(want, (m) => m.capabilities.messages === true);
  const counted = found ? await askParticipant(ctx, found.member.participant, { ...body, model: found.model }, request) : undefined;
  return counted ?? Response.json({ input_tokens: estimateInputTokens(body) });
}

/** The participant's count, or its error about the request; undefined when it cannot count (the estimate answers). */
async function askParticipant(ctx: HubContext, participant: Participant, body: Json, request: Request): Promise<Response | undefined> {
  const target = participant.target;
  let res: Response;
  try {
    res = await callUpstream(
      target,
      {
        method: "POST",
        path: "/messages/count_tokens",
        body: JSON.stringify(body),
        signal: request.signal,
        clientHeaders: request.headers,
        anthropic: true,
        // A small JSON answer: bounded as a whole by the first-byte deadline.
        timeoutMs: ctx.timeouts.firstByteMs || undefined,
      },
      ctx.fetch,
    );
  } catch (err) {
    if (request.signal.aborted) throw err;
    ctx.log.debug(`count_tokens: ${err instanceof Error ? err.message : String(err)}; answering the estimate`);
    return undefined;
  }
  const headers = clientResponseHeaders(res.headers, { "x-gambi-participant": participant.id }, target.redactText);
  if (res.ok) {
    const bytes = new Uint8Array(await res.arrayBuffer());
    return isCount(bytes) ? new Response(target.redactBytes?.(bytes) ?? bytes, { status: res.status, headers }) : undefined;
  }
  const text = await res.text();
  if (!ABOUT_THE_REQUEST.has(res.status)) {
    ctx.log.debug(`count_tokens: ${target.label} answered HTTP ${res.status}; answering the estimate`);
    return undefined;
  }
  // Error bodies are small: read, so that a provider echoing the key cannot leak it.
  const shaped = shapeUpstreamError(res.status, text, target.label, Object.values(participant.authHeaders));
  headers["content-type"] = "application/json";
  return new Response(shaped.body, { status: res.status, headers });
}

function isCount(bytes: Uint8Array): boolean {
  try {
    const v: unknown = JSON.parse(new TextDecoder().decode(bytes));
    return isObject(v) && typeof v.input_tokens === "number";
  } catch {
    return false;
  }
}
