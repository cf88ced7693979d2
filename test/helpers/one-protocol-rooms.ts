/**
 * A hub with two rooms, each with one participant that speaks only one protocol: `chat` (no
 * /v1/responses) and `responses` (no /v1/chat/completions). Requests in the other protocol go
 * through the hub's adapters.
 */
import { startTestHub, type TestHub } from "./hub.ts";
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
