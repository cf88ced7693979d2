/**
 * How many requests a participant serves at once (`maxConcurrency`), when its joiner
 * does not declare it: what the join probe can learn without spending a token, else a default
 * for the kind of server it is. Pure: the probe (proxy/probe.ts) hands in what it read.
 *
 * The kind is read off the `GET /v1/models` answer the probe already has, by `owned_by`:
 *
 * | server | told by | maxConcurrency | why |
 * |---|---|---|---|
 * | llama.cpp `llama-server` | `"llamacpp"` | `GET /props` → `total_slots` (`probed`); 1 if unreadable | its slots (`-np`) are exactly the requests it decodes at once |
 * | vLLM | `"vllm"` | 32 | continuous batching up to `--max-num-seqs` (256 by default), which its API does not report; 32 keeps its batches full for a group while the rest wait at the hub, where they can still go elsewhere |
 * | LM Studio | `"organization_owner"` | 4 | "Max Concurrent Predictions", 4 by default since 0.4, not in its API |
 * | Ollama | `"library"` | 1 | `OLLAMA_NUM_PARALLEL` (1 by default in current releases) is not in its API; it queues the rest itself |
 * | a hosted provider | an `https:` endpoint with an auth header | 16 | a provider's fleet takes more than a laptop; its rate limits, not its slots, bound it |
 * | anything else | — | 1 | a laptop serving one request at a time is the safe guess |
 *
 * A server's own kind wins over "hosted" (a vLLM behind HTTPS is still a vLLM). A value the
 * joiner declares wins over everything (`declared`).
 */

/** Where a participant's maxConcurrency came from. */
export type ConcurrencySource = "declared" | "probed" | "default";

export type ServerKind = "llamacpp" | "vllm" | "lmstudio" | "ollama" | "unknown";

export interface Concurrency {
  value: number;
  source: Exclude<ConcurrencySource, "declared">;
  /** For the hub's log line: what it was learned from, or which default it is. */
  why: string;
}

const OWNED_BY: Record<string, Exclude<ServerKind, "unknown">> = {
  llamacpp: "llamacpp",
  vllm: "vllm",
  organization_owner: "lmstudio",
  library: "ollama",
};

const KIND_DEFAULT: Record<Exclude<ServerKind, "unknown">, Concurrency> = {
  llamacpp: { value: 1, source: "default", why: "llama.cpp whose /props could not be read" },
  vllm: { value: 32, source: "default", why: "the default for vLLM (its --max-num-seqs is not in its API)" },
  lmstudio: { value: 4, source: "default", why: "LM Studio's default Max Concurrent Predictions (not in its API)" },
  ollama: { value: 1, source: "default", why: "Ollama's default OLLAMA_NUM_PARALLEL (not in its API)" },
};

export const HOSTED_DEFAULT = 16;
export const LOCAL_DEFAULT = 1;

/** The server behind a `GET /v1/models` answer (parsed JSON), by the `owned_by` its models carry. */
export function serverKindOf(models: unknown): ServerKind {
  const data = (models as { data?: unknown } | null)?.data;
  if (!Array.isArray(data)) return "unknown";
  for (const m of data) {
    const owner = m && typeof m === "object" ? (m as { owned_by?: unknown }).owned_by : undefined;
    if (typeof owner === "string" && Object.hasOwn(OWNED_BY, owner)) return OWNED_BY[owner]!;
  }
  return "unknown";
}

/**
 * llama-server's slots from its `GET /props` body (`total_slots`, one per `-np`); undefined
 * when the body does not say. (The probe caps it at the hub's maximum, common/max-concurrency.ts.)
 */
export function slotsFromProps(body: string): number | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  const slots = (parsed as { total_slots?: unknown } | null)?.total_slots;
  return typeof slots === "number" && Number.isInteger(slots) && slots >= 1 ? slots : undefined;
}

/**
 * What the hub assumes without a declared value: the probed slots, else the kind's default,
 * else 16 for a hosted provider (`hosted`: an https endpoint with auth headers), else 1.
 */
export function defaultConcurrency(kind: ServerKind, hosted: boolean, slots?: number): Concurrency {
  if (slots !== undefined) return { value: slots, source: "probed", why: `llama.cpp's /props: ${slots} slot${slots === 1 ? "" : "s"}` };
  if (kind !== "unknown") return KIND_DEFAULT[kind];
  if (hosted) return { value: HOSTED_DEFAULT, source: "default", why: "the default for a hosted provider (https with an auth header)" };
  return { value: LOCAL_DEFAULT, source: "default", why: "the default for an unknown server" };
}
