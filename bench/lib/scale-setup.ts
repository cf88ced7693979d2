/**
 * Registering many participants the way joiners do: rooms through `POST /rooms`, participants
 * through `POST /rooms/:code/join`, each at a URL of its own under one of a few upstream
 * processes (`…/p-N`, see upstream-server.ts), so the hub's join probe is real every time.
 * Each participant carries an auth header and machine specs, as a `gambi join` of a hosted
 * model would: the memory per participant is that of a realistic registration.
 */
import type { Beating } from "./heartbeats.ts";

export interface Registered extends Beating {
  joinMs: number;
}

const SPECS = { platform: "linux", arch: "x64", cpu: "AMD EPYC 7B13", cores: 16, ramGb: 64 };

async function post(url: string, body: unknown): Promise<Response> {
  return fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
}

/** `count` rooms, `concurrency` creations at a time; their codes in order. */
export async function createRooms(hubUrl: string, count: number, concurrency: number): Promise<string[]> {
  const codes: string[] = new Array(count);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      const res = await post(`${hubUrl}/rooms`, { name: `scale ${i}` });
      if (res.status !== 201) throw new Error(`create room ${i}: HTTP ${res.status} ${await res.text()}`);
      codes[i] = ((await res.json()) as { room: { code: string } }).room.code;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return codes;
}

/** `n` participants in one room, numbered from `first` (their URL and key follow the number). */
export async function joinParticipants(hubUrl: string, code: string, n: number, upstreams: string[], first: number, concurrency: number): Promise<Registered[]> {
  const out: Registered[] = [];
  let next = 0;
  const worker = async () => {
    while (next < n) {
      const i = first + next++;
      const t0 = performance.now();
      const res = await post(`${hubUrl}/rooms/${code}/join`, {
        id: `p${i}`,
        nickname: `bench-${i}`,
        model: "bench-model",
        endpoint: `${upstreams[i % upstreams.length]}/p-${i}`,
        authHeaders: { Authorization: `Bearer sk-scale-${i.toString(16).padStart(8, "0")}-not-a-real-key-0123456789abcdef` },
        specs: SPECS,
      });
      if (res.status !== 201) throw new Error(`join p${i} in ${code}: HTTP ${res.status} ${await res.text()}`);
      await res.arrayBuffer();
      out.push({ code, id: `p${i}`, joinMs: performance.now() - t0 });
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return out;
}
