/**
 * Graceful handover on SIGTERM. The leaving speaker flags its heartbeats "leaving"; every peer then
 * re-elects without it, starts announcing what it now owns, and acks the leaver in its own
 * heartbeats. The leaver keeps answering each IP until that IP's next owner has acked, so there is
 * no window where nobody answers, then stops. IPs with no next owner are kept to the very end.
 * A deadline bounds the wait when peers are unreachable.
 */
import type { Clock, TimerHandle } from "../clock";

export const DEFAULT_HANDOVER_TIMEOUT_MS = 1000;

export type HandoverOutcome = "acked" | "timeout";

export class Handover {
  private readonly pending = new Map<string, string>();
  private readonly orphans: string[] = [];
  private readonly timer: TimerHandle;
  private outcome: HandoverOutcome | undefined;
  private resolveFinished: (o: HandoverOutcome) => void = () => {};
  readonly finished: Promise<HandoverOutcome>;

  /**
   * @param nextOwners owned IP -> its next owner (undefined when nobody else may announce it)
   * @param release called with IPs this node must stop answering now
   */
  constructor(
    clock: Clock,
    nextOwners: ReadonlyMap<string, string | undefined>,
    private readonly release: (ips: string[]) => void,
    timeoutMs = DEFAULT_HANDOVER_TIMEOUT_MS,
  ) {
    this.finished = new Promise(resolve => (this.resolveFinished = resolve));
    for (const [ip, next] of nextOwners) {
      if (next === undefined) this.orphans.push(ip);
      else this.pending.set(ip, next);
    }
    this.timer = clock.setTimeout(() => this.finish("timeout"), timeoutMs);
    if (this.pending.size === 0) this.finish("acked");
  }

  /** Feed Membership.ackedMe() after every change. */
  update(ackedBy: ReadonlySet<string>): void {
    if (this.outcome) return;
    const released = [...this.pending].filter(([, next]) => ackedBy.has(next)).map(([ip]) => ip);
    for (const ip of released) this.pending.delete(ip);
    if (released.length > 0) this.release(released.sort());
    if (this.pending.size === 0) this.finish("acked");
  }

  private finish(outcome: HandoverOutcome): void {
    if (this.outcome) return;
    this.outcome = outcome;
    this.timer.cancel();
    const rest = [...this.pending.keys(), ...this.orphans].sort();
    this.pending.clear();
    if (rest.length > 0) this.release(rest);
    this.resolveFinished(outcome);
  }

  result(): HandoverOutcome | undefined {
    return this.outcome;
  }
}
