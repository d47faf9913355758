/**
 * The clock every L2 state machine runs on. Production uses the real timers; tests use FakeClock and
 * move time by hand, so a 5 s announcement burst or a 250 ms liveness timeout runs in microseconds
 * and never depends on how loaded the test machine is.
 */
export interface TimerHandle {
  cancel(): void;
}

export interface Clock {
  /** Milliseconds on a monotonic scale (only differences mean anything). */
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
}

export const realClock: Clock = {
  now: () => performance.now(),
  setTimeout(fn, ms) {
    const t = setTimeout(fn, ms);
    // A pending burst or liveness timer must not keep a finished process alive.
    t.unref();
    return { cancel: () => clearTimeout(t) };
  },
};

interface PendingTimer {
  at: number;
  order: number;
  fn: () => void;
  cancelled: boolean;
}

/** A manual clock: timers fire, in time order, only inside advance(). */
export class FakeClock implements Clock {
  private current: number;
  private timers: PendingTimer[] = [];
  private nextOrder = 0;

  constructor(start = 0) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const timer: PendingTimer = { at: this.current + Math.max(0, ms), order: this.nextOrder++, fn, cancelled: false };
    this.timers.push(timer);
    return { cancel: () => void (timer.cancelled = true) };
  }

  /** Moves time forward by `ms`, firing every timer that falls due (including ones scheduled meanwhile). */
  advance(ms: number): void {
    const end = this.current + ms;
    for (;;) {
      const due = this.timers
        .filter(t => !t.cancelled && t.at <= end)
        .sort((a, b) => a.at - b.at || a.order - b.order)[0];
      if (!due) break;
      this.timers = this.timers.filter(t => t !== due);
      // Overdue timers (after stall()) fire late, at the current time, as real ones do.
      this.current = Math.max(this.current, due.at);
      due.fn();
    }
    this.current = end;
    this.timers = this.timers.filter(t => !t.cancelled);
  }

  /** Moves time forward without firing anything, as when the event loop is blocked; advance() then fires the overdue timers. */
  stall(ms: number): void {
    this.current += ms;
  }

  /** Timers still waiting (for tests that check nothing is left running). */
  pendingCount(): number {
    return this.timers.filter(t => !t.cancelled).length;
  }
}
