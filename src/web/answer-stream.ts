/**
 * What the playground reads off a streamed answer, event by event, for either protocol: the
 * text to add, the Response's id (for the next turn's `previous_response_id`), the tokens out
 * (usage, when the stream reports it) and an error. Pure.
 */
import type { SseEvent } from "./sse.ts";

export type Protocol = "chat" | "responses";

export interface AnswerPiece {
  text?: string;
  responseId?: string;
  outputTokens?: number;
  error?: string;
}

type Json = Record<string, any>;

function parse(data: string): Json | undefined {
  try {
    const v = JSON.parse(data);
    return v && typeof v === "object" ? (v as Json) : undefined;
  } catch {
    return undefined;
  }
}

const errorText = (e: unknown): string => (e && typeof e === "object" && typeof (e as Json).message === "string" ? (e as Json).message : JSON.stringify(e));

export function readPiece(protocol: Protocol, sse: SseEvent): AnswerPiece {
  if (sse.data === "[DONE]") return {};
  const d = parse(sse.data);
  if (!d) return {};
  if (d.error) return { error: errorText(d.error) };
  if (protocol === "chat") {
    const piece: AnswerPiece = {};
    const content = d.choices?.[0]?.delta?.content;
    if (typeof content === "string" && content) piece.text = content;
    if (typeof d.usage?.completion_tokens === "number") piece.outputTokens = d.usage.completion_tokens;
    return piece;
  }
  const type = typeof d.type === "string" ? d.type : sse.event;
  switch (type) {
    case "response.output_text.delta":
      return typeof d.delta === "string" ? { text: d.delta } : {};
    case "response.created":
    case "response.in_progress":
      return typeof d.response?.id === "string" ? { responseId: d.response.id } : {};
    case "response.completed":
    case "response.incomplete": {
      const piece: AnswerPiece = {};
      if (typeof d.response?.id === "string") piece.responseId = d.response.id;
      if (typeof d.response?.usage?.output_tokens === "number") piece.outputTokens = d.response.usage.output_tokens;
      return piece;
    }
    case "response.failed":
      return { error: errorText(d.response?.error ?? "the response failed") };
    case "error":
      return { error: errorText(d) };
    default:
      return {};
  }
}

/**
 * The body of one playground turn. `history` holds the turns so far: chat sends them all, and so
 * does Responses when it has no earlier response to continue from (the first Responses turn after
 * chat turns, or a turn sent to another participant than the last one: a `previous_response_id`
 * would bring the answer back to the participant holding it). With one, only the new input.
 */
export function requestBody(protocol: Protocol, model: string, history: { role: "user" | "assistant"; content: string }[], input: string, previousResponseId: string | undefined): Json {
  const messages = [...history, { role: "user", content: input }];
  if (protocol === "chat") return { model, stream: true, stream_options: { include_usage: true }, messages };
  if (previousResponseId) return { model, stream: true, input, previous_response_id: previousResponseId };
  return { model, stream: true, input: history.length > 0 ? messages : input };
}
