/**
 * Runtime defaults: a room's `config`, then a participant's, then the request itself, the
 * request winning field by field. Each protocol gets the fields it has a name for:
 *
 * | config            | Chat Completions              | Responses              | Messages |
 * |-------------------|-------------------------------|------------------------|----------|
 * | instructions      | system message, if none given | `instructions`         | `system`, if none given (nor a `system` entry in `messages`) |
 * | temperature/top_p | same name                     | same name              | same name (a temperature above 1, outside the API's 0–1, is not applied) |
 * | max_tokens        | `max_tokens` (unless `max_completion_tokens` set) | `max_output_tokens` | `max_tokens`; absent both there and here, MESSAGES_DEFAULT_MAX_TOKENS (the API requires one) |
 * | stop              | same name                     | not in the API: ignored | `stop_sequences` |
 * | seed, frequency_penalty, presence_penalty | same name | not in the API: ignored | not in the API: ignored |
 */
import { Type, type Static } from "@sinclair/typebox";
import type { Protocol } from "./protocols.ts";
import { MESSAGES_DEFAULT_MAX_TOKENS } from "./anthropic/message.ts";

export const RuntimeConfig = Type.Object(
  {
    instructions: Type.Optional(Type.String({ maxLength: 32_768 })),
    temperature: Type.Optional(Type.Number({ minimum: 0, maximum: 2 })),
    top_p: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
    max_tokens: Type.Optional(Type.Integer({ minimum: 1 })),
    stop: Type.Optional(Type.Union([Type.String(), Type.Array(Type.String(), { maxItems: 4 })])),
    seed: Type.Optional(Type.Integer()),
    frequency_penalty: Type.Optional(Type.Number({ minimum: -2, maximum: 2 })),
    presence_penalty: Type.Optional(Type.Number({ minimum: -2, maximum: 2 })),
  },
  { additionalProperties: false },
);
export type RuntimeConfig = Static<typeof RuntimeConfig>;

type Body = Record<string, unknown>;

function compact(cfg: RuntimeConfig | undefined): RuntimeConfig {
  const out: Record<string, unknown> = {};
  if (cfg) for (const [k, v] of Object.entries(cfg)) if (v !== undefined && v !== null) out[k] = v;
  return out as RuntimeConfig;
}

export function mergeConfigs(...layers: (RuntimeConfig | undefined)[]): RuntimeConfig {
  return Object.assign({}, ...layers.map(compact));
}

const absent = (body: Body, key: string) => body[key] === undefined || body[key] === null;

function setIfAbsent(body: Body, key: string, value: unknown): void {
  if (value !== undefined && absent(body, key)) body[key] = value;
}

function hasSystemMessage(messages: unknown): boolean {
  return Array.isArray(messages) && messages.some((m) => m && (m.role === "system" || m.role === "developer"));
}

/** Mutates and returns `body` (already a fresh object parsed from the client's request). */
export function applyDefaults(protocol: Protocol, body: Body, cfg: RuntimeConfig): Body {
  if (protocol === "messages") return messagesDefaults(body, cfg);
  setIfAbsent(body, "temperature", cfg.temperature);
  setIfAbsent(body, "top_p", cfg.top_p);
  if (protocol === "responses") {
    setIfAbsent(body, "instructions", cfg.instructions);
    setIfAbsent(body, "max_output_tokens", cfg.max_tokens);
    return body;
  }
  if (absent(body, "max_completion_tokens")) setIfAbsent(body, "max_tokens", cfg.max_tokens);
  setIfAbsent(body, "stop", cfg.stop);
  setIfAbsent(body, "seed", cfg.seed);
  setIfAbsent(body, "frequency_penalty", cfg.frequency_penalty);
  setIfAbsent(body, "presence_penalty", cfg.presence_penalty);
  if (cfg.instructions !== undefined && Array.isArray(body.messages) && !hasSystemMessage(body.messages)) {
    body.messages = [{ role: "system", content: cfg.instructions }, ...body.messages];
  }
  return body;
}

/** A Messages body (a Messages client's, or one an adapter made for a Messages participant): the table's last column. */
function messagesDefaults(body: Body, cfg: RuntimeConfig): Body {
  if (cfg.temperature !== undefined && cfg.temperature <= 1) setIfAbsent(body, "temperature", cfg.temperature);
  setIfAbsent(body, "top_p", cfg.top_p);
  setIfAbsent(body, "max_tokens", cfg.max_tokens ?? MESSAGES_DEFAULT_MAX_TOKENS);
  if (cfg.stop !== undefined) setIfAbsent(body, "stop_sequences", typeof cfg.stop === "string" ? [cfg.stop] : cfg.stop);
  if (cfg.instructions !== undefined && absent(body, "system") && !hasSystemMessage(body.messages)) body.system = cfg.instructions;
  return body;
}
