/**
 * A keyed work queue with per-key exponential backoff, in the manner of client-go's rate-limited
 * workqueue: one task per key at a time, the latest task for a key wins (writes are computed from
 * the newest state when they run, so intermediate states are skipped), and a failed task is retried
 * after base * 2^(failures-1) ms, capped, on the injected clock. A success resets the key's backoff.
 */
import type { Clock, TimerHandle } from "../core/clock";

export type Task = () => Promise<void>;

export interface WorkQueueOptions {
  clock: Clock;
  /** Tasks of different keys that may run at once. */
  concurrency?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Told about every failure, with the delay before the retry. */
  onError?: (key: string, error: unknown, failures: number, delayMs: number) => void;
}

export const DEFAULT_BASE_DELAY_MS = 100;
export const DEFAULT_MAX_DELAY_MS = 60_000;

export class WorkQueue {
  private readonly tasks = new Map<string, Task>();
  private readonly ready: string[] = [];
  private readonly readySet = new Set<string>();
  private readonly running = new Map<string, Promise<void>>();
  private readonly waiting = new Map<string, TimerHandle>();
  private readonly failures = new Map<string, number>();
  private settledWaiters: (() => void)[] = [];
  private stopped = false;
  private readonly concurrency: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;

  constructor(private readonly opts: WorkQueueOptions) {
    this.concurrency = opts.concurrency ?? 4;
    this.baseDelayMs = opts.baseDelayMs ?? DEFAULT_BASE_DELAY_MS;
    this.maxDelayMs = opts.maxDelayMs ?? DEFAULT_MAX_DELAY_MS;
  }

  /** Queues task as the work for key, replacing any not yet started. A key backing off waits for its timer. */
  add(key: string, task: Task): void {
    if (this.stopped) return;
    this.tasks.set(key, task);
    if (this.running.has(key) || this.waiting.has(key)) return;
    this.makeReady(key);
    this.pump();
  }

  /** The delay before the next retry of a key that has failed `failures` times in a row. */
  delayFor(failures: number): number {
    return Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** Math.max(0, failures - 1));
  }

  /** Keys waiting for a retry timer. */
  backingOff(): string[] {
    return [...this.waiting.keys()].sort();
  }

  /** Resolves once no task is running or ready (keys backing off may remain). */
  settled(): Promise<void> {
    if (this.isSettled()) return Promise.resolve();
    return new Promise(resolve => this.settledWaiters.push(resolve));
  }

  /** Drops queued work and retry timers, and waits for running tasks to finish. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.waiting.values()) timer.cancel();
    this.waiting.clear();
    this.ready.length = 0;
    this.readySet.clear();
    this.tasks.clear();
    await Promise.allSettled([...this.running.values()]);
    this.notifySettled();
  }

  private isSettled(): boolean {
    return this.running.size === 0 && this.ready.length === 0;
  }

  private makeReady(key: string): void {
    if (this.readySet.has(key)) return;
    this.readySet.add(key);
    this.ready.push(key);
  }

  private pump(): void {
    while (!this.stopped && this.running.size < this.concurrency && this.ready.length > 0) {
      const key = this.ready.shift() as string;
      this.readySet.delete(key);
      const task = this.tasks.get(key);
      if (!task) continue;
      this.tasks.delete(key);
      // Marked running before the task starts: a task whose write triggers a synchronous watch
      // event that re-queues this key must not start a second, concurrent run of it.
      this.running.set(key, Promise.resolve().then(() => this.run(key, task)));
    }
    this.notifySettled();
  }

  private async run(key: string, task: Task): Promise<void> {
    try {
      await task();
      this.failures.delete(key);
    } catch (error) {
      if (!this.stopped) this.retryLater(key, task, error);
    } finally {
      this.running.delete(key);
      if (!this.stopped && this.tasks.has(key) && !this.waiting.has(key)) this.makeReady(key);
      this.pump();
    }
  }

  private retryLater(key: string, task: Task, error: unknown): void {
    const failures = (this.failures.get(key) ?? 0) + 1;
    this.failures.set(key, failures);
    // A newer task queued meanwhile carries newer intent: retry that one instead.
    if (!this.tasks.has(key)) this.tasks.set(key, task);
    const delay = this.delayFor(failures);
    this.opts.onError?.(key, error, failures, delay);
    this.waiting.set(
      key,
      this.opts.clock.setTimeout(() => {
        this.waiting.delete(key);
        if (this.stopped) return;
        this.makeReady(key);
        this.pump();
      }, delay),
    );
  }

  private notifySettled(): void {
    if (!this.isSettled() && !this.stopped) return;
    const waiters = this.settledWaiters;
    this.settledWaiters = [];
    for (const w of waiters) w();
  }
}
