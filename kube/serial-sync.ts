/**
 * Runs a sync against the API one at a time: a kick while a sync runs marks it dirty, so exactly
 * one more sync follows (never two at once, never a lost change); a failed sync is retried after
 * `retryMs` on the timer. Each sync computes what differs from what exists, so retrying the whole
 * sync is the recovery. The speaker's status writers (layer 2 and BGP) each drive one.
 */
import type { Clock, TimerHandle } from "../core/clock";

export interface SerialSyncOptions {
  sync: () => Promise<void>;
  /** Schedules the retries (the real clock, or a test's manual one). */
  clock: Clock;
  retryMs: number;
  /** Told about each failed sync (before the retry is scheduled). */
  onError: (e: unknown) => void;
}

export class SerialSync {
  private running: Promise<void> | undefined;
  private dirty = false;
  private retry: TimerHandle | undefined;
  private stoppedFlag = false;

  constructor(private readonly opts: SerialSyncOptions) {}

  get stopped(): boolean {
    return this.stoppedFlag;
  }

  /** Asks for a sync: now when idle, right after the running one otherwise. */
  kick(): void {
    if (this.stoppedFlag) return;
    if (this.running) {
      this.dirty = true;
      return;
    }
    const run = async (): Promise<void> => {
      try {
        await this.drain();
      } finally {
        this.running = undefined;
        // A kick that came after drain's last check but before this point would otherwise be lost.
        if (this.dirty && !this.retry) this.kick();
      }
    };
    this.running = run();
  }

  /** Resolves once no sync is running or due (a retry may still be waiting on its timer). */
  async settled(): Promise<void> {
    while (this.running) await this.running;
  }

  /** No sync starts after this; a waiting retry is cancelled (a running sync finishes). */
  stop(): void {
    this.stoppedFlag = true;
    this.retry?.cancel();
  }

  private async drain(): Promise<void> {
    do {
      this.dirty = false;
      if (this.stoppedFlag) return;
      try {
        await this.opts.sync();
      } catch (e) {
        this.opts.onError(e);
        if (!this.retry) {
          this.retry = this.opts.clock.setTimeout(() => {
            this.retry = undefined;
            this.kick();
          }, this.opts.retryMs);
        }
        return;
      }
    } while (this.dirty && !this.stoppedFlag);
  }
}
