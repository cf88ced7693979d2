/**
 * A client that stops sending its request body half-way (a laptop that sleeps mid-upload, a
 * broken proxy, or someone holding sockets open on purpose). The hub serves with Bun's idle
 * timeout off (streams may be silent for minutes), so without deadlines of its own such a
 * request held its connection forever. body.ts gives a body with a declared length its window
 * (`bodyWindowMs`) plus a second per 16 KiB, under Bun's own per-request deadline, which closes
 * the connection; a chunked body, or a declared one too large for that deadline, may be silent
 * for the window, then gets a 408
 * `request_timeout` in the route's own error shape and the connection closed. The deadline is
 * lifted once the body is read: an answer may take as long as the model does.
 * Real sockets against a hub on port 0; every wait has a deadline. Bun's per-request deadline
 * is counted in whole seconds on a coarse clock, so the closes are awaited for up to 10 s.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { connect } from "node:net";
import { startTestHub, type TestHub } from "../helpers/hub.ts";
import { startFakeUpstream, type FakeUpstream } from "../helpers/fake-upstream.ts";
import { declaredBodySeconds, MAX_DEADLINE_S, MIN_BODY_RATE } from "../../src/hub/body.ts";

let hub: TestHub | undefined;
let upstream: FakeUpstream | undefined;
afterEach(async () => {
  await hub?.stop();
  await upstream?.stop();
  hub = undefined;
  upstream = undefined;
});

interface RawAnswer {
  text: string;
  /** The hub closed the connection (it did not wait for the rest of the body). */
  closed: boolean;
}

/**
 * Sends `head` and then `parts` one after another, `gapMs` apart, and never the rest; resolves
 * when the hub closes the connection, or after `deadlineMs` with what came so far.
 */
function sendStalled(port: number, head: string, parts: string[], opts: { gapMs?: number; deadlineMs?: number } = {}): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    let text = "";
    const deadline = setTimeout(() => {
      socket.destroy();
      resolve({ text, closed: false });
    }, opts.deadlineMs ?? 10_000);
    socket.on("data", (d) => (text += d.toString("utf8")));
    socket.on("error", (err) => {
      clearTimeout(deadline);
      reject(err);
    });
    socket.on("close", () => {
      clearTimeout(deadline);
      resolve({ text, closed: true });
    });
    socket.write(head);
    let i = 0;
    const next = () => {
      if (i >= parts.length || socket.destroyed) return;
      socket.write(parts[i++]!);
      setTimeout(next, opts.gapMs ?? 0);
    };
    next();
  });
}

const bodyOf = (answer: RawAnswer) => JSON.parse(answer.text.slice(answer.text.indexOf("\r\n\r\n") + 4)) as Record<string, unknown>;
const statusOf = (answer: RawAnswer) => Number(answer.text.slice(9, 12));

const head = (path: string, length: number | "chunked") =>
  `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n` +
  (length === "chunked" ? "Transfer-Encoding: chunked\r\n" : `Content-Length: ${length}\r\n`) +
  "\r\n";

describe("a request body that stops arriving", () => {
  test("a declared length: its window, then a second per 16 KiB", () => {
    expect(declaredBodySeconds(1_000, 30_000)).toBe(31);
    expect(declaredBodySeconds(0, 30_000)).toBe(30);
    expect(declaredBodySeconds(32 * 1024 * 1024, 30_000)).toBe(30 + (32 * 1024 * 1024) / MIN_BODY_RATE);
    expect(declaredBodySeconds(10, 300)).toBe(1);
    // Past Bun's longest deadline a body is read by its silences instead (the large-body test below).
    expect(declaredBodySeconds(4 * 1024 * 1024, 30_000)).toBeGreaterThan(MAX_DEADLINE_S);
  });

  test("a declared body too large for Bun's deadline, stalled: read by its silences, a 408 and the connection closed", async () => {
    hub = startTestHub({ bodyWindowMs: 300, maxRequestBodySize: 64 * 1024 * 1024 });
    const code = await hub.createRoom();
    const answer = await sendStalled(hub.port, head(`/rooms/${code}/v1/chat/completions`, 8 * 1024 * 1024), ['{"model":"tiny","messages":[']);
    expect(answer.closed).toBe(true);
    expect(statusOf(answer)).toBe(408);
    expect((bodyOf(answer).error as Record<string, unknown>).code).toBe("request_timeout");
  });

  test("an inference request with a declared length: its connection is closed at the deadline", async () => {
    hub = startTestHub({ bodyWindowMs: 300 });
    const code = await hub.createRoom();
    const answer = await sendStalled(hub.port, head(`/rooms/${code}/v1/chat/completions`, 1000), ['{"model":"tiny","messages":['], { deadlineMs: 10_000 });
    expect(answer.closed).toBe(true);
  }, 15_000);

  test("a hub route read by Elysia (create a room) with a declared length: the same", async () => {
    hub = startTestHub({ bodyWindowMs: 300 });
    const answer = await sendStalled(hub.port, head("/rooms", 500), ['{"na'], { deadlineMs: 10_000 });
    expect(answer.closed).toBe(true);
  }, 15_000);

  test("the deadline ends with the body: an answer slower than it arrives, on a reused connection too", async () => {
    hub = startTestHub({ bodyWindowMs: 300 });
    upstream = startFakeUpstream({ models: ["slow"] });
    let calls = 0;
    upstream.handle(async () => {
      // The second answer takes longer than the body's deadline (1 s, counted on Bun's 4 s clock) could.
      if (++calls === 2) await Bun.sleep(6_000);
      return Response.json({ id: "c", object: "chat.completion", choices: [{ index: 0, message: { role: "assistant", content: "worth the wait" } }] });
    });
    const code = await hub.createRoom();
    expect((await hub.join(code, { nickname: "slow", model: "slow", endpoint: upstream.url })).status).toBe(201);
    const body = JSON.stringify({ model: "slow", messages: [{ role: "user", content: "take your time" }] });
    // fetch keeps the connection alive: the second request comes on the same socket.
    for (let i = 0; i < 2; i++) {
      const res = await fetch(`${hub.url}/rooms/${code}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body });
      expect(res.status).toBe(200);
      expect(await res.text()).toContain("worth the wait");
    }
  }, 20_000);

  test("a chunked Messages request: 408 request_timeout in Anthropic's shape, connection closed", async () => {
    hub = startTestHub({ bodyWindowMs: 300 });
    const code = await hub.createRoom();
    const answer = await sendStalled(hub.port, head(`/rooms/${code}/v1/messages`, "chunked"), ['5\r\n{"mod\r\n']);
    expect(answer.closed).toBe(true);
    expect(statusOf(answer)).toBe(408);
    expect(answer.text.toLowerCase()).toContain("connection: close");
    const body = bodyOf(answer);
    expect(body.type).toBe("error");
    expect((body.error as Record<string, unknown>).type).toBeString();
    expect(String((body.error as Record<string, unknown>).message)).toContain("0.3 s");
  });

  test("a chunked chat request and a chunked hub route (create a room): 408 request_timeout in OpenAI's envelope", async () => {
    hub = startTestHub({ bodyWindowMs: 300 });
    const code = await hub.createRoom();
    for (const [path, piece] of [[`/rooms/${code}/v1/chat/completions`, '5\r\n{"mod\r\n'], ["/rooms", '4\r\n{"na\r\n']] as const) {
      const answer = await sendStalled(hub.port, head(path, "chunked"), [piece]);
      expect(answer.closed).toBe(true);
      expect(statusOf(answer)).toBe(408);
      const error = bodyOf(answer).error as Record<string, unknown>;
      expect(error.code).toBe("request_timeout");
      expect(error.type).toBe("invalid_request_error");
    }
  });

  test("a chunked body that keeps arriving, slowly, is read whole: its deadline is a silence, not a total", async () => {
    hub = startTestHub({ bodyWindowMs: 2_000 });
    const body = JSON.stringify({ name: "a room sent slowly" });
    // One byte a chunk, every 100 ms: the body takes about three seconds, longer than the window, never silent for long.
    const parts = [...[...body].map((c) => `1\r\n${c}\r\n`), "0\r\n\r\n"];
    const answer = await sendStalled(hub.port, head("/rooms", "chunked").replace("\r\n\r\n", "\r\nConnection: close\r\n\r\n"), parts, { gapMs: 100, deadlineMs: 20_000 });
    expect(statusOf(answer)).toBe(201);
    expect(((bodyOf(answer).room as Record<string, unknown>).name as string)).toBe("a room sent slowly");
  }, 25_000);
});
