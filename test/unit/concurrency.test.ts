/**
 * How many requests a participant serves at once when its joiner does not say
 * (protocol/concurrency.ts): the server's kind from its model list, llama.cpp's slots from
 * /props, and the defaults.
 */
import { describe, expect, test } from "bun:test";
import { defaultConcurrency, HOSTED_DEFAULT, LOCAL_DEFAULT, serverKindOf, slotsFromProps } from "../../src/protocol/concurrency.ts";
import { isMaxConcurrency, parseMaxConcurrency } from "../../src/common/max-concurrency.ts";

/** The model lists as each server answers `GET /v1/models` (trimmed to the fields that matter). */
const LISTS = {
  // llama.cpp b11669 (test/real/kit), as it answered.
  llamacpp: { object: "list", data: [{ id: "tiny", object: "model", created: 1796528256, owned_by: "llamacpp", meta: { n_ctx: 16384 } }] },
  vllm: { object: "list", data: [{ id: "Qwen/Qwen2.5-7B-Instruct", object: "model", created: 1, owned_by: "vllm", root: "Qwen/Qwen2.5-7B-Instruct", max_model_len: 32768 }] },
  lmstudio: { data: [{ id: "qwen/qwen3-4b", object: "model", owned_by: "organization_owner" }], object: "list" },
  ollama: { object: "list", data: [{ id: "llama3.2:latest", object: "model", created: 1731878400, owned_by: "library" }] },
  openai: { object: "list", data: [{ id: "gpt-4o-mini", object: "model", created: 1721172741, owned_by: "system" }] },
};

describe("serverKindOf", () => {
  test("each server by the owned_by of its models", () => {
    expect(serverKindOf(LISTS.llamacpp)).toBe("llamacpp");
    expect(serverKindOf(LISTS.vllm)).toBe("vllm");
    expect(serverKindOf(LISTS.lmstudio)).toBe("lmstudio");
    expect(serverKindOf(LISTS.ollama)).toBe("ollama");
    expect(serverKindOf(LISTS.openai)).toBe("unknown");
  });

  test("anything that is not a list is unknown; the first known owner among mixed ones decides", () => {
    for (const odd of [undefined, null, "x", {}, { data: "x" }, { data: [null, 1, { owned_by: 7 }] }, { data: [{ owned_by: "toString" }] }]) expect(serverKindOf(odd)).toBe("unknown");
    expect(serverKindOf({ data: [{ owned_by: "someone" }, { owned_by: "library" }] })).toBe("ollama");
  });
});

describe("slotsFromProps", () => {
  test("total_slots, as llama-server -np 4 reports it", () => {
    // Trimmed from the kit's llama-server (b11669) `GET /props`.
    const body = JSON.stringify({ default_generation_settings: { n_ctx: 16384 }, total_slots: 4, model_alias: "tiny", build_info: "b11669-Debian" });
    expect(slotsFromProps(body)).toBe(4);
  });

  test("any positive whole number (the probe caps it); anything else says nothing", () => {
    expect(slotsFromProps('{"total_slots": 5000}')).toBe(5000);
    for (const body of ["", "not json", "null", "[]", "{}", '{"total_slots": 0}', '{"total_slots": -2}', '{"total_slots": 2.5}', '{"total_slots": "4"}']) expect(slotsFromProps(body)).toBeUndefined();
  });
});

describe("defaultConcurrency", () => {
  test("probed slots win, and say so", () => {
    expect(defaultConcurrency("llamacpp", false, 4)).toMatchObject({ value: 4, source: "probed" });
    expect(defaultConcurrency("llamacpp", true, 1).why).toContain("1 slot");
  });

  test("each kind's default; the kind wins over hosted", () => {
    expect(defaultConcurrency("llamacpp", false)).toMatchObject({ value: 1, source: "default" });
    expect(defaultConcurrency("vllm", true)).toMatchObject({ value: 32, source: "default" });
    expect(defaultConcurrency("lmstudio", false)).toMatchObject({ value: 4, source: "default" });
    expect(defaultConcurrency("ollama", false)).toMatchObject({ value: 1, source: "default" });
  });

  test("an unknown server: more when hosted than on a laptop", () => {
    expect(defaultConcurrency("unknown", true)).toMatchObject({ value: HOSTED_DEFAULT, source: "default" });
    expect(defaultConcurrency("unknown", false)).toMatchObject({ value: LOCAL_DEFAULT, source: "default" });
    expect(HOSTED_DEFAULT).toBeGreaterThan(LOCAL_DEFAULT);
  });

  test("every value it gives is one the hub accepts", () => {
    for (const kind of ["llamacpp", "vllm", "lmstudio", "ollama", "unknown"] as const) {
      for (const hosted of [true, false]) expect(isMaxConcurrency(defaultConcurrency(kind, hosted).value)).toBe(true);
    }
  });
});

describe("common/max-concurrency.ts", () => {
  test("isMaxConcurrency: whole numbers from 1 to 1024", () => {
    for (const ok of [1, 2, 1024]) expect(isMaxConcurrency(ok)).toBe(true);
    for (const bad of [0, -1, 1025, 1.5, Number.NaN, Infinity, "4", null, undefined]) expect(isMaxConcurrency(bad)).toBe(false);
  });

  test("parseMaxConcurrency: typed text, trimmed; a problem that says the range", () => {
    expect(parseMaxConcurrency("4")).toEqual({ value: 4 });
    expect(parseMaxConcurrency(" 1024 ")).toEqual({ value: 1024 });
    for (const bad of ["", "0", "1025", "2.5", "-3", "4x", "0x10", "1e2", " "]) expect(parseMaxConcurrency(bad)).toEqual({ problem: expect.stringContaining("a whole number from 1 to 1024") });
  });
});
