/**
 * `POST /rooms/:code/v1/messages/count_tokens` (Anthropic's token counting, which Claude Code
 * calls to size its context): `{"input_tokens": N}`, the hub's own estimate — the ledger's
 * (ledger/estimate.ts): the characters of `system` and the messages' text ÷ 4, rounded up, at
 * least 1. No participant is asked, not even one that speaks Messages: a chat or Responses
 * server has no such endpoint, the room may have nobody free, and a count must not depend on
 * which participant the room would pick. The body must be what `/v1/messages` takes (`model`, `messages`);
 * `max_tokens` is not needed here, as with Anthropic.
 */
import { GambiError } from "../../protocol/openai/errors.ts";
import { estimateInputTokens } from "../ledger/estimate.ts";

const invalid = (field: string | undefined, what: string) =>
  new GambiError(400, field ? `invalid body: "${field}": ${what}` : `invalid body: ${what}`, { code: "invalid_request", param: field });

export function countTokensAnswer(raw: unknown): Response {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) return invalid(undefined, "Expected object").toResponse();
  const body = raw as Record<string, unknown>;
  if (typeof body.model !== "string" || body.model === "") return invalid("model", "Expected a model name").toResponse();
  if (!Array.isArray(body.messages)) return invalid("messages", "Expected array").toResponse();
  return Response.json({ input_tokens: estimateInputTokens(body) });
}
