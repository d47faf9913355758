/**
 * The announcer's schedule as a capture sees it (protocols/l2/announcer.ts): from a takeover at S, the
 * burst at S + i x 1100 ms (i = 0..4), then, with a period, rounds at S + k x period once the burst is
 * over (5000, 6000, ... for 1 s). A refresh (core/election/announcements.ts: a peer this node had
 * lost came back, which a loaded machine causes by delaying heartbeats) cancels both and starts again
 * from the refresh, so a capture may hold several schedules one after the other; each needs one
 * refresh the node could have made.
 */

/** The burst of protocols/l2/announcer.ts DEFAULT_BURST: rounds at 0, 1.1, 2.2, 3.3 and 4.4 s. */
const BURST_MS = [0, 1100, 2200, 3300, 4400];
const BURST_END_MS = 5000;

/** The first `count` round times (ms after the takeover) of one schedule. */
export function roundTimes(periodMs: number | undefined, count: number): number[] {
  const times = [...BURST_MS];
  if (periodMs !== undefined) for (let k = 1; times.length < count; k++) if (k * periodMs >= BURST_END_MS) times.push(k * periodMs);
  return times.slice(0, count);
}

export interface ScheduleMatch {
  /** The capture times at which a schedule (re)started: the first frame, then each refresh used. */
  readonly starts: number[];
}

/**
 * Explains `times` (capture times of one frame, ascending) as schedules one after the other, using at
 * most `refreshes` restarts, every frame within `slackMs` of its round and no round missing between
 * the first frame and the last. Returns the explanation with the fewest restarts, or a message naming
 * the first frame that no explanation covers.
 */
export function matchSchedule(times: readonly number[], periodMs: number | undefined, refreshes: number, slackMs: number): ScheduleMatch | { problem: string } {
  if (times.length === 0) return { problem: "no frames" };
  const rounds = roundTimes(periodMs, times.length + BURST_MS.length);
  let furthest = { index: 0, message: "" };
  // Depth-first, preferring "on schedule" over a restart: few frames and few refreshes keep this small.
  const explain = (i: number, start: number, round: number, left: number): number[] | undefined => {
    if (i === times.length) return [];
    const t = times[i] as number;
    const due = rounds[round];
    if (due !== undefined && Math.abs(t - start - due) < slackMs) {
      const rest = explain(i + 1, start, round + 1, left);
      if (rest) return rest;
    }
    if (left > 0) {
      const rest = explain(i + 1, t, 1, left - 1);
      if (rest) return [t, ...rest];
    }
    if (i >= furthest.index) {
      const r = Math.round;
      const why = due === undefined ? "after the last round" : `scheduled ${r(start + due)} ms (${due} ms after the start at ${r(start)} ms)`;
      furthest = { index: i, message: `frame ${i} at ${r(t)} ms, ${why}; ${left} refresh(es) left` };
    }
    return undefined;
  };
  const restarts = explain(1, times[0] as number, 1, refreshes);
  return restarts ? { starts: [times[0] as number, ...restarts] } : { problem: furthest.message };
}

/**
 * How many refreshes a node's agent could have made to its IPs after it first announced `ip`: each
 * `membership` line (test/l2/agent.ts) whose live set holds a peer the line before it did not.
 */
export function refreshesAfterAnnouncing(stdoutLines: readonly string[], ip: string): number {
  const announced = stdoutLines.findIndex(l => l.startsWith("status ") && l.includes(`"ip":"${ip}"`));
  if (announced < 0) return 0;
  let live: ReadonlySet<string> | undefined;
  let count = 0;
  for (const [i, line] of stdoutLines.entries()) {
    if (!line.startsWith("membership ")) continue;
    const now = new Set<string>((JSON.parse(line.slice("membership ".length)) as { live: string[] }).live);
    if (i > announced && live !== undefined && [...now].some(n => !live?.has(n))) count++;
    live = now;
  }
  return count;
}
