/**
 * The one place that writes SSE text. `data` may hold any newline style: each line becomes its
 * own `data:` line so a payload can never end an event early; `event` and `id` must be single
 * lines, so a CR/LF there is a programming error, not something to escape.
 */
import type { SseEvent } from "./decode.ts";

const encoder = new TextEncoder();

export function encodeSse(ev: SseEvent): Uint8Array {
  return encoder.encode(formatSse(ev));
}

/** Event names already checked: a stream repeats a handful of them (bounded, in case a caller does not). */
const checkedNames = new Set<string>();

export function formatSse(ev: SseEvent): string {
  let out = ev.event === undefined ? "" : eventLine(ev.event);
  if (ev.id !== undefined) {
    if (/[\r\n]/.test(ev.id)) throw new Error("SSE id must not contain CR or LF");
    out += `id: ${ev.id}\n`;
  }
  // JSON payloads never contain a raw line break: skip the split for them.
  if (!ev.data.includes("\n") && !ev.data.includes("\r")) return `${out}data: ${ev.data}\n\n`;
  for (const line of ev.data.split(/\r\n|\r|\n/)) out += `data: ${line}\n`;
  return out + "\n";
}

/**
 * An event whose data is JSON text the hub wrote (`JSON.stringify`, or text around a string
 * literal in its form: what every adapter's stream mapper returns), which cannot hold a raw line
 * break, so none is looked for: looking flattened and scanned every event's text once more
 * before the relay's encode did, ~5% of the hub's CPU on a translated burst (bench/README.md).
 */
export function formatJsonSse(ev: SseEvent): string {
  if (ev.id !== undefined) return formatSse(ev);
  return ev.event === undefined ? `data: ${ev.data}\n\n` : `${eventLine(ev.event)}data: ${ev.data}\n\n`;
}

function eventLine(name: string): string {
  if (!checkedNames.has(name)) {
    if (/[\r\n]/.test(name)) throw new Error("SSE event name must not contain CR or LF");
    if (checkedNames.size >= 256) checkedNames.clear();
    checkedNames.add(name);
  }
  return `event: ${name}\n`;
}

/** A comment line: ignored by every SSE client, keeps idle proxies from closing the connection. */
export function encodeSseComment(text: string): Uint8Array {
  return encoder.encode(`: ${text.replace(/[\r\n]+/g, " ")}\n\n`);
}
