/**
 * The layer 2 heartbeats in the timing process (docs/adr/0012-heartbeats-in-a-process-of-their-own.md):
 * ./heartbeat-isolated-main.ts owns the UDP socket, the 75 ms beacon, the HMAC check and the peers'
 * 250 ms timeouts; the speaker sends it plain data (peers, keys, whether its view is current, the acks
 * its election decided) and keeps a MembershipMirror of what it hears back. A main thread held by a
 * relist, JSON or GC for longer than the timeout no longer silences this node nor expires its peers.
 *
 * Like the BFD runner (../bfd/bfd-isolated.ts) it is a child process at real-time priority, TypeScript
 * under tsx from the sources and a bundle beside the speaker's in the image. Should it die, this node
 * announces nothing (its peers stop hearing it and take over) until a new one runs, at most once a second.
 */
import type { ChildProcess } from "node:child_process";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import type { HeartbeatObserver, HeartbeatRefusal, MembershipSnapshot } from "../../core/election/liveness";
import { MembershipMirror } from "../../core/election/membership-mirror";
import { BFD_RUNNER_PRIORITY } from "../bfd/bfd-isolated";
import type { RunnerPriority } from "../runner-priority";
import { forkRunner, logRunnerNotice, runnerEntry, unrefRunner, type RunnerNotice } from "../timing-runner";
import type { HeartbeatControl, HeartbeatLink } from "./heartbeat-control";
import type { HeartbeatRunnerData, HeartbeatRunnerPeer } from "./heartbeat-runner";

/** Speaker to heartbeat runner. */
export type ToHeartbeatRunner =
  | { readonly op: "peers"; readonly peers: readonly HeartbeatRunnerPeer[] }
  | { readonly op: "view-current"; readonly current: boolean }
  | { readonly op: "keys"; readonly keys: readonly string[] }
  | { readonly op: "heartbeat-changed"; readonly acks: readonly string[] }
  | { readonly op: "leave" }
  | { readonly op: "shutdown" };

/** Heartbeat runner to speaker. */
export type FromHeartbeatRunner =
  | { readonly op: "ready"; readonly port: number; readonly snapshot: MembershipSnapshot }
  | { readonly op: "error"; readonly message: string }
  | { readonly op: "membership"; readonly snapshot: MembershipSnapshot }
  /** Totals since the runner started (sent at most once a second, when they changed). */
  | {
      readonly op: "stats";
      readonly sent: number;
      readonly sendFailed: number;
      readonly accepted: number;
      readonly refused: Partial<Record<HeartbeatRefusal, number>>;
      readonly alive: number;
      readonly expected: number;
      readonly rejects: Record<string, number>;
      readonly stalls: number;
    }
  | RunnerNotice;

export interface HeartbeatProcessData extends HeartbeatRunnerData {
  readonly priority?: RunnerPriority;
}

export interface IsolatedHeartbeatOptions {
  /** Scheduling of the runner (default: the BFD runner's, SCHED_RR 10; null: leave it). */
  readonly priority?: RunnerPriority | null;
  readonly log?: (level: "info" | "warn" | "error", message: string, fields?: Readonly<Record<string, unknown>>) => void;
}

const RESTART_BACKOFF_MS = 1000;
const SHUTDOWN_WAIT_MS = 2000;

const here = typeof __dirname === "string" ? __dirname : dirname(fileURLToPath(import.meta.url));
const ENTRY = runnerEntry(here, "heartbeat-runner.cjs", "heartbeat-isolated-main.ts");

type Stats = Extract<FromHeartbeatRunner, { op: "stats" }>;

/** Reports the growth of the runner's totals to the observer (PromHeartbeatMetrics counts one event per call). */
function relay(observer: HeartbeatObserver | undefined, before: Stats | undefined, now: Stats): void {
  if (!observer) return;
  const times = (n: number, f: () => void): void => {
    for (let i = 0; i < n; i++) f();
  };
  times(now.sent - (before?.sent ?? 0), () => observer.sent());
  times(now.sendFailed - (before?.sendFailed ?? 0), () => observer.sendFailed());
  times(now.accepted - (before?.accepted ?? 0), () => observer.accepted());
  for (const [reason, n] of Object.entries(now.refused) as [HeartbeatRefusal, number][]) times(n - (before?.refused[reason] ?? 0), () => observer.refused(reason));
  observer.peers(now.alive, now.expected);
}

/** The heartbeats in a child process of their own (production). */
export function isolatedHeartbeat(options: IsolatedHeartbeatOptions = {}): HeartbeatControl {
  const log = options.log ?? (() => undefined);
  const priority = options.priority === null ? undefined : (options.priority ?? BFD_RUNNER_PRIORITY);
  return (data, observer) =>
    new Promise<HeartbeatLink>((resolveStart, rejectStart) => {
      const mirror = new MembershipMirror(data.nodeName);
      // What a new runner must be told (all of it again after a restart).
      let keys = data.keys;
      let peers: readonly HeartbeatRunnerPeer[] | undefined;
      let viewCurrent = true;
      let acks: readonly string[] = [];
      let leaving = false;
      let port = 0;
      let rejects: Record<string, number> = {};
      let lastStats: Stats | undefined;
      let child: ChildProcess | undefined;
      let ready = false;
      let started = false;
      let closing: Promise<void> | undefined;

      const send = (m: ToHeartbeatRunner): void => {
        if (ready && child?.connected) child.send(m);
      };

      const spawn = (): void => {
        const startedAt = Date.now();
        const processData: HeartbeatProcessData = { ...data, keys, ...(priority ? { priority } : {}) };
        const c = forkRunner(ENTRY, processData);
        child = c;
        ready = false;
        lastStats = undefined;
        let failure: string | undefined;
        c.on("message", raw => {
          const m = raw as FromHeartbeatRunner;
          switch (m.op) {
            case "ready":
              // Until it is ready the runner holds the speaker's event loop (its start awaits it); then the
              // data plane's own sockets and watches do, and the runner must not keep a stopping speaker.
              unrefRunner(c);
              ready = true;
              port = m.port;
              mirror.update(m.snapshot);
              if (peers) send({ op: "peers", peers });
              if (!viewCurrent) send({ op: "view-current", current: false });
              if (acks.length > 0) send({ op: "heartbeat-changed", acks });
              if (leaving) send({ op: "leave" });
              if (!started) {
                started = true;
                resolveStart(link);
              }
              break;
            case "error":
              failure = m.message;
              break;
            case "membership":
              mirror.update(m.snapshot);
              break;
            case "stats":
              relay(observer, lastStats, m);
              lastStats = m;
              rejects = m.rejects;
              break;
            case "late":
            case "priority":
              logRunnerNotice(log, "heartbeat process", m, "peers may time this node out");
              break;
          }
        });
        c.on("exit", (code, signal) => {
          if (child !== c) return;
          child = undefined;
          ready = false;
          const why = failure ?? (signal ? `killed by ${signal}` : `exit code ${code}`);
          if (closing) return;
          if (!started) {
            rejectStart(new Error(`heartbeat process: ${why}`));
            return;
          }
          // Nobody hears this node now: it announces nothing until a new runner has heard its peers.
          mirror.update(MembershipMirror.alone(data.nodeName));
          log("error", `heartbeat process ended (${why}); starting it again`);
          const again = setTimeout(spawn, Math.max(0, RESTART_BACKOFF_MS - (Date.now() - startedAt)));
          again.unref();
        });
      };

      const link: HeartbeatLink = {
        membership: mirror,
        start: () => undefined,
        setPeers(next) {
          peers = next;
          send({ op: "peers", peers: next });
        },
        setViewCurrent(current) {
          viewCurrent = current;
          mirror.setViewCurrent(current);
          send({ op: "view-current", current });
        },
        setKeys(next) {
          keys = next;
          send({ op: "keys", keys: next });
        },
        heartbeatChanged(next) {
          acks = next;
          send({ op: "heartbeat-changed", acks: next });
        },
        startLeaving() {
          leaving = true;
          send({ op: "leave" });
        },
        port: () => port,
        rejects: () => rejects,
        close() {
          closing ??= new Promise<void>(resolve => {
            const c = child;
            mirror.close();
            if (!c || c.exitCode !== null || c.signalCode !== null) return resolve();
            const kill = setTimeout(() => {
              if (c.pid !== undefined && c.exitCode === null) process.kill(c.pid, "SIGKILL");
            }, SHUTDOWN_WAIT_MS);
            c.once("exit", () => {
              clearTimeout(kill);
              resolve();
            });
            if (c.connected) c.send({ op: "shutdown" } satisfies ToHeartbeatRunner);
            else if (c.pid !== undefined) process.kill(c.pid, "SIGKILL");
          });
          return closing;
        },
      };
      spawn();
    });
}
