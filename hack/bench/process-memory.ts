/**
 * What a process (and the processes it forks) costs in memory, read from /proc, for the benchmarks.
 *
 * A container's memory cgroup charges each physical page once, however many of its processes map it.
 * A speaker and its timing runner are both Node: they map the same node binary and share its text
 * pages (about 35 MiB of Node 24's RSS is that file), so adding their VmRSS counts those pages twice.
 * familyMiB counts the pages the family has resident, each once, from their page frame numbers
 * (/proc/PID/pagemap, which shows frame numbers to root only; see the kernel's
 * Documentation/admin-guide/mm/pagemap.rst). The plain sum is kept beside it (rssSumMiB).
 */
import { closeSync, openSync, readdirSync, readFileSync, readSync } from "node:fs";
import { spawnSync } from "node:child_process";

const PAGE = 4096;
const PRESENT = 1n << 63n;
const PFN_MASK = (1n << 55n) - 1n;

/** A /proc/<pid>/status field, in KiB. */
export function statusKiB(pid: number, field: "VmRSS" | "VmHWM" | "RssAnon" | "RssFile"): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  if (!m) throw new Error(`no ${field} for pid ${pid}`);
  return Number(m[1]);
}

/** A process's children (the BFD and heartbeat runners a speaker forks), from /proc/<pid>/task/<pid>/children. */
export function children(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").split(" ").filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

const family = (pid: number): number[] => [pid, ...children(pid)];

/** The address ranges of a process's mappings that have resident pages, from /proc/<pid>/smaps. */
function residentRanges(pid: number): Array<[bigint, bigint]> {
  const ranges: Array<[bigint, bigint]> = [];
  let range: [bigint, bigint] | undefined;
  for (const line of readFileSync(`/proc/${pid}/smaps`, "utf8").split("\n")) {
    const head = /^([0-9a-f]+)-([0-9a-f]+) /.exec(line);
    if (head) {
      range = [BigInt(`0x${head[1]}`), BigInt(`0x${head[2]}`)];
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss && range && Number(rss[1]) > 0) ranges.push(range);
  }
  return ranges;
}

/** The frame numbers of the resident pages of `pid`, added to `frames`. */
function addFrames(pid: number, frames: Set<bigint>): void {
  const fd = openSync(`/proc/${pid}/pagemap`, "r");
  try {
    for (const [start, end] of residentRanges(pid)) {
      const pages = Number((end - start) / BigInt(PAGE));
      const buf = Buffer.alloc(pages * 8);
      const read = readSync(fd, buf, 0, buf.length, Number((start / BigInt(PAGE)) * 8n));
      for (let off = 0; off + 8 <= read; off += 8) {
        const entry = buf.readBigUInt64LE(off);
        if ((entry & PRESENT) === 0n) continue;
        const pfn = entry & PFN_MASK;
        // Without CAP_SYS_ADMIN the kernel shows 0 for every frame: counting would be meaningless.
        if (pfn === 0n) throw new Error(`/proc/${pid}/pagemap shows no frame numbers: run as root`);
        frames.add(pfn);
      }
    }
  } finally {
    closeSync(fd);
  }
}

/** Resident memory of a process and its children with each physical page counted once, in MiB. */
export function familyMiB(pid: number): number {
  const frames = new Set<bigint>();
  for (const p of family(pid)) addFrames(p, frames);
  return (frames.size * PAGE) / (1024 * 1024);
}

/** VmRSS of a process plus its children's, in MiB (shared pages counted once per process). */
export const rssSumMiB = (pid: number): number => family(pid).reduce((sum, p) => sum + statusKiB(p, "VmRSS"), 0) / 1024;

/** The peak (VmHWM) of a process plus its children's, in MiB: an upper bound, shared pages counted per process. */
export const hwmSumMiB = (pid: number): number => family(pid).reduce((sum, p) => sum + statusKiB(p, "VmHWM"), 0) / 1024;

/** RSS of a process by mapping kind (the node binary and libraries, brk heap, anonymous), from /proc/<pid>/smaps. */
export function rssByMapping(pid: number): string {
  const sums = new Map<string, number>();
  let name = "";
  for (const line of readFileSync(`/proc/${pid}/smaps`, "utf8").split("\n")) {
    const head = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (head) {
      const path = head[1] ?? "";
      name = path === "" ? "anon" : path.startsWith("[") ? path : (path.split("/").pop() ?? path);
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss) sums.set(name, (sums.get(name) ?? 0) + Number(rss[1]));
  }
  const threads = readdirSync(`/proc/${pid}/task`).length;
  return `${[...sums].filter(([, kb]) => kb >= 1024).sort((a, b) => b[1] - a[1]).map(([n, kb]) => `${n}=${(kb / 1024).toFixed(1)}`).join(" ")}; ${threads} threads`;
}

let ticks: number | undefined;
/** Clock ticks per second of /proc/<pid>/stat's times, asked once. */
const ticksPerSecond = (): number => (ticks ??= Number(spawnSync("getconf", ["CLK_TCK"]).stdout.toString().trim()) || 100);

/** CPU time (user + system) of a /proc stat file (a process's or one thread's), in seconds. */
function statCpuSeconds(path: string): number {
  const fields = readFileSync(path, "utf8").split(") ")[1]?.split(" ") ?? [];
  return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond();
}

/** CPU time (user + system) of a process, in seconds. */
export const cpuSeconds = (pid: number): number => statCpuSeconds(`/proc/${pid}/stat`);

/** CPU time of a process's main thread alone (its task whose id is the pid), in seconds: V8's helper threads not counted. */
export const mainThreadCpuSeconds = (pid: number): number => statCpuSeconds(`/proc/${pid}/task/${pid}/stat`);

/** CPU time of a process and its children (the runners a speaker forks), in seconds. */
export const familyCpuSeconds = (pid: number): number => family(pid).reduce((sum, p) => sum + cpuSeconds(p), 0);
