/**
 * What-if experiment, never used by default: `bun bench/proxy.ts --hub-preload
 * bench/experiments/listener-abort-any.ts` replaces `AbortSignal.any` in the hub with a plain
 * version built from one "abort" listener per source signal.
 *
 * Why: with Bun's native `AbortSignal.any` (1.4.5), a combined signal that still has an "abort"
 * listener is never collected, nor anything that listener reaches, once its sources are gone.
 * The hub combines the client's signal with a cancel signal for every adapted Responses request
 * it stores (src/hub/responses/stored-turn.ts), and the proxy listens on it for the whole stream
 * (src/proxy/forward.ts), so each such stream left its request state behind (~6.9 KB per
 * request, measured at ae14b94). With this preload the adapted memory phase was flat, which
 * showed that this was all of the growth; 5f1948a then stopped using AbortSignal.any there, so
 * on later commits the preload only changes the join probes' timeout signal.
 *
 * Reproduction in Bun alone (≈2.2 KB per request, 0 with `req.signal` alone or the listener removed):
 *   const server = Bun.serve({ port: 0, fetch(req) {
 *     const big = "x".repeat(2000);
 *     AbortSignal.any([req.signal, new AbortController().signal]).addEventListener("abort", () => big.length);
 *     return new Response("{}");
 *   } });
 */
(AbortSignal as unknown as { any: (signals: AbortSignal[]) => AbortSignal }).any = (signals) => {
  const combined = new AbortController();
  for (const s of signals) {
    if (s.aborted) {
      combined.abort(s.reason);
      break;
    }
    s.addEventListener("abort", () => combined.abort(s.reason), { once: true });
  }
  return combined.signal;
};
