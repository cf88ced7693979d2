/**
 * `gambi chat`: try a room from the terminal. The answer streams to stdout as it arrives; who
 * answered and how fast (TTFT, tokens/s) go to stderr, so `gambi chat ... > answer.txt` keeps
 * only the answer. Without a PROMPT: piped stdin is the prompt; a terminal gets a multi-turn
 * session (an empty line, Ctrl-D or Ctrl-C ends it). A protected room's password comes from
 * --password or, in a terminal, a hidden prompt; it is sent as the bearer token.
 * Exit codes: see src/chat/reply.ts (3 hub or endpoint unreachable, timed out or cut off
 * mid-answer, or no participant online; 4 rejected: no such room or model; 1 the provider's
 * own error mid-answer; 130 Ctrl-C).
 */
import { defineCommand } from "citty";
import { select } from "@clack/prompts";
import { createHubClient, HubError, type HubClient, type PublicRoom } from "../client.ts";
import { log } from "../logger.ts";
import type { Protocol } from "../protocol/protocols.ts";
import { Cancelled, EXIT, UsageError } from "../terminal/errors.ts";
import { ask, canPrompt } from "../terminal/prompt.ts";
import { caArgs, guard, hubCa, hubToken, interactiveArgs, jsonArgs, tokenArgs } from "./_args.ts";
import { findableHubArgs, findHub } from "./_find-hub.ts";
import { askLine, readStdin } from "../chat/input.ts";
import { lookupParticipant, type ParticipantName } from "../chat/participants.ts";
import { askChatPassword, explainRefusal } from "../chat/password.ts";
import { exitCodeForStreamError, sendTurn } from "../chat/reply.ts";
import { buildRequest, type Turn } from "../chat/request.ts";
import { describeParticipant, formatStats, replyStats } from "../chat/stats.ts";

interface Session {
  client: HubClient;
  code: string;
  password?: string;
  protocol: Protocol;
  model: string;
  system?: string;
  json: boolean;
  turns: Turn[];
  names: Map<string, ParticipantName>;
}

const dim = (s: string) => (process.stderr.isTTY && !process.env.NO_COLOR ? `\x1b[2m${s}\x1b[22m` : s);

async function pickRoom(client: HubClient): Promise<PublicRoom> {
  const { rooms } = await client.listRooms();
  if (rooms.length === 0) throw new UsageError(`there are no rooms on ${client.url} yet (gambi create --name ... makes one)`);
  const code = await ask(
    select({
      message: "Which room?",
      options: rooms.map((r) => ({
        value: r.code,
        label: `${r.code}  ${r.name}`,
        hint: `${r.participantCount} participant${r.participantCount === 1 ? "" : "s"}${r.passwordProtected ? ", password" : ""}`,
      })),
    }),
  );
  return rooms.find((r) => r.code === code)!;
}

async function nameOf(s: Session, id: string): Promise<ParticipantName> {
  const known = s.names.get(id);
  if (known?.nickname) return known;
  const found = await lookupParticipant(s.client, s.code, id, s.password, s.model);
  s.names.set(id, found);
  return found;
}

/** One question and its streamed answer; returns the exit code it deserves. A failed turn is dropped from the history. */
async function runTurn(s: Session, prompt: string): Promise<number> {
  s.turns.push({ role: "user", content: prompt });
  const abort = new AbortController();
  const onSigint = () => abort.abort();
  process.on("SIGINT", onSigint);
  let atLineStart = true;
  const endLine = () => {
    if (!atLineStart) process.stdout.write("\n");
    atLineStart = true;
  };
  let reply;
  try {
    reply = await sendTurn({
      client: s.client,
      code: s.code,
      password: s.password,
      protocol: s.protocol,
      request: buildRequest(s.protocol, { model: s.model, system: s.system, turns: s.turns }),
      signal: abort.signal,
      onText: s.json
        ? undefined
        : (text) => {
            process.stdout.write(text);
            atLineStart = text.endsWith("\n");
          },
    });
  } catch (err) {
    s.turns.pop();
    endLine();
    if (abort.signal.aborted) throw new Cancelled();
    throw explainRefusal(err, s.code);
  } finally {
    process.off("SIGINT", onSigint);
  }
  endLine();

  const participant = reply.participantId ? await nameOf(s, reply.participantId) : undefined;
  const stats = replyStats(reply);
  if (s.json) {
    const { lookupError: _, ...who } = participant ?? { id: undefined };
    console.log(
      JSON.stringify({ text: reply.text, room: s.code.toUpperCase(), protocol: s.protocol, participant: participant ? who : null, ...stats, usage: reply.usage ?? null, finishReason: reply.finishReason ?? null, responseId: reply.responseId ?? null, error: reply.error ?? null }),
    );
  }
  if (reply.error) {
    s.turns.pop();
    log.error(`${describeParticipant(participant)}: ${reply.error.message}`);
    return exitCodeForStreamError(reply.error.code);
  }
  s.turns.push({ role: "assistant", content: reply.text });
  if (!s.json) process.stderr.write(dim(formatStats(participant, stats, reply.finishReason)) + "\n");
  return EXIT.ok;
}

/** The multi-turn loop: a failed turn is reported and the session goes on. */
async function converse(s: Session): Promise<void> {
  const api = s.protocol === "chat" ? "Chat Completions" : "Responses API";
  process.stderr.write(dim(`room ${s.code.toUpperCase()} on ${s.client.url} · ${api} · model "${s.model}" · an empty line or Ctrl-D ends`) + "\n");
  const history: string[] = [];
  for (;;) {
    const got = await askLine("> ", history);
    if (got.kind === "interrupt") throw new Cancelled();
    if (got.kind === "eof" || got.line.trim() === "") return;
    try {
      await runTurn(s, got.line);
    } catch (err) {
      if (!(err instanceof HubError)) throw err;
      log.error(err.message);
    }
  }
}

export default defineCommand({
  meta: { name: "chat", description: "Ask a room something from the terminal: streams the answer and shows who answered, TTFT and tokens/s" },
  args: {
    prompt: { type: "positional", required: false, description: "What to ask (without it: piped stdin, or an interactive session in a terminal)" },
    code: { type: "string", description: "Room code (in a terminal, omit it to pick from the hub's rooms)" },
    model: { type: "string", description: 'Who answers: "*" any participant, a participant id, a model name or "model:<name>"', default: "*" },
    system: { type: "string", description: "System prompt (sent as `instructions` to the Responses API)" },
    instructions: { type: "string", description: "Same as --system" },
    "chat-completions": { type: "boolean", description: "Use /v1/chat/completions instead of the Responses API", default: false },
    password: { type: "string", description: "Room password, for a protected room (in a terminal, asked when needed)" },
    ...findableHubArgs,
    ...caArgs,
    ...tokenArgs,
    ...jsonArgs,
    ...interactiveArgs,
  },
  run: ({ args }) =>
    guard(async () => {
      const interactive = canPrompt(args);
      let prompt: string | undefined = args._.join(" ").trim() || undefined;
      if (prompt === undefined && !process.stdin.isTTY) {
        prompt = (await readStdin()).trim();
        if (!prompt) throw new UsageError("stdin was empty: give a PROMPT argument or pipe one in");
      }
      if (prompt === undefined && !interactive) {
        throw new UsageError("give a PROMPT (or pipe one on stdin); the interactive session needs a terminal");
      }
      if (prompt === undefined && args.json) throw new UsageError("--json needs a PROMPT (argument or stdin), not an interactive session");
      if (args.model.trim() === "") throw new UsageError('--model must not be empty ("*" means any participant)');

      let code = args.code?.trim();
      let room: PublicRoom | undefined;
      // The hub token is only for the room picker's list.
      if (!code && !interactive) throw new UsageError("--code is required (the room code; gambi list shows the rooms)");
      const { url: hub } = await findHub({ flag: args.hub, discover: args.discover, interactive });
      const client = createHubClient(hub, { token: hubToken(args.token), ca: hubCa(args.ca) });
      if (!code) {
        room = await pickRoom(client);
        code = room.code;
      }
      const password = args.password || (interactive ? await askChatPassword(client, code, room) : undefined);
      const session: Session = {
        client,
        code,
        password,
        protocol: args["chat-completions"] ? "chat" : "responses",
        model: args.model.trim(),
        system: args.system || args.instructions || undefined,
        json: args.json,
        turns: [],
        names: new Map(),
      };
      if (prompt === undefined) await converse(session);
      else process.exitCode = await runTurn(session, prompt);
    }),
});
