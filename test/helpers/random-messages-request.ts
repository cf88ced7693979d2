/**
 * Messages requests drawn at random (seeded with test/helpers/prng.ts, so a failure names its
 * seed), for the tests of the adapters that map them: system prompts as strings and blocks,
 * `role: "system"` entries, user messages with text, images, documents and tool results,
 * assistant messages with text, calls and thinking (Anthropic's signatures, the hub's carrier of
 * a Responses participant's reasoning for the model `m` and for another, none), and settings
 * (tools, tool_choice, stop_sequences, temperature, top_p, output formats, mcp_servers, thinking,
 * stream). Now and then (`bad`, per piece) something malformed or refused.
 *
 * `chainCarries`: only what the chat shape could carry (no PDFs, no images or PDFs in tool
 * results, an assistant's text before its calls), for comparing a direct mapper with the chain
 * it replaced.
 */
import { signatureOfReasoning } from "../../src/protocol/anthropic/thinking.ts";

type Json = Record<string, any>;

export interface RandomRequestOptions {
  bad?: number;
  chainCarries?: boolean;
}

export function randomMessagesRequest(rnd: () => number, opts: RandomRequestOptions = {}): Json {
  const bad = opts.bad ?? 0.01;
  const chain = opts.chainCarries === true;
  const pick = <T,>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const maybe = (p: number) => rnd() < p;
  const text = () => pick(["", "a", "bé", "ok\nnext", "Hello"]);
  const image = (): Json => {
    if (maybe(bad)) return pick([{ type: "image", source: { type: "file", file_id: "f" } }, { type: "image" }, { type: "image", source: { type: "base64", data: "x" } }, { type: "image", source: { type: "url" } }]);
    return pick([{ type: "image", source: { type: "base64", media_type: "image/png", data: "iVBORw0KGgo" } }, { type: "image", source: { type: "url", url: "https://x/y.png" }, cache_control: { type: "ephemeral" } }]);
  };
  const pdf = (): Json => pick([{ type: "document", source: { type: "base64", media_type: "application/pdf", data: "JVBERi0x" } }, { type: "document", source: { type: "url", url: "https://x/a.pdf" }, title: "a.pdf" }]);
  const doc = (): Json => {
    if (maybe(bad * 5)) return pick([{ type: "document", source: { type: "file", file_id: "f" } }, { type: "document", source: { type: "content", content: [] } }, { type: "document", source: { type: "base64", media_type: "text/plain", data: "eA==" } }]);
    if (!chain && maybe(0.3)) return pdf();
    return { type: "document", source: { type: "text", media_type: "text/plain", data: text() }, ...(maybe(0.3) ? { title: "t", citations: { enabled: true } } : {}) };
  };
  const textBlock = (): Json => (maybe(bad) ? pick([{ type: "text" }, { type: "text", text: 3 }]) : { type: "text", text: text(), ...(maybe(0.2) ? { cache_control: { type: "ephemeral" } } : {}) });
  const toolResult = (i: number): Json => {
    if (maybe(bad)) return pick([{ type: "tool_result" }, { type: "tool_result", tool_use_id: "t", content: 5 }, { type: "tool_result", tool_use_id: "t", content: [{ type: "tool_use" }] }, { type: "tool_result", tool_use_id: "t", content: ["x"] }]);
    const rich = chain ? [[textBlock(), doc()]] : [[textBlock(), image()], [image()], [pdf(), textBlock()], [image(), textBlock(), image()]];
    const content = pick<unknown>([undefined, null, "42", "", [], [textBlock()], [textBlock(), textBlock()], [doc(), textBlock()], ...rich]);
    return { type: "tool_result", tool_use_id: `toolu_${i}`, ...(content === undefined ? {} : { content }), ...(maybe(0.25) ? { is_error: true } : {}) };
  };
  const userContent = (i: number): unknown => {
    if (maybe(0.3)) return text();
    return Array.from({ length: Math.floor(rnd() * 4) }, () => {
      switch (pick(["text", "text", "image", "doc", "tool_result", "tool_result", "odd"])) {
        case "text":
          return textBlock();
        case "image":
          return image();
        case "doc":
          return doc();
        case "tool_result":
          return toolResult(i);
        default:
          return maybe(bad * 5) ? pick<unknown>(["x", { type: "server_tool_use", id: "s", name: "web_search", input: {} }, { type: "tool_use", id: "a", name: "b", input: {} }, { type: 7 }, { type: "search_result" }]) : textBlock();
      }
    });
  };
  const signature = () => pick(["", "EqQBCkYIBRgCKkDanthropic", signatureOfReasoning({ model: "m" }, "gAAAA-mine"), signatureOfReasoning({ model: "other" }, "gAAAA-theirs"), "responses.reasoning:m:"]);
  const assistantContent = (i: number): unknown => {
    if (maybe(0.25)) return pick(["hi", "", "yes"]);
    const blocks = Array.from({ length: Math.floor(rnd() * 5) }, (_, j): unknown => {
      switch (pick(["text", "text", "tool_use", "tool_use", "thinking", "redacted", "odd"])) {
        case "text":
          return textBlock();
        case "tool_use":
          if (maybe(bad)) return pick([{ type: "tool_use", name: "f" }, { type: "tool_use", id: "x" }]);
          return { type: "tool_use", id: `toolu_${i}_${j}`, name: pick(["f", "g"]), input: pick<unknown>([{}, { a: 1 }, undefined, { b: [1, 2] }]) };
        case "thinking":
          return { type: "thinking", thinking: pick(["", "hmm", "let me think"]), signature: signature() };
        case "redacted":
          return { type: "redacted_thinking", data: "EmwKAhgB" };
        default:
          return maybe(bad * 5) ? pick<unknown>([{ type: "image", source: { type: "url", url: "https://x" } }, { type: "tool_result", tool_use_id: "x" }, { type: "web_search_tool_result" }, null]) : textBlock();
      }
    });
    if (!chain) return blocks;
    // The chat shape put an assistant's text before its calls.
    const isCall = (b: unknown) => typeof b === "object" && b !== null && (b as Json).type === "tool_use";
    return [...blocks.filter((b) => !isCall(b)), ...blocks.filter(isCall)];
  };
  const messages: unknown[] = [];
  const n = 1 + Math.floor(rnd() * 7);
  for (let i = 0; i < n; i++) {
    const role = maybe(bad) ? pick(["critic", "developer", undefined]) : maybe(0.08) ? "system" : i % 2 === 0 ? "user" : "assistant";
    if (role === "system") messages.push({ role, content: maybe(0.5) ? text() : [{ type: "text", text: text() }] });
    else if (role === "user") messages.push({ role, content: userContent(i) });
    else if (role === "assistant") messages.push({ role, content: assistantContent(i) });
    else messages.push({ role, content: "x" });
  }
  if (maybe(bad)) messages.push(pick<unknown>(["x", { role: "user", content: 5 }, { role: "system", content: [{ type: "image" }] }]));
  const body: Json = { model: "m", max_tokens: maybe(bad) ? pick<unknown>([0, 1.5, "9", undefined]) : pick([1, 64, 4096]), messages };
  if (maybe(0.5)) body.system = maybe(bad) ? pick<unknown>([5, [{ type: "image" }]]) : pick<unknown>(["Be brief.", "", [{ type: "text", text: "A" }, { type: "text", text: "" }, { type: "text", text: "B", cache_control: {} }]]);
  if (maybe(0.3)) {
    body.tools = maybe(bad * 5)
      ? pick<unknown>([[{ type: "web_search_20250305", name: "web_search" }], [{ name: "f" }], "x"])
      : pick<unknown>([[{ name: "f", input_schema: { type: "object" } }, { type: "custom", name: "g", description: "d", input_schema: { type: "object", properties: {} }, strict: true }], [], [{ name: "f", input_schema: { type: "object" }, cache_control: {}, defer_loading: true }]]);
  }
  if (maybe(0.2)) body.tool_choice = pick<unknown>([{ type: "auto" }, { type: "any" }, { type: "tool", name: "f" }, { type: "none" }, { type: "auto", disable_parallel_tool_use: true }, ...(maybe(bad * 5) ? [{ type: "tool", name: "zz" }, "auto", { type: "weird" }] : [])]);
  if (maybe(0.2)) body.stop_sequences = maybe(bad * 5) ? pick<unknown>([["X"], "X", [1]]) : pick<unknown>([[], null]);
  if (maybe(0.3)) body.temperature = maybe(bad) ? "hot" : pick([0, 0.5, 1]);
  if (maybe(0.2)) body.top_p = maybe(bad) ? "x" : 0.9;
  if (maybe(0.1)) body.top_k = 40;
  if (maybe(0.2)) body.output_config = maybe(bad * 5) ? pick<unknown>([{ format: { type: "xml" } }, { format: { type: "json_schema" } }, { format: 3 }]) : pick<unknown>([{ effort: "high" }, { format: { type: "json_schema", schema: { type: "object" } } }]);
  if (maybe(0.05)) body.output_format = { type: "json_schema", schema: { type: "object" } };
  if (maybe(0.05)) body.mcp_servers = maybe(bad * 5) ? [{ url: "https://x" }] : [];
  if (maybe(0.3)) body.thinking = pick<unknown>([{ type: "adaptive" }, { type: "enabled", budget_tokens: 2000 }, { type: "disabled" }]);
  if (maybe(0.2)) body.metadata = { user_id: "u" };
  if (maybe(0.5)) body.stream = pick([true, false]);
  return body;
}
