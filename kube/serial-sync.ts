/**
 * Runs a sync against the API one at a time: a kick while a sync runs marks it dirty, so exactly
 * one more sync follows (never two at once, never a lost change); a failed sync is retried after
 * `retryMs` on the timer. Each sync computes what differs from what exists, so retrying the whole
 * sync is the recovery. The speaker's status writers (layer 2 and BGP) each drive one.
 */

/** Schedules `fn` after `ms`; returns a cancel function (real timers, or a test's manual clock). */
export interface SyncTimer {
  setTimer(ms: number, fn: () => void): () => void;
}

export interface SerialSyncOptions {
  sync: () => Promise<void>;
  timer: SyncTimer;
  retryMs: number;
  /** Told about each failed sync (before the retry is scheduled). */
  onError: (e: unknown) => void;
}

export class SerialSync {
  private running: Promise<void> | undefined;
  private dirty = false;
  private retry: (() => void) | undefined;
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
    this.retry?.();
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
          this.retry = this.opts.timer.setTimer(this.opts.retryMs, () => {
            this.retry = undefined;
            this.kick();
          });
        }
        return;
      }
    } while (this.dirty && !this.stoppedFlag);
  }
}
