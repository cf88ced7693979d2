/**
 * Typed per-room pub/sub for `/rooms/:code/events`. One instance per hub (no module state):
 * two hubs in one test process never see each other's events.
 */
export type HubEventType =
  | "connected"
  | "participant.joined"
  | "participant.updated"
  | "participant.left"
  | "participant.offline"
  | "participant.online"
  | "participant.unhealthy"
  | "participant.healthy"
  | "llm.request"
  | "llm.retry"
  | "llm.complete"
  | "llm.error"
  | "room.deleted";

export interface HubEvent {
  type: HubEventType;
  roomCode: string;
  timestamp: number;
  data: Record<string, unknown>;
}

export type Listener = (event: HubEvent) => void;

export class EventBus {
  private readonly listeners = new Map<string, Set<Listener>>();

  constructor(private readonly now: () => number) {}

  subscribe(roomCode: string, listener: Listener): () => void {
    let set = this.listeners.get(roomCode);
    if (!set) this.listeners.set(roomCode, (set = new Set()));
    set.add(listener);
    return () => {
      set!.delete(listener);
      if (set!.size === 0) this.listeners.delete(roomCode);
    };
  }

  publish(roomCode: string, type: HubEventType, data: Record<string, unknown>): void {
    const set = this.listeners.get(roomCode);
    if (!set) return;
    const event: HubEvent = { type, roomCode, timestamp: this.now(), data };
    for (const l of set) l(event);
  }

  /** Whether anyone listens: lets hot paths skip building event payloads nobody will read. */
  watched(roomCode: string): boolean {
    return this.listeners.has(roomCode);
  }

  subscriberCount(roomCode: string): number {
    return this.listeners.get(roomCode)?.size ?? 0;
  }
}
