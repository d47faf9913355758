/** What the two processes of the BGP bench (bench-node.ts, bench-listener.ts) share: clock, output, CPU time, profiling. */
import { writeFileSync } from "node:fs";
import { Session as Inspector } from "node:inspector";
import { constants, PerformanceObserver } from "node:perf_hooks";

/** Epoch milliseconds with sub-millisecond precision, comparable across the bench's processes. */
export const epoch = (): number => performance.timeOrigin + performance.now();

export const print = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

/** CPU time this process has used (user + system), for figures that do not depend on the machine's load. */
export const cpuMs = (): string => {
  const u = process.cpuUsage();
  return ((u.user + u.system) / 1000).toFixed(1);
};

/**
 * With a file name, records a CPU profile (open it in Chrome's DevTools) and writes it on SIGTERM (Node
 * does not take --cpu-prof through NODE_OPTIONS); in any case exits on SIGTERM.
 */
export function installProfiler(file: string | undefined): void {
  if (!file) {
    process.on("SIGTERM", () => process.exit(0));
    return;
  }
  const inspector = new Inspector();
  inspector.connect();
  inspector.post("Profiler.enable", () => inspector.post("Profiler.start"));
  process.on("SIGTERM", () =>
    inspector.post("Profiler.stop", (error, result) => {
      if (!error) writeFileSync(file, JSON.stringify(result.profile));
      process.exit(0);
    }),
  );
}

/** With BENCH_TRACE=1: a "trace gc <kind> <ms> <epochMs>" line per garbage collection (at its end), to see what stalls a burst. */
export function traceGarbageCollection(): void {
  if (process.env.BENCH_TRACE !== "1") return;
  const kinds: Record<number, string> = { [constants.NODE_PERFORMANCE_GC_MINOR]: "minor", [constants.NODE_PERFORMANCE_GC_MAJOR]: "major", [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: "incremental", [constants.NODE_PERFORMANCE_GC_WEAKCB]: "weak" };
  new PerformanceObserver(list => {
    for (const e of list.getEntries()) {
      const kind = (e as { detail?: { kind?: number } | null }).detail?.kind ?? -1;
      print(`trace gc ${kinds[kind] ?? kind} ${e.duration.toFixed(2)} ${(performance.timeOrigin + e.startTime + e.duration).toFixed(3)}`);
    }
  }).observe({ entryTypes: ["gc"] });
}
