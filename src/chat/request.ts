/**
 * The request `gambi chat` sends for one turn, with the whole conversation so far.
 *
 * Responses: the history goes in `input` as messages rather than chaining with
 * `previous_response_id`. With `--model '*'` the next turn may land on another participant,
 * which has never seen the previous id (the hub forwards lifecycle calls only to the owner,
 * and a participant may not store responses at all); resending the history works everywhere,
 * at the cost of re-sending the prompt tokens each turn.
 * Chat Completions: `stream_options.include_usage` so OpenAI-style servers report token counts
 * (they send none in a stream otherwise), which the TTFT / tok/s line needs.
 */
import { PROTOCOL_PATH, type Protocol } from "../protocol/protocols.ts";

export interface Turn {
  role: "user" | "assistant";
  content: string;
}

export interface TurnRequest {
  path: string;
  body: Record<string, unknown>;
}

export function buildRequest(protocol: Protocol, opts: { model: string; system?: string; turns: Turn[] }): TurnRequest {
  const path = `/v1${PROTOCOL_PATH[protocol]}`;
  if (protocol === "chat") {
    const system = opts.system ? [{ role: "system", content: opts.system }] : [];
    return {
      path,
      body: { model: opts.model, stream: true, stream_options: { include_usage: true }, messages: [...system, ...opts.turns] },
    };
  }
  const body: Record<string, unknown> = { model: opts.model, stream: true, input: opts.turns.map((t) => ({ role: t.role, content: t.content })) };
  if (opts.system) body.instructions = opts.system;
  return { path, body };
}
