/**
 * The room's ledger (`GET /rooms/:code/usage`): per participant what it served, per caller
 * what it used, per model. A figure with an estimated part (the upstream reported no usage,
 * so the hub counted) is marked "≈" and says how much of it is estimated. A hub without the
 * ledger answers 404: a short note instead. A caller's requests no participant took have no
 * model (""): shown as "(unserved)".
 */
import { count, ms, rate } from "../format.ts";
import type { UsageState } from "../use-usage.ts";
import { ScrollRegion } from "./scroll-region.tsx";

/** `inputTokens`/`outputTokens` are the whole figure, `estimated…` the part of it the hub estimated. */
export function Figure({ value, estimated }: { value: number; estimated: number }) {
  if (!(estimated > 0)) return <>{count(value)}</>;
  return (
    <span class="estimated" title={`${count(estimated)} of these are estimated`}>
      ≈{count(value)}
      <span class="sr-only"> (of which {count(estimated)} estimated)</span>
    </span>
  );
}

export function UsageLedger({ usage }: { usage: UsageState }) {
  const u = usage.data;
  const anyEstimate = u ? u.totals.estimatedInputTokens > 0 || u.totals.estimatedOutputTokens > 0 : false;
  return (
    <section class="card" aria-labelledby="usage-title" data-testid="usage">
      <h2 id="usage-title">Usage</h2>
      {usage.unavailable ? (
        <p class="muted">Usage not available: this hub keeps no ledger.</p>
      ) : !u ? (
        <p class="muted">{usage.error ? `Usage could not be read: ${usage.error}` : "Loading…"}</p>
      ) : (
        <>
          <p class="muted small">
            Since {new Date(u.since).toLocaleString()}.{anyEstimate && " ≈ marks figures with a part the hub estimated (the upstream reported no usage)."}
          </p>
          <h3>Who gave</h3>
          <ScrollRegion label="Usage: who gave">
            <table data-testid="usage-participants">
              <thead>
                <tr>
                  <th scope="col">Participant</th>
                  <th scope="col">Model</th>
                  <th scope="col">Requests</th>
                  <th scope="col">Errors</th>
                  <th scope="col">Tokens in</th>
                  <th scope="col">Tokens out</th>
                  <th scope="col">Mean TTFT</th>
                  <th scope="col">Tokens/s</th>
                </tr>
              </thead>
              <tbody>
                {u.participants.map((p) => (
                  <tr key={`${p.participantId}/${p.model}`}>
                    <th scope="row">{p.nickname}</th>
                    <td>{p.model}</td>
                    <td class="num">{count(p.requests)}</td>
                    <td class="num">{count(p.errors ?? 0)}</td>
                    <td class="num">
                      <Figure value={p.inputTokens} estimated={p.estimatedInputTokens} />
                    </td>
                    <td class="num">
                      <Figure value={p.outputTokens} estimated={p.estimatedOutputTokens} />
                    </td>
                    <td class="num">{ms(p.meanTtftMs)}</td>
                    <td class="num">{rate(p.tokensPerSecond)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </ScrollRegion>
          <h3>Who used</h3>
          <ScrollRegion label="Usage: who used">
            <table data-testid="usage-callers">
              <thead>
                <tr>
                  <th scope="col">Caller</th>
                  <th scope="col">Model</th>
                  <th scope="col">Requests</th>
                  <th scope="col">Errors</th>
                  <th scope="col">Tokens in</th>
                  <th scope="col">Tokens out</th>
                </tr>
              </thead>
              <tbody>
                {u.callers.map((c) => (
                  <tr key={`${c.caller}/${c.model}`}>
                    <th scope="row" class="code">
                      {c.caller}
                    </th>
                    <td>{c.model || <span class="muted">(unserved)</span>}</td>
                    <td class="num">{count(c.requests)}</td>
                    <td class="num">{count(c.errors ?? 0)}</td>
                    <td class="num">
                      <Figure value={c.inputTokens} estimated={c.estimatedInputTokens} />
                    </td>
                    <td class="num">
                      <Figure value={c.outputTokens} estimated={c.estimatedOutputTokens} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </ScrollRegion>
        </>
      )}
    </section>
  );
}
