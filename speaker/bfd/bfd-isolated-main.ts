/**
 * The BFD runner (./bfd-isolated.ts starts it as a child process, or as a worker thread): runs every
 * BFD session of the data plane on an event loop of its own, with the shared receiving sockets of
 * ./bfd-udp.ts (the native addon's TTL filters attach here too: GTSM for single hop, each peer's
 * minimumTtl for multihop). Nothing else runs here, so a transmit timer fires on time and a packet is
 * read as it arrives, however busy the speaker is; and the runner raises its own priority when it may
 * (real time, else nice), so that it also wins the cores from other processes on a busy node.
 *
 * As a process, it ends at once when the speaker goes (the IPC channel closes): no AdminDown then, so
 * the router detects the loss as the failure it is and withdraws the node's routes.
 */
import { parentPort, workerData } from "node:worker_threads";
import { raisePriority } from "../runner-priority";
import { reportLateness } from "../timing-runner";
import { LatenessClock, realClock } from "../../core/clock";
import { runBfdSession, type SessionCounters } from "./bfd-control";
import { bfdEchoSockets } from "./bfd-echo";
import type { BfdRunnerData, FromBfdRunner, ToBfdRunner } from "./bfd-isolated";
import { bfdSockets } from "./bfd-udp";

const COUNTERS_EVERY_MS = 1000;
/** Lateness worth a warning: a third of the shortest usual detection time (100 ms x 3). */
const LATE_MS = 100;
/** Every session's transmit and detection timers, watched for lateness. */
const clock = new LatenessClock(realClock);

interface Channel {
  post(m: FromBfdRunner): void;
  onMessage(handler: (m: ToBfdRunner) => void): void;
  close(): void;
}

function channel(): { channel: Channel; data: BfdRunnerData } {
  if (parentPort) {
    const port = parentPort;
    return {
      channel: { post: m => port.postMessage(m), onMessage: h => port.on("message", h), close: () => port.close() },
      data: workerData as BfdRunnerData,
    };
  }
  if (!process.send) throw new Error("bfd-isolated-main.ts runs as a child process or worker thread (see bfd-isolated.ts)");
  // The speaker is gone: go silent at once, so the router sees the failure.
  process.on("disconnect", () => process.exit(0));
  return {
    channel: {
      post: m => {
        if (process.connected) process.send?.(m);
      },
      onMessage: h => process.on("message", m => h(m as ToBfdRunner)),
      close: () => {
        process.removeAllListeners("disconnect");
        if (process.connected) process.disconnect();
      },
    },
    data: JSON.parse(process.argv[2] ?? "{}") as BfdRunnerData,
  };
}

const { channel: speaker, data } = channel();
if (data.priority !== undefined) speaker.post({ op: "priority", ...raisePriority(data.priority) });
const openBfd = bfdSockets({ ...data, onFilterError: error => speaker.post({ op: "filter-error", message: String(error) }) });
const openEcho = bfdEchoSockets({ onError: message => speaker.post({ op: "echo-error", message }) });

interface Running {
  close(): void;
  readonly counts: SessionCounters;
  reported: number;
}
const running = new Map<number, Running>();

const stopReports = reportLateness(clock, LATE_MS, COUNTERS_EVERY_MS, n => speaker.post(n), () => {
  for (const [id, r] of running) {
    const c = r.counts;
    const total = c.controlPacketInput + c.controlPacketOutput + c.echoPacketInput + c.echoPacketOutput;
    if (total === r.reported) continue;
    r.reported = total;
    speaker.post({ op: "counters", id, input: c.controlPacketInput, output: c.controlPacketOutput, echoInput: c.echoPacketInput, echoOutput: c.echoPacketOutput });
  }
});

speaker.onMessage(m => {
  switch (m.op) {
    case "open": {
      running.get(m.id)?.close();
      const counts: SessionCounters = { controlPacketInput: 0, controlPacketOutput: 0, echoPacketInput: 0, echoPacketOutput: 0 };
      const session = runBfdSession(m.spec, clock, openBfd, counts, {
        state: (to, from, diag, peer) => speaker.post({ op: "state", id: m.id, to, from, diag, peer }),
        failed: message => speaker.post({ op: "failed", id: m.id, message }),
      }, openEcho);
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
      stopReports();
      speaker.close();
      break;
  }
});
