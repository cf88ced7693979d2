/**
 * The probe both join flows (`gambi join` in prepare.ts, the TUI's join form) run on the
 * participant's own endpoint before anything reaches the hub: a typo in the URL or a rejected
 * key is reported here, and the models it lists are offered to pick from.
 */
import { probeEndpoint, type ProbeResult } from "../proxy/probe.ts";

/**
 * Rejects with the probe's GambiError (`endpoint_credentials_rejected` when the key is refused).
 * `concurrency`: also work out what the hub would assume for its maxConcurrency (the TUI shows it
 * as the default; for llama.cpp one more GET, /props).
 */
export function probeOwnEndpoint(base: string, authHeaders: Record<string, string>, opts: { concurrency?: boolean; embeddings?: boolean } = {}): Promise<ProbeResult> {
  return probeEndpoint({ base, authHeaders, label: "your endpoint" }, { timeoutMs: 10_000, concurrency: opts.concurrency, embeddings: opts.embeddings });
}

/** "Responses + Chat Completions + Messages": the protocols the probe found. */
export function protocolsSpoken(probe: ProbeResult): string {
  const c = probe.capabilities;
  return [c.responses && "Responses", c.chatCompletions && "Chat Completions", c.messages && "Messages", c.embeddings && "Embeddings"].filter(Boolean).join(" + ");
}
