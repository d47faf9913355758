/**
 * The BFD worker thread (./bfd-thread.ts starts it): runs every BFD session of the data plane on
 * this thread's own event loop, with the shared receiving sockets of ./bfd-udp.ts (the native
 * addon's TTL filters attach here too: GTSM for single hop, each peer's minimumTtl for multihop).
 * Nothing else runs here, so a transmit timer fires on time and a packet is read as it arrives,
 * however busy the main thread is; and the thread raises its own priority when it may (real time,
 * else nice), so that it also wins the cores from other processes on a busy node.
 */
import { setPriority } from "node:os";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { parentPort, workerData } from "node:worker_threads";
import { realClock } from "../../l2/clock";
import { runBfdSession } from "./bfd-control";
import { setThreadRealtime } from "../../../native/index";
import type { BfdThreadPriority, BfdWorkerData, FromBfdWorker, ToBfdWorker } from "./bfd-thread";
import { bfdSockets } from "./bfd-udp";

const COUNTERS_EVERY_MS = 1000;
/** Lateness worth a warning: a third of the shortest usual detection time (100 ms x 3). */
const LATE_MS = 100;

const port = parentPort;
if (!port) throw new Error("bfd-thread-worker.ts runs as a worker thread (see bfd-thread.ts)");
const post = (m: FromBfdWorker) => port.postMessage(m);
const data = workerData as BfdWorkerData;
if (data.priority !== undefined) post({ op: "priority", ...raisePriority(data.priority) });
const openBfd = bfdSockets({ ...data, onFilterError: error => post({ op: "filter-error", message: String(error) }) });

/** SCHED_RR for this thread, else a lower nice value for this thread (pid 0: the calling thread, setpriority(2)). */
function raisePriority(p: BfdThreadPriority): { raised: boolean; how: string } {
  const errors: string[] = [];
  try {
    setThreadRealtime(p.realtime);
    return { raised: true, how: `SCHED_RR ${p.realtime}` };
  } catch (error) {
    errors.push(error instanceof Error ? error.message : String(error));
  }
  try {
    setPriority(0, p.nice);
    return { raised: true, how: `nice ${p.nice}` };
  } catch (error) {
    errors.push(error instanceof Error ? error.message : String(error));
  }
  return { raised: false, how: errors.join("; ") };
}

interface Running {
  close(): void;
  readonly counts: { controlPacketInput: number; controlPacketOutput: number };
  reported: number;
}
const running = new Map<number, Running>();

port.on("message", (m: ToBfdWorker) => {
  switch (m.op) {
    case "open": {
      running.get(m.id)?.close();
      const counts = { controlPacketInput: 0, controlPacketOutput: 0 };
      const session = runBfdSession(m.spec, realClock, openBfd, counts, {
        state: (to, from, diag, peer) => post({ op: "state", id: m.id, to, from, diag, peer }),
        failed: message => post({ op: "failed", id: m.id, message }),
      });
      running.set(m.id, { close: session.close, counts, reported: -1 });
      break;
    }
    case "close":
      running.get(m.id)?.close();
      running.delete(m.id);
      break;
    case "shutdown":
      for (const r of running.values()) r.close();
      running.clear();
      clearInterval(counters);
      delay.disable();
      port.close();
      break;
  }
});

const delay = monitorEventLoopDelay({ resolution: 10 });
delay.enable();
const counters = setInterval(() => {
  const lateMs = Math.round(delay.max / 1e6);
  delay.reset();
  if (lateMs > LATE_MS) post({ op: "late", ms: lateMs });
  for (const [id, r] of running) {
    const total = r.counts.controlPacketInput + r.counts.controlPacketOutput;
    if (total === r.reported) continue;
    r.reported = total;
    post({ op: "counters", id, input: r.counts.controlPacketInput, output: r.counts.controlPacketOutput });
  }
}, COUNTERS_EVERY_MS);
counters.unref();
