/**
 * shapeUpstreamError: a participant's HTTP error body, passed on byte for byte when it is already
 * in OpenAI's envelope (recorded Ollama, OpenRouter, Groq and OpenAI bodies), wrapped in that
 * envelope otherwise, and never carrying a participant's secret.
 */
import { describe, expect, test } from "bun:test";
import { shapeUpstreamError } from "../../src/proxy/upstream-error.ts";
import { fixtureStatus, loadFixtures } from "../helpers/fixtures.ts";

const KEY = "sk-or-v1-0123456789abcdef";
const SECRETS = [`Bearer ${KEY}`];

describe("OpenAI-shaped bodies (recordings) pass through byte for byte", () => {
  const errorBodies = loadFixtures().filter((f) => !f.stream && fixtureStatus(f.name) !== 200);

  test("the seven recorded error bodies are found", () => {
    expect(errorBodies.map((f) => f.name).sort()).toEqual([
      "chat/groq-tool-use-failed-400.json",
      "chat/llamacpp-tiny-context-exceeded-400.json",
      "chat/ollama-error-model-not-found.json",
      "chat/openrouter-error-429.json",
      "responses/llamacpp-tiny-context-exceeded-400.json",
      "responses/llamacpp-tiny-previous-response-id-400.json",
      "responses/openai-error-quota.json",
    ]);
  });

  test.each(errorBodies.map((f) => [f.name, f] as const))("%s", (_name, fixture) => {
    const raw = new TextDecoder().decode(fixture.bytes);
    const shaped = shapeUpstreamError(fixtureStatus(fixture.name), raw, "participant alice", SECRETS);
    expect(shaped.body).toBe(raw);
    expect(shaped.message).toBe(JSON.parse(raw).error.message);
  });

  test("message is read from error.message exactly", () => {
    const raw = '{"error":{"message":"model \\"x\\" not found, try pulling it first","type":"api_error","param":null,"code":null}}';
    expect(shapeUpstreamError(404, raw, "ollama", [])).toEqual({ body: raw, message: 'model "x" not found, try pulling it first' });
  });
});

describe("other bodies are wrapped in OpenAI's envelope", () => {
  const wrapped = (status: number, raw: string, label = "participant bob") => {
    const shaped = shapeUpstreamError(status, raw, label, SECRETS);
    const body = JSON.parse(shaped.body);
    expect(Object.keys(body)).toEqual(["error"]);
    expect(body.error.message).toBe(shaped.message);
    expect(body.error.code).toBe(`upstream_${status}`);
    expect(body.error.param).toBeNull();
    return body.error as { message: string; type: string };
  };

  test("`{\"error\": \"string\"}` (old gambi, some servers) uses the string", () => {
    const e = wrapped(500, '{"error":"model crashed"}');
    expect(e.message).toBe("participant bob answered HTTP 500: model crashed");
    expect(e.type).toBe("server_error");
  });

  test("FastAPI-style `{\"detail\": ...}` keeps the text as the detail", () => {
    const e = wrapped(422, '{"detail":"Not Found"}');
    expect(e.message).toBe('participant bob answered HTTP 422: {"detail":"Not Found"}');
    expect(e.type).toBe("invalid_request_error");
  });

  test("an error object without a string message is wrapped", () => {
    const e = wrapped(400, '{"error":{"message":42}}');
    expect(e.message).toBe('participant bob answered HTTP 400: {"error":{"message":42}}');
  });

  test("HTML and plain text are trimmed and cut at 500 characters", () => {
    const html = `\n  <html><body>${"x".repeat(1000)}</body></html>  \n`;
    const e = wrapped(502, html);
    expect(e.type).toBe("upstream_error");
    expect(e.message).toBe(`participant bob answered HTTP 502: ${html.trim().slice(0, 500)}`);
    expect(wrapped(503, "  Service Unavailable\n").message).toBe("participant bob answered HTTP 503: Service Unavailable");
  });

  test("an empty body gives a message without a trailing colon", () => {
    expect(wrapped(504, "").message).toBe("participant bob answered HTTP 504");
    expect(wrapped(504, " \n ").message).toBe("participant bob answered HTTP 504");
  });

  test("JSON scalars and arrays are wrapped as text", () => {
    expect(wrapped(500, "null").message).toBe("participant bob answered HTTP 500: null");
    expect(wrapped(500, '"oops"').message).toBe('participant bob answered HTTP 500: "oops"');
    expect(wrapped(500, "[1,2]").message).toBe("participant bob answered HTTP 500: [1,2]");
  });

  test.each([
    [401, "authentication_error"],
    [403, "permission_error"],
    [404, "not_found_error"],
    [429, "rate_limit_error"],
    [418, "invalid_request_error"],
    [500, "server_error"],
    [529, "server_error"],
  ])("HTTP %d → type %s", (status, type) => {
    expect(wrapped(status, "x").type).toBe(type);
  });
});

describe("secrets are redacted", () => {
  test("in a passed-through OpenAI-shaped body, including the message", () => {
    const raw = JSON.stringify({ error: { message: `Incorrect API key provided: ${KEY}.`, type: "invalid_request_error", code: "invalid_api_key", param: null } });
    const shaped = shapeUpstreamError(401, raw, "p", SECRETS);
    expect(shaped.body).not.toContain(KEY);
    expect(shaped.message).toBe("Incorrect API key provided: [redacted].");
    expect(shaped.body).toBe(raw.replace(KEY, "[redacted]"));
  });

  test("in a wrapped body, every occurrence, with and without the Bearer prefix", () => {
    const raw = `rejected Authorization: Bearer ${KEY}; key=${KEY}`;
    const shaped = shapeUpstreamError(401, raw, "p", SECRETS);
    expect(shaped.body).not.toContain(KEY);
    expect(shaped.message).not.toContain(KEY);
    expect(shaped.message).toBe("p answered HTTP 401: rejected Authorization: [redacted]; key=[redacted]");
  });

  test("several auth header values are all redacted", () => {
    const shaped = shapeUpstreamError(403, "bad x-api-key AKIA-1234 and token ghp_abcd", "p", ["AKIA-1234", "Token ghp_abcd"]);
    expect(shaped.message).toBe("p answered HTTP 403: bad x-api-key [redacted] and token [redacted]");
  });

  test("redaction happens before the 500-character cut, so a key at the edge cannot leak", () => {
    const raw = `${"y".repeat(490)}${KEY}`;
    const shaped = shapeUpstreamError(500, raw, "p", SECRETS);
    expect(shaped.message).not.toContain(KEY.slice(0, 10));
    expect(shaped.message.endsWith("[redacted]")).toBe(true);
  });

  test("redacting a key that makes a JSON body still parse keeps it passed through", () => {
    const raw = `{"error":{"message":"key ${KEY} revoked"}}`;
    expect(shapeUpstreamError(401, raw, "p", SECRETS)).toEqual({
      body: '{"error":{"message":"key [redacted] revoked"}}',
      message: "key [redacted] revoked",
    });
  });
});
