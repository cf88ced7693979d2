/**
 * A room's waiting requests, fair across callers (a caller is an opaque key: the hub passes a
 * hash of the bearer token or the client's address).
 *
 * Each caller with waiting requests has a lane, first in first out. Lanes are kept in the
 * order their callers were last served (a never-served caller first; a request that found a
 * free slot and never waited counts too, `served`): a free slot goes to the
 * first waiter it may serve, looking lane by lane in that order, and the lane it came from
 * moves to the back. When every waiter may take every slot this is round robin, one request
 * per backlogged caller per round: a caller with 100 waiting delays another's single request
 * by at most one slot per other backlogged caller, not by its 100. When they may not (waiters
 * for other models, pinned ones), a lane passed over keeps its place at the front, so it loses
 * no turn: each participant, in effect, serves the callers that want it in turn. And a waiter
 * for model A never blocks one for model B, in its own lane or another.
 *
 * Whole requests are counted, not tokens: what a request will cost is unknown until it ends
 * (`max_tokens` bounds it, nothing more), and weighting by past tokens would let a caller of
 * short requests starve one of long ones. Deficit round robin needs a cost at dispatch time.
 *
 * A caller's place survives its lane emptying (the last `rememberCallers` callers are
 * remembered), so a closed-loop client sending one request at a time cannot jump ahead of a
 * backlogged one by coming back "new" each time.
 *
 * Bounds and deadlines are the scheduler's; `victimFor` says whom a full queue should turn away
 * (the newest waiter of the longest lane, when that lane is longer than the newcomer's would
 * be: one caller filling the queue does not lock the others out of it). Costs: push and
 * remove O(1) (a caller coming back after others were served: O(lanes)); take O(waiters
 * passed over), 0 of them when the first waiter may take the slot.
 */

export interface QueueEntry<T> {
  readonly item: T;
  readonly caller: string;
}

class Entry<T> implements QueueEntry<T> {
  prev: Entry<T> | undefined;
  next: Entry<T> | undefined;
  constructor(
    readonly item: T,
    readonly caller: string,
    public lane: Lane<T> | undefined,
  ) {}
}

class Lane<T> {
  head: Entry<T> | undefined;
  tail: Entry<T> | undefined;
  size = 0;
  prev: Lane<T> | undefined;
  next: Lane<T> | undefined;
  constructor(
    readonly caller: string,
    /** When its caller was last served (the queue's own counter); 0: never. */
    public stamp: number,
  ) {}
}

export class FairQueue<T> {
  private readonly lanes = new Map<string, Lane<T>>();
  private first: Lane<T> | undefined;
  private last: Lane<T> | undefined;
  /** Stamps of callers with no lane now, oldest first (Map order), at most `rememberCallers`. */
  private readonly stamps = new Map<string, number>();
  private clock = 0;
  private count = 0;

  constructor(private readonly rememberCallers = 4096) {}

  get size(): number {
    return this.count;
  }

  /** Callers with something waiting. */
  get callers(): number {
    return this.lanes.size;
  }

  waitingFor(caller: string): number {
    return this.lanes.get(caller)?.size ?? 0;
  }

  push(caller: string, item: T): QueueEntry<T> {
    let lane = this.lanes.get(caller);
    if (!lane) {
      lane = new Lane<T>(caller, this.stamps.get(caller) ?? 0);
      this.stamps.delete(caller);
      this.lanes.set(caller, lane);
      this.insertLane(lane);
    }
    const entry = new Entry(item, caller, lane);
    entry.prev = lane.tail;
    if (lane.tail) lane.tail.next = entry;
    else lane.head = entry;
    lane.tail = entry;
    lane.size++;
    this.count++;
    return entry;
  }

  /** Takes an entry out (abort, deadline, turned away); false if it was no longer queued. */
  remove(entry: QueueEntry<T>): boolean {
    const e = entry as Entry<T>;
    if (!e.lane) return false;
    this.unlinkEntry(e);
    return true;
  }

  /** The first waiter, in fairness order, that `eligible` accepts; its caller goes to the back. */
  take(eligible: (item: T) => boolean): T | undefined {
    for (let lane = this.first; lane; lane = lane.next) {
      for (let e = lane.head; e; e = e.next) {
        if (!eligible(e.item)) continue;
        lane.stamp = ++this.clock;
        this.unlinkEntry(e);
        if (lane.size > 0) this.moveToBack(lane);
        return e.item;
      }
    }
    return undefined;
  }

  /**
   * A request of `caller` was served without waiting (a slot was free): that counts as its
   * turn, as `take` would have counted it. Else a caller that filled a room's free slots at
   * once would still rank as never served, ahead of whoever queued behind its next requests.
   */
  served(caller: string): void {
    const stamp = ++this.clock;
    const lane = this.lanes.get(caller);
    if (lane) {
      lane.stamp = stamp;
      this.moveToBack(lane);
      return;
    }
    this.stamps.delete(caller);
    this.stamps.set(caller, stamp);
    if (this.stamps.size > this.rememberCallers) this.stamps.delete(this.stamps.keys().next().value!);
  }

  /** Every waiter, in fairness order (a copy: the caller may remove while it walks). */
  entries(): QueueEntry<T>[] {
    const out: QueueEntry<T>[] = [];
    for (let lane = this.first; lane; lane = lane.next) for (let e = lane.head; e; e = e.next) out.push(e);
    return out;
  }

  /**
   * The queue is full and `caller` wants in: the waiter to turn away in its place (the newest
   * of the longest lane, if that lane would still be longer than the newcomer's), or undefined
   * to turn the newcomer away.
   */
  victimFor(caller: string): QueueEntry<T> | undefined {
    let longest: Lane<T> | undefined;
    for (let lane = this.first; lane; lane = lane.next) if (!longest || lane.size > longest.size) longest = lane;
    if (!longest || longest.size <= this.waitingFor(caller) + 1) return undefined;
    return longest.tail;
  }

  /**
   * 1-based: how many would be served before this entry, and it, if every waiter could take
   * every slot (one per lane per round, lanes in order). An estimate when they cannot. O(lanes).
   */
  position(entry: QueueEntry<T>): number {
    const e = entry as Entry<T>;
    const mine = e.lane;
    if (!mine) return 0;
    let k = 0;
    for (let x = mine.head; x && x !== e; x = x.next) k++;
    let ahead = k;
    let before = true;
    for (let lane = this.first; lane; lane = lane.next) {
      if (lane === mine) before = false;
      else ahead += Math.min(lane.size, before ? k + 1 : k);
    }
    return ahead + 1;
  }

  private unlinkEntry(e: Entry<T>): void {
    const lane = e.lane!;
    if (e.prev) e.prev.next = e.next;
    else lane.head = e.next;
    if (e.next) e.next.prev = e.prev;
    else lane.tail = e.prev;
    e.prev = e.next = e.lane = undefined;
    lane.size--;
    this.count--;
    if (lane.size === 0) this.dropLane(lane);
  }

  /** In stamp order; among never-served callers, in order of arrival. */
  private insertLane(lane: Lane<T>): void {
    let after = this.last;
    while (after && after.stamp > lane.stamp) after = after.prev;
    lane.prev = after;
    lane.next = after ? after.next : this.first;
    if (lane.next) lane.next.prev = lane;
    else this.last = lane;
    if (after) after.next = lane;
    else this.first = lane;
  }

  private unlinkLane(lane: Lane<T>): void {
    if (lane.prev) lane.prev.next = lane.next;
    else this.first = lane.next;
    if (lane.next) lane.next.prev = lane.prev;
    else this.last = lane.prev;
    lane.prev = lane.next = undefined;
  }

  private moveToBack(lane: Lane<T>): void {
    if (this.last === lane) return;
    this.unlinkLane(lane);
    lane.prev = this.last;
    this.last!.next = lane;
    this.last = lane;
  }

  private dropLane(lane: Lane<T>): void {
    this.unlinkLane(lane);
    this.lanes.delete(lane.caller);
    if (lane.stamp === 0) return;
    this.stamps.set(lane.caller, lane.stamp);
    if (this.stamps.size > this.rememberCallers) this.stamps.delete(this.stamps.keys().next().value!);
  }
}
