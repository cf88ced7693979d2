/**
 * One `gambi chat` turn against a stubbed hub (a hub client over an injected fetch): text is handed on event by
 * event, the participant header is read, HTTP errors become exit codes, and a stream that
 * breaks or stops short is an error in the reply rather than a silent partial answer.
 */
import { describe, expect, test } from "bun:test";
import { createHubClient, exitCodeForStatus, HubError } from "../../src/client.ts";
import { exitCodeForStreamError, sendTurn, type TurnOptions } from "../../src/chat/reply.ts";
import { buildRequest } from "../../src/chat/request.ts";
import { loadFixtures } from "../helpers/fixtures.ts";

const fixture = (name: string) => loadFixtures().find((f) => f.name === name)!.bytes;

function streamOf(chunks: (string | Uint8Array)[], then: "close" | "die" = "close"): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream({
    pull(c) {
      if (i < chunks.length) {
        const x = chunks[i++]!;
        c.enqueue(typeof x === "string" ? new TextEncoder().encode(x) : x);
      } else if (then === "die") c.error(new Error("socket hang up"));
      else c.close();
    },
  });
}

function stub(res: () => Response | Promise<Response>, seen: { url?: string; body?: any } = {}): typeof fetch {
  return (async (url: string, init: RequestInit) => {
    seen.url = url;
    seen.body = JSON.parse(init.body as string);
    return res();
  }) as unknown as typeof fetch;
}

function opts(protocol: "chat" | "responses", stubFetch: typeof fetch, extra: Partial<TurnOptions> = {}): TurnOptions {
  let t = 0;
  return {
    client: createHubClient("http://hub.test/", { fetch: stubFetch }),
    code: "AB12CD",
    protocol,
    request: buildRequest(protocol, { model: "*", turns: [{ role: "user", content: "hi" }] }),
    now: () => (t += 10),
    ...extra,
  };
}

const sse = (body: ReadableStream<Uint8Array> | Uint8Array, headers: Record<string, string> = {}) =>
  new Response(body, { headers: { "content-type": "text/event-stream", "x-gambi-participant": "p-1", ...headers } });

describe("sendTurn", () => {
  test("Responses: text handed on piece by piece, participant, usage, id; request goes to the room's /v1/responses", async () => {
    const seen: { url?: string; body?: any } = {};
    const pieces: string[] = [];
    const bytes = fixture("responses/openai-text.sse");
    // Split mid-event, so a piece of text can only be handed on once its event is complete.
    const chunks = [bytes.subarray(0, 1000), bytes.subarray(1000, 2500), bytes.subarray(2500)];
    const reply = await sendTurn(opts("responses", stub(() => sse(streamOf(chunks)), seen), { onText: (t) => pieces.push(t) }));
    expect(seen.url).toBe("http://hub.test/rooms/AB12CD/v1/responses");
    expect(seen.body).toEqual({ model: "*", stream: true, input: [{ role: "user", content: "hi" }] });
    expect(pieces.join("")).toBe("Oi!");
    expect(reply.text).toBe("Oi!");
    expect(reply.participantId).toBe("p-1");
    expect(reply.usage?.outputTokens).toBe(118);
    expect(reply.responseId).toStartWith("resp_");
    expect(reply.finishReason).toBe("completed");
    expect(reply.error).toBeUndefined();
    expect(reply.firstTokenAt).toBeGreaterThan(reply.startedAt);
    expect(reply.endedAt).toBeGreaterThanOrEqual(reply.firstTokenAt!);
  });

  test("Chat Completions: one onText call per content delta", async () => {
    const pieces: string[] = [];
    const reply = await sendTurn(opts("chat", stub(() => sse(fixture("chat/openai-text-usage.sse"))), { onText: (t) => pieces.push(t) }));
    expect(pieces.length).toBeGreaterThan(3);
    expect(pieces.join("")).toBe("The capital of the UK is London.");
    expect(reply.usage?.outputTokens).toBe(9);
    expect(reply.finishReason).toBe("stop");
  });

  test("in-band errors: the first one is kept; the quota failure is a provider error (exit 1)", async () => {
    const reply = await sendTurn(opts("responses", stub(() => sse(fixture("responses/openai-error-quota.sse")))));
    expect(reply.error?.message).toStartWith("You exceeded your current quota");
    expect(reply.error?.code).toBe("insufficient_quota");
    expect(exitCodeForStreamError(reply.error?.code)).toBe(1);
  });

  test("the connection to the hub dying mid-answer keeps the text so far and is exit 3", async () => {
    const reply = await sendTurn(opts("chat", stub(() => sse(streamOf(['data: {"choices":[{"index":0,"delta":{"content":"Hel"}}]}\n\n'], "die")))));
    expect(reply.text).toBe("Hel");
    expect(reply.error?.code).toBe("hub_disconnected");
    expect(reply.error?.message).toContain("broke off");
    expect(exitCodeForStreamError(reply.error?.code)).toBe(3);
  });

  test("the hub's own cut-off events mid-answer (timeout, truncated) are exit 3, as a broken connection is", async () => {
    const chat = await sendTurn(
      opts("chat", stub(() => sse(streamOf(['data: {"choices":[{"index":0,"delta":{"content":"Hel"}}]}\n\n', 'data: {"error":{"message":"p1: no data for 30 s","type":"upstream_error","code":"upstream_timeout","param":null}}\n\n'])))),
    );
    expect(chat.text).toBe("Hel");
    expect(chat.error).toEqual({ message: "p1: no data for 30 s", code: "upstream_timeout" });
    expect(exitCodeForStreamError(chat.error?.code)).toBe(3);
    const responses = await sendTurn(
      opts("responses", stub(() => sse(streamOf(['data: {"type":"response.output_text.delta","delta":"Hi"}\n\n', 'event: error\ndata: {"type":"error","code":"upstream_truncated","message":"p1: the stream ended in the middle of an event","param":null}\n\n'])))),
    );
    expect(responses.error?.code).toBe("upstream_truncated");
    expect(exitCodeForStreamError(responses.error?.code)).toBe(3);
  });

  test("a Responses stream that stops without a terminal event is reported as cut short", async () => {
    const reply = await sendTurn(opts("responses", stub(() => sse(streamOf(['data: {"type":"response.output_text.delta","delta":"Hi"}\n\n'])))));
    expect(reply.text).toBe("Hi");
    expect(reply.error?.code).toBe("stream_truncated");
  });

  test("a chat stream without [DONE] is fine (TGI)", async () => {
    const reply = await sendTurn(opts("chat", stub(() => sse(fixture("chat/hf-tgi-text-no-done.sse")))));
    expect(reply.error).toBeUndefined();
    expect(reply.text).toContain("1 + 1 is 2");
  });

  test("a JSON body instead of a stream is read whole", async () => {
    const body = fixture("chat/openai-text.json");
    const reply = await sendTurn(opts("chat", stub(() => new Response(body, { headers: { "content-type": "application/json" } }))));
    expect(reply.text.length).toBeGreaterThan(0);
    expect(reply.usage?.outputTokens).toBeNumber();
  });

  test("HTTP errors: the hub's message, 4 for 4xx, 3 for 5xx", async () => {
    const envelope = (status: number, message: string, code: string) => () => Response.json({ error: { message, type: "x", code, param: null } }, { status });
    const cases: [number, string, number][] = [
      [404, "room_not_found", 4],
      [404, "model_not_found", 4],
      [400, "unsupported_protocol", 4],
      [503, "no_participant_available", 3],
      [502, "upstream_unreachable", 3],
    ];
    for (const [status, code, exit] of cases) {
      const err = await sendTurn(opts("chat", stub(envelope(status, `msg ${code}`, code)))).catch((e) => e);
      expect(err).toBeInstanceOf(HubError);
      expect(err.message).toBe(`msg ${code}`);
      expect(err.code).toBe(code);
      expect(err.exitCode).toBe(exit);
    }
    const plain = await sendTurn(opts("chat", stub(() => new Response("Bad Gateway", { status: 502 })))).catch((e) => e);
    expect(plain.message).toBe("the hub answered HTTP 502: Bad Gateway");
    expect(exitCodeForStatus(401)).toBe(4);
    expect(exitCodeForStatus(409)).toBe(4);
  });

  test("an unreachable hub is exit 3 and names the URL", async () => {
    const refused = (() => Promise.reject(new TypeError("Unable to connect. Is the computer able to access the url?"))) as unknown as typeof fetch;
    const err = await sendTurn(opts("responses", refused)).catch((e) => e);
    expect(err).toBeInstanceOf(HubError);
    expect(err.exitCode).toBe(3);
    expect(err.message).toStartWith("cannot reach the hub at http://hub.test:");
  });

  test("a hub that takes the connection and never answers: said in words, not as ofetch's TimeoutError", async () => {
    const silent = Bun.serve({ port: 0, hostname: "127.0.0.1", idleTimeout: 0, fetch: () => new Promise<Response>(() => {}) });
    try {
      const url = `http://127.0.0.1:${silent.port}`;
      const err = await createHubClient(url, { timeoutMs: 200 }).listRooms().catch((e) => e);
      expect(err).toBeInstanceOf(HubError);
      expect(err.exitCode).toBe(3);
      expect(err.message).toBe(`cannot reach the hub at ${url}: it did not answer in time (is it running, and awake?)`);
    } finally {
      silent.stop(true);
    }
  });

  test("an abort is passed through untouched (the command turns it into exit 130)", async () => {
    const ac = new AbortController();
    const hanging = (async (_url: string, init: RequestInit) =>
      new Response(
        new ReadableStream({
          start(c) {
            c.enqueue(new TextEncoder().encode('data: {"choices":[{"index":0,"delta":{"content":"a"}}]}\n\n'));
            init.signal!.addEventListener("abort", () => c.error(new DOMException("aborted", "AbortError")));
          },
        }),
        { headers: { "content-type": "text/event-stream" } },
      )) as unknown as typeof fetch;
    const pending = sendTurn(opts("chat", hanging, { signal: ac.signal, onText: () => ac.abort() }));
    const err = await pending.catch((e) => e);
    expect(err).not.toBeInstanceOf(HubError);
    expect(ac.signal.aborted).toBe(true);
  });
});

test("exitCodeForStreamError: one code per class — cut off on its way 3, anything else (the provider's own error) 1", () => {
  for (const code of ["upstream_disconnected", "hub_disconnected", "upstream_timeout", "upstream_truncated", "upstream_incomplete", "stream_truncated", "hub_shutting_down"]) {
    expect(exitCodeForStreamError(code)).toBe(3);
  }
  for (const code of ["insufficient_quota", "400", "upstream_error", "server_error", "upstream_invalid_chunk", "upstream_protocol_error", undefined]) {
    expect(exitCodeForStreamError(code)).toBe(1);
  }
});

describe("buildRequest", () => {
  const turns = [
    { role: "user" as const, content: "hi" },
    { role: "assistant" as const, content: "hello" },
    { role: "user" as const, content: "again" },
  ];
  test("chat: system message first, usage asked for, the whole conversation", () => {
    expect(buildRequest("chat", { model: "m", system: "be brief", turns })).toEqual({
      path: "/v1/chat/completions",
      body: { model: "m", stream: true, stream_options: { include_usage: true }, messages: [{ role: "system", content: "be brief" }, ...turns] },
    });
  });
  test("responses: instructions, history as input messages (no previous_response_id)", () => {
    const req = buildRequest("responses", { model: "*", system: "be brief", turns });
    expect(req.path).toBe("/v1/responses");
    expect(req.body).toEqual({ model: "*", stream: true, input: turns, instructions: "be brief" });
    expect(req.body).not.toHaveProperty("previous_response_id");
  });
});
