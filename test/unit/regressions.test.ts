/** Bugs found by the unit sweep, each pinned by the input that showed it. */
import { describe, expect, test } from "bun:test";
import { SseDecoder } from "../../src/protocol/sse/decode.ts";
import { usageFromChat, usageFromResponses } from "../../src/protocol/observe.ts";
import { isLoopbackHost, normalizeBaseUrl } from "../../src/protocol/endpoint.ts";
import { validateAuthHeaders } from "../../src/proxy/headers.ts";
import { GambiError } from "../../src/protocol/openai/errors.ts";

const enc = new TextEncoder();

describe("SseDecoder", () => {
  test("an empty chunk between CR and LF keeps them one line ending", () => {
    const d = new SseDecoder();
    const events = [...d.push(enc.encode("data: a\r")), ...d.push(new Uint8Array(0)), ...d.push(enc.encode("\ndata: b\r\n\r\n")), ...d.end()];
    expect(events).toEqual([{ data: "a\nb" }]);
  });
});

describe("usage with zero counts", () => {
  test("chat usage with prompt_tokens 0 is kept", () => {
    expect(usageFromChat({ prompt_tokens: 0, completion_tokens: 5, total_tokens: 5 })).toEqual({ inputTokens: 0, outputTokens: 5, totalTokens: 5 });
  });
  test("responses usage with input_tokens 0 is kept", () => {
    expect(usageFromResponses({ input_tokens: 0, output_tokens: 2, total_tokens: 2 })).toEqual({ inputTokens: 0, outputTokens: 2, totalTokens: 2 });
  });
});

describe("secrets in rejected input are not echoed", () => {
  test.each(["https://u:sk-secret-abc@host:99999", "https://user:sk-secret-abc@[bad"])("malformed URL %p", (url) => {
    const err = (() => {
      try {
        normalizeBaseUrl(url);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(GambiError);
    expect((err as GambiError).message).not.toContain("sk-secret");
  });

  test("a header line pasted as a header name", () => {
    expect(() => validateAuthHeaders({ "Authorization: Bearer sk-secret-abc": "x" })).toThrow(GambiError);
    try {
      validateAuthHeaders({ "Authorization: Bearer sk-secret-abc": "x" });
    } catch (e) {
      expect((e as Error).message).not.toContain("sk-secret");
    }
  });
});

describe("isLoopbackHost", () => {
  test("a public name starting with 127. is not loopback", () => {
    expect(isLoopbackHost("http://127.example.com")).toBe(false);
  });
  test("IPv4-mapped loopback is loopback", () => {
    expect(isLoopbackHost("http://[::ffff:127.0.0.1]:8080")).toBe(true);
  });
});

describe("gambi hub --room-ttl", () => {
  test("a positive number of days, however small, is a positive TTL (0 would keep rooms forever); 0 is forever", async () => {
    const { parseDays } = await import("../../src/commands/hub.ts");
    expect(parseDays("0.0000000001", "--room-ttl")).toBe(1);
    expect(parseDays("0.5", "--room-ttl")).toBe(12 * 60 * 60 * 1000);
    expect(parseDays("0", "--room-ttl")).toBe(0);
    expect(() => parseDays("-1", "--room-ttl")).toThrow("--room-ttl must be a number of days");
  });
});
