/**
 * The access gate without HTTP: bearer parsing, the per-address failure budget (429 with
 * Retry-After, recovery after the block, concurrent guesses counted), address keys, the
 * verified-password cache (one argon2 run, then lookups) and the hub token.
 */
import { describe, expect, test } from "bun:test";
import { prng } from "../helpers/prng.ts";
import { roomPasswordProblem } from "../../src/common/room-password.ts";
import { AccessGate, bearerToken } from "../../src/hub/access/gate.ts";
import { AccessError, addressKey, FailureLimiter, DEFAULT_ACCESS_LIMITS } from "../../src/hub/access/limiter.ts";
import type { Room } from "../../src/hub/rooms/registry.ts";
import { addressOnce, callerAddress, callerToken, fairnessKey } from "../../src/hub/access/caller.ts";

function clock(start = 1_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

const limits = { ...DEFAULT_ACCESS_LIMITS, maxFailures: 3, windowMs: 10_000, blockMs: 30_000 };

async function room(password: string | null, code = "ABCDEF"): Promise<Room> {
  const passwordHash = password === null ? null : await Bun.password.hash(password, { algorithm: "argon2id" });
  return { id: crypto.randomUUID(), code, name: "r", hostIdDigest: "d", createdAt: 0, passwordHash, config: {}, participants: new Map(), lastActiveAt: 0 } as unknown as Room;
}

const req = (authorization?: string) => new Request("http://hub.test/x", { headers: authorization === undefined ? {} : { authorization } });

/** Runs `body` with Bun.password.verify counted (`runs()`), and puts it back after. */
async function countingArgon2(body: (runs: () => number) => Promise<void>): Promise<void> {
  const verify = Bun.password.verify;
  let runs = 0;
  Bun.password.verify = (...args: Parameters<typeof verify>) => {
    runs++;
    return verify(...args);
  };
  try {
    await body(() => runs);
  } finally {
    Bun.password.verify = verify;
  }
}

async function errorOf(p: Promise<unknown> | (() => unknown)): Promise<AccessError> {
  try {
    await (typeof p === "function" ? p() : p);
  } catch (err) {
    if (err instanceof AccessError) return err;
    throw err;
  }
  throw new Error("expected an AccessError");
}

describe("bearerToken", () => {
  test("takes the token after Bearer (any case), keeps inner spaces; anything else is none", () => {
    expect(bearerToken("Bearer abc")).toBe("abc");
    expect(bearerToken("bearer   two words")).toBe("two words");
    expect(bearerToken("BEARER x")).toBe("x");
    expect(bearerToken("Bearer ")).toBeUndefined();
    expect(bearerToken("Basic dXNlcjpw")).toBeUndefined();
    expect(bearerToken("abc")).toBeUndefined();
    expect(bearerToken(null)).toBeUndefined();
  });

  test("reads what the rule /^bearer[ \\t]+(.+)$/i on the trimmed header reads, on 20,000 generated headers (seeded)", () => {
    const rule = (h: string) => /^bearer[ \t]+(.+)$/i.exec(h.trim())?.[1];
    const parts = ["Bearer", "bearer", "BEARER", "bEaReR", "Bearer:", "Basic", "Bearerx", "Béarer", " ", "\t", "  ", "tok", "sk-abc 12", "=", "", "B"];
    const random = prng(7);
    const rand = (n: number) => Math.floor(random() * n);
    let tokens = 0;
    for (let i = 0; i < 20_000; i++) {
      // Half of them open with a spelling of the scheme and a space, so that many do carry a token.
      const header = (rand(2) ? parts[rand(4)]! + [" ", "\t", " \t "][rand(3)] : "") + Array.from({ length: 1 + rand(5) }, () => parts[rand(parts.length)]).join("");
      const expected = rule(header);
      if (expected !== undefined) tokens++;
      expect({ header, token: bearerToken(header) }).toEqual({ header, token: expected });
    }
    expect(tokens).toBeGreaterThan(2_000);
  });
});

describe("roomPasswordProblem", () => {
  test("printable ASCII with inner spaces is fine; wider characters or outer spaces are not (a header could not carry them)", () => {
    for (const ok of ["pw", "open sesame", "!~#$%&'()*+,-./:;<=>?@[]^_`{|}"]) expect(roomPasswordProblem(ok)).toBeUndefined();
    for (const bad of ["café-9x", "日本語", " lead-9x", "trail-9x ", "tab\t9x", "new\n9x", ""]) {
      expect(roomPasswordProblem(bad)).toContain("printable ASCII");
      if (bad) expect(roomPasswordProblem(bad)).not.toContain(bad);
    }
  });
});

describe("addressKey", () => {
  test("IPv4 as is, IPv4-mapped unwrapped, IPv6 by /64, none is local", () => {
    expect(addressKey("203.0.113.7")).toBe("203.0.113.7");
    expect(addressKey("::ffff:203.0.113.7")).toBe("203.0.113.7");
    expect(addressKey("2001:db8:1:2:aaaa:bbbb:cccc:dddd")).toBe("2001:db8:1:2::/64");
    expect(addressKey("2001:DB8:1:2::1")).toBe("2001:db8:1:2::/64");
    expect(addressKey("2001:db8::1")).toBe("2001:db8:0:0::/64");
    expect(addressKey("fe80::1%eth0")).toBe("fe80:0:0:0::/64");
    expect(addressKey("::1")).toBe("0:0:0:0::/64");
    expect(addressKey("::")).toBe("0:0:0:0::/64");
    expect(addressKey(undefined)).toBe("local");
  });
});

describe("FailureLimiter", () => {
  test("N failures in the window → 429 with Retry-After for the block; then a fresh budget", () => {
    const c = clock();
    const blocked: string[] = [];
    const l = new FailureLimiter(limits, c.now, (key) => blocked.push(key));
    for (let i = 0; i < 3; i++) {
      l.assertAllowed("a");
      l.recordFailure("a");
    }
    let e!: AccessError;
    try {
      l.assertAllowed("a");
    } catch (x) {
      e = x as AccessError;
    }
    expect(e.status).toBe(429);
    expect(e.code).toBe("too_many_failed_attempts");
    expect(e.type).toBe("rate_limit_error");
    expect(e.headers["retry-after"]).toBe("30");
    expect(blocked).toEqual(["a"]);
    // Another address is not affected.
    l.assertAllowed("b");
    c.advance(20_000);
    try {
      l.assertAllowed("a");
    } catch (x) {
      e = x as AccessError;
    }
    expect(e.headers["retry-after"]).toBe("10");
    c.advance(10_000);
    l.assertAllowed("a");
    l.recordFailure("a");
    l.assertAllowed("a"); // one failure of a fresh budget
  });

  test("failures spread over more than the window never block", () => {
    const c = clock();
    const l = new FailureLimiter(limits, c.now);
    for (let i = 0; i < 10; i++) {
      l.assertAllowed("a");
      l.recordFailure("a");
      l.recordFailure("a");
      c.advance(10_000);
    }
    l.assertAllowed("a");
  });

  test("verifications under way count: a burst cannot overtake the budget", async () => {
    const l = new FailureLimiter(limits, clock().now);
    const gates: (() => void)[] = [];
    const slow = () => new Promise<boolean>((resolve) => gates.push(() => resolve(false)));
    const running = [0, 1, 2].map(() => {
      l.assertAllowed("a");
      return l.track("a", slow);
    });
    expect(() => l.assertAllowed("a")).toThrow(AccessError);
    gates.forEach((g) => g());
    expect(await Promise.all(running)).toEqual([false, false, false]);
    expect(() => l.assertAllowed("a")).toThrow(AccessError);
  });

  test("memory stays bounded: the oldest addresses are forgotten", () => {
    const l = new FailureLimiter({ ...limits, maxAddresses: 100 }, clock().now);
    for (let i = 0; i < 1000; i++) l.recordFailure(`10.0.${i >> 8}.${i & 255}`);
    expect(l.size).toBe(100);
  });

  test("entries expire after window + block", () => {
    const c = clock();
    const l = new FailureLimiter(limits, c.now);
    l.recordFailure("a");
    c.advance(limits.windowMs + limits.blockMs + 1);
    l.prune();
    expect(l.size).toBe(0);
  });
});

describe("AccessGate: room passwords", () => {
  test("open rooms pass without a header; protected rooms say what to send, never what was sent", async () => {
    const gate = new AccessGate({ now: clock().now, limits });
    await gate.requireRoomPassword(await room(null), req(), "1.1.1.1");
    const r = await room("s3cret-pw");
    const missing = await errorOf(gate.requireRoomPassword(r, req(), "1.1.1.1"));
    expect(missing.status).toBe(401);
    expect(missing.code).toBe("room_password_required");
    expect(missing.message).toContain("Authorization: Bearer <room password>");
    expect(missing.headers["www-authenticate"]).toBe('Bearer realm="gambi room ABCDEF"');
    const wrong = await errorOf(gate.requireRoomPassword(r, req("Bearer guess-XYZ"), "1.1.1.1"));
    expect(wrong.code).toBe("invalid_room_password");
    expect(wrong.type).toBe("authentication_error");
    expect(JSON.stringify(wrong.toJSON())).not.toContain("guess-XYZ");
    await gate.requireRoomPassword(r, req("Bearer s3cret-pw"), "1.1.1.1");
  });

  test("a verified password is remembered: the second request runs no argon2; the cache holds no password", async () => {
    const gate = new AccessGate({ now: clock().now, limits });
    const r = await room("s3cret-pw");
    await countingArgon2(async (runs) => {
      await Promise.all([1, 2, 3].map(() => gate.requireRoomPassword(r, req("Bearer s3cret-pw"), "1.1.1.1")));
      expect(runs()).toBe(1); // concurrent first requests share one verification
      await gate.requireRoomPassword(r, req("Bearer s3cret-pw"), "1.1.1.1");
      expect(runs()).toBe(1);
      expect(gate.verifiedCount).toBe(1);
      // The same password is not valid for another room with another password.
      const other = await room("different", "GHJKLM");
      await errorOf(gate.requireRoomPassword(other, req("Bearer s3cret-pw"), "1.1.1.1"));
    });
    expect(Bun.inspect(gate)).not.toContain("s3cret-pw");
  });

  test("wrong passwords are counted per address; a blocked address gets 429 even with the right one", async () => {
    const c = clock();
    const gate = new AccessGate({ now: c.now, limits });
    const r = await room("right");
    await gate.requireRoomPassword(r, req("Bearer right"), "9.9.9.9"); // cached from now on
    for (let i = 0; i < 3; i++) expect((await errorOf(gate.requireRoomPassword(r, req(`Bearer wrong${i}`), "9.9.9.9"))).status).toBe(401);
    const blocked = await errorOf(gate.requireRoomPassword(r, req("Bearer right"), "9.9.9.9"));
    expect(blocked.status).toBe(429);
    expect(blocked.headers["retry-after"]).toBe("30");
    // Missing headers are not guesses; a join password is counted like a bearer.
    await gate.requireRoomPassword(r, req("Bearer right"), "8.8.8.8");
    expect(await gate.verifyJoinPassword(r, "nope", "8.8.8.8")).toBe(false);
    c.advance(30_000);
    await gate.requireRoomPassword(r, req("Bearer right"), "9.9.9.9");
  });
});

describe("AccessGate: the same wrong secret again", () => {
  test("a client retrying one mistyped password (Claude Code retries a 401) is one failure, and runs argon2 once; different guesses still block", async () => {
    const gate = new AccessGate({ now: clock().now, limits });
    const r = await room("right");
    await countingArgon2(async (runs) => {
      for (let i = 0; i < 10; i++) expect((await errorOf(gate.requireRoomPassword(r, req("Bearer mistyped"), "7.7.7.7"))).status).toBe(401);
      expect(runs()).toBe(1);
      await gate.requireRoomPassword(r, req("Bearer right"), "7.7.7.7");
      // The same wrong password from another address is that address's one failure.
      expect((await errorOf(gate.requireRoomPassword(r, req("Bearer mistyped"), "6.6.6.6"))).status).toBe(401);
      expect(runs()).toBe(2); // the right one, once
      // Guessing is trying different ones: two more, and the address is blocked (3 in all).
      for (const guess of ["guess-a", "guess-b"]) expect((await errorOf(gate.requireRoomPassword(r, req(`Bearer ${guess}`), "7.7.7.7"))).status).toBe(401);
      expect((await errorOf(gate.requireRoomPassword(r, req("Bearer right"), "7.7.7.7"))).status).toBe(429);
    });
    expect(Bun.inspect(gate)).not.toContain("mistyped");
  });

  test("the same for tokens: one wrong hub token repeated is one failure; the limiter holds marks, never the token", () => {
    const gate = new AccessGate({ now: clock().now, token: "hub-tok-123", limits });
    for (let i = 0; i < 10; i++) expect(() => gate.requireHubToken(req("Bearer hub-tok-12"), "5.5.5.5")).toThrow(AccessError);
    gate.requireHubToken(req("Bearer hub-tok-123"), "5.5.5.5");
    expect(Bun.inspect(gate.limiter, { depth: 10 })).not.toContain("hub-tok-12");
  });
});

describe("AccessGate: hub token", () => {
  test("no token: nothing required", () => {
    const gate = new AccessGate({ now: clock().now });
    expect(gate.tokenRequired).toBe(false);
    gate.requireHubToken(req(), "1.1.1.1");
  });

  test("token: missing 401, wrong 401 (counted), right passes", async () => {
    const gate = new AccessGate({ now: clock().now, token: "hub-tok-123", limits });
    expect((await errorOf(() => gate.requireHubToken(req(), "1.1.1.1"))).code).toBe("hub_token_required");
    const wrong = await errorOf(() => gate.requireHubToken(req("Bearer hub-tok-12"), "1.1.1.1"));
    expect(wrong.code).toBe("invalid_hub_token");
    expect(wrong.message).not.toContain("hub-tok");
    gate.requireHubToken(req("Bearer hub-tok-123"), "1.1.1.1");
    for (let i = 0; i < 2; i++) await errorOf(() => gate.requireHubToken(req(`Bearer guess${i}`), "1.1.1.1"));
    expect((await errorOf(() => gate.requireHubToken(req("Bearer hub-tok-123"), "1.1.1.1"))).status).toBe(429);
  });
});

describe("fairnessKey (the queue's fairness key)", () => {
  const server = (address: string) => ({ requestIP: () => ({ address }) });
  const keyOf = (seed: number, passwordProtected: boolean, request: Request, srv: ReturnType<typeof server> | null) => {
    const token = callerToken(passwordProtected, request);
    return token !== undefined ? fairnessKey(seed, "t:", token) : fairnessKey(seed, "a:", callerAddress(request, srv));
  };

  test("an open room's bearer names its caller: a seeded hash, never the token, the same for the same token", () => {
    const a = keyOf(7, false, req("Bearer nightly-eval"), server("10.0.0.1"));
    expect(a).toStartWith("t:");
    expect(a).not.toContain("nightly-eval");
    expect(keyOf(7, false, req("Bearer nightly-eval"), server("10.0.0.2"))).toBe(a);
    expect(keyOf(7, false, req("Bearer other"), server("10.0.0.1"))).not.toBe(a);
    // Under another hub's seed the same token is another key: it means nothing outside this hub.
    expect(keyOf(8, false, req("Bearer nightly-eval"), null)).not.toBe(a);
  });

  test("a password-protected room's bearer is everyone's password: there, and without a token, the address (IPv6 by its /64)", () => {
    expect(keyOf(7, true, req("Bearer the-room-password"), server("192.168.1.9"))).toBe("a:192.168.1.9");
    expect(keyOf(7, false, req(), server("2001:db8:1:2:aaaa::1"))).toBe("a:2001:db8:1:2::/64");
    expect(keyOf(7, true, req("Bearer x"), server("2001:db8:1:2:bbbb::7"))).toBe("a:2001:db8:1:2::/64");
    expect(keyOf(7, false, req(), null)).toBe("a:local");
  });
});

describe("addressOnce", () => {
  test("the request's address is asked of the server once, however often it is read (a system call each time in Bun)", () => {
    let asked = 0;
    const server = { requestIP: () => (asked++, { address: "10.0.0.7" }) };
    const once = addressOnce(server)!;
    const request = new Request("http://hub/");
    expect([once.requestIP(request)?.address, once.requestIP(request)?.address, once.requestIP(request)?.address]).toEqual(["10.0.0.7", "10.0.0.7", "10.0.0.7"]);
    expect(asked).toBe(1);
    // No address (a closed request, a Unix socket) is an answer too: not asked again.
    const none = addressOnce({ requestIP: () => (asked++, null) })!;
    expect([none.requestIP(request), none.requestIP(request)]).toEqual([null, null]);
    expect(asked).toBe(2);
    expect(addressOnce(null)).toBeNull();
  });
});
