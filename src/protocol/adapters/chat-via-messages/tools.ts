/**
 * Chat `tools`, `tool_choice` and `parallel_tool_calls` → their Messages shapes.
 *
 * Mapped:
 * - `tools[]` `{type: "function", function: {name, description, parameters, strict}}` →
 *   `{name, description, input_schema: parameters, strict: true}` (`strict` only when true: it
 *   is the API's default off; a missing `parameters`, allowed in chat, becomes an empty object
 *   schema, which the Messages API requires);
 * - `tool_choice`: `"auto"` → `{type: "auto"}`, `"required"` → `{type: "any"}`, `"none"` →
 *   `{type: "none"}`, `{type: "function", function: {name}}` → `{type: "tool", name}` (the name
 *   must be one of the tools); `{type: "allowed_tools", allowed_tools: {mode, tools}}` → the tool
 *   list narrowed to the allowed functions with `mode` as the choice (`auto` or `required` →
 *   `any`): the same constraint;
 * - `parallel_tool_calls: false` → `disable_parallel_tool_use: true` on the tool choice
 *   (`{type: "auto"}` when the client named none). Without tools, `tool_choice` `auto`/`none`
 *   and `parallel_tool_calls` are dropped (nothing to choose from); `required` or a named
 *   function is a 400.
 * Rejected: `custom` tools and tool choices (not adapted); unknown shapes (400 invalid).
 */
import { isObject, type Json } from "../../json.ts";
import { invalid, unsupported } from "../rejections.ts";

export function mapTools(body: Json, out: Json): void {
  const tools = body.tools;
  if (tools !== undefined && tools !== null && !Array.isArray(tools)) throw invalid("tools", "must be an array");
  let mapped = (Array.isArray(tools) ? tools : []).map((t: unknown, i: number) => {
    const param = `tools[${i}]`;
    if (!isObject(t)) throw invalid(param, "must be an object");
    if (t.type === "custom") throw unsupported(param, "custom tools", "Messages API");
    if (t.type !== "function") throw invalid(`${param}.type`, `unknown tool type ${JSON.stringify(t.type)}`);
    const fn = t.function;
    if (!isObject(fn) || typeof fn.name !== "string" || fn.name === "") throw invalid(`${param}.function.name`, "must be a non-empty string");
    const tool: Json = { name: fn.name };
    if (typeof fn.description === "string") tool.description = fn.description;
    tool.input_schema = isObject(fn.parameters) ? fn.parameters : { type: "object", properties: {} };
    if (fn.strict === true) tool.strict = true;
    return tool;
  });

  let choice = mapChoice(body.tool_choice);
  if (choice?.allowed) {
    const allowed = choice.allowed;
    mapped = mapped.filter((t) => allowed.has(t.name as string));
  }
  if (mapped.length === 0) {
    if (choice?.json.type === "any" || choice?.json.type === "tool") throw invalid("tool_choice", `${JSON.stringify(body.tool_choice)} needs at least one function tool`);
    return;
  }
  out.tools = mapped;
  if (choice?.json.type === "tool" && !mapped.some((t) => t.name === choice!.json.name)) throw invalid("tool_choice.function.name", `no tool named ${JSON.stringify(choice.json.name)}`);
  if (body.parallel_tool_calls === false && choice?.json.type !== "none") choice = { json: { ...(choice?.json ?? { type: "auto" }), disable_parallel_tool_use: true } };
  if (choice) out.tool_choice = choice.json;
}

function mapChoice(choice: unknown): { json: Json; allowed?: Set<string> } | undefined {
  if (choice === undefined || choice === null) return undefined;
  if (choice === "auto" || choice === "none") return { json: { type: choice } };
  if (choice === "required") return { json: { type: "any" } };
  if (!isObject(choice)) throw invalid("tool_choice", `unknown value ${JSON.stringify(choice)}`);
  if (choice.type === "function") {
    const name = isObject(choice.function) ? choice.function.name : undefined;
    if (typeof name !== "string" || name === "") throw invalid("tool_choice.function.name", "must be a non-empty string");
    return { json: { type: "tool", name } };
  }
  if (choice.type === "allowed_tools") {
    const allowed = choice.allowed_tools;
    if (!isObject(allowed) || !Array.isArray(allowed.tools)) throw invalid("tool_choice.allowed_tools.tools", "must be an array");
    const names = new Set<string>();
    allowed.tools.forEach((t: unknown, i: number) => {
      const param = `tool_choice.allowed_tools.tools[${i}]`;
      if (isObject(t) && t.type === "custom") throw unsupported(param, "custom tools", "Messages API");
      const name = isObject(t) && isObject(t.function) ? t.function.name : undefined;
      if (!isObject(t) || t.type !== "function" || typeof name !== "string") throw invalid(param, "must be {type:'function', function:{name}}");
      names.add(name);
    });
    const mode = allowed.mode ?? "auto";
    if (mode !== "auto" && mode !== "required") throw invalid("tool_choice.allowed_tools.mode", `${JSON.stringify(mode)} is not auto or required`);
    return { json: { type: mode === "required" ? "any" : "auto" }, allowed: names };
  }
  if (choice.type === "custom") throw unsupported("tool_choice", "a custom tool choice", "Messages API");
  throw invalid("tool_choice.type", `unknown type ${JSON.stringify(choice.type)}`);
}
