/**
 * pickParticipant: which participant serves a request, from its `model` string. Pure: the
 * candidates and the random source are passed in, so every branch is checked deterministically.
 */
import { describe, expect, test } from "bun:test";
import { pickParticipant, upstreamModel, type Candidate } from "../../src/hub/inference/select.ts";
import { GambiError } from "../../src/protocol/openai/errors.ts";

const both = { responses: true, chatCompletions: true };
const chatOnly = { responses: false, chatCompletions: true };
const responsesOnly = { responses: true, chatCompletions: false };

function p(id: string, over: Partial<Candidate> = {}): Candidate {
  return { id, nickname: `nick-${id}`, models: ["llama3"], status: "online", capabilities: both, inFlight: 0, ...over };
}

const first = () => 0;
const last = () => 0.999999;

function rejection(fn: () => unknown): GambiError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(GambiError);
    return err as GambiError;
  }
  throw new Error("pickParticipant did not throw");
}

describe("request forms", () => {
  const room = [p("alice", { models: ["llama3"] }), p("bob", { models: ["qwen2.5:0.5b"] }), p("carol", { models: ["gpt-4o-mini"] })];

  test.each(["*", "any", " * ", "\tany\n"])("%p picks among all online participants", (spec) => {
    expect(pickParticipant(room, spec, "chat", first).id).toBe("alice");
    expect(pickParticipant(room, spec, "chat", last).id).toBe("carol");
  });

  test("model:<name> picks only participants serving that model", () => {
    expect(pickParticipant(room, "model:qwen2.5:0.5b", "chat", first).id).toBe("bob");
    expect(pickParticipant(room, "model:gpt-4o-mini", "chat", last).id).toBe("carol");
  });

  test("model:<name> does not match participant ids", () => {
    expect(rejection(() => pickParticipant(room, "model:alice", "chat", first)).status).toBe(404);
  });

  test("a participant id picks that participant", () => {
    expect(pickParticipant(room, "carol", "chat", first).id).toBe("carol");
    expect(pickParticipant(room, "  bob ", "responses", last).id).toBe("bob");
  });

  test("a bare model name picks a participant serving it", () => {
    expect(pickParticipant(room, "gpt-4o-mini", "chat", first).id).toBe("carol");
  });

  test("an id wins over a model of the same name", () => {
    const tricky = [p("llama3", { models: ["other"] }), p("x", { models: ["llama3"] })];
    expect(pickParticipant(tricky, "llama3", "chat", first).id).toBe("llama3");
    expect(pickParticipant(tricky, "llama3", "chat", last).id).toBe("llama3");
    expect(pickParticipant(tricky, "model:llama3", "chat", first).id).toBe("x");
  });

  test("nicknames are not a way to address a participant", () => {
    expect(rejection(() => pickParticipant(room, "nick-alice", "chat", first)).code).toBe("model_not_found");
  });

  test("matching is exact (case-sensitive)", () => {
    expect(rejection(() => pickParticipant(room, "LLAMA3", "chat", first)).status).toBe(404);
  });
});

describe("errors", () => {
  test("unknown id or model → 404 model_not_found listing who is online", () => {
    const room = [p("alice"), p("bob", { status: "offline" })];
    const err = rejection(() => pickParticipant(room, "mistral", "chat", first));
    expect(err.status).toBe(404);
    expect(err.code).toBe("model_not_found");
    expect(err.param).toBe("model");
    expect(err.type).toBe("not_found_error");
    expect(err.message).toContain('"mistral"');
    expect(err.message).toContain("nick-alice (id alice, model llama3)");
    expect(err.message).not.toContain("nick-bob");
    expect(err.message).toContain('"*"');
  });

  test("unknown model in an empty room says nobody is online", () => {
    const err = rejection(() => pickParticipant([], "model:x", "chat", first));
    expect(err.status).toBe(404);
    expect(err.message).toContain("no participant is online in this room");
  });

  test("the online list is cut at ten with a count of the rest", () => {
    const room = Array.from({ length: 13 }, (_, i) => p(`p${i}`));
    const err = rejection(() => pickParticipant(room, "nope", "chat", first));
    expect(err.message).toContain("id p9,");
    expect(err.message).not.toContain("id p10");
    expect(err.message).toContain("and 3 more");
  });

  test("a matching participant that is offline → 503 no_participant_available", () => {
    const room = [p("alice", { status: "offline" }), p("bob", { models: ["other"] })];
    for (const spec of ["alice", "llama3", "model:llama3"]) {
      const err = rejection(() => pickParticipant(room, spec, "chat", first));
      expect(err.status).toBe(503);
      expect(err.code).toBe("no_participant_available");
      expect(err.type).toBe("service_unavailable");
      expect(err.message).toContain("nothing online");
    }
  });

  test("'*' in an empty or all-offline room → 503, not 404", () => {
    for (const room of [[], [p("a", { status: "offline" })]]) {
      const err = rejection(() => pickParticipant(room, "*", "chat", first));
      expect(err.status).toBe(503);
      expect(err.message).toContain("any participant");
    }
  });

  test("a participant speaking only the other protocol still serves (the hub translates)", () => {
    expect(pickParticipant([p("r", { capabilities: responsesOnly })], "r", "chat", first).id).toBe("r");
    const room = [p("c1", { capabilities: chatOnly }), p("c2", { capabilities: chatOnly })];
    expect(pickParticipant(room, "*", "responses", last).id).toBe("c2");
  });
});

describe("filtering and load balancing", () => {
  test("offline participants are skipped; among the least busy, native speakers first", () => {
    const room = [p("off", { status: "offline" }), p("chat", { capabilities: chatOnly }), p("ok", { capabilities: responsesOnly })];
    for (const random of [first, last, () => 0.5]) expect(pickParticipant(room, "*", "responses", random).id).toBe("ok");
    for (const random of [first, last, () => 0.5]) expect(pickParticipant(room, "*", "chat", random).id).toBe("chat");
  });

  test("the least busy participant wins regardless of the random draw", () => {
    const room = [p("a", { inFlight: 3 }), p("b", { inFlight: 1 }), p("c", { inFlight: 2 })];
    for (const random of [first, last, () => 0.5]) expect(pickParticipant(room, "*", "chat", random).id).toBe("b");
  });

  test("being idle beats speaking the protocol natively: translation is cheap, queueing is not", () => {
    const room = [p("idle-offline", { status: "offline", inFlight: 0 }), p("idle-chat", { capabilities: chatOnly, inFlight: 0 }), p("busy", { inFlight: 9 })];
    expect(pickParticipant(room, "*", "responses", first).id).toBe("idle-chat");
  });

  test("ties are broken by the injected random source", () => {
    const room = [p("a", { inFlight: 1 }), p("b", { inFlight: 0 }), p("c", { inFlight: 0 }), p("d", { inFlight: 0 })];
    expect(pickParticipant(room, "*", "chat", () => 0).id).toBe("b");
    expect(pickParticipant(room, "*", "chat", () => 0.34).id).toBe("c");
    expect(pickParticipant(room, "*", "chat", () => 0.67).id).toBe("d");
    expect(pickParticipant(room, "*", "chat", () => 0.999999).id).toBe("d");
  });

  test("a random source returning exactly 1 still picks a participant", () => {
    const room = [p("a"), p("b")];
    expect(pickParticipant(room, "*", "chat", () => 1).id).toBe("b");
  });

  test("the random source is called once per pick and spreads ties evenly", () => {
    const room = [p("a"), p("b"), p("c")];
    let calls = 0;
    const counts: Record<string, number> = { a: 0, b: 0, c: 0 };
    for (let i = 0; i < 300; i++) {
      const random = () => {
        calls++;
        return (i % 3) / 3 + 0.01;
      };
      counts[pickParticipant(room, "*", "chat", random).id]!++;
    }
    expect(calls).toBe(300);
    expect(counts).toEqual({ a: 100, b: 100, c: 100 });
  });

  test("returns the caller's own object (extra fields kept)", () => {
    const room = [{ ...p("a"), endpoint: "http://x" }];
    const picked = pickParticipant(room, "a", "chat", first);
    expect(picked).toBe(room[0]!);
    expect(picked.endpoint).toBe("http://x");
  });
});

describe("several models per participant", () => {
  const room = [p("alice", { models: ["llama3", "qwen2.5:0.5b"] }), p("bob", { models: ["qwen2.5:0.5b"] }), p("carol", { models: ["gpt-4o-mini", "llama3"] })];

  test("a model name finds every participant serving it, whichever of its models it is", () => {
    expect(pickParticipant(room, "qwen2.5:0.5b", "chat", first).id).toBe("alice");
    expect(pickParticipant(room, "qwen2.5:0.5b", "chat", last).id).toBe("bob");
    expect(pickParticipant(room, "model:llama3", "chat", last).id).toBe("carol");
    expect(pickParticipant(room, "gpt-4o-mini", "chat", first).id).toBe("carol");
  });

  test("<participant id>/<model> pins that pair; one it does not serve is not a match", () => {
    expect(pickParticipant(room, "carol/llama3", "chat", first).id).toBe("carol");
    expect(pickParticipant(room, "alice/qwen2.5:0.5b", "chat", last).id).toBe("alice");
    expect(rejection(() => pickParticipant(room, "bob/llama3", "chat", first)).code).toBe("model_not_found");
    expect(rejection(() => pickParticipant(room, "dave/llama3", "chat", first)).code).toBe("model_not_found");
  });

  test("a model whose name has a slash is a model first, a pin only when nobody serves it", () => {
    const or = [p("openai", { models: ["gpt-4o"] }), p("router", { models: ["openai/gpt-4o"] })];
    expect(pickParticipant(or, "openai/gpt-4o", "chat", first).id).toBe("router");
    expect(pickParticipant([or[0]!], "openai/gpt-4o", "chat", first).id).toBe("openai");
  });

  test("they share one inFlight: a participant busy with one model is busy for all", () => {
    const busy = [p("a", { models: ["x", "y"], inFlight: 2 }), p("b", { models: ["y"], inFlight: 1 })];
    expect(pickParticipant(busy, "y", "chat", first).id).toBe("b");
  });

  test("the error lists each online participant's models", () => {
    const err = rejection(() => pickParticipant(room, "mistral", "chat", first));
    expect(err.message).toContain("nick-alice (id alice, models llama3, qwen2.5:0.5b)");
    expect(err.message).toContain("nick-bob (id bob, model qwen2.5:0.5b)");
  });
});

describe("upstreamModel", () => {
  const alice = p("alice", { models: ["llama3", "qwen2.5:0.5b"] });

  test("the model the request names, in each of its forms", () => {
    expect(upstreamModel(alice, "qwen2.5:0.5b")).toBe("qwen2.5:0.5b");
    expect(upstreamModel(alice, " model:qwen2.5:0.5b ")).toBe("qwen2.5:0.5b");
    expect(upstreamModel(alice, "alice/qwen2.5:0.5b")).toBe("qwen2.5:0.5b");
    expect(upstreamModel(alice, "llama3")).toBe("llama3");
  });

  test("`*`, `any` and the participant's id get its first model", () => {
    for (const spec of ["*", "any", "alice"]) expect(upstreamModel(alice, spec)).toBe("llama3");
  });

  test("a name it does not serve (a take-over, a pin of another) falls back to its first model", () => {
    expect(upstreamModel(alice, "gpt-4o")).toBe("llama3");
    expect(upstreamModel(alice, "bob/qwen2.5:0.5b")).toBe("llama3");
  });

  test("a model named like a pin is taken as it is before the pin is read", () => {
    const odd = p("x", { models: ["m", "x/y", "y"] });
    expect(upstreamModel(odd, "x/y")).toBe("x/y");
  });
});
