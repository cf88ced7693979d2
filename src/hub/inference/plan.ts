/**
 * What goes upstream for an ordinary request, once the participant is chosen: the body in the
 * protocol the participant speaks and, when that is not the client's, the adapter's mappers
 * bound to the request (protocol/adapters/ picks the adapter). A Responses request on a
 * participant without the Responses API is planned by hub/responses/stored-turn.ts instead: the hub keeps
 * that turn itself. dispatch.ts chooses between the two.
 *
 * Mapping happens before anything is counted or forwarded, so a field the target cannot honour
 * is a plain 400 and the participant never sees the request. Room and participant defaults are
 * applied to the body in the protocol the participant speaks, after mapping: a default the
 * client's protocol has but the participant's lacks (`stop` on a Responses participant) is
 * simply not applied, instead of turning every request into a 400.
 */
import type { RelayOutcome, Translation } from "../../proxy/types.ts";
import type { AdapterContext, StreamFailure } from "../../protocol/adapters/types.ts";
import type { StatelessAdapter } from "../../protocol/adapters/index.ts";
import type { Json } from "../../protocol/json.ts";
import type { Protocol } from "../../protocol/protocols.ts";
import { applyDefaults, type RuntimeConfig } from "../../protocol/defaults.ts";
import type { HubContext } from "../context.ts";
import { replayConversation, type Continuation } from "../responses/continuation.ts";

export interface Plan {
  body: string;
  translation?: Translation;
  /** The client's signal, joined with a cancel (POST …/cancel) when the hub stores the response. */
  signal: AbortSignal;
  /** The hub-minted Responses id, when the hub answers in the client's protocol itself. */
  responseId?: string;
  onFinish(outcome: RelayOutcome): void;
  /** For a non-streaming request cancelled with POST …/cancel: the Response to answer with. */
  cancelled(): Json | undefined;
  /**
   * A passthrough Responses request's upstream body, kept (not copied) to read a refusal by:
   * which `previous_response_id` and `store` went upstream (responses/state.ts).
   */
  upstreamJson?: Json;
  /** The participant's Responses id, as soon as the answer shows it (a kept turn files itself under it). */
  onResponseId?(id: string): void;
  /** Why the upstream was aborted while the client is still there (a POST …/cancel of a passthrough stream). */
  abortReason?(): StreamFailure | undefined;
  /** Response fields a streamed answer must show that the participant was not sent (proxy/types.ts `echo`). */
  echo?: Record<string, unknown>;
  /** A non-streamed answer to give instead of the relayed one (set only by plans that may need it). */
  answer?(relayed: Response): Response;
  /**
   * The hub asked a chat stream's participant for usage (`stream_options.include_usage`) the
   * client did not ask for: the relay drops that usage-only chunk from the client's stream.
   */
  usageAdded?: boolean;
}

const nothing = () => undefined;

/** Whether a chat request asks for a stream's usage chunk itself. */
function asksForUsage(body: Json): boolean {
  const so = body.stream_options;
  return !!so && typeof so === "object" && (so as Json).include_usage === true;
}

/** `adapter` is undefined when the participant speaks the client's protocol (passthrough); `participant` is its id. */
export function planRequest(
  ctx: HubContext,
  protocol: Protocol,
  adapter: StatelessAdapter | undefined,
  body: Json,
  continuation: Continuation | undefined,
  signal: AbortSignal,
  defaults: RuntimeConfig,
  participant?: string,
): Plan {
  const actx: AdapterContext = { newId: ctx.newId, now: ctx.now, participant };
  if (!adapter) {
    applyDefaults(protocol, body, defaults);
    const upstreamBody = continuation?.kind === "stored" ? replayConversation(body, continuation.history, actx) : body;
    if (protocol === "chat" && body.stream === true && !asksForUsage(body)) {
      // The ledger's tokens: asked for, and the extra chunk kept from the client (proxy/relay-passthrough.ts).
      const so = body.stream_options;
      const withUsage = { ...body, stream_options: { ...(so && typeof so === "object" && !Array.isArray(so) ? so : {}), include_usage: true } };
      return { body: JSON.stringify(withUsage), signal, onFinish: nothing, cancelled: nothing, usageAdded: true };
    }
    return { body: JSON.stringify(upstreamBody), signal, onFinish: nothing, cancelled: nothing, upstreamJson: protocol === "responses" ? upstreamBody : undefined };
  }
  const upstreamBody = applyDefaults(adapter.upstream, adapter.mapRequest(body, actx), defaults);
  return {
    body: JSON.stringify(upstreamBody),
    signal,
    translation: {
      upstream: adapter.upstream,
      mapResponse: (json) => adapter.mapResponse(json, body, actx),
      createStreamMapper: () => adapter.createStreamMapper(body, actx),
    },
    onFinish: nothing,
    cancelled: nothing,
  };
}
