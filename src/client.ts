/**
 * The hub's API as the client side uses it: every call `gambi create/list/join/chat` and the
 * TUI make to a hub goes through `createHubClient`. Errors come back as HubError with the
 * hub's own message (OpenAI envelope) and an exit code scripts can rely on. A hub token goes
 * only with the calls that need it (create and list rooms); a room password goes as the
 * bearer token on a protected room's inference, participants and events (`bearer`). A hub
 * with a self-signed certificate is trusted through `ca` (`--ca FILE`), for every call here.
 *
 * Management calls (`/rooms...`, the room's event stream included) go through one ofetch
 * instance. The inference plane (`/rooms/:code/v1/*`) is fetched directly: a turn is a long
 * stream the caller reads as it arrives, bounded by the caller's signal rather than the
 * instance's deadline, and an error there may be a plain-text page (a proxy in front of the
 * hub) that the message should quote (`responseError`).
 */
import { ofetch, FetchError, type $Fetch } from "ofetch";
import { hasCode, type ErrorCode } from "./protocol/error-codes.ts";
import { SseDecoder } from "./protocol/sse/decode.ts";
import { withoutFetchAdvice } from "./protocol/network-message.ts";
import { EXIT } from "./terminal/errors.ts";

/** A heartbeat's answer: the participant's own public view and the room's queue (older hubs: `ok` only). */
export interface HeartbeatAnswer {
  ok: boolean;
  participant?: Record<string, unknown>;
  queue?: { waiting: number; queueSize: number };
}

/** Tokens and requests as a room's ledger counts them (`GET /rooms/:code/usage`); `estimated*`: the part the hub estimated. */
export interface UsageFigures {
  requests: number;
  inputTokens: number;
  outputTokens: number;
  estimatedInputTokens: number;
  estimatedOutputTokens: number;
}

/** A room's usage ledger, as `GET /rooms/:code/usage` answers (the hub's ledger/usage-view.ts). */
export interface RoomUsage {
  room: string;
  since: string;
  participants: (UsageFigures & { participantId: string; nickname: string; model: string; errors: number; meanTtftMs: number | null; tokensPerSecond: number | null })[];
  /** `model` "" is the caller's requests no participant took; `errors` is absent from a hub before it was counted. */
  callers: (UsageFigures & { caller: string; model: string; errors?: number })[];
  totals: UsageFigures & { errors: number };
}

export class HubError extends Error {
  constructor(
    message: string,
    readonly status: number | undefined,
    /** The envelope's code as the hub sent it: one of its own (compare with `hasCode`) or a provider's it passed on. */
    readonly code: string | undefined,
    readonly exitCode: number,
  ) {
    super(message);
    this.name = "HubError";
  }
}

/** Bun's fetch codes for a certificate it does not trust (BoringSSL's names, as Node.js has them). */
const UNTRUSTED_CERTIFICATE = new Set([
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "ERR_TLS_CERT_ALTNAME_INVALID",
]);

/** Why a request to the hub got no answer, with what to do about a certificate or a scheme mismatch. */
export function describeHubFailure(err: unknown, hubUrl: string): string {
  const e = (err instanceof FetchError && err.cause ? err.cause : err) as { code?: unknown; message?: unknown; name?: unknown } | undefined;
  // A hub that took the connection and never answered (stopped, asleep, a firewall): ofetch's
  // deadline, whose own text ("[GET] url: <no response> [TimeoutError]: The operation was aborted…") says nothing a person can use.
  if (isTimeout(err) || isTimeout(e)) return `cannot reach the hub at ${hubUrl}: it did not answer in time (is it running, and awake?)`;
  const code = typeof e?.code === "string" ? e.code : "";
  const message = withoutFetchAdvice(typeof e?.message === "string" ? e.message : String(err));
  if (UNTRUSTED_CERTIFICATE.has(code)) {
    return `cannot reach the hub at ${hubUrl}: its TLS certificate is not trusted (${message}); for a hub with a self-signed certificate, pass a copy of it with --ca FILE`;
  }
  // An HTTPS hub asked in plain HTTP closes the connection without an answer.
  if (code === "ECONNRESET" && hubUrl.startsWith("http://")) {
    return `cannot reach the hub at ${hubUrl}: ${message} (if the hub serves HTTPS, use https:// in --hub)`;
  }
  return `cannot reach the hub at ${hubUrl}: ${message}`;
}

function isTimeout(x: unknown): boolean {
  if (!x || typeof x !== "object") return false;
  const { name, cause, message } = x as { name?: unknown; cause?: unknown; message?: unknown };
  return name === "TimeoutError" || (cause as { name?: unknown } | undefined)?.name === "TimeoutError" || (typeof message === "string" && message.includes("[TimeoutError]"));
}

/** fetch for calls to the hub: with a CA (PEM), it trusts certificates that CA signed, and only those (Bun replaces its default list). */
export function hubFetch(ca?: string, base: typeof fetch = fetch): typeof fetch {
  if (!ca) return base;
  const withCa = (input: string | URL | Request, init?: BunFetchRequestInit) => base(input, { ...init, tls: { ...init?.tls, ca } });
  return Object.assign(withCa, { preconnect: base.preconnect });
}

/** An HTTP error from the hub: 5xx (no participant online, endpoint unreachable or timed out) → 3, any 4xx → 4. */
export function exitCodeForStatus(status: number): number {
  return status >= 500 ? EXIT.unreachable : EXIT.rejected;
}

function unreachable(err: unknown, hubUrl: string): HubError {
  return new HubError(describeHubFailure(err, hubUrl), undefined, "hub_unreachable" satisfies ErrorCode, EXIT.unreachable);
}

export interface HubHealth {
  status: string;
  version: string;
  uptime: number;
  rooms: number;
}

/** Whether a GET /health answer is a gambi hub's: other servers answer /health too (llama.cpp: `{"status":"ok"}`). */
function isHubHealth(body: unknown): body is HubHealth {
  const h = body as Partial<Record<keyof HubHealth, unknown>> | null;
  return typeof h === "object" && h !== null && typeof h.status === "string" && typeof h.version === "string" && typeof h.uptime === "number" && typeof h.rooms === "number";
}

/** A server answered at the hub's URL, but not as a gambi hub: --hub names another server's port. */
function notAHub(hubUrl: string): HubError {
  return new HubError(`${hubUrl} is not a gambi hub: it answers GET /health, but not as a hub does (another server's port? llama.cpp and Ollama have their own); check --hub`, undefined, "hub_unreachable" satisfies ErrorCode, EXIT.unreachable);
}

function toHubError(err: unknown, hubUrl: string): HubError {
  if (err instanceof FetchError) {
    const status = err.response?.status;
    if (status === undefined) return unreachable(err, hubUrl);
    const body = err.data as { error?: { message?: string; code?: string } } | undefined;
    const message = body?.error?.message ?? `hub answered HTTP ${status}`;
    return new HubError(message, status, body?.error?.code, exitCodeForStatus(status));
  }
  return new HubError(err instanceof Error ? err.message : String(err), undefined, undefined, EXIT.unexpected);
}

/** The `error` of an OpenAI envelope, if the text is one. */
function envelopeError(text: string): unknown {
  try {
    const body: unknown = JSON.parse(text);
    return body && typeof body === "object" && !Array.isArray(body) ? (body as { error?: unknown }).error : undefined;
  } catch (err) {
    // Not JSON (a proxy's "Bad Gateway" page): the message quotes the text instead.
    if (err instanceof SyntaxError) return undefined;
    throw err;
  }
}

/** An inference-plane error response as HubError: the hub's (or provider's) message, else the status and the start of the body. */
export async function responseError(res: Response): Promise<HubError> {
  const text = await res.text().catch(() => "");
  const error = envelopeError(text);
  const fields = (error && typeof error === "object" ? error : {}) as { message?: unknown; code?: unknown };
  const message =
    typeof fields.message === "string" ? fields.message : typeof error === "string" ? error : `the hub answered HTTP ${res.status}${text ? `: ${text.slice(0, 200)}` : ""}`;
  const code = typeof fields.code === "string" ? fields.code : undefined;
  return new HubError(message, res.status, code, exitCodeForStatus(res.status));
}

export interface PublicRoom {
  id: string;
  code: string;
  name: string;
  createdAt: number;
  passwordProtected: boolean;
  participantCount: number;
  defaults: Record<string, unknown>;
  /** Requests waiting for a participant, the most that may, and how long one may (a hub from before pooling leaves it out). */
  queue?: { waiting: number; queueSize: number; queueTimeoutMs: number };
}

export interface JoinRequest {
  id: string;
  nickname: string;
  /** The first (default) model: all a hub from before several models per participant reads. Left out for a participant that only embeds. */
  model?: string;
  /** Every model served, `model` first; left out for one. */
  models?: string[];
  /** The models that embed (`POST /v1/embeddings`); left out for none. */
  embeddingModels?: string[];
  /** Requests served at once (1–1024); left out, the hub probes or picks a default. */
  maxConcurrency?: number;
  /** The base URL the hub calls; left out with `transport: "tunnel"` (it stays on the joiner's machine). */
  endpoint?: string;
  /** `tunnel`: the joiner opens the tunnel (`openTunnel`) and the hub never dials the endpoint. */
  transport?: "direct" | "tunnel";
  password?: string;
  specs?: Record<string, string | number | boolean | null>;
  config?: Record<string, unknown>;
  authHeaders?: Record<string, string>;
  allowUnlistedModel?: boolean;
}

/** One event of a room's stream (`GET /rooms/:code/events`), as the hub sends it. */
export interface RoomEvent {
  type: string;
  roomCode?: string;
  timestamp?: number;
  data?: Record<string, unknown>;
}

export interface WatchOptions {
  /** A protected room's events need its password as the bearer. */
  password?: string;
  /** Told (once per distinct message) when the hub refuses the subscription, e.g. a 401. */
  onRefused?: (message: string) => void;
}

/** `Authorization: Bearer <secret>` when there is one, else no header. */
export function bearer(secret: string | undefined): Record<string, string> {
  return secret ? { authorization: `Bearer ${secret}` } : {};
}

/**
 * Subscribes to the room's events until `signal` aborts, re-connecting with backoff (1 s up
 * to 15 s) when the stream ends or the hub is unreachable. A joiner's own runtime reports
 * hub trouble; this stays quiet about it, but says why the hub refused the stream (4xx), since
 * a status line or room view that never moves would otherwise be all the user sees.
 */
async function followRoomEvents(api: $Fetch, code: string, onEvent: (e: RoomEvent) => void, signal: AbortSignal, opts: WatchOptions): Promise<void> {
  let delay = 1000;
  let refused: string | undefined;
  while (!signal.aborted) {
    try {
      // With a signal, the instance's timeout does not apply: the stream stays open as long as the hub keeps it.
      const body = await api(`/rooms/${encodeURIComponent(code)}/events`, { responseType: "stream", signal, retry: 0, headers: bearer(opts.password) });
      refused = undefined;
      const decoder = new SseDecoder();
      for await (const chunk of body as AsyncIterable<Uint8Array>) {
        delay = 1000;
        for (const ev of decoder.push(chunk)) {
          try {
            onEvent(JSON.parse(ev.data) as RoomEvent);
          } catch (err) {
            if (!(err instanceof SyntaxError)) throw err;
          }
        }
      }
    } catch (err) {
      if (signal.aborted) return;
      if (!(err instanceof Error)) throw err;
      const status = err instanceof FetchError ? err.response?.status : undefined;
      if (status !== undefined && status >= 400 && status < 500 && status !== 404) {
        const message = (err as FetchError).data?.error?.message ?? `HTTP ${status}`;
        if (message !== refused) opts.onRefused?.(`the hub refused the room's event stream: ${message}`);
        refused = message;
      }
    }
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(15_000, delay * 2);
  }
}

export interface HubClientOptions {
  timeoutMs?: number;
  token?: string;
  ca?: string;
  /** The fetch underneath (tests stand in for a hub with one); `ca` still applies to it. */
  fetch?: typeof fetch;
}

export function createHubClient(hubUrl: string, opts: HubClientOptions = {}) {
  const base = hubUrl.replace(/\/+$/, "");
  const tokenHeaders = bearer(opts.token);
  const doFetch = hubFetch(opts.ca, opts.fetch);
  const api = ofetch.create({ baseURL: base, timeout: opts.timeoutMs ?? 15_000, retry: 0 }, { fetch: doFetch });
  const call = async <T>(fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      throw toHubError(err, base);
    }
  };
  /** An inference-plane request; no answer is HubError (exit 3), but an abort by `own` (the caller's signal) passes through untouched. */
  const send = async (path: string, init: RequestInit, own?: AbortSignal): Promise<Response> => {
    try {
      return await doFetch(`${base}${path}`, init);
    } catch (err) {
      if (own?.aborted) throw err;
      throw unreachable(err, base);
    }
  };
  const room = (code: string) => `/rooms/${encodeURIComponent(code)}`;
  return {
    url: base,
    health: async () => {
      const answer = await call(() => api<unknown>("/health"));
      if (!isHubHealth(answer)) throw notAHub(base);
      return answer;
    },
    createRoom: (body: { name: string; password?: string; config?: Record<string, unknown> }) =>
      call(() => api<{ room: PublicRoom & { hostId: string }; hostId: string }>("/rooms", { method: "POST", body, headers: tokenHeaders })),
    listRooms: () => call(() => api<{ rooms: PublicRoom[] }>("/rooms", { headers: tokenHeaders })),
    /** One room's public view; needs no hub token (a room code is what a participant is given). */
    getRoom: (code: string) => call(() => api<{ room: PublicRoom }>(room(code))),
    /** `token`: the participantToken of an earlier join under `body.id`, to re-join as the same participant. */
    join: (code: string, body: JoinRequest, token?: string) =>
      call(() => api<{ participant: Record<string, unknown>; roomId: string; participantToken: string }>(`${room(code)}/join`, { method: "POST", body, headers: bearer(token) })),
    heartbeat: (code: string, id: string, token: string) => call(() => api<HeartbeatAnswer>(`${room(code)}/health`, { method: "POST", body: { id }, headers: bearer(token) })),
    /**
     * The tunnel's WebSocket (`ws://`, or `wss://` for an https hub, trusting `ca` like every
     * other call), authenticated as the participant; join/tunnel/connection.ts speaks on it.
     */
    openTunnel: (code: string, id: string, token: string): WebSocket => {
      const url = `${base.replace(/^http/i, "ws")}${room(code)}/tunnel`;
      const options = { headers: { ...bearer(token), "x-gambi-participant": id }, perMessageDeflate: false, ...(opts.ca ? { tls: { ca: opts.ca } } : {}) };
      const socket = new WebSocket(url, options as Bun.WebSocketOptions);
      socket.binaryType = "arraybuffer";
      return socket;
    },
    leave: (code: string, id: string, token: string) => call(() => api(`${room(code)}/leave/${encodeURIComponent(id)}`, { method: "DELETE", headers: bearer(token) })),
    /** `credential`: the room's hostId (its creator's) or the hub token. */
    deleteRoom: (code: string, credential: string) => call(() => api<{ ok: boolean }>(room(code), { method: "DELETE", headers: bearer(credential) })),
    /** The room's participants as the hub shows them; a short deadline (5 s): callers poll it or only decorate with it. */
    participants: (code: string, password?: string) =>
      call(() => api<{ participants: Record<string, unknown>[] }>(`${room(code)}/participants`, { headers: bearer(password), signal: AbortSignal.timeout(5000) })),
    /** The room's usage ledger; a protected room wants its password. */
    usage: (code: string, password?: string) => call(() => api<RoomUsage>(`${room(code)}/usage`, { headers: bearer(password) })),
    /** The same as CSV (a header line, one row per participant or caller and model). */
    usageCsv: (code: string, password?: string) => call(() => api<string, "text">(`${room(code)}/usage`, { query: { format: "csv" }, headers: bearer(password), responseType: "text" })),
    /** See followRoomEvents: resolves when `signal` aborts. */
    watchRoomEvents: (code: string, onEvent: (e: RoomEvent) => void, signal: AbortSignal, watch: WatchOptions = {}) => followRoomEvents(api, code, onEvent, signal, watch),
    /**
     * Sends one inference request (`path` is `/v1/...`) asking for a stream and returns the
     * response once it is a success, for the caller to read; an HTTP error is thrown as HubError.
     */
    async inference(code: string, path: string, body: unknown, req: { password?: string; signal?: AbortSignal } = {}): Promise<Response> {
      const init = {
        method: "POST",
        headers: { "content-type": "application/json", accept: "text/event-stream", ...bearer(req.password) },
        body: JSON.stringify(body),
        signal: req.signal,
      };
      const res = await send(`${room(code)}${path}`, init, req.signal);
      if (!res.ok) throw await responseError(res);
      return res;
    },
    /** True when the room takes `password` (a cheap GET /v1/models); false when it is wrong; throws on anything else (429, 404, unreachable). */
    async roomTakesPassword(code: string, password: string): Promise<boolean> {
      const res = await send(`${room(code)}/v1/models`, { headers: bearer(password), signal: AbortSignal.timeout(15_000) });
      if (res.ok) {
        await res.body?.cancel();
        return true;
      }
      const err = await responseError(res);
      if (hasCode(err, "invalid_room_password")) return false;
      throw err;
    },
  };
}
export type HubClient = ReturnType<typeof createHubClient>;
