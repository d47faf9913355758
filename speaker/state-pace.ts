/**
 * How long the speaker rests between two states while the cluster keeps changing. A state is a pass
 * over every Service (speaker-state.ts, then the data planes' handlers); at 10,000 Services being
 * created, states would otherwise follow each other back to back and take the speaker's whole core,
 * starving its watches and status writes and, three speakers to two cores, the API server (the
 * eighth pass of docs/benchmarks.md). After a state that took `t` ms, the next waits until `factor * t`
 * ms have passed: recomputing takes at most 1 / (1 + factor) of a core. A state cheaper than `minMs /
 * factor` (a cluster of hundreds of Services) is not paced at all.
 */
export interface StatePaceOptions {
  factor?: number;
  minMs?: number;
  maxMs?: number;
}

export class StatePace {
  private readonly factor: number;
  private readonly minMs: number;
  private readonly maxMs: number;
  private restUntil = -Infinity;

  constructor(opts: StatePaceOptions = {}) {
    this.factor = opts.factor ?? 2;
    this.minMs = opts.minMs ?? 20;
    this.maxMs = opts.maxMs ?? 5000;
  }

  /** A state computed from `startedMs` to `endedMs` (its handlers included). */
  computed(startedMs: number, endedMs: number): void {
    const rest = (endedMs - startedMs) * this.factor;
    this.restUntil = rest >= this.minMs ? endedMs + Math.min(rest, this.maxMs) : -Infinity;
  }

  /** How long the next state waits, at `nowMs`. */
  waitMs(nowMs: number): number {
    return Math.max(0, this.restUntil - nowMs);
  }
}
