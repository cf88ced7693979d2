/**
 * What-if experiment, never used by default: `bun bench/proxy.ts --hub-preload
 * bench/experiments/skip-sse-observation.ts` runs the hub with its SSE decoder switched off,
 * so streams are forwarded without being observed. That breaks what observation is for
 * (TTFT and usage in llm.complete events, Responses ids for lifecycle routing), so the figures
 * are an upper bound: how fast the passthrough would be if it decoded (almost) nothing, i.e.
 * how much of the hub's per-event cost is `SseDecoder` + `observe.ts`.
 */
import { SseDecoder } from "../../src/protocol/sse/decode.ts";

const none = () => [];
Object.assign(SseDecoder.prototype, { push: none, end: none });
