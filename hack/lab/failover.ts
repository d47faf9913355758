/**
 * Failover measured from the client's side. The client opens a TCP connection to the VIP every
 * 10 ms (each attempt bounded by a short timeout, so an attempt whose SYN went to the dead node
 * fails instead of waiting for a retransmission); the lab kills the owning node at `killedAt`.
 * The outage is the time from the kill to the end of the first successful attempt started after it.
 */
export interface ProbeSample {
  readonly ok: boolean;
  /** Epoch milliseconds (fractional) when the attempt started and ended. */
  readonly startMs: number;
  readonly endMs: number;
}

export interface Failover {
  /** Kill -> first successful connect after it. */
  readonly outageMs: number;
  /** Last connect completed before the kill -> first success after it (what a client with steady traffic sees). */
  readonly gapMs: number;
  /** Attempts started after the kill that failed before service came back. */
  readonly failedAttempts: number;
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

/** The failover seen in `samples`, or undefined while no attempt started after the kill has succeeded
 * (or none completed before it: then there was nothing to fail over). */
export function measureFailover(samples: readonly ProbeSample[], killedAt: number): Failover | undefined {
  const before = samples.filter((s) => s.ok && s.endMs <= killedAt);
  const after = samples.filter((s) => s.startMs >= killedAt);
  const restored = after.filter((s) => s.ok).sort((a, b) => a.endMs - b.endMs)[0];
  if (before.length === 0 || restored === undefined) return undefined;
  const lastOk = Math.max(...before.map((s) => s.endMs));
  return {
    outageMs: restored.endMs - killedAt,
    gapMs: restored.endMs - lastOk,
    failedAttempts: after.filter((s) => !s.ok && s.startMs < restored.endMs).length,
  };
}

/** One line for the report: `failover: 412 ms (gap between successful connects 418 ms, 38 failed attempts)`. */
export function formatFailover(f: Failover): string {
  return `${Math.round(f.outageMs)} ms after the kill (gap between successful connects ${Math.round(f.gapMs)} ms, ${f.failedAttempts} failed attempts)`;
}
