/**
 * An upstream's HTTP error body, made safe to pass on: known secrets redacted (some providers
 * echo the rejected key), kept byte for byte when it is already in OpenAI's error envelope
 * (Ollama, Groq, OpenRouter all are), wrapped in one otherwise (`{"error":"..."}`, HTML, text).
 */
import { upstreamStatusCode } from "../protocol/error-codes.ts";
import { errorTypeForStatus } from "../protocol/openai/errors.ts";
import { redactSecrets } from "../protocol/redact.ts";

export interface ShapedError {
  body: string;
  message: string;
}

function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(text);
    return v && typeof v === "object" ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

export function shapeUpstreamError(status: number, rawText: string, label: string, secrets: string[]): ShapedError {
  const text = redactSecrets(rawText, secrets);
  const parsed = parseObject(text);
  const err = parsed?.error as { message?: unknown } | string | undefined;
  if (err && typeof err === "object" && typeof err.message === "string") return { body: text, message: err.message };
  const detail = typeof err === "string" ? err : text.trim().slice(0, 500);
  const message = `${label} answered HTTP ${status}${detail ? `: ${detail}` : ""}`;
  const body = JSON.stringify({ error: { message, type: errorTypeForStatus(status), code: upstreamStatusCode(status), param: null } });
  return { body, message };
}
