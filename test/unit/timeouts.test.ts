/**
 * UpstreamWatch on a manual clock: which deadline applies in each phase, that one timer does
 * it (re-armed only when it fires or a phase needs an earlier deadline), and that none is
 * left once the request is over. Plus callUpstream's bounded calls (the join probes), which
 * must not use AbortSignal.any (it leaks in Bun 1.4.5).
 */
import { afterEach, describe, expect, test } from "bun:test";
import { manualTimers, type ManualTimers } from "../helpers/fake-timers.ts";
import {
  checkAfterMs,
  formatDuration,
  proxyConfigured,
  timeoutError,
  timeoutMessage,
  UpstreamWatch,
  type ConnectCheck,
  type TimeoutSettings,
} from "../../src/proxy/timeouts.ts";
import { callUpstream, makeTarget, UpstreamUnreachable } from "../../src/proxy/upstream.ts";

const SETTINGS: TimeoutSettings = { connectMs: 1_000, firstByteMs: 5_000, idleMs: 2_000 };

function setup(opts: { settings?: Partial<TimeoutSettings>; check?: ConnectCheck | null } = {}) {
  const timers = manualTimers();
  const abort = new AbortController();
  let checks = 0;
  const check: ConnectCheck | undefined =
    opts.check === null
      ? undefined
      : (base) => {
          checks++;
          return (opts.check ?? (() => new Promise<boolean>(() => {})))(base);
        };
  const settings = { ...SETTINGS, ...opts.settings };
  const watch = new UpstreamWatch(abort, "http://127.0.0.1:9", { ...settings, timers, connectCheck: check });
  return { timers, abort, watch, checks: () => checks };
}

/** Lets a resolved connect check's `then` run. */
const settle = () => new Promise<void>((r) => setTimeout(r, 0));

function expectQuiet(t: ManualTimers, w: UpstreamWatch, abort: AbortController) {
  expect(w.expired).toBeUndefined();
  expect(abort.signal.aborted).toBe(false);
  expect(t.live).toBeLessThanOrEqual(1);
}

describe("a request that goes well", () => {
  test("one timer, never fired, none left", () => {
    const { timers, watch, abort } = setup();
    watch.responded();
    watch.flowing();
    for (let i = 0; i < 100; i++) {
      watch.readStart();
      timers.advance(10);
      watch.readEnd();
    }
    expectQuiet(timers, watch, abort);
    watch.finish();
    expect(timers.live).toBe(0);
    // Armed at the check point (250 ms), fired once at 250 ms during the reads, re-armed for idle.
    expect(timers.created).toBeLessThanOrEqual(2);
  });

  test("answers before the connect check point: no TCP check at all", () => {
    const { timers, watch, checks } = setup();
    timers.advance(checkAfterMs(SETTINGS.connectMs) - 1);
    watch.responded();
    watch.flowing();
    watch.finish();
    expect(checks()).toBe(0);
    expect(timers.live).toBe(0);
  });

  test("finish is idempotent and a late timer callback does nothing", () => {
    const { timers, watch, abort } = setup();
    watch.finish();
    watch.finish();
    timers.advance(60_000);
    expect(abort.signal.aborted).toBe(false);
    expect(watch.expired).toBeUndefined();
  });
});

describe("connect", () => {
  test("host that never accepts: the request ends at the connect deadline", async () => {
    const { timers, watch, abort, checks } = setup();
    timers.advance(checkAfterMs(SETTINGS.connectMs));
    expect(checks()).toBe(1);
    timers.advance(SETTINGS.connectMs - checkAfterMs(SETTINGS.connectMs) - 1);
    expect(abort.signal.aborted).toBe(false);
    timers.advance(1);
    expect(watch.expired).toBe("connect");
    expect(abort.signal.aborted).toBe(true);
    expect(timers.live).toBe(0);
  });

  test("host that accepts but is slow: left to the first-byte deadline", async () => {
    const { timers, watch, abort } = setup({ check: async () => true });
    timers.advance(checkAfterMs(SETTINGS.connectMs));
    await settle();
    timers.advance(SETTINGS.firstByteMs - checkAfterMs(SETTINGS.connectMs) - 1);
    expectQuiet(timers, watch, abort);
    timers.advance(1);
    expect(watch.expired).toBe("first_byte");
    expect(abort.signal.aborted).toBe(true);
    expect(timers.live).toBe(0);
  });

  test("a refused check waits for the deadline (the request's own error usually comes first)", async () => {
    const { timers, watch } = setup({ check: async () => false });
    timers.advance(checkAfterMs(SETTINGS.connectMs));
    await settle();
    timers.advance(SETTINGS.connectMs);
    expect(watch.expired).toBe("connect");
  });

  test("headers mean connected, whatever the check says", () => {
    const { timers, watch, abort } = setup();
    timers.advance(checkAfterMs(SETTINGS.connectMs) + 10);
    watch.responded();
    timers.advance(SETTINGS.connectMs);
    expectQuiet(timers, watch, abort);
    timers.advance(SETTINGS.firstByteMs);
    expect(watch.expired).toBe("first_byte");
  });

  test("no check configured (or connect ≥ first byte): the first-byte deadline covers connecting", () => {
    for (const opts of [{ check: null }, { settings: { connectMs: 5_000 } }] as const) {
      const { timers, watch, checks } = setup(opts);
      timers.advance(SETTINGS.firstByteMs - 1);
      expect(watch.expired).toBeUndefined();
      timers.advance(1);
      expect(watch.expired).toBe("first_byte");
      expect(checks()).toBe(0);
    }
  });
});

describe("first byte", () => {
  test("headers but no body chunk: a stream's first byte is its first chunk", () => {
    const { timers, watch } = setup({ check: async () => true });
    watch.responded();
    timers.advance(SETTINGS.firstByteMs - 1);
    expect(watch.expired).toBeUndefined();
    timers.advance(1);
    expect(watch.expired).toBe("first_byte");
  });

  test("0 turns it off", () => {
    const { timers, watch } = setup({ settings: { firstByteMs: 0 }, check: null });
    watch.responded();
    timers.advance(3_600_000);
    expect(watch.expired).toBeUndefined();
    expect(timers.live).toBe(0);
  });
});

describe("idle", () => {
  test("silence while reading ends the stream at exactly the idle deadline after the last byte", () => {
    const { timers, watch, abort } = setup();
    watch.responded();
    watch.flowing();
    for (let i = 0; i < 5; i++) {
      watch.readStart();
      timers.advance(SETTINGS.idleMs - 1);
      watch.readEnd();
    }
    expectQuiet(timers, watch, abort);
    watch.readStart();
    timers.advance(SETTINGS.idleMs - 1);
    expect(watch.expired).toBeUndefined();
    timers.advance(1);
    expect(watch.expired).toBe("idle");
    expect(abort.signal.aborted).toBe(true);
    expect(timers.live).toBe(0);
  });

  test("a slow client is not the upstream's silence: no read pending, no idle timeout", () => {
    const { timers, watch, abort } = setup();
    watch.responded();
    watch.flowing();
    timers.advance(SETTINGS.idleMs * 10);
    expectQuiet(timers, watch, abort);
    watch.readStart();
    timers.advance(SETTINGS.idleMs);
    expect(watch.expired).toBe("idle");
  });

  test("the far first-byte timer is brought forward to the idle deadline", () => {
    const { timers, watch } = setup({ settings: { idleMs: 100 }, check: null });
    watch.responded();
    watch.flowing();
    watch.readStart();
    timers.advance(100);
    expect(watch.expired).toBe("idle");
  });

  test("0 turns it off", () => {
    const { timers, watch } = setup({ settings: { idleMs: 0 } });
    watch.responded();
    watch.flowing();
    watch.readStart();
    timers.advance(3_600_000);
    expect(watch.expired).toBeUndefined();
    expect(timers.live).toBe(0);
  });

  test("a long healthy stream costs one timer firing per idle period", () => {
    const { timers, watch } = setup({ check: null });
    watch.responded();
    watch.flowing();
    for (let i = 0; i < 10_000; i++) {
      watch.readStart();
      timers.advance(10); // 100 s of chunks, 10 ms apart
      watch.readEnd();
    }
    expect(watch.expired).toBeUndefined();
    expect(timers.created).toBeLessThanOrEqual(100_000 / SETTINGS.idleMs + 2);
    watch.finish();
    expect(timers.live).toBe(0);
  });
});

describe("messages", () => {
  test("name the participant, the deadline and the flag; 504 in OpenAI's envelope", () => {
    const label = 'participant "alice" (p_1)';
    expect(timeoutMessage("connect", label, SETTINGS)).toBe(`${label} could not connect within 1 s (connect timeout; gambi hub --connect-timeout)`);
    expect(timeoutMessage("first_byte", label, SETTINGS)).toContain("sent nothing within 5 s (first-byte timeout; gambi hub --first-byte-timeout)");
    expect(timeoutMessage("idle", label, { ...SETTINGS, idleMs: 250 })).toContain("silent mid-answer for 250 ms (idle timeout");
    const err = timeoutError("first_byte", label, SETTINGS).toJSON();
    expect(err.error).toMatchObject({ type: "timeout_error", code: "upstream_timeout" });
    expect(timeoutError("idle", label, SETTINGS).status).toBe(504);
    expect(formatDuration(1500)).toBe("1.5 s");
    expect(formatDuration(300_000)).toBe("300 s");
  });

  test("proxy variables turn the connect check off", () => {
    expect(proxyConfigured({})).toBe(false);
    expect(proxyConfigured({ HTTPS_PROXY: "http://proxy:3128" })).toBe(true);
    expect(proxyConfigured({ http_proxy: "" })).toBe(false);
  });
});

describe("callUpstream with timeoutMs (the join probes)", () => {
  const originalAny = AbortSignal.any;
  const originalTimeout = AbortSignal.timeout;
  afterEach(() => {
    AbortSignal.any = originalAny;
    AbortSignal.timeout = originalTimeout;
  });
  const forbid = () => {
    let used = 0;
    AbortSignal.any = (signals: AbortSignal[]) => (used++, originalAny.call(AbortSignal, signals));
    AbortSignal.timeout = (ms: number) => (used++, originalTimeout.call(AbortSignal, ms));
    return () => used;
  };

  test("reads the body within the deadline, without AbortSignal.any or .timeout", async () => {
    const used = forbid();
    const server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => Response.json({ data: [{ id: "m" }] }) });
    try {
      const caller = new AbortController();
      const res = await callUpstream(makeTarget(`http://127.0.0.1:${server.port}`, {}, "p"), { method: "GET", path: "/models", timeoutMs: 2_000, signal: caller.signal });
      expect(res.status).toBe(200);
      expect(((await res.json()) as any).data[0].id).toBe("m");
      expect(used()).toBe(0);
    } finally {
      await server.stop(true);
    }
  });

  test("a body that never ends is cut at the deadline: UpstreamUnreachable, 'timed out'", async () => {
    const server = Bun.serve({
      port: 0,
      hostname: "127.0.0.1",
      idleTimeout: 0,
      fetch: () => new Response(new ReadableStream({ start: (c) => c.enqueue(new TextEncoder().encode("{")) }), { headers: { "content-type": "application/json" } }),
    });
    try {
      const started = performance.now();
      const err = await callUpstream(makeTarget(`http://127.0.0.1:${server.port}`, {}, 'participant "slow"'), { method: "GET", path: "/models", timeoutMs: 150 }).catch((e) => e);
      expect(err).toBeInstanceOf(UpstreamUnreachable);
      expect(err.reason).toBe("timed out");
      expect(err.message).toContain('participant "slow"');
      expect(performance.now() - started).toBeGreaterThanOrEqual(140);
    } finally {
      await server.stop(true);
    }
  });

  test("the caller's abort still wins, and is rethrown as is", async () => {
    const server = Bun.serve({ port: 0, hostname: "127.0.0.1", idleTimeout: 0, fetch: () => new Promise<Response>(() => {}) });
    try {
      const caller = new AbortController();
      const pending = callUpstream(makeTarget(`http://127.0.0.1:${server.port}`, {}, "p"), { method: "GET", path: "/models", timeoutMs: 5_000, signal: caller.signal }).catch((e) => e);
      setTimeout(() => caller.abort(), 20);
      const err = await pending;
      expect(err).not.toBeInstanceOf(UpstreamUnreachable);
      expect(err.name).toBe("AbortError");
    } finally {
      await server.stop(true);
    }
  });
});
