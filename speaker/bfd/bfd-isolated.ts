/**
 * BFD sessions kept apart from the speaker's main thread (docs/adr/0007-bfd-in-a-process-of-its-own.md).
 * ./bfd-isolated-main.ts owns the UDP sockets, their TTL filters and every transmit and detection
 * timer; this side sends it session specs and hears state changes and packet counts. A main thread busy
 * with a relist, JSON or status writes delays only what BGP does about a state change, never a BFD
 * packet nor a detection.
 *
 * By default the sessions run in a child process: a worker thread shares the speaker's address space,
 * and the soak (hack/bench/bfd-soak.ts) saw such a thread, at real-time priority, stalled 433 ms while
 * the main thread churned through a status sync, when a separate process at the same priority never
 * woke more than 100 ms late. `isolation: "thread"` keeps the worker thread (for that comparison).
 *
 * Either way the code is TypeScript like the rest (docs/adr/0004): neither a worker nor a forked
 * process gets the parent's module hooks on Node 20, so both register tsx's CommonJS hooks first.
 * Should the process or thread die, the sessions are reported failed, a new one starts and they are
 * opened again there.
 */
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import type { BfdStateCode } from "../../protocols/bfd/packet";
import type { BfdCounters } from "./bfd-metrics";
import { ListenedLink, type BfdControl, type BfdSessionSpec } from "./bfd-control";
import type { BfdSocketOptions } from "./bfd-udp";
import { forkRunner, logRunnerNotice, runnerEnded, runnerEntry, unrefRunner, type RunnerNotice } from "../timing-runner";

/** Speaker to BFD runner. */
export type ToBfdRunner =
  | { readonly op: "open"; readonly id: number; readonly spec: BfdSessionSpec }
  | { readonly op: "close"; readonly id: number }
  | { readonly op: "shutdown" };

/** BFD runner to speaker. */
export type FromBfdRunner =
  | { readonly op: "state"; readonly id: number; readonly to: BfdStateCode; readonly from: BfdStateCode; readonly diag: number; readonly peer: BfdStateCode }
  | { readonly op: "failed"; readonly id: number; readonly message: string }
  /** Control and echo packets in and out since the session opened (sent at most once a second, when they changed). */
  | { readonly op: "counters"; readonly id: number; readonly input: number; readonly output: number; readonly echoInput: number; readonly echoOutput: number }
  /** Echo cannot work fully on an interface: no AF_PACKET socket (no addon, no CAP_NET_RAW; sessions keep to control packets), or no IPv4 forwarding. */
  | { readonly op: "echo-error"; readonly message: string }
  | { readonly op: "filter-error"; readonly message: string }
  /** Late past LATE_MS; how it is scheduled ("SCHED_RR 10", "nice -10", or why neither could be had). */
  | RunnerNotice;

/**
 * How the BFD runner raises itself above the rest of the node: SCHED_RR at `realtime` (as keepalived
 * runs VRRP), else nice `nice` (nice is per thread on Linux). Both need CAP_SYS_NICE; without it the
 * runner says so once and runs as any other.
 */
export interface BfdRunnerPriority {
  readonly realtime: number;
  readonly nice: number;
}

export const BFD_RUNNER_PRIORITY: BfdRunnerPriority = { realtime: 10, nice: -10 };

/** What the runner starts with: the socket options that are plain data, and its scheduling. */
export interface BfdRunnerData extends Pick<BfdSocketOptions, "port" | "peerPort" | "multihopPort" | "multihopPeerPort"> {
  /** Undefined leaves the scheduling as it is. */
  readonly priority?: BfdRunnerPriority;
}

export interface IsolatedBfdOptions extends Omit<BfdRunnerData, "priority"> {
  /** A child process (default) or a worker thread. */
  readonly isolation?: "process" | "thread";
  /** Scheduling of the runner (default BFD_RUNNER_PRIORITY; null: leave it). */
  readonly priority?: BfdRunnerPriority | null;
  readonly log?: (level: "info" | "warn" | "error", message: string, fields?: Readonly<Record<string, unknown>>) => void;
}

const RESTART_BACKOFF_MS = 1000;

const here = typeof __dirname === "string" ? __dirname : dirname(fileURLToPath(import.meta.url));
const ENTRY = runnerEntry(here, "bfd-runner.cjs", "bfd-isolated-main.ts");

/** The two ways a runner is reached, behind one face. */
interface Runner {
  send(message: ToBfdRunner): void;
  readonly ended: Promise<string>;
}

function startRunner(isolation: "process" | "thread", data: BfdRunnerData, onMessage: (m: FromBfdRunner) => void): Runner {
  if (isolation === "thread") {
    const tsx = ENTRY.bundled ? "" : `require(${JSON.stringify(ENTRY.resolve("tsx/cjs/api"))}).register(); `;
    const worker = new Worker(`${tsx}require(${JSON.stringify(ENTRY.path)});`, { eval: true, workerData: data });
    // The sessions' owners keep the process alive; an idle BFD thread must not.
    worker.unref();
    worker.on("message", onMessage);
    const ended = new Promise<string>(resolve => {
      worker.on("error", error => resolve(String(error)));
      worker.on("exit", code => resolve(`exit code ${code}`));
    });
    return { send: m => worker.postMessage(m), ended };
  }
  const child = forkRunner(ENTRY, data);
  unrefRunner(child);
  child.on("message", m => onMessage(m as FromBfdRunner));
  return {
    send: m => {
      if (child.connected) child.send(m);
    },
    ended: runnerEnded(child),
  };
}

interface OpenSession {
  readonly spec: BfdSessionSpec;
  readonly link: ListenedLink;
  readonly counters: BfdCounters;
  /** Packet counts last reported by the runner for this session. */
  input: number;
  output: number;
  echoInput: number;
  echoOutput: number;
}

/** BFD sessions in a child process (default) or a worker thread, away from everything else the speaker does. */
export function isolatedBfd(options: IsolatedBfdOptions = {}): BfdControl {
  const log = options.log ?? (() => undefined);
  const isolation = options.isolation ?? "process";
  const what = isolation === "process" ? "BFD process" : "BFD thread";
  const sessions = new Map<number, OpenSession>();
  let nextId = 0;
  let runner: Runner | undefined;
  let shuttingDown = false;
  const data: BfdRunnerData = {
    ...(options.port !== undefined ? { port: options.port } : {}),
    ...(options.peerPort !== undefined ? { peerPort: options.peerPort } : {}),
    ...(options.multihopPort !== undefined ? { multihopPort: options.multihopPort } : {}),
    ...(options.multihopPeerPort !== undefined ? { multihopPeerPort: options.multihopPeerPort } : {}),
    ...(options.priority !== null ? { priority: options.priority ?? BFD_RUNNER_PRIORITY } : {}),
  };

  const onMessage = (m: FromBfdRunner) => {
    switch (m.op) {
      case "filter-error":
        log("warn", "BFD runs without the TTL check (no native addon)", { error: m.message });
        return;
      case "echo-error":
        log("warn", `BFD echo: ${m.message}`, {});
        return;
      case "late":
      case "priority":
        logRunnerNotice(log, what, m, "BFD may flap");
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
        s.counters.echoPacketInput += m.echoInput - s.echoInput;
        s.counters.echoPacketOutput += m.echoOutput - s.echoOutput;
        s.input = m.input;
        s.output = m.output;
        s.echoInput = m.echoInput;
        s.echoOutput = m.echoOutput;
        break;
    }
  };

  const start = (): Runner => {
    const startedAt = Date.now();
    const r = startRunner(isolation, data, onMessage);
    void r.ended.then(why => {
      if (runner !== r) return;
      runner = undefined;
      if (shuttingDown) return;
      log("error", `${what} ended (${why}); starting it again`, {});
      for (const s of sessions.values()) s.link.fail(`${what} ended (${why})`);
      const reopen = () => {
        for (const [id, s] of sessions) {
          s.input = 0;
          s.output = 0;
          s.echoInput = 0;
          s.echoOutput = 0;
          post({ op: "open", id, spec: s.spec });
        }
      };
      // A runner that dies at once (it cannot load) is not restarted in a tight loop.
      if (Date.now() - startedAt < RESTART_BACKOFF_MS) setTimeout(reopen, RESTART_BACKOFF_MS).unref();
      else reopen();
    });
    return r;
  };

  const post = (message: ToBfdRunner) => {
    if (shuttingDown) return;
    runner ??= start();
    runner.send(message);
  };

  return {
    open(spec, counters, listener) {
      const id = ++nextId;
      const link = new ListenedLink(listener, () => {
        if (!sessions.delete(id)) return;
        post({ op: "close", id });
      });
      sessions.set(id, { spec, link, counters, input: 0, output: 0, echoInput: 0, echoOutput: 0 });
      post({ op: "open", id, spec });
      return link;
    },
    shutdown() {
      if (shuttingDown) return;
      // The runner closes what is still open (AdminDown to each peer), then ends on its own.
      runner?.send({ op: "shutdown" });
      shuttingDown = true;
      sessions.clear();
    },
  };
}
