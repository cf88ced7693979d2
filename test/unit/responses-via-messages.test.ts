/**
 * responses-via-messages (Responses client, Messages participant, mapped directly): every recorded Messages stream becomes a strict Responses stream whose final Response
 * (`result()`, what the hub stores) matches what the recording said, and a thinking block's
 * signature rides in its reasoning item's `encrypted_content` and back into the next request
 * as the same block; plus which adapter the hub picks for which participant (adapterFor), and
 * the signed-thinking carrier on its own (protocol/anthropic/thinking.ts).
 */
import { describe, expect, test } from "bun:test";
import * as rvm from "../../src/protocol/adapters/responses-via-messages/index.ts";
import { adapterFor, CHAT_VIA_MESSAGES, CHAT_VIA_RESPONSES, MESSAGES_VIA_CHAT, MESSAGES_VIA_RESPONSES, RESPONSES_VIA_CHAT, RESPONSES_VIA_MESSAGES } from "../../src/protocol/adapters/index.ts";
import { blockOfReasoningItem, blocksOfDetails, encryptedContentOfBlock } from "../../src/protocol/anthropic/thinking.ts";
import { GambiError } from "../../src/protocol/openai/errors.ts";
import type { SseEvent } from "../../src/protocol/sse/decode.ts";
import { assembleResponses, checkResponsesStream } from "../helpers/responses-stream-check.ts";
import { loadFixtures } from "../helpers/fixtures.ts";
import { checkMessagesStream } from "../helpers/messages-stream-check.ts";
import { context, decode } from "../helpers/adapter-context.ts";

type Json = Record<string, any>;

const request: Json = { model: "claude", input: "hi", stream: true };

describe("every recorded Messages stream → a Responses stream, and back into the next request", () => {
  for (const f of loadFixtures(["messages"]).filter((x) => x.stream)) {
    test(f.name, () => {
      const mapper = rvm.createStreamMapper(request, context(), { responseId: "resp_1" });
      const out = [...decode(f.bytes).flatMap((e) => mapper.push(e)), ...mapper.end()];
      checkResponsesStream(out, { strict: true });
      const got = assembleResponses(out, { strict: true });
      const m = checkMessagesStream(decode(f.bytes), { strict: false });
      expect(got.text).toBe(m.content.filter((b) => b.type === "text").map((b) => b.text).join(""));
      // The stored Response is the terminal event's.
      expect(mapper.result()).toEqual(got.response);
      const thinking = m.content.filter((b) => b.type === "thinking");
      const redacted = m.content.filter((b) => b.type === "redacted_thinking");
      const items = got.output.filter((i) => i.type === "reasoning");
      expect(items.length).toBe(thinking.length + redacted.length);

      // The next turn with this one as history: the same thinking blocks go back, signed, before the rest.
      const next: Json = rvm.mapRequest({ model: "claude", input: "more" }, { history: [{ type: "message", role: "user", content: [{ type: "input_text", text: "hi" }] }, ...(mapper.result()!.output as Json[])] });
      const assistant = next.messages[1];
      const back = (assistant?.content ?? []).filter((b: Json) => b.type === "thinking" || b.type === "redacted_thinking");
      expect(back).toEqual(m.content.filter((b) => (b.type === "thinking" && b.signature) || b.type === "redacted_thinking").map((b) => (b.type === "thinking" ? { type: "thinking", thinking: b.thinking, signature: b.signature } : { type: "redacted_thinking", data: b.data })));
    });
  }
});

describe("the non-streamed answer", () => {
  test("thinking and tool use: a reasoning item with the signature, the call, incomplete on max_tokens", () => {
    const body = JSON.parse(new TextDecoder().decode(loadFixtures(["messages"]).find((f) => f.name === "messages/anthropic-thinking-tool-use.json")!.bytes));
    const resp: Json = rvm.mapResponse(body, { model: "claude", input: "hi" }, context(), { responseId: "resp_9" });
    expect(resp.output.map((i: Json) => i.type)).toEqual(["reasoning", "function_call"]);
    expect(resp.output[0]).toMatchObject({ type: "reasoning", content: [{ type: "reasoning_text", text: body.content[0].thinking }], encrypted_content: `anthropic.thinking:${body.content[0].signature}` });
    expect(resp.output[1]).toMatchObject({ call_id: body.content[1].id, name: "weather", arguments: JSON.stringify(body.content[1].input) });
    expect([resp.id, resp.status]).toEqual(["resp_9", "completed"]);
    const cut: Json = rvm.mapResponse({ ...body, stop_reason: "max_tokens" }, { model: "claude" }, context(), { responseId: "r" });
    expect([cut.status, cut.incomplete_details]).toEqual(["incomplete", { reason: "max_output_tokens" }]);
  });
});

describe("the request", () => {
  test("Responses fields → Messages through the chat shape", () => {
    expect(
      rvm.mapRequest({
        model: "claude",
        instructions: "Be brief.",
        input: [{ role: "user", content: "hi" }],
        tools: [{ type: "function", name: "f", parameters: { type: "object", properties: {} } }],
        tool_choice: "required",
        parallel_tool_calls: false,
        max_output_tokens: 9000,
        temperature: 0.2,
        reasoning: { effort: "low" },
        text: { format: { type: "json_schema", name: "o", schema: { type: "object" } } },
        stream: true,
        store: true,
        metadata: { a: "b" },
      }),
    ).toEqual({
      model: "claude",
      system: "Be brief.",
      messages: [{ role: "user", content: "hi" }],
      tools: [{ name: "f", input_schema: { type: "object", properties: {} } }],
      tool_choice: { type: "any", disable_parallel_tool_use: true },
      max_tokens: 9000,
      temperature: 0.2,
      output_config: { format: { type: "json_schema", schema: { type: "object" } } },
      thinking: { type: "enabled", budget_tokens: 2048 },
      stream: true,
    });
  });

  test("400s name the client's field and the Messages API", () => {
    for (const [body, param] of [
      [{ top_logprobs: 2 }, "top_logprobs"],
      [{ include: ["message.output_text.logprobs"] }, "include"],
      [{ text: { format: { type: "json_object" } } }, "text.format.type"],
      [{ background: true }, "background"],
      [{ input: [{ type: "input_file", file_id: "f" }] }, "input[0].type"],
    ] as const) {
      let err: unknown;
      try {
        rvm.mapRequest({ model: "m", input: "x", ...body });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(GambiError);
      expect({ param: (err as GambiError).param, says: (err as GambiError).message.includes("Messages API") }).toEqual({ param, says: true });
    }
  });
});

describe("adapterFor: passthrough first, then one step, then a chain", () => {
  const caps = (chat: boolean, responses: boolean, messages: boolean) => ({ chatCompletions: chat, responses, messages });
  test.each([
    ["chat", caps(true, false, false), undefined],
    ["chat", caps(false, true, true), CHAT_VIA_RESPONSES],
    ["chat", caps(false, false, true), CHAT_VIA_MESSAGES],
    ["responses", caps(false, true, false), undefined],
    ["responses", caps(true, false, true), RESPONSES_VIA_CHAT],
    ["responses", caps(false, false, true), RESPONSES_VIA_MESSAGES],
    ["messages", caps(true, true, true), undefined],
    ["messages", caps(true, true, false), MESSAGES_VIA_CHAT],
    ["messages", caps(false, true, false), MESSAGES_VIA_RESPONSES],
  ] as const)("%s client, %j", (client, participant, adapter) => {
    expect(adapterFor(client, participant)).toBe(adapter as never);
  });
  test("a listing from before Messages was probed (no `messages` key) is no Messages participant", () => {
    expect(adapterFor("messages", { chatCompletions: true, responses: false })).toBe(MESSAGES_VIA_CHAT);
  });
});

describe("the signed-thinking carrier", () => {
  test("block → encrypted_content → block, for signed and redacted thinking", () => {
    const signed = { type: "thinking", thinking: "t", signature: "s" };
    const redacted = { type: "redacted_thinking", data: "d" };
    for (const block of [signed, redacted]) {
      const item = { type: "reasoning", content: [], encrypted_content: encryptedContentOfBlock(block)! };
      expect(blockOfReasoningItem(item, "t")).toEqual(block);
    }
  });

  test("nothing is invented: an unsigned block carries no signature, and encrypted content that is not ours is no block", () => {
    expect(encryptedContentOfBlock({ type: "thinking", thinking: "t", signature: "" })).toBeUndefined();
    expect(blockOfReasoningItem({ encrypted_content: "gAAAA-openai" }, "t")).toBeUndefined();
    expect(blockOfReasoningItem({ encrypted_content: "anthropic.thinking:" }, "t")).toBeUndefined();
    expect(encryptedContentOfBlock({ type: "text", text: "x" })).toBeUndefined();
    expect(blocksOfDetails("nope")).toEqual([]);
  });
});
