/**
 * One /metrics answer: the counters and histograms the hub kept (hub-metrics.ts), then what is
 * read now rather than kept — requests in flight and waiting per room, participants by status,
 * health and transport, rooms — and the process's own figures (CPU, memory, descriptors,
 * start time; Prometheus's usual `process_*` names). Rooms past the label cap add up under
 * `other`, as their counters do.
 */
import { readdirSync } from "node:fs";
import type { HubContext } from "../context.ts";
import { VERSION } from "../../version.ts";
import { renderFamilies, type Family, type Labels, type Sample } from "./exposition.ts";

/** Sums samples that fold into the same labels (rooms past the cap). */
class Gauge {
  private readonly values = new Map<string, Sample>();
  add(labels: Labels, value: number): void {
    const key = labels.map(([, v]) => v).join("\0");
    const s = this.values.get(key);
    if (s) s.value += value;
    else this.values.set(key, { labels, value });
  }
  get samples(): Sample[] {
    return [...this.values.values()];
  }
}

function openFds(): number | undefined {
  try {
    return readdirSync("/proc/self/fd").length;
  } catch {
    return undefined;
  }
}

function roomGauges(ctx: HubContext): Family[] {
  const inFlight = new Gauge();
  const waiting = new Gauge();
  const participants = new Gauge();
  const rooms = ctx.registry.list();
  for (const room of rooms) {
    const label = ctx.metrics.roomLabel(room.code);
    const view = room.scheduler.view();
    inFlight.add([["room", label]], view.participants.reduce((n, p) => n + p.inFlight, 0));
    waiting.add([["room", label]], view.waiting);
    for (const p of room.participants.values()) {
      participants.add(
        [
          ["room", label],
          ["status", p.status],
          ["health", p.health],
          ["transport", p.transport],
        ],
        1,
      );
    }
  }
  return [
    { name: "gambi_rooms", help: "Rooms on the hub.", type: "gauge", samples: [{ labels: [], value: rooms.length }] },
    { name: "gambi_requests_in_flight", help: "Requests being served by a participant now.", type: "gauge", samples: inFlight.samples },
    { name: "gambi_queue_depth", help: "Requests waiting in a room's queue for a participant now.", type: "gauge", samples: waiting.samples },
    { name: "gambi_participants", help: "Participants by status, health and transport.", type: "gauge", samples: participants.samples },
  ];
}

function processFamilies(ctx: HubContext): Family[] {
  const cpu = process.cpuUsage();
  const mem = process.memoryUsage();
  const fds = openFds();
  const families: Family[] = [
    { name: "process_cpu_seconds_total", help: "User and system CPU time of the hub's process.", type: "counter", samples: [{ labels: [], value: (cpu.user + cpu.system) / 1e6 }] },
    { name: "process_resident_memory_bytes", help: "Resident memory of the hub's process.", type: "gauge", samples: [{ labels: [], value: mem.rss }] },
    { name: "process_heap_bytes", help: "JavaScript heap in use.", type: "gauge", samples: [{ labels: [], value: mem.heapUsed }] },
    { name: "process_start_time_seconds", help: "When the hub's process started, seconds since the epoch.", type: "gauge", samples: [{ labels: [], value: Math.round(performance.timeOrigin) / 1000 }] },
    { name: "gambi_hub_start_time_seconds", help: "When this hub started, seconds since the epoch.", type: "gauge", samples: [{ labels: [], value: ctx.startedAt / 1000 }] },
    { name: "gambi_build_info", help: "The hub's version.", type: "gauge", samples: [{ labels: [["version", VERSION]], value: 1 }] },
  ];
  if (fds !== undefined) families.push({ name: "process_open_fds", help: "Open file descriptors.", type: "gauge", samples: [{ labels: [], value: fds }] });
  return families;
}

export function scrape(ctx: HubContext): string {
  return renderFamilies([...ctx.metrics.families(), ...roomGauges(ctx), ...processFamilies(ctx)]);
}
