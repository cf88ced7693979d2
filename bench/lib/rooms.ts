/** A bench room with the upstream (or one of its one-protocol paths) joined as its only participant. */
async function post(url: string, body: unknown): Promise<Response> {
  return fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
}

export type Speaks = "both" | "chat" | "responses" | "messages";

/**
 * Creates a room and joins the upstream (at `endpoint`, a base URL under it) as its only
 * participant, through the hub's public API; checks that the join probe found the protocols
 * the endpoint is meant to speak, so an adapted scenario really is adapted.
 */
/**
 * `before`, for bench/experiments/ab.ts: a hub from before rooms pooled (no maxConcurrency, no
 * Responses state) or from before embeddings (no embeddingModels in a join).
 */
export type OlderHub = "pooling" | "embeddings";

export async function setupRoom(hubUrl: string, endpoint: string, name: string, speaks: Speaks, before?: OlderHub): Promise<string> {
  const legacy = before === "pooling";
  const created = await post(`${hubUrl}/rooms`, { name });
  if (created.status !== 201) throw new Error(`create room: HTTP ${created.status} ${await created.text()}`);
  const code = ((await created.json()) as { room: { code: string } }).room.code;
  // An auth header, like a hosted participant's key: the hub then scans every streamed chunk for it.
  const authHeaders = { Authorization: "Bearer sk-bench-not-a-real-key-0123456789" };
  // The bench's upstream serves any number at once: declared, so a run at c=64 measures the hop,
  // not the room queueing behind the one slot an undeclared local server gets.
  // Its one model also embeds (as llama.cpp's server with --embeddings): the embeddings workloads go to the same participant.
  const embeds = speaks === "both" && before === undefined ? { embeddingModels: ["bench-model"] } : {};
  const join = { id: "bench-participant", nickname: "bench", model: "bench-model", endpoint, authHeaders, ...embeds, ...(legacy ? {} : { maxConcurrency: 1024 }) };
  const joined = await post(`${hubUrl}/rooms/${code}/join`, join);
  if (joined.status !== 201) throw new Error(`join ${endpoint}: HTTP ${joined.status} ${await joined.text()}`);
  const participant = ((await joined.json()) as { participant: { capabilities: Record<string, boolean>; responsesState?: string } }).participant;
  const caps = participant.capabilities;
  // A server that keeps conversations (as OpenAI's): the Responses scenarios measure the passthrough, not the hub keeping turns.
  if (!legacy && (speaks === "both" || speaks === "responses") && participant.responsesState !== "stateful") throw new Error(`join ${endpoint}: expected a stateful Responses participant, got ${participant.responsesState}`);
  const expected = { responses: speaks === "both" || speaks === "responses", chatCompletions: speaks === "both" || speaks === "chat", messages: speaks === "messages" };
  // A hub from before Messages participants says nothing of them.
  if (caps.responses !== expected.responses || caps.chatCompletions !== expected.chatCompletions || (caps.messages ?? false) !== expected.messages) {
    throw new Error(`join ${endpoint}: expected the probe to find ${JSON.stringify(expected)}, got ${JSON.stringify(caps)}`);
  }
  return code;
}
