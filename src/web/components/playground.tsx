/**
 * Chat with the room from the page: `*`, a model or a participant; Chat Completions (the whole
 * conversation sent each turn) or Responses (each turn names the last one's id as
 * `previous_response_id`, as long as the last turn was a Responses turn sent to the same choice:
 * otherwise the whole conversation goes, so that the participant chosen answers and knows it). The answer streams in; then who answered (the hub's
 * `x-gambi-participant` header), time to first token and tokens/s as this page measured them.
 */
import { useRef, useState } from "preact/hooks";
import { errorOf, headersFor } from "../api.ts";
import { readPiece, requestBody, type Protocol } from "../answer-stream.ts";
import { ms, rate } from "../format.ts";
import { readSse } from "../sse.ts";
import type { ParticipantView } from "../types.ts";

interface Turn {
  role: "user" | "assistant";
  content: string;
  who?: string;
  ttftMs?: number;
  tokensPerSecond?: number;
  error?: string;
  done?: boolean;
}

interface Props {
  code: string;
  password?: string;
  participants: ParticipantView[];
  models: string[];
}

export function Playground({ code, password, participants, models }: Props) {
  const [target, setTarget] = useState("*");
  const [protocol, setProtocol] = useState<Protocol>("chat");
  const [turns, setTurns] = useState<Turn[]>([]);
  const [input, setInput] = useState("");
  const [busy, setBusy] = useState(false);
  /** The last turn's Response, and where it was sent: continued only by a Responses turn sent there too. */
  const previous = useRef<{ id: string; target: string } | undefined>(undefined);
  const abort = useRef<AbortController | undefined>(undefined);

  const update = (patch: Partial<Turn>) => setTurns((ts) => [...ts.slice(0, -1), { ...ts.at(-1)!, ...patch }]);
  const reset = () => {
    abort.current?.abort();
    previous.current = undefined;
    setTurns([]);
  };

  const send = async () => {
    const text = input.trim();
    if (!text || busy) return;
    const history = turns.filter((t) => !t.error).map((t) => ({ role: t.role, content: t.content }));
    setTurns((ts) => [...ts, { role: "user", content: text }, { role: "assistant", content: "" }]);
    setInput("");
    setBusy(true);
    const controller = (abort.current = new AbortController());
    const started = performance.now();
    let first: number | undefined;
    let content = "";
    let outputTokens: number | undefined;
    let responseId: string | undefined;
    try {
      const res = await fetch(`/rooms/${encodeURIComponent(code)}/v1/${protocol === "chat" ? "chat/completions" : "responses"}`, {
        method: "POST",
        headers: headersFor(password, true),
        body: JSON.stringify(requestBody(protocol, target, history, text, protocol === "responses" && previous.current?.target === target ? previous.current.id : undefined)),
        signal: controller.signal,
      });
      const id = res.headers.get("x-gambi-participant");
      const who = participants.find((p) => p.id === id)?.nickname ?? id ?? undefined;
      if (!res.ok || !res.body) throw await errorOf(res);
      update({ who });
      for await (const sse of readSse(res.body)) {
        const piece = readPiece(protocol, sse);
        if (piece.error) throw new Error(piece.error);
        if (piece.responseId) responseId = piece.responseId;
        if (piece.outputTokens !== undefined) outputTokens = piece.outputTokens;
        if (piece.text) {
          first ??= performance.now();
          content += piece.text;
          update({ content, ttftMs: first - started });
        }
      }
      const end = performance.now();
      const tokensPerSecond = outputTokens && first !== undefined && end > first ? (outputTokens * 1000) / (end - first) : undefined;
      update({ content, done: true, tokensPerSecond });
      // A chat turn leaves nothing to continue from: the next Responses turn sends the conversation.
      previous.current = responseId ? { id: responseId, target } : undefined;
    } catch (err) {
      update({ error: controller.signal.aborted ? "stopped" : (err as Error).message, done: true });
    } finally {
      setBusy(false);
      abort.current = undefined;
    }
  };

  const last = turns.at(-1);
  // Said once per turn, not per streamed piece: while it streams, only that an answer is coming.
  const announcement = busy ? "Waiting for the answer…" : last?.role === "assistant" && last.done ? (last.error ? `No answer: ${last.error}` : `Answer${last.who ? ` from ${last.who}` : ""}: ${last.content}`) : "";

  return (
    <section class="card playground" aria-labelledby="playground-title">
      <h2 id="playground-title">Playground</h2>
      <div class="row">
        <div class="field">
          <label for="pg-target">Send to</label>
          <select id="pg-target" value={target} onChange={(e) => setTarget(e.currentTarget.value)}>
            <option value="*">* (anyone in the room)</option>
            {models.length > 0 && (
              <optgroup label="Model">
                {models.map((m) => (
                  <option key={`m:${m}`} value={m}>
                    {m}
                  </option>
                ))}
              </optgroup>
            )}
            {participants.length > 0 && (
              <optgroup label="Participant">
                {participants.map((p) => (
                  <option key={`p:${p.id}`} value={p.id}>
                    {p.nickname}
                  </option>
                ))}
              </optgroup>
            )}
          </select>
        </div>
        <fieldset class="field">
          <legend>API</legend>
          <label class="inline">
            <input type="radio" name="pg-protocol" value="chat" checked={protocol === "chat"} onChange={() => setProtocol("chat")} /> Chat Completions
          </label>
          <label class="inline">
            <input type="radio" name="pg-protocol" value="responses" checked={protocol === "responses"} onChange={() => setProtocol("responses")} /> Responses
          </label>
        </fieldset>
      </div>
      <ol class="transcript" data-testid="transcript" aria-label="Conversation" tabIndex={turns.length > 0 ? 0 : undefined}>
        {turns.map((t, i) => (
          <li key={i} class={t.role}>
            <span class="sr-only">{t.role === "user" ? "You:" : "Answer:"}</span>
            <p class="bubble" data-testid={t.role === "assistant" ? "answer" : undefined}>
              {t.content || (t.role === "assistant" && !t.done ? "…" : "")}
            </p>
            {t.role === "assistant" && (t.done || t.who) && (
              <p class="meta" data-testid={t.done ? "answer-meta" : undefined}>
                {t.error ? <span class="error">{t.error}</span> : null}
                {t.who && ` answered by ${t.who}`}
                {t.ttftMs !== undefined && ` · TTFT ${ms(t.ttftMs)}`}
                {t.done && t.tokensPerSecond !== undefined && ` · ${rate(t.tokensPerSecond)}`}
              </p>
            )}
          </li>
        ))}
      </ol>
      <p class="sr-only" role="status" data-testid="answer-status">
        {announcement}
      </p>
      <form
        class="compose"
        onSubmit={(e) => {
          e.preventDefault();
          void send();
        }}
      >
        <label for="pg-input" class="sr-only">
          Message
        </label>
        <textarea
          id="pg-input"
          rows={2}
          placeholder="Ask the room… (Enter sends, Shift+Enter for a new line)"
          value={input}
          onInput={(e) => setInput(e.currentTarget.value)}
          onKeyDown={(e) => {
            if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
              e.preventDefault();
              void send();
            }
          }}
        />
        <div class="actions">
          {busy ? (
            <button type="button" onClick={() => abort.current?.abort()}>
              Stop
            </button>
          ) : (
            <button type="submit" disabled={!input.trim()}>
              Send
            </button>
          )}
          <button type="button" class="ghost" onClick={reset} disabled={turns.length === 0}>
            New conversation
          </button>
        </div>
      </form>
    </section>
  );
}
