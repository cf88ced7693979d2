/**
 * The hub's management API as the CLI uses it (ofetch). Errors come back as HubError with the
 * hub's own message (OpenAI envelope) and an exit code scripts can rely on. A hub token goes
 * only with the calls that need it (create and list rooms); a room password goes as the
 * bearer token on a protected room's inference, participants and events (`bearer`). A hub
 * with a self-signed certificate is trusted through `ca` (`--ca FILE`): every call to the hub,
 * here and in chat/ and join/status.ts, goes through `hubFetch(ca)`.
 */
import { ofetch, FetchError } from "ofetch";
import { EXIT } from "./terminal/errors.ts";

export class HubError extends Error {
  constructor(
    message: string,
    readonly status: number | undefined,
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
  const e = (err instanceof FetchError && err.cause ? err.cause : err) as { code?: unknown; message?: unknown } | undefined;
  const code = typeof e?.code === "string" ? e.code : "";
  const message = typeof e?.message === "string" ? e.message : String(err);
  if (UNTRUSTED_CERTIFICATE.has(code)) {
    return `cannot reach the hub at ${hubUrl}: its TLS certificate is not trusted (${message}); for a hub with a self-signed certificate, pass a copy of it with --ca FILE`;
  }
  // An HTTPS hub asked in plain HTTP closes the connection without an answer.
  if (code === "ECONNRESET" && hubUrl.startsWith("http://")) {
    return `cannot reach the hub at ${hubUrl}: ${message} (if the hub serves HTTPS, use https:// in --hub)`;
  }
  return `cannot reach the hub at ${hubUrl}: ${message}`;
}

/** fetch for calls to the hub: with a CA (PEM), it trusts certificates that CA signed, and only those (Bun replaces its default list). */
export function hubFetch(ca?: string): typeof fetch {
  if (!ca) return fetch;
  const withCa = (input: string | URL | Request, init?: BunFetchRequestInit) => fetch(input, { ...init, tls: { ...init?.tls, ca } });
  return Object.assign(withCa, { preconnect: fetch.preconnect });
}

function toHubError(err: unknown, hubUrl: string): HubError {
  if (err instanceof FetchError) {
    const status = err.response?.status;
    if (status === undefined) return new HubError(describeHubFailure(err, hubUrl), undefined, "hub_unreachable", EXIT.unreachable);
    const body = err.data as { error?: { message?: string; code?: string } } | undefined;
    const message = body?.error?.message ?? `hub answered HTTP ${status}`;
    const rejected = status === 401 || status === 403 || status === 404 || status === 409;
    return new HubError(message, status, body?.error?.code, rejected ? EXIT.rejected : status >= 500 ? EXIT.unreachable : EXIT.rejected);
  }
  return new HubError(err instanceof Error ? err.message : String(err), undefined, undefined, EXIT.unexpected);
}

export interface PublicRoom {
  id: string;
  code: string;
  name: string;
  createdAt: number;
  passwordProtected: boolean;
  participantCount: number;
  defaults: Record<string, unknown>;
}

export interface JoinRequest {
  id: string;
  nickname: string;
  model: string;
  endpoint: string;
  password?: string;
  specs?: Record<string, string | number | boolean | null>;
  config?: Record<string, unknown>;
  authHeaders?: Record<string, string>;
  allowUnlistedModel?: boolean;
}

/** `Authorization: Bearer <secret>` when there is one, else no header. */
export function bearer(secret: string | undefined): Record<string, string> {
  return secret ? { authorization: `Bearer ${secret}` } : {};
}

export function createHubClient(hubUrl: string, opts: { timeoutMs?: number; token?: string; ca?: string } = {}) {
  const base = hubUrl.replace(/\/+$/, "");
  const tokenHeaders = bearer(opts.token);
  const doFetch = hubFetch(opts.ca);
  const api = ofetch.create({ baseURL: base, timeout: opts.timeoutMs ?? 15_000, retry: 0 }, { fetch: doFetch });
  const call = async <T>(fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      throw toHubError(err, base);
    }
  };
  return {
    url: base,
    /** The fetch this client uses (with its CA): for the calls made outside it (chat, events). */
    fetch: doFetch,
    health: () => call(() => api<{ status: string; version: string; uptime: number; rooms: number }>("/health")),
    createRoom: (body: { name: string; password?: string; config?: Record<string, unknown> }) =>
      call(() => api<{ room: PublicRoom & { hostId: string }; hostId: string }>("/rooms", { method: "POST", body, headers: tokenHeaders })),
    listRooms: () => call(() => api<{ rooms: PublicRoom[] }>("/rooms", { headers: tokenHeaders })),
    /** One room's public view; needs no hub token (a room code is what a participant is given). */
    getRoom: (code: string) => call(() => api<{ room: PublicRoom }>(`/rooms/${encodeURIComponent(code)}`)),
    join: (code: string, body: JoinRequest) =>
      call(() => api<{ participant: Record<string, unknown>; roomId: string }>(`/rooms/${encodeURIComponent(code)}/join`, { method: "POST", body })),
    heartbeat: (code: string, id: string) => call(() => api<{ ok: boolean }>(`/rooms/${encodeURIComponent(code)}/health`, { method: "POST", body: { id } })),
    leave: (code: string, id: string) => call(() => api(`/rooms/${encodeURIComponent(code)}/leave/${encodeURIComponent(id)}`, { method: "DELETE" })),
  };
}
export type HubClient = ReturnType<typeof createHubClient>;
