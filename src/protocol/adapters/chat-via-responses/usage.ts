/**
 * Responses `usage` → Chat Completions `usage`.
 * Mapped: `input_tokens` → `prompt_tokens`, `output_tokens` → `completion_tokens`,
 * `total_tokens` (or their sum when missing), `input_tokens_details.cached_tokens` →
 * `prompt_tokens_details.cached_tokens`, `output_tokens_details.reasoning_tokens` →
 * `completion_tokens_details.reasoning_tokens`. A details object is sent only when the
 * upstream reported it (a zero stays a zero: it is a real count).
 */
import type { Json } from "../../json.ts";

function count(v: unknown): number | undefined {
  return typeof v === "number" && Number.isFinite(v) ? v : undefined;
}

/** A Responses `usage` → a Chat Completions `usage`; undefined when the upstream reported no token counts at all. */
export function chatUsageFromResponses(usage: unknown): Json | undefined {
  if (typeof usage !== "object" || usage === null) return undefined;
  const u = usage as Json;
  const input = count(u.input_tokens);
  const output = count(u.output_tokens);
  if (input === undefined && output === undefined) return undefined;
  const out: Json = {
    prompt_tokens: input ?? 0,
    completion_tokens: output ?? 0,
    total_tokens: count(u.total_tokens) ?? (input ?? 0) + (output ?? 0),
  };
  const cached = count((u.input_tokens_details as Json | undefined)?.cached_tokens);
  if (cached !== undefined) out.prompt_tokens_details = { cached_tokens: cached };
  const reasoning = count((u.output_tokens_details as Json | undefined)?.reasoning_tokens);
  if (reasoning !== undefined) out.completion_tokens_details = { reasoning_tokens: reasoning };
  return out;
}
