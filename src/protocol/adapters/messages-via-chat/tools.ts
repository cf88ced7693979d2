/**
 * Messages `tools` and `tool_choice` → chat's (docs/protocols.md, "Messages").
 *
 * - custom tools (`type` absent or `"custom"`): `{name, description, input_schema}` →
 *   `{type: "function", function: {name, description, parameters: input_schema}}`, `strict`
 *   when boolean; `cache_control` (and other annotations: `defer_loading`, `input_examples`)
 *   ignored;
 * - every other tool type is one Anthropic runs itself or defines the schema of
 *   (`web_search_*`, `web_fetch_*`, `code_execution_*`, `bash_*`, `text_editor_*`,
 *   `computer_*`, `memory_*`, `tool_search_*`, `mcp_toolset`): 400 naming `tools[i].type`;
 * - `tool_choice`: `auto` → `"auto"`, `any` → `"required"`, `tool` → `{type: "function",
 *   function: {name}}` (the name must be one of the tools), `none` → `"none"`;
 *   `disable_parallel_tool_use: true` → `parallel_tool_calls: false`. Without tools, `auto`
 *   and `none` are dropped (nothing to choose from) and `any` / `tool` are a 400.
 */
import { isObject, type Json } from "../../json.ts";
import { invalid, str, unsupported, type Speaks } from "./common.ts";

export function mapTools(body: Json, out: Json, speaks: Speaks): void {
  const tools = body.tools;
  if (tools !== undefined && tools !== null && !Array.isArray(tools)) throw invalid("tools", "tools must be an array");
  const mapped = (Array.isArray(tools) ? tools : []).map((t: unknown, i: number) => {
    if (!isObject(t)) throw invalid(`tools[${i}]`, "a tool must be an object");
    if (t.type !== undefined && t.type !== null && t.type !== "custom") {
      throw unsupported(`tools[${i}].type`, `the server tool ${JSON.stringify(t.type)}${typeof t.name === "string" ? ` (${t.name})` : ""}, which Anthropic runs or defines itself,`, speaks);
    }
    const name = str(t.name);
    if (!name) throw invalid(`tools[${i}].name`, "a tool needs a name");
    if (!isObject(t.input_schema)) throw invalid(`tools[${i}].input_schema`, "a custom tool needs its input_schema object");
    const fn: Json = { name };
    if (typeof t.description === "string") fn.description = t.description;
    fn.parameters = t.input_schema;
    if (typeof t.strict === "boolean") fn.strict = t.strict;
    return { type: "function", function: fn };
  });

  const choice = body.tool_choice;
  if (choice !== undefined && choice !== null && !isObject(choice)) throw invalid("tool_choice", "tool_choice must be an object with a type");
  const type = isObject(choice) ? choice.type : undefined;
  if (mapped.length === 0) {
    if (type === "any" || type === "tool") throw invalid("tool_choice.type", `${JSON.stringify(type)} needs at least one tool`);
    return;
  }
  out.tools = mapped;
  switch (type) {
    case undefined:
      break;
    case "auto":
      out.tool_choice = "auto";
      break;
    case "any":
      out.tool_choice = "required";
      break;
    case "none":
      out.tool_choice = "none";
      break;
    case "tool": {
      const name = str((choice as Json).name);
      if (!name || !mapped.some((t) => (t.function as Json).name === name)) throw invalid("tool_choice.name", `no tool named ${JSON.stringify((choice as Json).name)}`);
      out.tool_choice = { type: "function", function: { name } };
      break;
    }
    default:
      throw invalid("tool_choice.type", `${JSON.stringify(type)} is not one of auto, any, tool, none`);
  }
  if (isObject(choice) && choice.disable_parallel_tool_use === true && type !== "none") out.parallel_tool_calls = false;
}
