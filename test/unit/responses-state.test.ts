/**
 * Reading a Responses server's conversation state off its answers (no tokens spent): the join
 * probe's, a lookup of its own response's, a rejection before the first byte. The messages are
 * the servers' own: llama.cpp's as the real-llm kit's llama-server (b11669) answered, vLLM's and
 * OpenAI's from their sources and error docs.
 */
import { describe, expect, test } from "bun:test";
import {
  classifyStateProbe,
  classifyStoredLookup,
  readUpstreamError,
  sentState,
  stateRejection,
  STATE_PROBE_BODY,
  STATE_PROBE_ID,
} from "../../src/protocol/openai/responses-state.ts";

const LLAMA = '{"error":{"code":400,"message":"llama.cpp does not support \'previous_response_id\'.","type":"invalid_request_error"}}';
const IK_LLAMA = '{"error":{"code":400,"message":"ik_llama.cpp does not support \'previous_response_id\'.","type":"invalid_request_error"}}';
const OPENAI_NOT_FOUND = (id: string) =>
  JSON.stringify({ error: { message: `Previous response with id '${id}' not found.`, type: "invalid_request_error", param: "previous_response_id", code: "previous_response_not_found" } });
const VLLM_NOT_FOUND = (id: string) => JSON.stringify({ error: { message: `Response with id '${id}' not found.`, type: "invalid_request_error", param: "response_id", code: 404 } });
const VLLM_STORE =
  '{"error":{"message":"`store=True` (default) is not supported. Please set `store=False` in Responses API or set `VLLM_ENABLE_RESPONSES_API_STORE=1` in the env var when starting the vLLM server.","type":"invalid_request_error","param":"store","code":400}}';

describe("the join probe's body", () => {
  test("names a made-up previous response, has an input llama.cpp checks for, and nothing to generate from", () => {
    const body = JSON.parse(STATE_PROBE_BODY);
    expect(body.previous_response_id).toBe(STATE_PROBE_ID);
    expect(body.input).toEqual([{ type: "gambi_state_probe" }]);
    expect(body.model).toBeUndefined();
  });
});

describe("classifyStateProbe", () => {
  test("llama.cpp and ik_llama.cpp cannot continue: stateless", () => {
    expect(classifyStateProbe(400, LLAMA)).toBe("stateless");
    expect(classifyStateProbe(400, IK_LLAMA)).toBe("stateless");
    expect(classifyStateProbe(501, '{"error":{"message":"previous_response_id is not implemented"}}')).toBe("stateless");
  });

  test("OpenAI's own code for an unknown previous response: stateful", () => {
    expect(classifyStateProbe(400, OPENAI_NOT_FOUND(STATE_PROBE_ID))).toBe("stateful");
    expect(classifyStateProbe(404, OPENAI_NOT_FOUND(STATE_PROBE_ID))).toBe("stateful");
  });

  test("vLLM's not-found (said with or without its store), validation errors, successes and outages tell nothing", () => {
    expect(classifyStateProbe(404, VLLM_NOT_FOUND(STATE_PROBE_ID))).toBe("unknown");
    expect(classifyStateProbe(400, '{"error":{"message":"model is required"}}')).toBe("unknown");
    expect(classifyStateProbe(400, '{"error":"unknown input item type: \\"gambi_state_probe\\""}')).toBe("unknown");
    expect(classifyStateProbe(200, '{"id":"resp_1","output":[]}')).toBe("unknown");
    expect(classifyStateProbe(500, LLAMA)).toBe("unknown");
    expect(classifyStateProbe(401, LLAMA)).toBe("unknown");
    expect(classifyStateProbe(400, "")).toBe("unknown");
    expect(classifyStateProbe(400, "<html>bad request</html>")).toBe("unknown");
  });
});

describe("classifyStoredLookup (GET /v1/responses/{its own id})", () => {
  test("the response back, same id: stateful", () => {
    expect(classifyStoredLookup(200, '{"id":"resp_a","object":"response","output":[]}', "resp_a")).toBe("stateful");
  });

  test("no such route or not kept: stateless", () => {
    expect(classifyStoredLookup(404, '{"error":{"message":"File Not Found","type":"not_found_error","code":404}}', "resp_a")).toBe("stateless");
    expect(classifyStoredLookup(404, "404 page not found", "resp_a")).toBe("stateless");
    expect(classifyStoredLookup(404, VLLM_NOT_FOUND("resp_a"), "resp_a")).toBe("stateless");
    expect(classifyStoredLookup(405, "", "resp_a")).toBe("stateless");
    // A catch-all page, or somebody else's response, is not this response kept.
    expect(classifyStoredLookup(200, "<html></html>", "resp_a")).toBe("stateless");
    expect(classifyStoredLookup(200, '{"id":"resp_b"}', "resp_a")).toBe("stateless");
  });

  test("an outage, a refused key or a rate limit tells nothing", () => {
    for (const status of [500, 502, 503, 401, 403, 429]) expect(classifyStoredLookup(status, "", "resp_a")).toBe("unknown");
  });
});

describe("stateRejection", () => {
  const follow = { previousId: "resp_abc", store: true };

  test("llama.cpp's refusal of previous_response_id: unsupported", () => {
    expect(stateRejection(400, "llama.cpp does not support 'previous_response_id'.", follow)).toBe("unsupported");
  });

  test("a server that does not have the previous response: not_found (OpenAI's and vLLM's words)", () => {
    expect(stateRejection(400, "Previous response with id 'resp_abc' not found.", follow)).toBe("not_found");
    expect(stateRejection(404, "Response with id 'resp_abc' not found.", follow)).toBe("not_found");
  });

  test("vLLM refusing to store: store, unless the request said store:false", () => {
    const message = readUpstreamError(VLLM_STORE)!.message;
    expect(stateRejection(400, message, { store: true })).toBe("store");
    expect(stateRejection(400, message, { store: false })).toBeUndefined();
  });

  test("other refusals are not about state", () => {
    expect(stateRejection(400, "max_output_tokens must be at least 16", follow)).toBeUndefined();
    expect(stateRejection(400, "vector_store not supported", { store: true })).toBeUndefined();
    expect(stateRejection(401, "Incorrect API key; previous_response_id resp_abc", follow)).toBeUndefined();
    expect(stateRejection(429, "previous_response_id rate limited", follow)).toBeUndefined();
    expect(stateRejection(500, "llama.cpp does not support 'previous_response_id'.", follow)).toBeUndefined();
    // Without a previous id sent, only `store` can be the cause.
    expect(stateRejection(400, "llama.cpp does not support 'previous_response_id'.", { store: true })).toBeUndefined();
    expect(stateRejection(400, undefined, follow)).toBeUndefined();
  });
});

describe("sentState", () => {
  test("the previous id if a string, and store on unless false (the API's default)", () => {
    expect(sentState({ input: "x" })).toEqual({ previousId: undefined, store: true });
    expect(sentState({ previous_response_id: "resp_a", store: false })).toEqual({ previousId: "resp_a", store: false });
    expect(sentState({ previous_response_id: null, store: true })).toEqual({ previousId: undefined, store: true });
  });
});

describe("readUpstreamError", () => {
  test("the envelope, a bare error string, a top-level message, text", () => {
    expect(readUpstreamError(VLLM_STORE)).toMatchObject({ param: "store" });
    expect(readUpstreamError(OPENAI_NOT_FOUND("x"))).toEqual({ message: "Previous response with id 'x' not found.", code: "previous_response_not_found", param: "previous_response_id" });
    expect(readUpstreamError('{"error":"nope"}')).toEqual({ message: "nope" });
    expect(readUpstreamError('{"message":"top"}')).toEqual({ message: "top", code: undefined, param: undefined });
    expect(readUpstreamError("plain text")).toEqual({ message: "plain text" });
    expect(readUpstreamError("[1]")).toBeUndefined();
    expect(readUpstreamError("")).toBeUndefined();
  });
});
