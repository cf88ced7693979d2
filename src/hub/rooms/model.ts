/** TypeBox schemas of the room and participant management API (`/rooms/...`). */
import { t } from "elysia";
import { Type } from "@sinclair/typebox";
import { RuntimeConfig } from "../../protocol/defaults.ts";
import { MAX_CONCURRENCY, MIN_CONCURRENCY } from "../../common/max-concurrency.ts";

export const RoomCode = t.String({ minLength: 1, maxLength: 16 });

export const CreateRoomBody = t.Object({
  name: t.String({ minLength: 1, maxLength: 100 }),
  password: t.Optional(t.String({ minLength: 1, maxLength: 256 })),
  config: t.Optional(RuntimeConfig),
});

/** Machine specs are informational only: a small open object. */
export const Specs = t.Record(t.String({ maxLength: 64 }), t.Union([t.String({ maxLength: 256 }), t.Number(), t.Boolean(), t.Null()]), {
  maxProperties: 32,
});

export const ParticipantId = t.String({ pattern: "^[A-Za-z0-9._:-]{1,64}$" });

const ModelName = t.String({ minLength: 1, maxLength: 256 });

/**
 * `model` (one) or `models` (several, from the same endpoint; the first is the default): at
 * least one of them, or `embeddingModels` (join.ts says so), and with both, `model` is `models[0]`.
 */
export const JoinBody = t.Object({
  id: t.Optional(ParticipantId),
  nickname: t.String({ minLength: 1, maxLength: 64 }),
  model: t.Optional(ModelName),
  models: t.Optional(t.Array(ModelName, { minItems: 1, maxItems: 64, uniqueItems: true })),
  /**
   * The models of the same endpoint that embed (`POST /v1/embeddings`), as it names them: the
   * only ones an embeddings request goes to, and never a chat request (unless also in
   * `models`, for a server that does both with one model). With them, `model`/`models` may be
   * left out: a participant that only embeds (join.ts).
   */
  embeddingModels: t.Optional(t.Array(ModelName, { minItems: 1, maxItems: 64, uniqueItems: true })),
  /**
   * Requests it serves at once; without it, the join probe's guess (protocol/concurrency.ts).
   * TypeBox's own Integer: Elysia's `t.Integer` would take "4" and even [4] for 4.
   */
  maxConcurrency: t.Optional(Type.Integer({ minimum: MIN_CONCURRENCY, maximum: MAX_CONCURRENCY })),
  /** Required for a direct participant; a tunnelled one keeps it on its own machine. */
  endpoint: t.Optional(t.String({ minLength: 1, maxLength: 2048 })),
  /** `tunnel`: the joiner opens `GET /rooms/:code/tunnel` and the hub never dials the endpoint (docs/tunnel.md). */
  transport: t.Optional(t.Union([t.Literal("direct"), t.Literal("tunnel")])),
  password: t.Optional(t.String({ maxLength: 256 })),
  specs: t.Optional(Specs),
  config: t.Optional(RuntimeConfig),
  authHeaders: t.Optional(t.Record(t.String({ maxLength: 128 }), t.String({ maxLength: 8192 }), { maxProperties: 16 })),
  allowUnlistedModel: t.Optional(t.Boolean()),
});
export type JoinBody = typeof JoinBody.static;

export const HeartbeatBody = t.Object({ id: t.String({ minLength: 1, maxLength: 64 }) });
