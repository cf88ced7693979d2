/** What the page reads of the hub's public JSON (src/hub/rooms/views.ts, /health, the events, /usage). */
export interface Health {
  status: string;
  version: string;
  uptime: number;
  rooms: number;
}

export interface RoomView {
  code: string;
  name: string;
  createdAt: number;
  passwordProtected: boolean;
  participantCount?: number;
  queue?: { waiting: number; queueSize: number; queueTimeoutMs: number };
}

export interface ParticipantView {
  id: string;
  nickname: string;
  model: string;
  models: string[];
  transport: string;
  status: string;
  health?: string;
  maxConcurrency?: number;
  limit: number | null;
  inFlight: number;
  cooldownUntil: number | null;
}

export interface HubEvent {
  type: string;
  roomCode: string;
  timestamp: number;
  data: Record<string, unknown>;
}

export interface UsageFigures {
  requests: number;
  errors?: number;
  inputTokens: number;
  outputTokens: number;
  estimatedInputTokens: number;
  estimatedOutputTokens: number;
}

export interface Usage {
  room: string;
  since: string;
  participants: (UsageFigures & { participantId: string; nickname: string; model: string; meanTtftMs: number | null; tokensPerSecond: number | null })[];
  /** `model` "": the caller's requests no participant took. */
  callers: (UsageFigures & { caller: string; model: string })[];
  totals: UsageFigures & { errors: number };
}
