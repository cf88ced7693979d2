/**
 * Chat `tools`, `tool_choice`, `response_format` and `verbosity` → their Responses shapes.
 *
 * Mapped:
 * - `tools[]` `{type:"function", function:{name, description, parameters, strict}}` → flat
 *   `{type:"function", name, description, parameters, strict}`. `strict` is always sent:
 *   Chat defaults it to false, the Responses API to true, so leaving it out would switch a
 *   chat client's tools to strict schemas. A missing `parameters` (a function without
 *   arguments, allowed in Chat) becomes an empty object schema (Responses requires one);
 * - `tool_choice`: `auto`/`none`/`required` as is; `{type:"function", function:{name}}` →
 *   `{type:"function", name}`; `{type:"allowed_tools", allowed_tools:{mode, tools}}` →
 *   `{type:"allowed_tools", mode, tools:[{type:"function", name}]}`;
 * - `response_format` `text`/`json_object` → `text.format` of that type; `json_schema`
 *   `{json_schema:{name, description, schema, strict}}` → flat `text.format`
 *   `{type:"json_schema", name, description, schema, strict}`; `verbosity` → `text.verbosity`.
 * Rejected: `custom` tools and a `custom` tool_choice (not adapted); unknown shapes (400).
 */
import { isObject, type Json } from "../../json.ts";
import { invalid, unsupported } from "./errors.ts";

export function mapTools(tools: unknown): Json[] | undefined {
  if (tools === undefined || tools === null) return undefined;
  if (!Array.isArray(tools)) throw invalid("tools", "must be an array");
  return tools.map((t, i) => {
    const param = `tools[${i}]`;
    if (!isObject(t)) throw invalid(param, "must be an object");
    if (t.type === "custom") throw unsupported(param, "custom tools are not adapted");
    if (t.type !== "function") throw invalid(`${param}.type`, `unknown tool type ${JSON.stringify(t.type)}`);
    const fn = t.function;
    if (!isObject(fn) || typeof fn.name !== "string" || fn.name === "") throw invalid(`${param}.function.name`, "must be a non-empty string");
    const out: Json = { type: "function", name: fn.name };
    if (typeof fn.description === "string") out.description = fn.description;
    out.parameters = isObject(fn.parameters) ? fn.parameters : { type: "object", properties: {} };
    out.strict = fn.strict === true;
    return out;
  });
}

export function mapToolChoice(choice: unknown): unknown {
  if (choice === undefined || choice === null) return undefined;
  if (choice === "auto" || choice === "none" || choice === "required") return choice;
  if (!isObject(choice)) throw invalid("tool_choice", `unknown value ${JSON.stringify(choice)}`);
  if (choice.type === "function") {
    const name = isObject(choice.function) ? choice.function.name : undefined;
    if (typeof name !== "string" || name === "") throw invalid("tool_choice.function.name", "must be a non-empty string");
    return { type: "function", name };
  }
  if (choice.type === "allowed_tools") {
    const allowed = choice.allowed_tools;
    if (!isObject(allowed) || !Array.isArray(allowed.tools)) throw invalid("tool_choice.allowed_tools.tools", "must be an array");
    const tools = allowed.tools.map((t: unknown, i: number) => {
      const param = `tool_choice.allowed_tools.tools[${i}]`;
      if (isObject(t) && t.type === "custom") throw unsupported(param, "custom tools are not adapted");
      const name = isObject(t) && isObject(t.function) ? t.function.name : undefined;
      if (!isObject(t) || t.type !== "function" || typeof name !== "string") throw invalid(param, "must be {type:'function', function:{name}}");
      return { type: "function", name };
    });
    return { type: "allowed_tools", mode: allowed.mode ?? "auto", tools };
  }
  if (choice.type === "custom") throw unsupported("tool_choice", "custom tools are not adapted");
  throw invalid("tool_choice.type", `unknown type ${JSON.stringify(choice.type)}`);
}

/** `response_format` + `verbosity` → the Responses `text` config (undefined when neither is set). */
export function mapTextConfig(format: unknown, verbosity: unknown): Json | undefined {
  const text: Json = {};
  if (format !== undefined && format !== null) {
    if (!isObject(format)) throw invalid("response_format", "must be an object");
    switch (format.type) {
      case "text":
      case "json_object":
        text.format = { type: format.type };
        break;
      case "json_schema": {
        const js = format.json_schema;
        if (!isObject(js) || typeof js.name !== "string") throw invalid("response_format.json_schema.name", "must be a string");
        const out: Json = { type: "json_schema", name: js.name };
        if (typeof js.description === "string") out.description = js.description;
        if (js.schema !== undefined) out.schema = js.schema;
        if (typeof js.strict === "boolean") out.strict = js.strict;
        text.format = out;
        break;
      }
      default:
        throw invalid("response_format.type", `unknown type ${JSON.stringify(format.type)}`);
    }
  }
  if (verbosity !== undefined && verbosity !== null) text.verbosity = verbosity;
  return Object.keys(text).length > 0 ? text : undefined;
}
