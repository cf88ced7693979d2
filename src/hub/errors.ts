/**
 * Maps every failure Elysia can report onto OpenAI's error envelope, so `/rooms/...` and
 * `/rooms/:code/v1/...` answer bad input with a 4xx that says what to fix, never a stack.
 */
import { GambiError } from "../protocol/openai/errors.ts";
import type { Logger } from "../logger.ts";

interface ValidationIssue {
  path?: string;
  message?: string;
  summary?: string;
}

function validationMessage(error: unknown): GambiError {
  const e = error as { all?: ValidationIssue[]; type?: string; on?: string };
  const where = e.on ?? "body";
  const first = Array.isArray(e.all) ? e.all[0] : undefined;
  const path = first?.path ? first.path.replace(/^\//, "").replace(/\//g, ".") : "";
  const what = first?.summary ?? first?.message ?? "is invalid";
  const message = path ? `invalid ${where}: "${path}": ${what}` : `invalid ${where}: ${what}`;
  return new GambiError(400, message, { code: "invalid_request", param: path || undefined });
}

/**
 * A GambiError as its response. A 408 (body.ts: the body stopped arriving) also closes the
 * connection: the rest of that body may never come, and Bun would otherwise wait for it.
 */
function answer(error: GambiError): Response {
  return error.status === 408 ? error.toResponse({ connection: "close" }) : error.toResponse();
}

export function toErrorResponse(code: string | number, error: unknown, request: Request, log: Logger): Response {
  if (error instanceof GambiError) return answer(error);
  switch (code) {
    case "VALIDATION":
      return validationMessage(error).toResponse();
    case "PARSE":
      // The hub's own body parser (body.ts) says precisely what was wrong; Elysia wraps it.
      if ((error as { cause?: unknown }).cause instanceof GambiError) return answer((error as { cause: GambiError }).cause);
      return new GambiError(400, "request body could not be parsed: send valid JSON with Content-Type: application/json", {
        code: "invalid_json",
      }).toResponse();
    case "NOT_FOUND": {
      const path = new URL(request.url).pathname;
      return new GambiError(404, `no route ${request.method} ${path}`, { code: "route_not_found" }).toResponse();
    }
    case "INVALID_COOKIE_SIGNATURE":
    case "INVALID_FILE_TYPE":
      return new GambiError(400, String((error as Error).message), { code: "invalid_request" }).toResponse();
  }
  const status = (error as { status?: unknown })?.status;
  if (typeof status === "number" && status >= 400 && status < 500) {
    return new GambiError(status, String((error as Error).message || "bad request")).toResponse();
  }
  log.error("unexpected error", error);
  return new GambiError(500, "internal hub error; see the hub's log", { code: "internal_error", type: "server_error" }).toResponse();
}
