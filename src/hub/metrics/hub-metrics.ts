/**
 * The hub's Prometheus counters and histograms, kept by hand (bench/experiments/metrics-cost.ts
 * measured prom-client against this): everything a request adds is added once, when its
 * attempt ends (`attemptEnded`, from dispatch.ts's `onFinish`), in a series found by room,
 * participant, model and protocol (adapted or not) through a tree of Maps (protocol/map-branch.ts:
 * no key string is built per request); nothing per streamed event.
 * Gauges (in flight, queue depth, participants) are not kept here: scrape.ts reads them off
 * the rooms when /metrics is asked.
 *
 * Label values are bounded and never a secret: a room's code (the first `roomCap` rooms seen
 * keep theirs, later ones are folded into `other`), a participant's id (never its nickname;
 * past `participantCap` ids, `other`), the model a participant serves, the protocol, and fixed
 * words (result, error stage, retry reason). The model a client asked for is never a label.
 */
import { AttemptBatch, type AttemptEnd } from "../inference/attempt-end.ts";
import type { Family, Labels } from "./exposition.ts";
import { Histogram, LATENCY_BUCKETS, OVERHEAD_BUCKETS } from "./histogram.ts";
import { branch, subMap } from "../../protocol/map-branch.ts";

export interface MetricsLimits {
  /** Rooms with a label of their own; the rest are `other` (default 100; `gambi hub --metrics-max-rooms`). */
  roomCap: number;
  /** Participant ids with a label of their own, hub-wide; the rest are `other` (default 1,000). */
  participantCap: number;
}

export const DEFAULT_METRICS_LIMITS: MetricsLimits = { roomCap: 100, participantCap: 1000 };
export const OTHER = "other";
const NONE = "none";
/** The tree's last key of an adapted request: its protocol, marked (a constant, not built per request). */
const ADAPTED: Record<string, string> = { chat: "chat adapted", responses: "responses adapted", messages: "messages adapted", embeddings: "embeddings adapted" };

class RequestSeries {
  /** Requests by `result` and error stage: "ok", "aborted\0client", "error\0connect", … */
  readonly results = new Map<string, number>();
  readonly ttft = new Histogram(LATENCY_BUCKETS);
  readonly duration = new Histogram(LATENCY_BUCKETS);
  inputTokens = 0;
  outputTokens = 0;
  estimatedInputTokens = 0;
  estimatedOutputTokens = 0;
  constructor(readonly labels: Labels) {}
}

interface Count {
  labels: Labels;
  value: number;
}

export class HubMetrics {
  /** Every series, for the scrape; `tree` finds one by its labels. */
  private readonly series: RequestSeries[] = [];
  private readonly tree = new Map<string, Map<string, Map<string, Map<string, RequestSeries>>>>();
  private readonly rooms = new Map<string, string>();
  private readonly participants = new Set<string>();
  private readonly queueWait = new Map<string, Histogram>();
  private readonly overhead = new Map<string, Histogram>();
  private readonly retries = new Map<string, Count>();
  private readonly cooldowns = new Map<string, Count>();
  private readonly batch = new AttemptBatch((a) => this.fold(a));

  constructor(private readonly limits: MetricsLimits = DEFAULT_METRICS_LIMITS) {}

  /** A room's label: its code while under the cap (first come, kept for the hub's life), else `other`. */
  roomLabel(code: string): string {
    const known = this.rooms.get(code);
    if (known !== undefined) return known;
    const label = this.rooms.size < this.limits.roomCap ? code : OTHER;
    this.rooms.set(code, label);
    return label;
  }

  private participantLabel(id: string | undefined): string {
    if (id === undefined) return NONE;
    if (this.participants.has(id)) return id;
    if (this.participants.size >= this.limits.participantCap) return OTHER;
    this.participants.add(id);
    return id;
  }

  /** Counted with the next batch (inference/attempt-end.ts), before the next scrape. */
  attemptEnded(a: AttemptEnd): void {
    this.batch.add(a);
  }

  /** Folds what waits now (the hub's one-second timer: a record waits that long at most). */
  settle(): void {
    this.batch.settle();
  }

  private fold(a: AttemptEnd): void {
    const room = this.roomLabel(a.room.code);
    const participant = this.participantLabel(a.participant?.id);
    const model = a.participant ? (a.model ?? NONE) : NONE;
    const adapted = a.adapted ? "true" : "false";
    const byModel = subMap(subMap(this.tree, room), participant);
    const s = branch(subMap(byModel, model), a.adapted ? ADAPTED[a.protocol] : a.protocol, () => {
      const created = new RequestSeries([
        ["room", room],
        ["participant", participant],
        ["model", model],
        ["protocol", a.protocol],
        ["adapted", adapted],
      ]);
      this.series.push(created);
      return created;
    });
    const result = a.result === "ok" ? "ok" : `${a.result}\0${a.stage ?? NONE}`;
    s.results.set(result, (s.results.get(result) ?? 0) + 1);
    if (a.participant) {
      if (a.ttftMs !== undefined) s.ttft.observe(a.ttftMs / 1000);
      s.duration.observe(a.durationMs / 1000);
    }
    s.inputTokens += a.inputTokens;
    s.outputTokens += a.outputTokens;
    s.estimatedInputTokens += a.estimatedInputTokens;
    s.estimatedOutputTokens += a.estimatedOutputTokens;
  }

  /**
   * A request got a participant: its wait for the slot (0 when one was free: those are counted
   * too), and on its first attempt the hub's own time on it, in seconds (dispatch.ts says what
   * is counted). One call, as the request leaves for its participant.
   */
  leased(roomCode: string, protocol: string, waitedMs: number, overheadSeconds: number | undefined): void {
    const room = this.roomLabel(roomCode);
    let wait = this.queueWait.get(room);
    if (wait === undefined) this.queueWait.set(room, (wait = new Histogram(LATENCY_BUCKETS)));
    wait.observe(waitedMs / 1000);
    if (overheadSeconds === undefined) return;
    let own = this.overhead.get(protocol);
    if (own === undefined) this.overhead.set(protocol, (own = new Histogram(OVERHEAD_BUCKETS)));
    own.observe(overheadSeconds);
  }

  retried(roomCode: string, reason: string): void {
    const room = this.roomLabel(roomCode);
    bump(this.retries, `${room}\0${reason}`, () => [
      ["room", room],
      ["reason", reason],
    ]);
  }

  cooledDown(roomCode: string, participantId: string): void {
    const room = this.roomLabel(roomCode);
    const participant = this.participantLabel(participantId);
    bump(this.cooldowns, `${room}\0${participant}`, () => [
      ["room", room],
      ["participant", participant],
    ]);
  }

  /** The counters and histograms, for scrape.ts. */
  families(): Family[] {
    this.batch.settle();
    const all = this.series;
    const requests = all.flatMap((s) =>
      [...s.results].map(([key, value]) => {
        const [result, stage] = key.split("\0") as [string, string | undefined];
        return { labels: [...s.labels, ["result", result], ["stage", stage ?? NONE]] as Labels, value };
      }),
    );
    const withParticipant = all.filter((s) => s.duration.count > 0);
    const tokens = (pick: (s: RequestSeries) => number) => all.map((s) => ({ labels: s.labels.slice(0, 3), value: pick(s) }));
    return [
      { name: "gambi_requests_total", help: "Attempts at inference requests that ended, by room, participant, model, protocol, adapted, result (ok, error, aborted) and error stage.", type: "counter", samples: requests },
      { name: "gambi_ttft_seconds", help: "Time from an attempt's start to its first content (streams).", type: "histogram", histograms: withParticipant.filter((s) => s.ttft.count > 0).map((s) => ({ labels: s.labels, histogram: s.ttft })) },
      { name: "gambi_request_duration_seconds", help: "Time from an attempt's start to its end.", type: "histogram", histograms: withParticipant.map((s) => ({ labels: s.labels, histogram: s.duration })) },
      { name: "gambi_input_tokens_total", help: "Input tokens of ended attempts (reported by the participant, or estimated by the hub).", type: "counter", samples: tokens((s) => s.inputTokens) },
      { name: "gambi_output_tokens_total", help: "Output tokens of ended attempts (reported by the participant, or estimated by the hub).", type: "counter", samples: tokens((s) => s.outputTokens) },
      { name: "gambi_estimated_input_tokens_total", help: "The part of gambi_input_tokens_total the hub estimated (no usage in the answer).", type: "counter", samples: tokens((s) => s.estimatedInputTokens) },
      { name: "gambi_estimated_output_tokens_total", help: "The part of gambi_output_tokens_total the hub estimated (no usage in the answer).", type: "counter", samples: tokens((s) => s.estimatedOutputTokens) },
      { name: "gambi_queue_wait_seconds", help: "Time a request waited for a participant before each lease (0 when one was free).", type: "histogram", histograms: [...this.queueWait].map(([room, histogram]) => ({ labels: [["room", room]], histogram })) },
      {
        name: "gambi_hub_overhead_seconds",
        help: "The hub's own time on a request: from its arrival to its first upstream fetch, less any wait in the room's queue.",
        type: "histogram",
        histograms: [...this.overhead].map(([protocol, histogram]) => ({ labels: [["protocol", protocol]], histogram })),
      },
      { name: "gambi_retries_total", help: "Requests sent to another participant after a failure before the first byte, by reason.", type: "counter", samples: [...this.retries.values()] },
      { name: "gambi_cooldowns_total", help: "Cooldowns a participant's 429 started.", type: "counter", samples: [...this.cooldowns.values()] },
    ];
  }
}

function bump(map: Map<string, Count>, key: string, labels: () => Labels): void {
  const c = map.get(key);
  if (c) c.value++;
  else map.set(key, { labels: labels(), value: 1 });
}
