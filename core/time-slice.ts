/**
 * Cooperative time slicing for a process's main thread (the speaker's, and any watch's list:
 * kube/watch-supervisor.ts). Long loops over every Service (status syncs and lists at 10,000
 * Services) otherwise run in one event-loop turn: an `await` of a promise that is
 * already resolved is a microtask, and microtasks never let timers or sockets in. The heartbeats
 * (every 75 ms, capabilities/l2/liveness.ts) and BGP's keepalives run on this thread, so a loop holds
 * it at most `budgetMs` before it gives the event loop one turn (setImmediate: after pending I/O).
 */
export class TimeSlice {
  private started = performance.now();

  constructor(private readonly budgetMs = 10) {}

  /** Gives the event loop a turn if this slice has run longer than its budget; otherwise nothing. */
  async yield(): Promise<void> {
    if (performance.now() - this.started < this.budgetMs) return;
    await new Promise<void>(resolve => setImmediate(resolve));
    this.started = performance.now();
  }
}
