/**
 * A client that stops sending its request body half-way (a laptop that sleeps mid-upload, a
 * broken proxy, or someone holding sockets open on purpose). The hub serves with Bun's idle
 * timeout off (streams may be silent for minutes), so without a deadline of its own such a
 * request held its connection forever. The hub gives a body `bodyIdleMs` without a byte, then
 * answers 408 `request_timeout` in the route's own error shape and closes the connection.
 * Real sockets against a hub on port 0; every wait has a deadline.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { connect } from "node:net";
import { startTestHub, type TestHub } from "../helpers/hub.ts";

let hub: TestHub | undefined;
afterEach(async () => {
  await hub?.stop();
  hub = undefined;
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
  test("an inference request with a declared length: 408 request_timeout in OpenAI's envelope, connection closed", async () => {
    hub = startTestHub({ bodyIdleMs: 300 });
    const code = await hub.createRoom();
    const answer = await sendStalled(hub.port, head(`/rooms/${code}/v1/chat/completions`, 1000), ['{"model":"tiny","messages":[']);
    expect(answer.closed).toBe(true);
    expect(statusOf(answer)).toBe(408);
    expect(answer.text.toLowerCase()).toContain("connection: close");
    const error = bodyOf(answer).error as Record<string, unknown>;
    expect(error.code).toBe("request_timeout");
    expect(error.type).toBe("invalid_request_error");
    expect(String(error.message)).toContain("0.3 s");
  });

  test("a Messages request: the same 408, in Anthropic's shape", async () => {
    hub = startTestHub({ bodyIdleMs: 300 });
    const code = await hub.createRoom();
    const answer = await sendStalled(hub.port, head(`/rooms/${code}/v1/messages`, "chunked"), ['5\r\n{"mod\r\n']);
    expect(answer.closed).toBe(true);
    expect(statusOf(answer)).toBe(408);
    const body = bodyOf(answer);
    expect(body.type).toBe("error");
    expect((body.error as Record<string, unknown>).type).toBeString();
  });

  test("a hub route read by Elysia (create a room), chunked: the same 408", async () => {
    hub = startTestHub({ bodyIdleMs: 300 });
    const answer = await sendStalled(hub.port, head("/rooms", "chunked"), ['4\r\n{"na\r\n']);
    expect(answer.closed).toBe(true);
    expect(statusOf(answer)).toBe(408);
    expect((bodyOf(answer).error as Record<string, unknown>).code).toBe("request_timeout");
  });

  test("a body that keeps arriving, slowly, is read whole: the deadline is a silence, not a total", async () => {
    hub = startTestHub({ bodyIdleMs: 2_000 });
    const body = JSON.stringify({ name: "a room sent slowly" });
    // One byte every 100 ms: the body takes about three seconds, longer than the deadline, never silent for long.
    const parts = [...body];
    const answer = await sendStalled(hub.port, head("/rooms", body.length).replace("\r\n\r\n", "\r\nConnection: close\r\n\r\n"), parts, { gapMs: 100, deadlineMs: 20_000 });
    expect(statusOf(answer)).toBe(201);
    expect(((bodyOf(answer).room as Record<string, unknown>).name as string)).toBe("a room sent slowly");
  });
});
