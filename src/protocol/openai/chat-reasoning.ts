/**
 * Where a Chat Completions participant puts its reasoning, shared by every adapter that reads
 * chat answers (responses-via-chat, messages-via-chat).
 */
import { isObject, type Json } from "../json.ts";

/**
 * The reasoning text of a chat delta or message: the first non-empty of `reasoning_content`
 * (DeepSeek, llama.cpp, LM Studio), `reasoning` (Ollama, Groq, OpenRouter) and the texts of
 * `reasoning_details` (OpenRouter, which repeats `reasoning` there).
 */
export function deltaReasoning(d: Json): string {
  if (typeof d.reasoning_content === "string" && d.reasoning_content !== "") return d.reasoning_content;
  if (typeof d.reasoning === "string" && d.reasoning !== "") return d.reasoning;
  if (Array.isArray(d.reasoning_details)) {
    return d.reasoning_details.map((r: unknown) => (isObject(r) ? (typeof r.text === "string" ? r.text : typeof r.summary === "string" ? r.summary : "") : "")).join("");
  }
  return "";
}
