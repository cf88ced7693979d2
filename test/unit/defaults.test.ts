/**
 * Runtime defaults layer room → participant → request, the request winning field by field, and
 * each protocol only gets the fields it has a name for (see the table in src/protocol/defaults.ts).
 */
import { describe, expect, test } from "bun:test";
import { Value } from "@sinclair/typebox/value";
import { applyDefaults, mergeConfigs, RuntimeConfig } from "../../src/protocol/defaults.ts";

const full: RuntimeConfig = {
  instructions: "Be brief.",
  temperature: 0.2,
  top_p: 0.9,
  max_tokens: 256,
  stop: ["END"],
  seed: 42,
  frequency_penalty: 0.5,
  presence_penalty: -0.5,
};

describe("mergeConfigs", () => {
  test("no layers, or only undefined ones, give an empty config", () => {
    expect(mergeConfigs()).toEqual({});
    expect(mergeConfigs(undefined, undefined)).toEqual({});
  });

  test("later layers win field by field; earlier fields survive", () => {
    const room: RuntimeConfig = { temperature: 0.1, max_tokens: 100, instructions: "room" };
    const participant: RuntimeConfig = { temperature: 0.7, seed: 1 };
    expect(mergeConfigs(room, participant)).toEqual({ temperature: 0.7, max_tokens: 100, instructions: "room", seed: 1 });
    expect(mergeConfigs(participant, room)).toEqual({ temperature: 0.1, max_tokens: 100, instructions: "room", seed: 1 });
  });

  test("undefined and null in a later layer do not erase an earlier value", () => {
    const later = { temperature: undefined, top_p: null } as unknown as RuntimeConfig;
    expect(mergeConfigs({ temperature: 0.3, top_p: 0.5 }, later)).toEqual({ temperature: 0.3, top_p: 0.5 });
  });

  test("falsy but real values (0, empty string) do override", () => {
    expect(mergeConfigs({ temperature: 1, instructions: "x", seed: 5 }, { temperature: 0, instructions: "", seed: 0 })).toEqual({
      temperature: 0,
      instructions: "",
      seed: 0,
    });
  });

  test("inputs are not mutated", () => {
    const a: RuntimeConfig = { temperature: 0.1 };
    const b: RuntimeConfig = { temperature: 0.2 };
    const merged = mergeConfigs(a, b);
    merged.temperature = 9;
    expect(a).toEqual({ temperature: 0.1 });
    expect(b).toEqual({ temperature: 0.2 });
  });
});

describe("RuntimeConfig schema", () => {
  test("accepts a full config and rejects unknown fields and out-of-range values", () => {
    expect(Value.Check(RuntimeConfig, full)).toBe(true);
    expect(Value.Check(RuntimeConfig, { temprature: 0.2 })).toBe(false);
    expect(Value.Check(RuntimeConfig, { temperature: 3 })).toBe(false);
    expect(Value.Check(RuntimeConfig, { max_tokens: 0 })).toBe(false);
    expect(Value.Check(RuntimeConfig, { stop: ["a", "b", "c", "d", "e"] })).toBe(false);
  });
});

describe("applyDefaults: chat", () => {
  test("fills every chat field when the request has none, and returns the same object", () => {
    const body: Record<string, unknown> = { model: "m", messages: [{ role: "user", content: "hi" }] };
    const out = applyDefaults("chat", body, full);
    expect(out).toBe(body);
    expect(out).toEqual({
      model: "m",
      messages: [
        { role: "system", content: "Be brief." },
        { role: "user", content: "hi" },
      ],
      temperature: 0.2,
      top_p: 0.9,
      max_tokens: 256,
      stop: ["END"],
      seed: 42,
      frequency_penalty: 0.5,
      presence_penalty: -0.5,
    });
    expect(out.instructions).toBeUndefined();
    expect(out.max_output_tokens).toBeUndefined();
  });

  test("request values win, including 0 and false-y ones; null counts as absent", () => {
    const body = { messages: [], temperature: 0, top_p: null, seed: 0, stop: "STOP", max_tokens: 5 };
    expect(applyDefaults("chat", body, full)).toMatchObject({ temperature: 0, top_p: 0.9, seed: 0, stop: "STOP", max_tokens: 5 });
  });

  test("max_tokens is not added when the request sets max_completion_tokens", () => {
    const body = applyDefaults("chat", { messages: [], max_completion_tokens: 50 }, { max_tokens: 256 });
    expect(body.max_tokens).toBeUndefined();
    expect(body.max_completion_tokens).toBe(50);
  });

  test("instructions become a system message only when there is none", () => {
    const withSystem = [{ role: "system", content: "mine" }, { role: "user", content: "hi" }];
    expect(applyDefaults("chat", { messages: withSystem }, { instructions: "cfg" }).messages).toEqual(withSystem);

    const withDeveloper = [{ role: "developer", content: "mine" }, { role: "user", content: "hi" }];
    expect(applyDefaults("chat", { messages: withDeveloper }, { instructions: "cfg" }).messages).toEqual(withDeveloper);

    const laterSystem = [{ role: "user", content: "hi" }, { role: "system", content: "late" }];
    expect(applyDefaults("chat", { messages: laterSystem }, { instructions: "cfg" }).messages).toEqual(laterSystem);

    const userOnly = [{ role: "user", content: "hi" }];
    expect(applyDefaults("chat", { messages: userOnly }, { instructions: "cfg" }).messages).toEqual([
      { role: "system", content: "cfg" },
      { role: "user", content: "hi" },
    ]);
  });

  test("the system message goes into a new array; the client's array is untouched", () => {
    const messages = [{ role: "user", content: "hi" }];
    const body = applyDefaults("chat", { messages }, { instructions: "cfg" });
    expect(body.messages).not.toBe(messages);
    expect(messages).toEqual([{ role: "user", content: "hi" }]);
  });

  test("no messages array, no system message (validation is the route's job)", () => {
    expect(applyDefaults("chat", {}, { instructions: "cfg" })).toEqual({});
    expect(applyDefaults("chat", { messages: "hi" }, { instructions: "cfg" })).toEqual({ messages: "hi" });
  });

  test("an empty config changes nothing", () => {
    const body = { messages: [{ role: "user", content: "hi" }], temperature: 1 };
    expect(applyDefaults("chat", structuredClone(body), {})).toEqual(body);
  });
});

describe("applyDefaults: responses", () => {
  test("instructions and max_output_tokens are mapped; stop, seed and penalties are ignored", () => {
    const body = applyDefaults("responses", { model: "m", input: "hi" }, full);
    expect(body).toEqual({
      model: "m",
      input: "hi",
      temperature: 0.2,
      top_p: 0.9,
      instructions: "Be brief.",
      max_output_tokens: 256,
    });
    for (const k of ["stop", "seed", "frequency_penalty", "presence_penalty", "max_tokens", "messages"]) {
      expect(body[k]).toBeUndefined();
    }
  });

  test("request values win", () => {
    const body = applyDefaults("responses", { input: "hi", instructions: "mine", max_output_tokens: 10, temperature: 1.5 }, full);
    expect(body).toMatchObject({ instructions: "mine", max_output_tokens: 10, temperature: 1.5, top_p: 0.9 });
  });

  test("null request values are replaced", () => {
    const body = applyDefaults("responses", { input: "hi", instructions: null, max_output_tokens: null }, full);
    expect(body).toMatchObject({ instructions: "Be brief.", max_output_tokens: 256 });
  });

  test("input messages are never touched, even with a system role missing", () => {
    const input = [{ role: "user", content: "hi" }];
    const body = applyDefaults("responses", { input }, { instructions: "cfg" });
    expect(body.input).toBe(input);
    expect(input).toHaveLength(1);
  });
});

describe("room → participant → request layering", () => {
  const room: RuntimeConfig = { instructions: "room rules", temperature: 0.1, max_tokens: 1000, seed: 7 };
  const participant: RuntimeConfig = { temperature: 0.6, max_tokens: 300 };

  test("chat: participant over room, request over both", () => {
    const body = applyDefaults("chat", { messages: [{ role: "user", content: "q" }], max_tokens: 20 }, mergeConfigs(room, participant));
    expect(body).toEqual({
      messages: [
        { role: "system", content: "room rules" },
        { role: "user", content: "q" },
      ],
      temperature: 0.6,
      max_tokens: 20,
      seed: 7,
    });
  });

  test("responses: the same layers map to the Responses names", () => {
    const body = applyDefaults("responses", { input: "q", temperature: 0 }, mergeConfigs(room, participant));
    expect(body).toEqual({ input: "q", temperature: 0, instructions: "room rules", max_output_tokens: 300 });
  });
});

describe("Messages (a Messages client passed through, or a body an adapter made for a Messages participant)", () => {
  const msgs = [{ role: "user", content: "q" }];

  test("the Messages names: system, stop_sequences, max_tokens; seed and penalties have none", () => {
    expect(applyDefaults("messages", { messages: msgs }, full)).toEqual({ messages: msgs, temperature: 0.2, top_p: 0.9, max_tokens: 256, stop_sequences: ["END"], system: "Be brief." });
    expect(applyDefaults("messages", { messages: msgs }, { stop: "X" }).stop_sequences).toEqual(["X"]);
  });

  test("the request wins: its system (or a system entry inside messages, as Claude Code sends), its max_tokens, its stop_sequences", () => {
    expect(applyDefaults("messages", { messages: msgs, system: "mine", max_tokens: 9, stop_sequences: [] }, full)).toMatchObject({ system: "mine", max_tokens: 9, stop_sequences: [] });
    expect(applyDefaults("messages", { messages: [{ role: "system", content: "inline" }, ...msgs] }, full).system).toBeUndefined();
  });

  test("max_tokens is required by the API: 4096 when neither the request nor the config gives one", () => {
    expect(applyDefaults("messages", { messages: msgs }, {}).max_tokens).toBe(4096);
  });

  test("a temperature above 1 (outside the Messages range) is not applied", () => {
    expect(applyDefaults("messages", { messages: msgs }, { temperature: 1.4 }).temperature).toBeUndefined();
    expect(applyDefaults("messages", { messages: msgs }, { temperature: 1 }).temperature).toBe(1);
  });
});
