/**
 * Failover measured from the client's side. The client opens a TCP connection to the VIP every
 * 10 ms (each attempt bounded by a short timeout, so an attempt whose SYN went to the dead node
 * fails instead of waiting for a retransmission). The lab kills the owning node: it takes the time
 * (`killedAt`), SIGKILLs the node's speaker and then takes its link down; `deadAt` is when that
 * returned. The outage counts from `killedAt`, the node's death as anything outside it sees it
 * (the speaker's last heartbeat or BFD packet was before). Service is back at the end of the first
 * successful attempt started after `deadAt`: until the link is down the dying node's kernel still
 * accepts connections, so an attempt that succeeds in between proves nothing about the failover.
 */
export interface ProbeSample {
  readonly ok: boolean;
  /** Epoch milliseconds (fractional) when the attempt started and ended. */
  readonly startMs: number;
  readonly endMs: number;
}

export interface KillTimes {
  /** Taken just before the SIGKILL. */
  readonly killedAt: number;
  /** Taken when the node's link was down (>= killedAt). */
  readonly deadAt: number;
}

export interface Failover {
  /** Kill -> end of the first successful connect started once the node was dead. */
  readonly outageMs: number;
  /** Last successful connect through the old node -> first success after it (what a client with steady traffic sees). */
  readonly gapMs: number;
  /** Every attempt that failed between the kill and the return of service: those in flight at the kill included. */
  readonly failedAttempts: number;
  /** Attempts that failed before the kill (none, on a healthy lab). */
  readonly failedBeforeKill: number;
}

/** Parses a client line `tcp ok|fail START END`; undefined for anything else. */
export function parseProbeLine(line: string): ProbeSample | undefined {
  const m = /^tcp (ok|fail) (\d+(?:\.\d+)?) (\d+(?:\.\d+)?)$/.exec(line);
  if (!m) return undefined;
  const startMs = Number(m[2]);
  const endMs = Number(m[3]);
  if (!Number.isFinite(startMs) || !Number.isFinite(endMs) || endMs < startMs) return undefined;
  return { ok: m[1] === "ok", startMs, endMs };
}

/** The failover seen in `samples`, or undefined while no attempt started after the node was dead has
 * succeeded (or none completed before the kill: then there was nothing to fail over). */
export function measureFailover(samples: readonly ProbeSample[], { killedAt, deadAt }: KillTimes): Failover | undefined {
  const before = samples.filter((s) => s.ok && s.endMs <= killedAt);
  const restored = samples.filter((s) => s.ok && s.startMs >= deadAt).sort((a, b) => a.endMs - b.endMs)[0];
  if (before.length === 0 || restored === undefined) return undefined;
  // Connects started before the node was dead went to it: the last of them that worked ends the old service.
  const lastOk = Math.max(...samples.filter((s) => s.ok && s.startMs < deadAt && s.endMs <= restored.endMs).map((s) => s.endMs));
  const failed = samples.filter((s) => !s.ok);
  return {
    outageMs: restored.endMs - killedAt,
    gapMs: restored.endMs - lastOk,
    failedAttempts: failed.filter((s) => s.endMs > killedAt && s.startMs < restored.endMs).length,
    failedBeforeKill: failed.filter((s) => s.endMs <= killedAt).length,
  };
}

/** For the report: `412 ms after the SIGKILL (gap between successful connects 418 ms, 38 failed attempts)`. */
export function formatFailover(f: Failover): string {
  const before = f.failedBeforeKill > 0 ? `; ${f.failedBeforeKill} failed before the kill` : "";
  return `${Math.round(f.outageMs)} ms after the SIGKILL (gap between successful connects ${Math.round(f.gapMs)} ms, ${f.failedAttempts} failed attempts${before})`;
}
