/**
 * The soak's clients: each request is one of a fixed mix (streaming and not, both protocols,
 * relayed as is and translated, and streams the client abandons part way), drawn from a seeded
 * PRNG per client. Every answer is checked: a stream must deliver every event its route
 * produces, a JSON answer must be a 200; anything else is counted as an error by kind.
 */
import { chatBody, responsesBody } from "./scenarios.ts";
import { prng } from "./prng.ts";

export type Route = "chat" | "responses" | "responses_via_chat" | "chat_via_responses";
export const ROUTES: Route[] = ["chat", "responses", "responses_via_chat", "chat_via_responses"];

/** What a client asks for: a route, streamed or not, and for abandoned streams the event after which it hangs up. */
export interface Pick {
  route: Route;
  stream: boolean;
  abortAfter?: number;
}

/** Share of requests of each kind; streams whose client hangs up take their route at random. */
export const MIX: { name: string; weight: number; pick: (rand: () => number, events: number) => Pick }[] = [
  { name: "chat stream", weight: 20, pick: () => ({ route: "chat", stream: true }) },
  { name: "Responses stream", weight: 15, pick: () => ({ route: "responses", stream: true }) },
  { name: "chat JSON", weight: 15, pick: () => ({ route: "chat", stream: false }) },
  { name: "Responses JSON", weight: 10, pick: () => ({ route: "responses", stream: false }) },
  { name: "Responses ← chat stream", weight: 8, pick: () => ({ route: "responses_via_chat", stream: true }) },
  { name: "Responses ← chat JSON", weight: 4, pick: () => ({ route: "responses_via_chat", stream: false }) },
  { name: "chat ← Responses stream", weight: 8, pick: () => ({ route: "chat_via_responses", stream: true }) },
  { name: "chat ← Responses JSON", weight: 4, pick: () => ({ route: "chat_via_responses", stream: false }) },
  {
    name: "stream aborted by the client",
    weight: 16,
    pick: (rand, events) => ({ route: ROUTES[Math.floor(rand() * ROUTES.length)]!, stream: true, abortAfter: 1 + Math.floor(rand() * (events / 2)) }),
  },
];

export interface SoakTargets {
  hub: string;
  /** Room of the participant that speaks both protocols; rooms of the chat-only and Responses-only ones. */
  rooms: { both: string; chatOnly: string; responsesOnly: string };
  events: number;
}

/** The URL, body and number of events the client gets, per route. */
export function request(t: SoakTargets, p: Pick): { url: string; body: string; events: number } {
  const v1 = (room: string, path: string) => `${t.hub}/rooms/${room}/v1${path}`;
  switch (p.route) {
    case "chat":
      return { url: v1(t.rooms.both, "/chat/completions"), body: chatBody(p.stream, undefined, t.events), events: t.events };
    case "responses":
      return { url: v1(t.rooms.both, "/responses"), body: responsesBody(p.stream, undefined, t.events), events: t.events };
    // One-protocol participants take their event count from their path (upstream-server.ts): adapters drop bench_* fields.
    case "responses_via_chat":
      return { url: v1(t.rooms.chatOnly, "/responses"), body: responsesBody(p.stream), events: t.events + 4 };
    case "chat_via_responses":
      return { url: v1(t.rooms.responsesOnly, "/chat/completions"), body: chatBody(p.stream), events: t.events - 4 };
  }
}

export interface Outcome {
  kind: string;
  /** ms to the first complete SSE event (streams that got one). */
  ttftMs?: number;
  /** ms to the whole JSON body (non-streaming requests). */
  latencyMs?: number;
  aborted?: boolean;
  /** Error kind, when the answer was not what the route produces. */
  error?: string;
  at: number;
}

const LF = 10;

async function once(t: SoakTargets, p: Pick, kind: string): Promise<Outcome> {
  const { url, body, events: expected } = request(t, p);
  const abort = new AbortController();
  const t0 = performance.now();
  const out: Outcome = { kind, at: t0 };
  try {
    const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json", accept: p.stream ? "text/event-stream" : "application/json" }, body, signal: abort.signal });
    if (res.status !== 200) {
      await res.arrayBuffer();
      return { ...out, error: `HTTP ${res.status}` };
    }
    if (!p.stream) {
      await res.arrayBuffer();
      return { ...out, latencyMs: performance.now() - t0 };
    }
    const reader = res.body!.getReader();
    let events = 0;
    let last = 0;
    for (;;) {
      const r = await reader.read();
      if (r.done) break;
      for (let i = r.value.indexOf(LF); i !== -1; i = r.value.indexOf(LF, i + 1)) if ((i > 0 ? r.value[i - 1] : last) === LF) events++;
      if (r.value.length > 0) last = r.value[r.value.length - 1]!;
      if (out.ttftMs === undefined && events > 0) out.ttftMs = performance.now() - t0;
      if (p.abortAfter !== undefined && events >= p.abortAfter) {
        abort.abort();
        return { ...out, aborted: true };
      }
    }
    if (events !== expected) return { ...out, error: p.abortAfter !== undefined ? "stream ended before the client's abort point" : `short stream (${events} of ${expected} events)` };
    return out;
  } catch (err) {
    const e = err as { code?: string; name?: string };
    return { ...out, error: `network ${e.code ?? e.name ?? "error"}` };
  }
}

/** `clients` loops of requests until `until` (a performance.now() time); each outcome goes to `record`. */
export async function runClients(t: SoakTargets, clients: number, seed: number, until: () => boolean, record: (o: Outcome) => void): Promise<void> {
  const total = MIX.reduce((a, m) => a + m.weight, 0);
  const client = async (n: number) => {
    const rand = prng(seed + n);
    while (!until()) {
      let r = rand() * total;
      const kind = MIX.find((m) => (r -= m.weight) < 0) ?? MIX[MIX.length - 1]!;
      record(await once(t, kind.pick(rand, t.events), kind.name));
    }
  };
  await Promise.all(Array.from({ length: clients }, (_, n) => client(n)));
}
