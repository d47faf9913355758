/**
 * BFD sessions in a worker thread (docs/adr/0007-bfd-in-a-worker-thread.md). The worker
 * (./bfd-thread-worker.ts) owns the UDP sockets, their TTL filters and every transmit and detection
 * timer; this side sends it session specs and hears state changes and packet counts. A main thread
 * busy with a relist, JSON or status writes delays only what BGP does about a state change, never a
 * BFD packet nor a detection.
 *
 * The worker is TypeScript like the rest (docs/adr/0004): Node 20 gives a worker none of the main
 * thread's module hooks, so its entry registers tsx itself before it loads the worker module.
 * Should the worker die, the sessions are reported failed, a new worker starts and they are opened
 * again there.
 */
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import type { BfdStateCode } from "../../bfd/packet";
import type { BfdCounters } from "./bfd-metrics";
import { ListenedLink, type BfdControl, type BfdSessionSpec } from "./bfd-control";
import type { BfdSocketOptions } from "./bfd-udp";

/** Main thread to worker. */
export type ToBfdWorker =
  | { readonly op: "open"; readonly id: number; readonly spec: BfdSessionSpec }
  | { readonly op: "close"; readonly id: number }
  | { readonly op: "shutdown" };

/** Worker to main thread. */
export type FromBfdWorker =
  | { readonly op: "state"; readonly id: number; readonly to: BfdStateCode; readonly from: BfdStateCode; readonly diag: number; readonly peer: BfdStateCode }
  | { readonly op: "failed"; readonly id: number; readonly message: string }
  /** Control packets in and out since the session opened (sent at most once a second, when they changed). */
  | { readonly op: "counters"; readonly id: number; readonly input: number; readonly output: number }
  | { readonly op: "filter-error"; readonly message: string }
  /** The thread's event loop ran this late at least once in the last second (past LATE_MS): the CPU is short. */
  | { readonly op: "late"; readonly ms: number }
  /** How the thread is scheduled: "SCHED_RR 10", "nice -10", or why neither could be had. */
  | { readonly op: "priority"; readonly raised: boolean; readonly how: string };

/** What the worker is started with (workerData): the socket options that are plain data. */
export interface BfdWorkerData extends Pick<BfdSocketOptions, "port" | "peerPort" | "multihopPort" | "multihopPeerPort"> {
  /** How the BFD thread asks to be scheduled; undefined leaves it as it is. */
  readonly priority?: BfdThreadPriority;
}

/**
 * How the BFD thread raises itself above the rest of the node: SCHED_RR at `realtime` (as keepalived
 * runs VRRP), else nice `nice` (nice is per thread on Linux). Both need CAP_SYS_NICE; without it the
 * thread says so once and runs as any other.
 */
export interface BfdThreadPriority {
  readonly realtime: number;
  readonly nice: number;
}

export const BFD_THREAD_PRIORITY: BfdThreadPriority = { realtime: 10, nice: -10 };

export interface BfdThreadOptions extends Omit<BfdWorkerData, "priority"> {
  /** Scheduling of the BFD thread (default BFD_THREAD_PRIORITY; null: leave it). */
  readonly priority?: BfdThreadPriority | null;
  readonly log?: (level: "info" | "warn" | "error", message: string, fields?: Readonly<Record<string, unknown>>) => void;
}

const RESTART_BACKOFF_MS = 1000;

const here = typeof __dirname === "string" ? __dirname : dirname(fileURLToPath(import.meta.url));

/** The worker's entry: register tsx's loader in this thread, then load the worker module. */
function workerSource(): string {
  const requireHere = createRequire(join(here, "bfd-thread.ts"));
  const tsx = requireHere.resolve("tsx/cjs/api");
  const entry = join(here, "bfd-thread-worker.ts");
  return `require(${JSON.stringify(tsx)}).register(); require(${JSON.stringify(entry)});`;
}

interface OpenSession {
  readonly spec: BfdSessionSpec;
  readonly link: ListenedLink;
  readonly counters: BfdCounters;
  /** Packet counts last reported by the worker for this session. */
  input: number;
  output: number;
}

export function bfdThread(options: BfdThreadOptions = {}): BfdControl {
  const log = options.log ?? (() => undefined);
  const sessions = new Map<number, OpenSession>();
  let nextId = 0;
  let worker: Worker | undefined;
  let shuttingDown = false;
  const workerData: BfdWorkerData = {
    ...(options.port !== undefined ? { port: options.port } : {}),
    ...(options.peerPort !== undefined ? { peerPort: options.peerPort } : {}),
    ...(options.multihopPort !== undefined ? { multihopPort: options.multihopPort } : {}),
    ...(options.multihopPeerPort !== undefined ? { multihopPeerPort: options.multihopPeerPort } : {}),
    ...(options.priority !== null ? { priority: options.priority ?? BFD_THREAD_PRIORITY } : {}),
  };

  const onMessage = (m: FromBfdWorker) => {
    if (m.op === "filter-error") {
      log("warn", "BFD runs without the TTL check (no native addon)", { error: m.message });
      return;
    }
    if (m.op === "late") {
      log("warn", `BFD thread ran ${m.ms} ms late: the node's CPUs are oversubscribed, BFD may flap`, {});
      return;
    }
    if (m.op === "priority") {
      if (m.raised) log("info", `BFD thread scheduled with ${m.how}`, {});
      else log("warn", "BFD thread runs at the usual priority: a busy node may delay it (CAP_SYS_NICE lets it raise itself)", { error: m.how });
      return;
    }
    const s = sessions.get(m.id);
    if (!s) return;
    switch (m.op) {
      case "state":
        s.link.report(m.to, m.from, m.diag, m.peer);
        break;
      case "failed":
        s.link.fail(m.message);
        break;
      case "counters":
        s.counters.controlPacketInput += m.input - s.input;
        s.counters.controlPacketOutput += m.output - s.output;
        s.input = m.input;
        s.output = m.output;
        break;
    }
  };

  const start = (): Worker => {
    const startedAt = Date.now();
    const w = new Worker(workerSource(), { eval: true, workerData });
    // The sessions' owners keep the process alive; an idle BFD thread must not.
    w.unref();
    w.on("message", onMessage);
    w.on("error", error => log("error", "BFD thread failed", { error: String(error) }));
    w.on("exit", code => {
      if (worker !== w) return;
      worker = undefined;
      if (shuttingDown) return;
      log("error", "BFD thread exited; starting it again", { code });
      for (const s of sessions.values()) s.link.fail(`BFD thread exited (code ${code})`);
      const reopen = () => {
        for (const [id, s] of sessions) {
          s.input = 0;
          s.output = 0;
          post({ op: "open", id, spec: s.spec });
        }
      };
      // A worker that dies at once (it cannot load) is not restarted in a tight loop.
      if (Date.now() - startedAt < RESTART_BACKOFF_MS) setTimeout(reopen, RESTART_BACKOFF_MS).unref();
      else reopen();
    });
    return w;
  };

  const post = (message: ToBfdWorker) => {
    if (shuttingDown) return;
    worker ??= start();
    worker.postMessage(message);
  };

  return {
    open(spec, counters, listener) {
      const id = ++nextId;
      const link = new ListenedLink(listener, () => {
        if (!sessions.delete(id)) return;
        post({ op: "close", id });
      });
      sessions.set(id, { spec, link, counters, input: 0, output: 0 });
      post({ op: "open", id, spec });
      return link;
    },
    shutdown() {
      if (shuttingDown) return;
      // The worker closes what is still open (AdminDown to each peer), then ends on its own.
      worker?.postMessage({ op: "shutdown" } satisfies ToBfdWorker);
      shuttingDown = true;
      sessions.clear();
    },
  };
}
