/**
 * Time as the controller sees it: an injected clock, so that retries with backoff, event
 * timestamps and condition transition times are testable without waiting on real time.
 */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /** Runs fn after ms; returns a function that cancels it. */
  setTimer(ms: number, fn: () => void): () => void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer: (ms, fn) => {
    const t = setTimeout(fn, ms);
    return () => clearTimeout(t);
  },
};

/** A clock that moves only when told to; due timers run in time order. */
export class FakeClock implements Clock {
  private timers: { at: number; seq: number; fn: () => void }[] = [];
  private seq = 0;

  constructor(private time = Date.UTC(2026, 10, 22, 1, 0, 0)) {}

  now(): number {
    return this.time;
  }

  setTimer(ms: number, fn: () => void): () => void {
    const timer = { at: this.time + Math.max(0, ms), seq: this.seq++, fn };
    this.timers.push(timer);
    return () => {
      this.timers = this.timers.filter(t => t !== timer);
    };
  }

  /** Moves time forward by ms, running every timer that falls due on the way. */
  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      const due = this.timers.filter(t => t.at <= end).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!due) break;
      this.timers = this.timers.filter(t => t !== due);
      this.time = due.at;
      due.fn();
    }
    this.time = end;
  }

  /** Delays of the pending timers from now, soonest first. */
  pending(): number[] {
    return this.timers.map(t => t.at - this.time).sort((a, b) => a - b);
  }
}

/** RFC 3339 with seconds precision, as metav1.Time serialises. */
export const rfc3339 = (ms: number): string => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(".000Z", "Z");
