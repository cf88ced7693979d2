/**
 * Header hygiene: auth headers are checked once at join (names are tokens, values cannot smuggle
 * a CR/LF, transport headers cannot be set, a rejected value is never echoed), the client's own
 * Authorization never reaches a participant, and only a small allowlist flows back.
 */
import { describe, expect, test } from "bun:test";
import { clientResponseHeaders, SSE_HEADERS, upstreamRequestHeaders, validateAuthHeaders } from "../../src/proxy/headers.ts";
import { GambiError } from "../../src/protocol/openai/errors.ts";

function rejection(headers: Record<string, unknown>): GambiError {
  try {
    validateAuthHeaders(headers as Record<string, string>);
  } catch (err) {
    expect(err).toBeInstanceOf(GambiError);
    return err as GambiError;
  }
  throw new Error(`validateAuthHeaders(${JSON.stringify(headers)}) did not throw`);
}

describe("validateAuthHeaders", () => {
  test("undefined and empty give an empty set", () => {
    expect(validateAuthHeaders(undefined)).toEqual({});
    expect(validateAuthHeaders({})).toEqual({});
  });

  test("valid headers come back unchanged, as a copy", () => {
    const input = { Authorization: "Bearer sk-or-v1-abc", "x-api-key": "k", "HTTP-Referer": "https://x.dev", "X-Title": "gambi" };
    const out = validateAuthHeaders(input);
    expect(out).toEqual(input);
    expect(out).not.toBe(input);
  });

  test("every token character is allowed in a name", () => {
    const name = "!#$%&'*+-.^_`|~09azAZ";
    expect(validateAuthHeaders({ [name]: "v" })).toEqual({ [name]: "v" });
  });

  test("an empty value and values with tabs, quotes and non-ASCII are allowed", () => {
    const h = { a: "", b: "x\ty", c: '"quoted"', d: "çà" };
    expect(validateAuthHeaders(h)).toEqual(h);
  });

  test.each(["", "X Api Key", "x:api", "x-ä", "x\napi", "(x)", "a/b", "a@b", "a,b", "a\u0000b"])("bad name %p → 400 invalid_header", (name) => {
    const err = rejection({ [name]: "value" });
    expect(err.status).toBe(400);
    expect(err.code).toBe("invalid_header");
    expect(err.param).toBe("authHeaders");
    expect(err.message).toContain("not a valid HTTP header name");
  });

  test("a bad name is not echoed (it may be a pasted header line holding the key)", () => {
    const name = `bad name ${"z".repeat(200)}`;
    const err = rejection({ [name]: "v" });
    expect(err.message).toContain("not a valid HTTP header name");
    expect(err.message).not.toContain("zzz");
  });

  test.each([
    ["LF", "Bearer sk-secret-LF\nX-Injected: 1"],
    ["CR", "Bearer sk-secret-CR\rX"],
    ["CRLF", "Bearer sk-secret-CRLF\r\nX-Injected: 1"],
    ["NUL", "Bearer sk-secret-NUL\0"],
    ["trailing LF", "sk-secret-trailing\n"],
  ])("a value with %s is rejected without echoing the value", (_what, value) => {
    const err = rejection({ Authorization: value });
    expect(err.status).toBe(400);
    expect(err.code).toBe("invalid_header");
    expect(err.message).toContain('"Authorization"');
    expect(err.message).not.toContain("sk-secret");
    expect(err.message).not.toContain(value);
    expect(JSON.stringify(err.toJSON())).not.toContain("sk-secret");
  });

  test("non-string values are rejected", () => {
    for (const value of [1, null, undefined, { a: 1 }, ["x"]]) {
      expect(rejection({ "x-api-key": value }).code).toBe("invalid_header");
    }
  });

  test.each([
    "Host",
    "host",
    "Connection",
    "Keep-Alive",
    "Proxy-Authorization",
    "Proxy-Authenticate",
    "TE",
    "Trailer",
    "Transfer-Encoding",
    "Upgrade",
    "Content-Length",
    "content-encoding",
    "Set-Cookie",
    "Date",
    "Server",
  ])("transport header %s is rejected", (name) => {
    const err = rejection({ [name]: "x" });
    expect(err.status).toBe(400);
    expect(err.code).toBe("invalid_header");
    expect(err.message).toContain("transport header");
  });

  test("one bad header rejects the whole set", () => {
    expect(rejection({ Authorization: "Bearer ok", Host: "evil" }).message).toContain('"Host"');
  });
});

describe("upstreamRequestHeaders", () => {
  test("sets JSON content type, the accept value and identity encoding", () => {
    expect(upstreamRequestHeaders({}, undefined, "text/event-stream")).toEqual({
      "content-type": "application/json",
      accept: "text/event-stream",
      "accept-encoding": "identity",
    });
  });

  test("forwards only openai-beta and accept-language from the client", () => {
    const client = new Headers({
      authorization: "Bearer client-token",
      cookie: "a=b",
      "openai-beta": "assistants=v2",
      "accept-language": "pt-BR",
      "x-forwarded-for": "1.2.3.4",
      "accept-encoding": "gzip",
    });
    const h = upstreamRequestHeaders({}, client, "application/json");
    expect(h).toEqual({
      "content-type": "application/json",
      accept: "application/json",
      "accept-encoding": "identity",
      "openai-beta": "assistants=v2",
      "accept-language": "pt-BR",
    });
    expect(JSON.stringify(h)).not.toContain("client-token");
  });

  test("the participant's auth headers are added and win over client ones", () => {
    const client = new Headers({ "openai-beta": "from-client", authorization: "Bearer client" });
    const h = upstreamRequestHeaders({ Authorization: "Bearer participant", "openai-beta": "from-participant" }, client, "x");
    expect(h.Authorization).toBe("Bearer participant");
    expect(h["openai-beta"]).toBe("from-participant");
    expect(h.authorization).toBeUndefined();
  });

  test("a Messages call: anthropic-version 2023-06-01 unless the client names one; the client's anthropic-beta; never its x-api-key", () => {
    expect(upstreamRequestHeaders({}, undefined, "x", true)["anthropic-version"]).toBe("2023-06-01");
    const client = new Headers({ "anthropic-version": "2024-01-01", "anthropic-beta": "context-management-2025-06-27", "x-api-key": "room-password" });
    const h = upstreamRequestHeaders({ "x-api-key": "sk-ant-participant" }, client, "x", true);
    expect(h).toMatchObject({ "anthropic-version": "2024-01-01", "anthropic-beta": "context-management-2025-06-27", "x-api-key": "sk-ant-participant" });
    expect(JSON.stringify(h)).not.toContain("room-password");
    // Not a Messages call: none of them.
    const plain = upstreamRequestHeaders({}, client, "x");
    expect([plain["anthropic-version"], plain["anthropic-beta"], plain["x-api-key"]]).toEqual([undefined, undefined, undefined]);
  });

  test("the participant's own anthropic-version wins, in whatever case it is written, and is sent once", () => {
    const client = new Headers({ "anthropic-version": "2024-01-01" });
    const h = upstreamRequestHeaders({ "Anthropic-Version": "2099-01-01" }, client, "x", true);
    expect(h["Anthropic-Version"]).toBe("2099-01-01");
    expect(h["anthropic-version"]).toBeUndefined();
    expect(new Headers(h).get("anthropic-version")).toBe("2099-01-01");
  });
});

describe("clientResponseHeaders", () => {
  const upstream = new Headers({
    "content-type": "text/event-stream",
    "retry-after": "7",
    "x-request-id": "req_1",
    "request-id": "req_2",
    "openai-processing-ms": "12",
    "x-ratelimit-remaining-requests": "99",
    "x-ratelimit-reset-tokens": "1s",
    "set-cookie": "session=abc",
    server: "cloudflare",
    "content-length": "123",
    "content-encoding": "gzip",
    "transfer-encoding": "chunked",
    connection: "keep-alive",
    "cf-ray": "abc",
    "openai-organization": "org-secret",
  });

  test("keeps the allowlist and drops cookies, banners, transport and org headers", () => {
    const h = clientResponseHeaders(upstream, {});
    expect(h).toEqual({
      "content-type": "text/event-stream",
      "retry-after": "7",
      "x-request-id": "req_1",
      "request-id": "req_2",
      "openai-processing-ms": "12",
      "x-ratelimit-remaining-requests": "99",
      "x-ratelimit-reset-tokens": "1s",
    });
  });

  test("extra headers are added and override upstream ones", () => {
    const h = new Headers(clientResponseHeaders(upstream, { ...SSE_HEADERS, "x-gambi-participant": "p1" }));
    expect(h.get("content-type")).toBe("text/event-stream; charset=utf-8");
    expect(h.get("cache-control")).toBe("no-cache");
    expect(h.get("x-accel-buffering")).toBe("no");
    expect(h.get("x-gambi-participant")).toBe("p1");
    expect(h.get("set-cookie")).toBeNull();
  });

  test("header names are matched case-insensitively", () => {
    const h = new Headers(clientResponseHeaders(new Headers({ "Retry-After": "3", "X-RateLimit-Limit-Requests": "10", Server: "x" }), {}));
    expect(h.get("retry-after")).toBe("3");
    expect(h.get("x-ratelimit-limit-requests")).toBe("10");
    expect(h.get("server")).toBeNull();
  });
});
