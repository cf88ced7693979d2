/**
 * The Messages routes answer errors in Anthropic's shape (protocol/anthropic/errors.ts), never
 * in OpenAI's envelope: whatever error response the hub made on the way (a 400 of its own, a
 * 401 of the room's gate, a 404 of the scheduler, a participant's error relayed by
 * proxy/relay-error.ts, a 503 of a draining hub) is re-shaped here, once, with its status and
 * headers (`retry-after`, `x-gambi-*`) kept. Only error responses are read; a stream's errors
 * after its 200 are the adapter's (`event: error`).
 */
import { anthropicErrorFromBody } from "../../protocol/anthropic/errors.ts";

export async function anthropicShaped(res: Response): Promise<Response> {
  if (res.status < 400 || res.body === null) return res;
  const body = anthropicErrorFromBody(res.status, await res.text());
  const headers = new Headers(res.headers);
  headers.delete("content-length");
  headers.set("content-type", "application/json");
  return new Response(JSON.stringify(body), { status: res.status, headers });
}

/** Whether a request is for one of Anthropic's routes (`…/v1/messages`, `…/v1/messages/count_tokens`, a trailing slash). */
export function isMessagesPath(request: Request): boolean {
  return /^\/rooms\/[^/]+\/v1\/messages(\/count_tokens)?\/?$/.test(new URL(request.url).pathname);
}
