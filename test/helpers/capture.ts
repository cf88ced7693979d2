/**
 * Capturing everything a scenario lets out, to scan it for a secret afterwards: HTTP answers
 * (status line, every header, the whole body), a room's event stream as raw bytes, every line
 * the root consola logger and `console` write, and every file under a directory.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { log as rootLog } from "../../src/logger.ts";

export interface Captured {
  /** Every captured text, tagged with where it came from. */
  texts: { where: string; text: string }[];
  add(where: string, text: string): void;
}

export function captured(): Captured {
  const texts: Captured["texts"] = [];
  return { texts, add: (where, text) => texts.push({ where, text }) };
}

export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  json(): any;
}

/** fetch, then keep the status, every header and the whole body (read to the end). */
export async function fetchAll(into: Captured, url: string, init: RequestInit = {}): Promise<Answer> {
  const res = await fetch(url, init);
  const text = await res.text();
  const head = [`HTTP ${res.status} ${res.statusText}`];
  res.headers.forEach((v, k) => head.push(`${k}: ${v}`));
  const where = `${init.method ?? "GET"} ${new URL(url).pathname}`;
  into.add(`${where} (headers)`, head.join("\n"));
  into.add(`${where} (body)`, text);
  return { status: res.status, headers: res.headers, text, json: () => JSON.parse(text) };
}

/** A room's /events stream, every byte kept until `stop`. */
export async function captureEventStream(into: Captured, url: string, headers: Record<string, string> = {}) {
  const abort = new AbortController();
  const res = await fetch(url, { headers, signal: abort.signal });
  if (res.status !== 200) throw new Error(`events: HTTP ${res.status} ${await res.text()}`);
  let text = "";
  const reading = (async () => {
    const reader = res.body!.getReader();
    const dec = new TextDecoder();
    for (let r = await reader.read(); !r.done; r = await reader.read()) text += dec.decode(r.value, { stream: true });
  })().catch(() => undefined);
  return {
    get text() {
      return text;
    },
    async stop() {
      abort.abort();
      await reading;
      into.add(`events ${new URL(url).pathname}`, text);
    },
  };
}

type ConsoleMethod = "log" | "info" | "warn" | "error" | "debug" | "trace";

/**
 * The root logger (src/logger.ts) at every level, and `console`, captured instead of printed
 * until `restore`. The hub under test logs through its own logger (test/helpers/hub.ts); this
 * is for any code that would reach for the global ones.
 */
export function captureGlobalLogs(into: Captured) {
  const reporters = rootLog.options.reporters;
  const level = rootLog.level;
  rootLog.setReporters([{ log: (obj) => into.add(`root log ${obj.type}`, obj.args.map((a) => (typeof a === "string" ? a : a instanceof Error ? `${a.message} ${a.stack}` : JSON.stringify(a))).join(" ")) }]);
  rootLog.level = 999;
  const methods: ConsoleMethod[] = ["log", "info", "warn", "error", "debug", "trace"];
  const saved = Object.fromEntries(methods.map((m) => [m, console[m]])) as Record<ConsoleMethod, (...a: unknown[]) => void>;
  for (const m of methods) console[m] = (...args: unknown[]) => into.add(`console.${m}`, args.map((a) => (typeof a === "string" ? a : Bun.inspect(a))).join(" "));
  return {
    restore() {
      rootLog.setReporters(reporters);
      rootLog.level = level;
      Object.assign(console, saved);
    },
  };
}

/** Every regular file under `dir`, recursively, with its bytes as latin1 text (binary-safe for a search). */
export function filesUnder(dir: string): { path: string; text: string }[] {
  const out: { path: string; text: string }[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const path = join(d, name);
      const st = statSync(path);
      if (st.isDirectory()) walk(path);
      else if (st.isFile()) out.push({ path, text: readFileSync(path).toString("latin1") });
    }
  };
  walk(dir);
  return out;
}

/** The places, among everything captured, where a needle occurs (the first needle found in each text). */
export function findLeaks(texts: { where: string; text: string }[], needles: string[]): { where: string; excerpt: string }[] {
  const leaks: { where: string; excerpt: string }[] = [];
  for (const { where, text } of texts) {
    for (const needle of needles) {
      const at = text.indexOf(needle);
      if (at === -1) continue;
      leaks.push({ where, excerpt: `…${text.slice(Math.max(0, at - 80), at + needle.length + 40)}…` });
      break;
    }
  }
  return leaks;
}
