/**
 * The one error type of gambi, rendered in OpenAI's error envelope:
 * `{"error":{"message","type","code","param"}}` (https://platform.openai.com/docs/guides/error-codes).
 * Everything the hub answers with a 4xx/5xx goes through here, so clients built for OpenAI
 * (the `openai` package, the AI SDK) surface our messages as ordinary API errors. Its `code`
 * is one of the catalogue's (../error-codes.ts), or a provider's own passed on (`relayedCode`).
 */
import type { EnvelopeCode, ErrorCode } from "../error-codes.ts";

export type ErrorType =
  | "invalid_request_error"
  | "authentication_error"
  | "permission_error"
  | "not_found_error"
  | "conflict_error"
  | "rate_limit_error"
  | "upstream_error"
  | "service_unavailable"
  | "timeout_error"
  | "server_error";

const TYPE_BY_STATUS: Record<number, ErrorType> = {
  400: "invalid_request_error",
  401: "authentication_error",
  403: "permission_error",
  404: "not_found_error",
  409: "conflict_error",
  413: "invalid_request_error",
  422: "invalid_request_error",
  429: "rate_limit_error",
  502: "upstream_error",
  503: "service_unavailable",
  504: "timeout_error",
};

export function errorTypeForStatus(status: number): ErrorType {
  return TYPE_BY_STATUS[status] ?? (status >= 500 ? "server_error" : "invalid_request_error");
}

export interface ErrorFields {
  message: string;
  type: ErrorType;
  code: EnvelopeCode | null;
  param: string | null;
}

export class GambiError extends Error {
  readonly status: number;
  readonly type: ErrorType;
  readonly code: EnvelopeCode | null;
  readonly param: string | null;

  constructor(status: number, message: string, opts: { code?: EnvelopeCode; param?: string; type?: ErrorType } = {}) {
    super(message);
    this.name = "GambiError";
    this.status = status;
    this.type = opts.type ?? errorTypeForStatus(status);
    this.code = opts.code ?? null;
    this.param = opts.param ?? null;
  }

  toJSON(): { error: ErrorFields } {
    return { error: { message: this.message, type: this.type, code: this.code, param: this.param } };
  }

  toResponse(headers?: Record<string, string>): Response {
    return Response.json(this.toJSON(), { status: this.status, headers });
  }
}

export const badRequest = (message: string, code: ErrorCode, param?: string) => new GambiError(400, message, { code, param });

export const notFound = (message: string, code: ErrorCode) => new GambiError(404, message, { code });
