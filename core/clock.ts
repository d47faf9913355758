/**
 * The one clock of every Lodestone process, injected wherever time is read or waited on: the L2,
 * BGP and BFD state machines, the watch supervisor, the controller's retries and timestamps, the
 * speaker's relists and status writers. Production uses the real timers; tests use FakeClock and
 * move time by hand, so a 5 s announcement burst, a 250 ms liveness timeout or a 400 ms retry
 * backoff runs in microseconds and never depends on how loaded the test machine is.
 */
export interface TimerHandle {
  cancel(): void;
}

export interface Clock {
  /** Milliseconds on a monotonic scale (only differences mean anything): timeouts, intervals, ages. */
  now(): number;
  /** Milliseconds since the Unix epoch: timestamps written for people and the API (Events, conditions). */
  wallNow(): number;
  /** Runs fn once after ms (0 or less: as soon as possible). */
  setTimeout(fn: () => void, ms: number): TimerHandle;
}

export const realClock: Clock = {
  now: () => performance.now(),
  wallNow: () => Date.now(),
  setTimeout(fn, ms) {
    const t = setTimeout(fn, ms);
    // A pending burst, retry or liveness timer must not keep a finished process alive.
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

/** Where a FakeClock's wall time starts unless told: a fixed date, so timestamps in tests are exact. */
export const FAKE_WALL_START = Date.UTC(2026, 10, 22, 1, 0, 0);

/** A manual clock: timers fire, in time order, only inside advance(). Wall time moves with monotonic time. */
export class FakeClock implements Clock {
  private current: number;
  private timers: PendingTimer[] = [];
  private nextOrder = 0;
  private readonly wallOffset: number;

  /** `start`: the first monotonic reading; `wallStart`: the first wall reading. */
  constructor(start = 0, wallStart = FAKE_WALL_START) {
    this.current = start;
    this.wallOffset = wallStart - start;
  }

  now(): number {
    return this.current;
  }

  wallNow(): number {
    return this.current + this.wallOffset;
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

  /** Delays of the waiting timers from now, soonest first. */
  pending(): number[] {
    return this.timers
      .filter(t => !t.cancelled)
      .map(t => t.at - this.current)
      .sort((a, b) => a - b);
  }
}

/**
 * A clock that notes how late its timers fire: what a timing process (the BFD runner)
 * reports when its CPU is short. It watches the timers that matter, when they matter, with no
 * wake-ups of its own (a 10 ms event-loop probe cost a runner 0.4 % of a core at idle).
 */
export class LatenessClock implements Clock {
  private maxLateMs = 0;

  constructor(private readonly inner: Clock) {}

  now(): number {
    return this.inner.now();
  }

  wallNow(): number {
    return this.inner.wallNow();
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const due = this.inner.now() + Math.max(0, ms);
    return this.inner.setTimeout(() => {
      this.maxLateMs = Math.max(this.maxLateMs, this.inner.now() - due);
      fn();
    }, ms);
  }

  /** How late the latest timer fired since the last call (0 if none was late), in ms; starts over. */
  takeMaxLateMs(): number {
    const late = this.maxLateMs;
    this.maxLateMs = 0;
    return late;
  }
}

/** RFC 3339 with seconds precision, as metav1.Time serialises. */
export const rfc3339 = (ms: number): string => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(".000Z", "Z");
