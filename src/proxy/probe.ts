/**
 * Join-time probing: what does this endpoint speak, and will it take these credentials?
 * `GET /v1/models` lists models; `POST /v1/responses`, `POST /v1/chat/completions` and
 * `POST /v1/messages` (Anthropic's Messages API) with `{}` tell whether each route exists
 * without spending tokens: 404/405/501 mean "no such route", 401/403 mean "credentials
 * rejected", anything else (400 "model is required", 422, llama.cpp's 500 "'messages' is
 * required", 200) means the route is there. Two things are particular to `/v1/messages`:
 * - a 2xx to that empty body is no Messages server (every one refuses a body without `model`,
 *   `messages` and `max_tokens`) but a catch-all: LM Studio answers any unknown route 200
 *   `{"error":"Unexpected endpoint or method"}`. Taken for a Messages endpoint, it would get every
 *   Messages request untranslated, where a translation to its chat route works;
 * - a 401/403 there alone, while an OpenAI route took the credentials, leaves only Messages out
 *   (a key meant for the OpenAI routes of a gateway) rather than failing a join that worked
 *   before the hub asked; and a 401/403 on the OpenAI routes while Messages took them (and the
 *   model list did not refuse them) leaves those out: an Anthropic-style endpoint whose
 *   OpenAI-compatible layer wants the key in another header.
 * It, and the model list (Anthropic's needs it too), carry `anthropic-version`
 * (proxy/headers.ts) unless the participant's headers set one; other servers ignore it.
 * With `responsesState`, one more request asks whether a Responses server
 * keeps conversations itself (protocol/openai/responses-state.ts: a made-up
 * `previous_response_id` in a body no server generates from). With `concurrency`, it also
 * works out how many requests the endpoint serves at once (protocol/concurrency.ts): from the
 * kind of server its model list names, and for llama.cpp one more request, `GET /props` (its
 * slots), sent once the model list has said it is llama.cpp; no other server is asked anything.
 * With `embeddings` (a join that declares embedding models), `POST /v1/embeddings` with `{}`
 * too, read the same way: the route's existence, nothing computed (every server asked answers
 * a 400 for the missing `input`; llama.cpp without `--embeddings` a 501). Which models embed is
 * the joiner's to say (hub/rooms/join.ts): asking each model would load it on servers such as
 * Ollama, and a chat model that answers an embeddings request is no embedding model.
 */
import { GambiError } from "../protocol/openai/errors.ts";
import { callUpstream, describeNetworkError, UpstreamUnreachable, type Fetch, type UpstreamTarget } from "./upstream.ts";
import { servesInference, type Capabilities } from "../protocol/protocols.ts";
import { v1Url } from "../protocol/endpoint.ts";
import { classifyStateProbe, STATE_PROBE_BODY, type ResponsesState } from "../protocol/openai/responses-state.ts";
import { defaultConcurrency, serverKindOf, slotsFromProps, type Concurrency, type ServerKind } from "../protocol/concurrency.ts";
import { MAX_CONCURRENCY } from "../common/max-concurrency.ts";

export interface ProbeResult {
  capabilities: Capabilities;
  /** null when the endpoint has no usable /v1/models. */
  models: string[] | null;
  /** Whether its Responses API keeps conversations; `unknown` unless asked for and told. */
  responsesState: ResponsesState;
  /** How many requests it serves at once, when asked for (`concurrency`). */
  concurrency?: Concurrency;
}

type ProbeAttempt = { kind: "status"; status: number; body: string } | { kind: "network"; reason: string };

const MISSING_ROUTE = new Set([404, 405, 501]);

interface ProbeCall {
  method: "GET" | "POST";
  path: string;
  /** A POST's (default `{}`). */
  body?: string;
  /** Keep the answer's body (else it is drained so the socket can be reused). */
  read?: boolean;
  /** The path is the base URL's own, not under /v1. */
  root?: boolean;
  /** With `anthropic-version` (headers.ts). */
  anthropic?: boolean;
}

async function attempt(target: UpstreamTarget, call: ProbeCall, opts: Pick<ProbeOptions, "timeoutMs" | "fetch">): Promise<ProbeAttempt> {
  const { method, path, body = "{}", read = false, root = false, anthropic = false } = call;
  try {
    const res = await callUpstream(
      target,
      { method, path, root, body: method === "POST" ? body : undefined, timeoutMs: opts.timeoutMs, anthropic },
      opts.fetch,
    );
    const text = read ? await res.text() : (await res.arrayBuffer(), "");
    return { kind: "status", status: res.status, body: text };
  } catch (err) {
    const reason = err instanceof UpstreamUnreachable ? err.reason : describeNetworkError(err);
    return { kind: "network", reason };
  }
}

function parseJson(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}

function modelIds(parsed: unknown): string[] | null {
  const data = (parsed as { data?: unknown } | null | undefined)?.data;
  if (!Array.isArray(data)) return null;
  return data.map((m) => (m && typeof m === "object" ? (m as { id?: unknown }).id : undefined)).filter((id): id is string => typeof id === "string");
}

/** The model list's answer, parsed once: its JSON (undefined unless a 200 that parses). */
function listing(models: ProbeAttempt): unknown {
  return models.kind === "status" && models.status === 200 ? parseJson(models.body) : undefined;
}

export interface ProbeOptions {
  timeoutMs: number;
  fetch?: Fetch;
  /** Set when the endpoint is on loopback but the joiner is not on the hub's machine. */
  loopbackHint?: boolean;
  /** Also ask whether its Responses API keeps conversations (the hub's join; a re-probe needs not). */
  responsesState?: boolean;
  /** Also work out how many requests it serves at once (a join that declares none). */
  concurrency?: boolean;
  /** Also ask whether `POST /v1/embeddings` exists (a join that declares embedding models). */
  embeddings?: boolean;
  /**
   * The endpoint is a tunnelled participant's, probed through its tunnel: the joiner adds its own
   * auth headers and the hub has none, so a refusal is about the joiner's credentials.
   */
  throughTunnel?: boolean;
}

const notAsked: Promise<ProbeAttempt> = Promise.resolve({ kind: "network", reason: "not asked" });

/** An https endpoint the joiner sends credentials to: a hosted provider, for the default. */
function isHosted(target: UpstreamTarget): boolean {
  return target.base.startsWith("https:") && Object.keys(target.authHeaders).length > 0;
}

/** llama.cpp's slots (at most the hub's maximum), asked only of a server whose model list says it is llama.cpp. */
async function slotsOf(target: UpstreamTarget, kind: ServerKind, opts: ProbeOptions): Promise<number | undefined> {
  if (kind !== "llamacpp") return undefined;
  const props = await attempt(target, { method: "GET", path: "/props", read: true, root: true }, opts);
  const slots = props.kind === "status" && props.status === 200 ? slotsFromProps(props.body) : undefined;
  return slots === undefined ? undefined : Math.min(slots, MAX_CONCURRENCY);
}

const denial = (o: ProbeAttempt) => o.kind === "status" && (o.status === 401 || o.status === 403);
const present = (o: ProbeAttempt) => o.kind === "status" && !MISSING_ROUTE.has(o.status) && !denial(o);

export async function probeEndpoint(target: UpstreamTarget, opts: ProbeOptions): Promise<ProbeResult> {
  const listed = attempt(target, { method: "GET", path: "/models", read: true, anthropic: true }, opts);
  const learned = opts.concurrency
    ? listed.then(async (m) => {
        const kind = serverKindOf(listing(m));
        return defaultConcurrency(kind, isHosted(target), await slotsOf(target, kind, opts));
      })
    : undefined;
  const [models, responses, chat, messages, state, concurrency, embeddings] = await Promise.all([
    listed,
    attempt(target, { method: "POST", path: "/responses" }, opts),
    attempt(target, { method: "POST", path: "/chat/completions" }, opts),
    attempt(target, { method: "POST", path: "/messages", anthropic: true }, opts),
    opts.responsesState ? attempt(target, { method: "POST", path: "/responses", body: STATE_PROBE_BODY, read: true }, opts) : notAsked,
    learned,
    opts.embeddings ? attempt(target, { method: "POST", path: "/embeddings" }, opts) : notAsked,
  ]);
  const asked = opts.embeddings ? [models, embeddings] : [models];
  // A refusal of Messages alone, where an OpenAI route took the same credentials, only leaves
  // Messages out; and the other way round (a gateway, or Anthropic's OpenAI-compatible layer, that
  // wants its key in another header than Messages does).
  const openai = [responses, chat];
  const messagesOut = denial(messages) && !asked.some(denial) && !openai.some(denial) && (openai.some(present) || present(embeddings));
  const openaiOut = !messagesOut && openai.some(denial) && present(messages) && !asked.some(denial);
  const all = [...asked, ...(openaiOut ? [] : openai), ...(messagesOut ? [] : [messages])];

  const denied = all.find(denial);
  if (denied && denied.kind === "status") {
    if (opts.throughTunnel) {
      throw new GambiError(
        400,
        `your endpoint rejected the request through the tunnel (HTTP ${denied.status}): it needs credentials, which the joiner adds from its own auth headers ` +
          `(gambi join --header or --header-env; the hub never sees them). Check the key and the header name on the machine that runs gambi join.`,
        { code: "endpoint_credentials_rejected", param: "authHeaders" },
      );
    }
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
    const what = opts.throughTunnel ? "your endpoint: the joiner says" : `endpoint ${v1Url(target.base, "/models")}:`;
    throw new GambiError(502, `could not reach ${what} ${reason}${hint}`, {
      code: "endpoint_unreachable",
      param: "endpoint",
    });
  }

  // A 2xx to an empty Messages body is a catch-all answering any route (see above), not Messages.
  const speaksMessages = present(messages) && !(messages.kind === "status" && messages.status < 300);
  const capabilities: Capabilities = {
    responses: present(responses),
    chatCompletions: present(chat),
    messages: speaksMessages,
    ...(opts.embeddings ? { embeddings: present(embeddings) } : {}),
  };
  // An endpoint that only embeds passes here; the join says whether that is enough for what it serves.
  if (!servesInference(capabilities) && !capabilities.embeddings) {
    const what = opts.throughTunnel ? "your endpoint (through the tunnel)" : `endpoint ${target.base}`;
    throw new GambiError(400, `${what} serves none of /v1/chat/completions, /v1/responses and /v1/messages; is it an OpenAI- or Anthropic-compatible base URL?`, {
      code: "endpoint_not_openai_compatible",
      param: "endpoint",
    });
  }
  const modelList = modelIds(listing(models));
  const responsesState = capabilities.responses && state.kind === "status" ? classifyStateProbe(state.status, state.body) : "unknown";
  return { capabilities, models: modelList, responsesState, ...(concurrency ? { concurrency } : {}) };
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
