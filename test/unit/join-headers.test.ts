/** --header / --header-env parsing: the expected form in every error, never a secret value. */
import { describe, expect, test } from "bun:test";
import { parseHeader, parseHeaderEnv, resolveAuthHeaders } from "../../src/join/headers.ts";
import { repeatedFlag } from "../../src/commands/_args.ts";
import { UsageError } from "../../src/terminal/errors.ts";

const fails = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return (e as Error).message;
  }
  throw new Error("expected a UsageError");
};

describe("--header", () => {
  test("Name=Value, value may contain '='", () => {
    expect(parseHeader("HTTP-Referer=https://my-app.example/?a=b")).toEqual(["HTTP-Referer", "https://my-app.example/?a=b"]);
  });
  test.each([
    ["no =", "Authorization", "Name=Value"],
    ["empty name", "=x", "header name is empty"],
    ["bad name", "Bad Name=x", "not a valid header name"],
  ])("%s → says the expected form", (_l, raw, hint) => {
    expect(fails(() => parseHeader(raw))).toContain(hint);
  });
  test("CR/LF in the value is rejected without echoing it", () => {
    const msg = fails(() => parseHeader("Authorization=Bearer sk-abc\r\nX: y"));
    expect(msg).toContain("CR, LF");
    expect(msg).not.toContain("sk-abc");
  });
});

describe("--header-env", () => {
  const env = { OPENROUTER_AUTH: "Bearer sk-or-secret", EMPTY: "" };
  test("reads the value from the environment", () => {
    expect(parseHeaderEnv("Authorization=OPENROUTER_AUTH", env)).toEqual(["Authorization", "Bearer sk-or-secret"]);
  });
  test.each([
    ["missing variable", "Authorization=NOPE", "NOPE is not set"],
    ["empty variable", "Authorization=EMPTY", "EMPTY is not set or empty"],
    ["not a variable name", "Authorization=1-bad", "not an environment variable name"],
    ["no =", "OPENROUTER_AUTH", "Name=ENV_VAR"],
  ])("%s → names the variable", (_l, raw, hint) => {
    expect(fails(() => parseHeaderEnv(raw, env))).toContain(hint);
  });
  test("combined with --header; later flags win per name", () => {
    expect(resolveAuthHeaders(["HTTP-Referer=https://x.example"], ["Authorization=OPENROUTER_AUTH"], env)).toEqual({
      "HTTP-Referer": "https://x.example",
      Authorization: "Bearer sk-or-secret",
    });
  });
});

describe("repeatedFlag", () => {
  test("collects every occurrence in both spellings", () => {
    expect(repeatedFlag(["join", "--header", "a=1", "--header=b=2", "--header-env", "X=Y"], "header")).toEqual(["a=1", "b=2"]);
    expect(repeatedFlag(["--header-env", "X=Y"], "header-env")).toEqual(["X=Y"]);
  });
  test("a trailing flag without value is a usage error", () => {
    expect(fails(() => repeatedFlag(["--header"], "header"))).toContain("needs a value");
  });
});
