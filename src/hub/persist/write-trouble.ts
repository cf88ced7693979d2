/**
 * A write to the room store that is retried on a timer (the usage ledger every second, rooms'
 * last use at every sweep) and keeps failing — a full disk, a volume gone read-only — would log
 * the same warning on every retry, thousands an hour. `WriteTrouble` says it once when the
 * writes start failing and once when they work again.
 */
export interface TroubleLog {
  warn(message: string): void;
  info(message: string): void;
}

export class WriteTrouble {
  private failing = false;

  /** `recovered`: what is said when the writes work again ("the usage ledger is written again"). */
  constructor(
    private readonly recovered: string,
    private readonly log?: TroubleLog,
  ) {}

  /** A write failed: `warning` is said now, unless the last write failed too. */
  failed(warning: string): void {
    if (this.failing) return;
    this.failing = true;
    this.log?.warn(`${warning} (said once; the hub says when it works again)`);
  }

  /** A write worked: after failures, that is said. */
  succeeded(): void {
    if (!this.failing) return;
    this.failing = false;
    this.log?.info(this.recovered);
  }
}
