/** The pure parts of join-time probing: does the listed model match, and what to suggest if not. */
import { describe, expect, test } from "bun:test";
import { matchModel, suggestModels } from "../../src/proxy/probe.ts";

describe("matchModel", () => {
  const ollama = ["llama3:latest", "qwen2.5:0.5b", "mistral:7b-instruct"];

  test("an exact id matches", () => {
    expect(matchModel(ollama, "qwen2.5:0.5b")).toBe("qwen2.5:0.5b");
    expect(matchModel(["gpt-4o-mini", "gpt-4o"], "gpt-4o")).toBe("gpt-4o");
  });

  test("a bare name matches Ollama's implicit :latest tag and is kept as typed", () => {
    expect(matchModel(ollama, "llama3")).toBe("llama3");
  });

  test("a bare name does not match another tag", () => {
    expect(matchModel(ollama, "mistral")).toBeUndefined();
    expect(matchModel(ollama, "qwen2.5")).toBeUndefined();
  });

  test("a tagged name does not fall back to :latest", () => {
    expect(matchModel(ollama, "llama3:8b")).toBeUndefined();
  });

  test("no prefix or case-insensitive matching", () => {
    expect(matchModel(["gpt-4o-mini"], "gpt-4o")).toBeUndefined();
    expect(matchModel(["GPT-4o"], "gpt-4o")).toBeUndefined();
    expect(matchModel([], "x")).toBeUndefined();
  });

  test("ids with slashes (OpenRouter) match exactly", () => {
    expect(matchModel(["openai/gpt-5.4-nano", "anthropic/claude-sonnet-4.5"], "anthropic/claude-sonnet-4.5")).toBe("anthropic/claude-sonnet-4.5");
  });
});

describe("suggestModels", () => {
  test("containing (or contained) names first, then shared prefixes, then the rest; ties in locale order", () => {
    const models = ["zephyr", "llama3.1:8b", "mistral", "llava", "llama3:latest", "codellama"];
    expect(suggestModels(models, "llama3")).toEqual(["llama3:latest", "llama3.1:8b", "llava", "codellama", "mistral", "zephyr"]);
  });

  test("matching is case-insensitive", () => {
    expect(suggestModels(["b-model", "Qwen2.5:0.5B", "a-model"], "qwen")).toEqual(["Qwen2.5:0.5B", "a-model", "b-model"]);
  });

  test("a wanted name longer than a listed one still ranks it first when it contains it", () => {
    expect(suggestModels(["zz", "gpt-4o", "aa"], "gpt-4o-2024-08-06")).toEqual(["gpt-4o", "aa", "zz"]);
  });

  test("a common prefix must be longer than two characters to count", () => {
    expect(suggestModels(["lla-x", "llm-x", "abc"], "llama")).toEqual(["lla-x", "abc", "llm-x"]);
  });

  test("cut at the limit (8 by default)", () => {
    const models = Array.from({ length: 20 }, (_, i) => `m${String(i).padStart(2, "0")}`);
    expect(suggestModels(models, "zzz")).toHaveLength(8);
    expect(suggestModels(models, "zzz", 3)).toEqual(["m00", "m01", "m02"]);
    expect(suggestModels(models, "m15", 2)).toEqual(["m15", "m00"]);
  });

  test("does not reorder the caller's list", () => {
    const models = ["b", "a"];
    suggestModels(models, "a");
    expect(models).toEqual(["b", "a"]);
  });

  test("an empty list gives an empty list", () => {
    expect(suggestModels([], "x")).toEqual([]);
  });
});
