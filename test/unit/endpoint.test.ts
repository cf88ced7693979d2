/**
 * Base URLs as users paste them (with or without /v1, with or without a trailing slash) must all
 * land on one stored form; anything that is not a plain http(s) URL is a 400 that says why.
 */
import { describe, expect, test } from "bun:test";
import { isLoopbackHost, normalizeBaseUrl, v1Url } from "../../src/protocol/endpoint.ts";
import { GambiError } from "../../src/protocol/openai/errors.ts";

function rejection(endpoint: string): GambiError {
  try {
    normalizeBaseUrl(endpoint);
  } catch (err) {
    expect(err).toBeInstanceOf(GambiError);
    return err as GambiError;
  }
  throw new Error(`normalizeBaseUrl(${JSON.stringify(endpoint)}) did not throw`);
}

describe("normalizeBaseUrl", () => {
  const providers = [
    "https://openrouter.ai/api",
    "https://api.groq.com/openai",
    "https://api.fireworks.ai/inference",
    "https://api.together.xyz",
    "http://localhost:11434",
  ];

  describe.each(providers)("%s", (base) => {
    test.each(["", "/", "//", "/v1", "/v1/", "/v1//"])("with suffix %p", (suffix) => {
      expect(normalizeBaseUrl(base + suffix)).toBe(base);
    });

    test("surrounding whitespace is ignored", () => {
      expect(normalizeBaseUrl(`  ${base}/v1 \n`)).toBe(base);
    });

    test("v1Url appends /v1 and the path", () => {
      expect(v1Url(normalizeBaseUrl(`${base}/v1/`), "/chat/completions")).toBe(`${base}/v1/chat/completions`);
    });
  });

  test("scheme and host case are normalized by URL parsing; path case is kept", () => {
    expect(normalizeBaseUrl("HTTPS://OpenRouter.AI/Api/v1")).toBe("https://openrouter.ai/Api");
  });

  test("default ports are dropped, other ports kept", () => {
    expect(normalizeBaseUrl("https://api.together.xyz:443/v1")).toBe("https://api.together.xyz");
    expect(normalizeBaseUrl("http://127.0.0.1:80/")).toBe("http://127.0.0.1");
    expect(normalizeBaseUrl("http://127.0.0.1:8080/v1")).toBe("http://127.0.0.1:8080");
  });

  test("IPv6 hosts keep their brackets", () => {
    expect(normalizeBaseUrl("http://[::1]:11434/v1/")).toBe("http://[::1]:11434");
  });

  test("query and fragment are not part of the base", () => {
    expect(normalizeBaseUrl("https://openrouter.ai/api/v1?x=1#frag")).toBe("https://openrouter.ai/api");
  });

  test("only a trailing /v1 segment is removed", () => {
    expect(normalizeBaseUrl("https://example.com/apiv1")).toBe("https://example.com/apiv1");
    expect(normalizeBaseUrl("https://example.com/v1/proxy")).toBe("https://example.com/v1/proxy");
    expect(normalizeBaseUrl("https://example.com/v2")).toBe("https://example.com/v2");
  });

  test("non-http(s) schemes are rejected with a 400 naming the scheme", () => {
    for (const [endpoint, scheme] of [
      ["ftp://example.com/v1", "ftp:"],
      ["file:///etc/passwd", "file:"],
      ["ws://localhost:11434", "ws:"],
      ["localhost:11434", "localhost:"],
    ] as const) {
      const err = rejection(endpoint);
      expect(err.status).toBe(400);
      expect(err.code).toBe("invalid_endpoint");
      expect(err.param).toBe("endpoint");
      expect(err.message).toContain(scheme);
    }
  });

  test("credentials in the URL are rejected and not echoed", () => {
    for (const endpoint of ["https://user:s3cr3t-pass@openrouter.ai/api", "https://only-user@api.groq.com/openai", "http://:pw-only@localhost:11434"]) {
      const err = rejection(endpoint);
      expect(err.status).toBe(400);
      expect(err.code).toBe("invalid_endpoint");
      expect(err.message).toContain("authHeaders");
      expect(err.message).not.toContain("s3cr3t-pass");
      expect(err.message).not.toContain("pw-only");
    }
  });

  test("strings that are not URLs are a 400 with an example", () => {
    for (const endpoint of ["", "   ", "not a url", "openrouter.ai/api", "http://", "://x"]) {
      const err = rejection(endpoint);
      expect(err.status).toBe(400);
      expect(err.code).toBe("invalid_endpoint");
      expect(err.type).toBe("invalid_request_error");
    }
    expect(rejection("not a url").message).toContain("http://localhost:11434");
  });
});

describe("isLoopbackHost", () => {
  test.each([
    "http://localhost:11434",
    "http://LOCALHOST:1234",
    "http://ollama.localhost",
    "http://127.0.0.1:8080",
    "http://127.1.2.3",
    "http://[::1]:11434",
    "http://[0:0:0:0:0:0:0:1]",
  ])("%s is loopback", (base) => {
    expect(isLoopbackHost(base)).toBe(true);
  });

  test.each([
    "https://openrouter.ai/api",
    "http://192.168.1.20:11434",
    "http://10.0.0.1",
    "http://0.0.0.0:11434",
    "http://localhost.example.com",
    "http://mylocalhost",
    "http://128.0.0.1",
    "http://[::2]",
  ])("%s is not loopback", (base) => {
    expect(isLoopbackHost(base)).toBe(false);
  });

  test("works on normalized bases", () => {
    expect(isLoopbackHost(normalizeBaseUrl("http://localhost:11434/v1/"))).toBe(true);
    expect(isLoopbackHost(normalizeBaseUrl("https://api.groq.com/openai/v1"))).toBe(false);
  });
});
