/**
 * Join-time probing: what does this endpoint speak, and will it take these credentials?
 * `GET /v1/models` lists models; `POST /v1/responses` and `POST /v1/chat/completions` with `{}`
 * tell whether each route exists without spending tokens: 404/405/501 mean "no such route",
 * 401/403 mean "credentials rejected", anything else (400 "model is required", 422, 200) means
 * the route is there. With `responsesState`, a fourth request asks whether a Responses server
 * keeps conversations itself (protocol/openai/responses-state.ts: a made-up
 * `previous_response_id` in a body no server generates from).
 */
import { GambiError } from "../protocol/openai/errors.ts";
import { callUpstream, describeNetworkError, UpstreamUnreachable, type Fetch, type UpstreamTarget } from "./upstream.ts";
import type { Capabilities } from "../protocol/protocols.ts";
import { v1Url } from "../protocol/endpoint.ts";
import { classifyStateProbe, STATE_PROBE_BODY, type ResponsesState } from "../protocol/openai/responses-state.ts";

export interface ProbeResult {
  capabilities: Capabilities;
  /** null when the endpoint has no usable /v1/models. */
  models: string[] | null;
  /** Whether its Responses API keeps conversations; `unknown` unless asked for and told. */
  responsesState: ResponsesState;
}

type ProbeAttempt = { kind: "status"; status: number; body: string } | { kind: "network"; reason: string };

const MISSING_ROUTE = new Set([404, 405, 501]);

/** `body`: a POST's (default `{}`); `read`: keep the answer's body (else it is drained so the socket can be reused). */
async function attempt(target: UpstreamTarget, method: "GET" | "POST", path: string, timeoutMs: number, doFetch?: Fetch, body = "{}", read = false): Promise<ProbeAttempt> {
  try {
    const res = await callUpstream(
      target,
      { method, path, body: method === "POST" ? body : undefined, timeoutMs },
      doFetch,
    );
    const text = read ? await res.text() : (await res.arrayBuffer(), "");
    return { kind: "status", status: res.status, body: text };
  } catch (err) {
    const reason = err instanceof UpstreamUnreachable ? err.reason : describeNetworkError(err);
    return { kind: "network", reason };
  }
}

function parseModelIds(body: string): string[] | null {
  try {
    const parsed = JSON.parse(body) as { data?: unknown };
    if (!Array.isArray(parsed.data)) return null;
    return parsed.data
      .map((m) => (m && typeof m === "object" ? (m as { id?: unknown }).id : undefined))
      .filter((id): id is string => typeof id === "string");
  } catch {
    return null;
  }
}

export interface ProbeOptions {
  timeoutMs: number;
  fetch?: Fetch;
  /** Set when the endpoint is on loopback but the joiner is not on the hub's machine. */
  loopbackHint?: boolean;
  /** Also ask whether its Responses API keeps conversations (the hub's join; a re-probe needs not). */
  responsesState?: boolean;
}

const notAsked: Promise<ProbeAttempt> = Promise.resolve({ kind: "network", reason: "not asked" });

export async function probeEndpoint(target: UpstreamTarget, opts: ProbeOptions): Promise<ProbeResult> {
  const [models, responses, chat, state] = await Promise.all([
    attempt(target, "GET", "/models", opts.timeoutMs, opts.fetch, undefined, true),
    attempt(target, "POST", "/responses", opts.timeoutMs, opts.fetch),
    attempt(target, "POST", "/chat/completions", opts.timeoutMs, opts.fetch),
    opts.responsesState ? attempt(target, "POST", "/responses", opts.timeoutMs, opts.fetch, STATE_PROBE_BODY, true) : notAsked,
  ]);
  const all = [models, responses, chat];

  const denied = all.find((o) => o.kind === "status" && (o.status === 401 || o.status === 403));
  if (denied && denied.kind === "status") {
    const names = Object.keys(target.authHeaders);
    const sent = names.length > 0 ? `the credentials sent in ${names.map((n) => `"${n}"`).join(", ")}` : "the request: it needs credentials, and no auth headers were given";
    throw new GambiError(400, `endpoint ${target.base} rejected ${sent} (HTTP ${denied.status}). Check the key and the header name.`, {
      code: "endpoint_credentials_rejected",
      param: "authHeaders",
    });
  }

  if (all.every((o) => o.kind === "network")) {
    const reason = (models as { reason: string }).reason;
    const hint = opts.loopbackHint
      ? ` The endpoint is on localhost, but you are joining from another machine: the hub cannot reach your localhost. Use an address the hub can reach (e.g. your LAN IP).`
      : "";
    throw new GambiError(502, `could not reach endpoint ${v1Url(target.base, "/models")}: ${reason}${hint}`, {
      code: "endpoint_unreachable",
      param: "endpoint",
    });
  }

  const has = (o: ProbeAttempt) => o.kind === "status" && !MISSING_ROUTE.has(o.status);
  const capabilities: Capabilities = { responses: has(responses), chatCompletions: has(chat) };
  if (!capabilities.responses && !capabilities.chatCompletions) {
    throw new GambiError(400, `endpoint ${target.base} serves neither /v1/responses nor /v1/chat/completions; is it an OpenAI-compatible base URL?`, {
      code: "endpoint_not_openai_compatible",
      param: "endpoint",
    });
  }
  const modelList = models.kind === "status" && models.status === 200 ? parseModelIds(models.body) : null;
  const responsesState = capabilities.responses && state.kind === "status" ? classifyStateProbe(state.status, state.body) : "unknown";
  return { capabilities, models: modelList, responsesState };
}

/** Exact id, or Ollama's implicit `:latest` tag. */
export function matchModel(models: string[], wanted: string): string | undefined {
  if (models.includes(wanted)) return wanted;
  if (!wanted.includes(":") && models.includes(`${wanted}:latest`)) return wanted;
  return undefined;
}

/** A few listed models, the ones resembling `wanted` first, for "did you mean" messages. */
export function suggestModels(models: string[], wanted: string, limit = 8): string[] {
  const w = wanted.toLowerCase();
  const score = (m: string) => {
    const l = m.toLowerCase();
    if (l.includes(w) || w.includes(l)) return 0;
    let common = 0;
    while (common < l.length && common < w.length && l[common] === w[common]) common++;
    return common > 2 ? 1 : 2;
  };
  return [...models].sort((a, b) => score(a) - score(b) || a.localeCompare(b)).slice(0, limit);
}
