/** The recorded provider bodies in test/fixtures (see its README), read as bytes. */
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";

export const FIXTURES_DIR = resolve(import.meta.dir, "../fixtures");

export type FixtureProtocol = "chat" | "responses" | "messages";

export interface Fixture {
  name: string;
  protocol: FixtureProtocol;
  stream: boolean;
  bytes: Uint8Array;
}

/** The recordings of these protocols' folders (default: the two OpenAI ones, which most tests replay). */
export function loadFixtures(protocols: readonly FixtureProtocol[] = ["chat", "responses"]): Fixture[] {
  const out: Fixture[] = [];
  for (const protocol of protocols) {
    for (const file of readdirSync(join(FIXTURES_DIR, protocol)).sort()) {
      if (!file.endsWith(".sse") && !file.endsWith(".json")) continue;
      out.push({ name: `${protocol}/${file}`, protocol, stream: file.endsWith(".sse"), bytes: new Uint8Array(readFileSync(join(FIXTURES_DIR, protocol, file))) });
    }
  }
  return out;
}

/** Splits a recorded SSE body into its events, byte for byte (each keeps its blank line). */
export function splitEvents(bytes: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  let start = 0;
  for (let i = 1; i < bytes.length; i++) {
    if (bytes[i] === 10 && bytes[i - 1] === 10) {
      out.push(bytes.subarray(start, i + 1));
      start = i + 1;
    }
  }
  if (start < bytes.length) out.push(bytes.subarray(start));
  return out;
}

/**
 * The HTTP status a recorded error body came with (from the fixtures README): a name ending in
 * `-NNN.json` says it, or `-error-NNN-<what>.json` (Anthropic's).
 */
export function fixtureStatus(name: string): number {
  const named = /-(\d{3})\.json$/.exec(name) ?? /-error-(\d{3})-[a-z-]+\.json$/.exec(name);
  if (named) return Number(named[1]);
  if (name.includes("model-not-found")) return 404;
  if (name === "responses/openai-error-quota.json") return 429;
  return 200;
}
