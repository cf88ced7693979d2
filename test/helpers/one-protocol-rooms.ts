/**
 * A hub with two rooms, each with one participant that speaks only one protocol: `chat` (no
 * /v1/responses) and `responses` (no /v1/chat/completions). Requests in the other protocol go
 * through the hub's adapters. And a hub whose one room's participant speaks only Anthropic's
 * Messages API (`startMessagesRoom`).
 */
import { MANY_AT_ONCE, startTestHub, type TestHub } from "./hub.ts";
import { startFakeUpstream, type FakeUpstream } from "./fake-upstream.ts";

export interface OneProtocolRooms {
  hub: TestHub;
  chat: { upstream: FakeUpstream; room: string; id: string };
  responses: { upstream: FakeUpstream; room: string; id: string };
  stop(): Promise<void>;
}

export async function startOneProtocolRooms(opts: { chatModel?: string; responsesModel?: string } = {}): Promise<OneProtocolRooms> {
  const hub = startTestHub();
  const side = async (kind: "chat" | "responses", model: string) => {
    const upstream = startFakeUpstream({ models: [model], chat: kind === "chat", responses: kind === "responses" });
    const room = await hub.createRoom({ name: `${kind}-only` });
    const res = await hub.join(room, { id: kind, nickname: kind, model, endpoint: upstream.url });
    if (res.status !== 201) throw new Error(`join ${kind}-only: ${res.status} ${await res.text()}`);
    return { upstream, room, id: kind };
  };
  const chat = await side("chat", opts.chatModel ?? "m");
  const responses = await side("responses", opts.responsesModel ?? "m");
  return {
    hub,
    chat,
    responses,
    stop: async () => {
      await hub.stop();
      await chat.upstream.stop();
      await responses.upstream.stop();
    },
  };
}

export interface MessagesRoom {
  hub: TestHub;
  /** The participant: Anthropic's /v1/messages only (no OpenAI route), model `claude`, id `claude`. */
  upstream: FakeUpstream;
  room: string;
  stop(): Promise<void>;
}

/** A hub with one room whose only participant speaks only Anthropic's Messages API. */
export async function startMessagesRoom(): Promise<MessagesRoom> {
  const hub = startTestHub();
  const upstream = startFakeUpstream({ models: ["claude"], chat: false, responses: false, messages: true });
  const room = await hub.createRoom({ name: "messages-only" });
  const res = await hub.join(room, { id: "claude", nickname: "claude", model: "claude", endpoint: upstream.url, ...MANY_AT_ONCE });
  if (res.status !== 201) throw new Error(`join messages-only: ${res.status} ${await res.text()}`);
  return {
    hub,
    upstream,
    room,
    stop: async () => {
      await hub.stop();
      await upstream.stop();
    },
  };
}
