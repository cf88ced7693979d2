/**
 * The hub's public HTTP API as the page calls it: same origin, JSON, an optional bearer (the
 * hub token or a room password), and the hub's error envelope turned into an `ApiError` with
 * its status and code.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
  }
}

export interface CallOptions {
  method?: string;
  body?: unknown;
  bearer?: string;
  signal?: AbortSignal;
}

export const headersFor = (bearer: string | undefined, json = false): Record<string, string> => ({
  ...(json ? { "content-type": "application/json" } : {}),
  ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
});

/** The error an unsuccessful answer carries: the envelope's message and code when it has one. */
export async function errorOf(res: Response): Promise<ApiError> {
  let message = `HTTP ${res.status}`;
  let code: string | undefined;
  try {
    const body = (await res.json()) as { error?: { message?: string; code?: string } | string; message?: string };
    if (typeof body.error === "object" && body.error) {
      message = body.error.message ?? message;
      code = body.error.code ?? undefined;
    } else if (typeof body.error === "string") message = body.error;
    else if (body.message) message = body.message;
  } catch {
    // not JSON: the status says enough
  }
  return new ApiError(res.status, message, code);
}

export async function call<T>(path: string, opts: CallOptions = {}): Promise<T> {
  const res = await fetch(path, {
    method: opts.method ?? "GET",
    headers: headersFor(opts.bearer, opts.body !== undefined),
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
    signal: opts.signal,
  });
  if (!res.ok) throw await errorOf(res);
  return (await res.json()) as T;
}
