/**
 * One request the hub sends through the tunnel, joiner side: performed against the joiner's own
 * endpoint with its own auth headers (the hub never has them), and its answer streamed back as
 * `head`, `body` frames within the credit the hub grants (protocol/tunnel/credit.ts), then `end`
 * — or `error` when the request cannot be made or its body breaks. A `cancel` aborts the fetch
 * at once. Only the paths the hub's own calls use are performed (`/v1/…` and llama.cpp's
 * `/props`, GET, POST or DELETE): the tunnel is no way into the rest of the joiner's server.
 * Before anything goes back, the joiner's secrets are cut out of it (an upstream may echo a key
 * it refused), and its endpoint's URL out of error messages: neither leaves this machine.
 */
import { SendCredit } from "../../protocol/tunnel/credit.ts";
import type { Frame, HeaderPairs, OpenFrame } from "../../protocol/tunnel/frames.ts";
import { createTextRedactor, streamRedactors, type StreamRedactor } from "../../protocol/redact.ts";
import { describeNetworkError } from "../../proxy/upstream.ts";

/** The joiner's endpoint, as only it knows it. */
export interface LocalEndpoint {
  /** Normalised base URL (no /v1). */
  base: string;
  authHeaders: Record<string, string>;
  /** Bun's fetch unless a test gives another. */
  fetch?: typeof fetch;
}

/** What the joiner needs of its secrets for every request, worked out once per endpoint (not per request). */
export interface EndpointSecrets {
  /** Its auth header names, lower-case: a request header of the same name is the joiner's, not the hub's. */
  own: Set<string>;
  redactText?: (text: string) => string;
  /** A fresh redactor for one answer's body (it holds back a tail that could start a secret). */
  streamRedactor?: () => StreamRedactor;
}

export function endpointSecrets(endpoint: LocalEndpoint): EndpointSecrets {
  const values = Object.values(endpoint.authHeaders);
  return {
    own: new Set(Object.keys(endpoint.authHeaders).map((k) => k.toLowerCase())),
    redactText: createTextRedactor(values),
    streamRedactor: streamRedactors(values),
  };
}

export interface ExchangeSink {
  frame(frame: Frame): void;
  body(id: number, bytes: Uint8Array): void;
  /** Undefined when body frames may go now; else when they may (the socket's send buffer is full: send-buffer.ts). */
  writable(): Promise<void> | undefined;
  /** The exchange is over: forget its id. */
  done(id: number): void;
}

/** The most request body the joiner takes for one request (the hub's own limit is 32 MiB). */
export const MAX_REQUEST_BODY_BYTES = 64 * 1024 * 1024;

const NOT_FORWARDED = new Set(["host", "content-length", "connection", "keep-alive", "transfer-encoding", "upgrade", "te", "trailer", "authorization", "cookie", "proxy-authorization"]);
const NOT_RETURNED = new Set(["content-encoding", "content-length", "transfer-encoding", "connection", "keep-alive", "set-cookie", "location", "upgrade", "trailer"]);

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (b.length === 0) return a;
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** Whether the hub may ask for this path (see above). */
export function allowedPath(path: string): boolean {
  if (!path.startsWith("/v1/") && path !== "/props") return false;
  return !/\.\.|%2e|\\|#|\/\//i.test(path);
}

export class JoinerExchange {
  private readonly abort = new AbortController();
  private readonly credit: SendCredit;
  private waiting: (() => void) | undefined;
  private readonly parts: Uint8Array[] = [];
  private size = 0;
  private cancelled = false;
  private over = false;

  constructor(
    private readonly open: OpenFrame,
    private readonly window: number,
    private readonly maxChunk: number,
    private readonly endpoint: LocalEndpoint,
    private readonly sink: ExchangeSink,
    private readonly secrets: EndpointSecrets = endpointSecrets(endpoint),
  ) {
    this.credit = new SendCredit(window);
    if (open.body.length > 0) this.bodyChunk(open.body);
    if (!open.more) void this.run();
  }

  get id(): number {
    return this.open.id;
  }

  /** More of the request body (an `open` with `more`). */
  bodyChunk(bytes: Uint8Array): void {
    if (this.over) return;
    this.size += bytes.length;
    if (this.size > MAX_REQUEST_BODY_BYTES) return this.fail(`the request body is over ${MAX_REQUEST_BODY_BYTES} bytes`);
    this.parts.push(bytes.slice());
  }

  /** The request body is complete. */
  bodyEnd(): void {
    if (!this.over) void this.run();
  }

  grant(bytes: number): void {
    this.credit.grant(bytes);
    const wake = this.waiting;
    this.waiting = undefined;
    wake?.();
  }

  /** The hub's `cancel` (the client left), or the socket closed: abort now, send nothing more. */
  cancel(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    this.abort.abort();
    this.grant(0);
    this.finish();
  }

  private finish(): void {
    if (this.over) return;
    this.over = true;
    this.sink.done(this.id);
  }

  private fail(message: string): void {
    if (this.over) return;
    this.sink.frame({ type: "error", id: this.id, message });
    this.abort.abort();
    this.finish();
  }

  private headers(): Headers {
    const own = this.secrets.own;
    const h = new Headers();
    for (const [name, value] of this.open.headers) if (!NOT_FORWARDED.has(name) && !own.has(name)) h.set(name, value);
    for (const [name, value] of Object.entries(this.endpoint.authHeaders)) h.set(name, value);
    return h;
  }

  private body(): Uint8Array | undefined {
    if (this.open.method === "GET") return undefined;
    if (this.parts.length === 1) return this.parts[0];
    const out = new Uint8Array(this.size);
    let at = 0;
    for (const p of this.parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }

  /** Text the hub may see: without the joiner's secrets and without its endpoint's URL. */
  private clean(text: string): string {
    const redact = this.secrets.redactText;
    return (redact ? redact(text) : text).split(this.endpoint.base).join("the endpoint");
  }

  private async run(): Promise<void> {
    const { open, endpoint } = this;
    if (!allowedPath(open.path)) return this.fail(`the joiner does not serve ${open.method} ${open.path.slice(0, 64)} through its tunnel`);
    let res: Response;
    try {
      res = await (endpoint.fetch ?? fetch)(`${endpoint.base}${open.path}`, {
        method: open.method,
        headers: this.headers(),
        body: this.body(),
        signal: this.abort.signal,
        redirect: "manual",
      });
    } catch (err) {
      if (!this.cancelled) this.fail(this.clean(describeNetworkError(err)));
      return;
    }
    if (this.cancelled) return void res.body?.cancel().catch(() => undefined);
    const redactText = this.secrets.redactText;
    const headers: HeaderPairs = [];
    res.headers.forEach((value, name) => {
      if (!NOT_RETURNED.has(name)) headers.push([name, redactText ? redactText(value) : value]);
    });
    // A small answer that is complete (its length known, not a stream) goes in one message.
    const length = Number(res.headers.get("content-length") ?? NaN);
    if (res.body && length <= Math.min(this.window, this.maxChunk - 16_384) && !(res.headers.get("content-type") ?? "").includes("text/event-stream")) {
      let bytes: Uint8Array;
      try {
        bytes = new Uint8Array(await res.arrayBuffer());
      } catch (err) {
        if (!this.cancelled) this.fail(this.clean(`the endpoint's answer broke off: ${describeNetworkError(err)}`));
        return;
      }
      if (this.cancelled) return;
      const redact = this.secrets.streamRedactor?.();
      const body = redact ? concat(redact.push(bytes), redact.end()) : bytes;
      if (body.length <= this.window) {
        const full = this.sink.writable();
        if (full) await full;
        if (this.cancelled) return;
        this.sink.frame({ type: "head", id: this.id, status: res.status, statusText: res.statusText, headers, whole: true, body });
        return this.finish();
      }
      this.sink.frame({ type: "head", id: this.id, status: res.status, statusText: res.statusText, headers });
      await this.send(body);
      if (this.cancelled) return;
      this.sink.frame({ type: "end", id: this.id });
      return this.finish();
    }
    this.sink.frame({ type: "head", id: this.id, status: res.status, statusText: res.statusText, headers });
    if (!res.body) {
      this.sink.frame({ type: "end", id: this.id });
      return this.finish();
    }
    const redactor = this.secrets.streamRedactor?.();
    const reader = res.body.getReader();
    try {
      for (;;) {
        const r = await reader.read();
        if (r.done) break;
        await this.send(redactor ? redactor.push(r.value) : r.value);
        if (this.cancelled) return void reader.cancel().catch(() => undefined);
      }
      if (redactor) await this.send(redactor.end());
      if (this.cancelled) return;
      this.sink.frame({ type: "end", id: this.id });
      this.finish();
    } catch (err) {
      if (!this.cancelled) this.fail(this.clean(`the endpoint's answer broke off: ${describeNetworkError(err)}`));
    }
  }

  /** Sends `bytes` as body frames, waiting for credit when the window is used up, and for the socket when its send buffer is full. */
  private async send(bytes: Uint8Array): Promise<void> {
    let rest = bytes;
    while (rest.length > 0 && !this.cancelled) {
      const full = this.sink.writable();
      if (full) {
        await full;
        continue;
      }
      const n = this.credit.take(Math.min(rest.length, this.maxChunk));
      if (n === 0) {
        await new Promise<void>((resolve) => (this.waiting = resolve));
        continue;
      }
      this.sink.body(this.id, rest.subarray(0, n));
      rest = rest.subarray(n);
    }
  }
}
