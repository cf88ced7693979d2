/**
 * Flow control: the counters (protocol/tunnel/credit.ts), then the hub's session
 * (proxy/tunnel/session.ts) over a socket that records frames: credit goes back only as the
 * body is read, a stalled body holds one window and stalls nobody else, a peer past its credit
 * is closed, a cancel reaches the joiner. Also the joiner's redaction of a secret split across
 * two chunks.
 */
import { describe, expect, test } from "bun:test";
import { ReceiveCredit, SendCredit } from "../../src/protocol/tunnel/credit.ts";
import { decodeFrame, encodeBody, encodeFrame, isFrameProblem } from "../../src/protocol/tunnel/codec.ts";
import type { Frame } from "../../src/protocol/tunnel/frames.ts";
import { TunnelSession } from "../../src/proxy/tunnel/session.ts";
import { realTimers } from "../../src/proxy/timeouts.ts";
import { createStreamRedactor } from "../../src/protocol/redact.ts";

describe("the counters", () => {
  test("a sender may send its window, then waits for grants", () => {
    const c = new SendCredit(100);
    expect(c.take(60)).toBe(60);
    expect(c.take(60)).toBe(40);
    expect(c.take(1)).toBe(0);
    c.grant(25);
    expect(c.take(100)).toBe(25);
  });

  test("a receiver grants in batches of a quarter window, and refuses bytes past what it granted", () => {
    const r = new ReceiveCredit(100);
    expect(r.received(100)).toBe(true);
    expect(r.received(1)).toBe(false);
    expect(r.consume(10)).toBe(0);
    expect(r.consume(14)).toBe(0);
    expect(r.consume(1)).toBe(25);
    expect(r.received(25)).toBe(true);
    expect(r.received(1)).toBe(false);
  });

  test("sender and receiver together never let more than a window be in flight", () => {
    const window = 1000;
    const send = new SendCredit(window);
    const recv = new ReceiveCredit(window);
    let inFlight = 0;
    let most = 0;
    for (let step = 0; step < 10_000; step++) {
      const n = send.take(1 + (step % 97));
      expect(recv.received(n)).toBe(true);
      inFlight += n;
      most = Math.max(most, inFlight);
      if (step % 3 === 0) {
        const read = Math.min(inFlight, 1 + (step % 50));
        inFlight -= read;
        const grant = recv.consume(read);
        if (grant) send.grant(grant);
      }
    }
    expect(most).toBeLessThanOrEqual(window);
  });
});

/** A session over a socket that only records: the test plays the joiner. */
function harness(window = 1024) {
  const sent: Frame[] = [];
  let closed: { code: number; reason: string } | undefined;
  const session = new TunnelSession({
    socket: {
      send: (b) => {
        const f = decodeFrame(b);
        if (isFrameProblem(f)) throw new Error(f.message);
        sent.push(f);
      },
      close: (code, reason) => (closed = { code, reason }),
    },
    timers: realTimers,
    window,
    pingMs: 60_000,
    silentAfterMs: 60_000,
  });
  session.start();
  const joiner = (f: Frame) => session.receive(encodeFrame(f));
  const frames = (type: Frame["type"]) => sent.filter((f) => f.type === type);
  return { session, sent, joiner, frames, get closed() {
    return closed;
  }, end: () => session.close(1000, "test over") };
}

const chunk = (n: number, byte = 0x61) => new Uint8Array(n).fill(byte);

describe("the hub's session", () => {
  test("credit goes back only as the body is read, in batches", async () => {
    const h = harness(1024);
    const res = h.session.request("/v1/chat/completions", { method: "POST", body: "{}" });
    expect(h.frames("open")).toHaveLength(1);
    h.joiner({ type: "head", id: 1, status: 200, statusText: "OK", headers: [["content-type", "text/event-stream"]] });
    const response = await res;
    for (let i = 0; i < 8; i++) h.joiner({ type: "body", id: 1, bytes: chunk(128) });
    expect(h.frames("credit")).toHaveLength(0);
    const reader = response.body!.getReader();
    let read = 0;
    for (let i = 0; i < 4; i++) read += (await reader.read()).value!.length;
    expect(read).toBe(512);
    // A quarter window (256 bytes) read: two grants of 256 so far.
    expect(h.frames("credit").reduce((n, f) => n + (f as { bytes: number }).bytes, 0)).toBe(512);
    h.end();
  });

  test("a peer past its credit is closed with 4400 and a reason; the request fails", async () => {
    const h = harness(256);
    const res = h.session.request("/v1/chat/completions", { method: "POST", body: "{}" });
    h.joiner({ type: "head", id: 1, status: 200, statusText: "OK", headers: [] });
    const response = await res;
    h.joiner({ type: "body", id: 1, bytes: chunk(256) });
    h.joiner({ type: "body", id: 1, bytes: chunk(1) });
    expect(h.closed?.code).toBe(4400);
    expect(h.closed?.reason).toContain("past its credit");
    expect(h.frames("refuse")[0]).toMatchObject({ code: "tunnel_protocol_error" });
    const reader = response.body!.getReader();
    expect((await reader.read()).value?.length).toBe(256);
    await expect(reader.read()).rejects.toThrow(/tunnel closed/);
  });

  test("a stalled body holds one window; another request on the same socket streams on", async () => {
    const h = harness(1024);
    const stalled = h.session.request("/v1/chat/completions", { method: "POST", body: "{}" });
    const fast = h.session.request("/v1/chat/completions", { method: "POST", body: "{}" });
    h.joiner({ type: "head", id: 1, status: 200, statusText: "OK", headers: [] });
    h.joiner({ type: "head", id: 2, status: 200, statusText: "OK", headers: [] });
    await stalled;
    const reader = (await fast).body!.getReader();
    h.joiner({ type: "body", id: 1, bytes: chunk(1024) });
    let got = 0;
    // The fast one gets 100 windows' worth while the stalled one is never read.
    for (let i = 0; i < 100; i++) {
      for (let k = 0; k < 4; k++) h.joiner({ type: "body", id: 2, bytes: chunk(256) });
      for (let k = 0; k < 4; k++) got += (await reader.read()).value!.length;
    }
    expect(got).toBe(100 * 1024);
    expect(h.closed).toBeUndefined();
    expect(h.frames("credit").every((f) => (f as { id: number }).id === 2)).toBe(true);
    h.end();
  });

  test("an abort before the head sends cancel and rejects with the abort; late frames for it are dropped", async () => {
    const h = harness();
    const abort = new AbortController();
    const res = h.session.request("/v1/responses", { method: "POST", body: "{}", signal: abort.signal });
    abort.abort();
    await expect(res).rejects.toMatchObject({ name: "AbortError" });
    expect(h.frames("cancel")).toEqual([{ type: "cancel", id: 1 }]);
    h.joiner({ type: "head", id: 1, status: 200, statusText: "OK", headers: [] });
    h.joiner({ type: "body", id: 1, bytes: chunk(10) });
    expect(h.closed).toBeUndefined();
    expect(h.session.inFlight).toBe(0);
    h.end();
  });

  test("a reader that cancels the body sends cancel", async () => {
    const h = harness();
    const res = h.session.request("/v1/chat/completions", { method: "POST", body: "{}" });
    h.joiner({ type: "head", id: 1, status: 200, statusText: "OK", headers: [] });
    await (await res).body!.cancel();
    expect(h.frames("cancel")).toEqual([{ type: "cancel", id: 1 }]);
    expect(h.session.inFlight).toBe(0);
    h.end();
  });

  test("frames for a request never opened close the socket; an error before the head rejects like a network failure", async () => {
    const h = harness();
    const res = h.session.request("/v1/models", { method: "GET" });
    h.joiner({ type: "error", id: 1, message: "ECONNREFUSED" });
    await expect(res).rejects.toThrow("ECONNREFUSED");
    h.joiner({ type: "head", id: 7, status: 200, statusText: "OK", headers: [] });
    expect(h.closed?.code).toBe(4400);
    expect(h.closed?.reason).toContain("never opened");
  });

  test("a request body larger than a frame goes as open + body frames + end", () => {
    const h = harness();
    const big = "x".repeat(3 * 1024 * 1024);
    h.session.request("/v1/chat/completions", { method: "POST", body: big }).catch(() => undefined);
    const open = h.frames("open")[0] as { more: boolean; body: Uint8Array };
    expect(open.more).toBe(true);
    const rest = h.frames("body").reduce((n, f) => n + (f as { bytes: Uint8Array }).bytes.length, 0);
    expect(open.body.length + rest).toBe(big.length);
    expect(h.frames("end")).toHaveLength(1);
    h.end();
  });

  test("garbage, text and frames a joiner never sends close the socket with a reason", () => {
    for (const [send, code] of [
      [(h: ReturnType<typeof harness>) => h.session.receive(new Uint8Array([0xde, 0xad])), 4400],
      [(h: ReturnType<typeof harness>) => h.session.receive("hello"), 4400],
      [(h: ReturnType<typeof harness>) => h.session.receive(encodeBody(1, new Uint8Array(2 * 1024 * 1024))), 4413],
      [(h: ReturnType<typeof harness>) => h.joiner({ type: "credit", id: 1, bytes: 5 }), 4400],
    ] as const) {
      const h = harness();
      send(h);
      expect(h.closed?.code).toBe(code);
      expect(h.closed!.reason.length).toBeGreaterThan(10);
    }
  });
});

describe("the joiner's redaction of a stream cut anywhere", () => {
  const secret = "sk-live-0123456789abcdef";
  const text = `data: {"error":"Incorrect API key provided: ${secret}"}\n\n`;

  test("a secret split across chunks, at every cut, never crosses; the rest is kept", () => {
    const enc = new TextEncoder();
    const all = enc.encode(text);
    for (let cut = 1; cut < all.length; cut++) {
      const r = createStreamRedactor([`Bearer ${secret}`])!;
      const out = [r.push(all.slice(0, cut)), r.push(all.slice(cut)), r.end()];
      const joined = new TextDecoder().decode(Buffer.concat(out.map((b) => Buffer.from(b))));
      expect(joined).not.toContain(secret);
      expect(joined).toContain("[redacted]");
      expect(joined.endsWith("\n\n")).toBe(true);
    }
  });

  test("a chunk ending like an SSE event goes on whole and at once", () => {
    const r = createStreamRedactor(["Bearer sk-abc-123456"])!;
    const chunk = new TextEncoder().encode('data: {"x":"s"}\n\n');
    expect(r.push(chunk)).toBe(chunk);
  });
});
