/**
 * How the L2 data plane runs its heartbeats, whoever keeps their time. The data plane hands over
 * plain data (peers, keys, whether its view is current, the acks its election decided) and reads the
 * membership back through a MembershipView; it never touches a heartbeat datagram or timer.
 *
 * Two implementations:
 *  - threadHeartbeat (below, the speaker's): HeartbeatRunner on the main thread, its channel the addon's
 *    heartbeat thread (./thread-channel.ts), which sends whatever the main thread is doing, so a main
 *    thread held by a relist, JSON or a GC does not silence this node, and takes the peers' repeated
 *    heartbeats itself. docs/adr/0013 and 0014.
 *  - inProcessHeartbeat (below): the same runner on a UDP socket with its beacon on a clock, for tests on a fake clock.
 */
import { realClock, type Clock } from "../../core/clock";
import type { HeartbeatObserver, MembershipView } from "../../core/election/liveness";
import type { HeartbeatKeyRing } from "../../protocols/l2/heartbeat-keys";
import { BFD_RUNNER_PRIORITY } from "../bfd/bfd-isolated";
import { logRunnerNotice } from "../timing-runner";
import { HeartbeatRunner, type HeartbeatRunnerData, type HeartbeatRunnerPeer } from "./heartbeat-runner";
import { threadChannel, type ThreadChannel } from "./thread-channel";

export interface HeartbeatLink {
  readonly membership: MembershipView;
  /** The keys signed and accepted with now (to name them in stats: fingerprints). */
  readonly keys: Pick<HeartbeatKeyRing, "signingKey" | "acceptedKeys">;
  /** Starts sending (call once the membership has its listeners). */
  start(): void;
  setPeers(peers: readonly HeartbeatRunnerPeer[]): void;
  /** Whether the speaker's view of the cluster is current; not current: heartbeats say blind, nothing is announced. */
  setViewCurrent(current: boolean): void;
  /** Keys, current first (checked by the caller). */
  setKeys(keys: readonly Buffer[]): void;
  /** The election changed what the heartbeat says (acks of leaving peers, standby): send at once. */
  heartbeatChanged(acks: readonly string[]): void;
  /** Heartbeats say leaving from now on (graceful handover). */
  startLeaving(): void;
  /** The UDP port heartbeats are received on. */
  port(): number;
  /** Datagrams refused by the codec, by reason. */
  rejects(): Record<string, number>;
  close(): Promise<void>;
}

/** Starts the heartbeats of one data plane; `observer` is told of every datagram sent, accepted or refused. */
export type HeartbeatControl = (data: HeartbeatRunnerData, observer?: HeartbeatObserver) => Promise<HeartbeatLink>;

function linkOf(runner: HeartbeatRunner, onClose: () => void = () => undefined): HeartbeatLink {
  let closing: Promise<void> | undefined;
  return {
    membership: runner.membership,
    keys: runner.keys,
    start: () => runner.startBeacon(),
    setPeers: peers => runner.setPeers(peers),
    setViewCurrent: current => runner.setViewCurrent(current),
    setKeys: keys => runner.setKeys(keys),
    heartbeatChanged: acks => runner.heartbeatChanged(acks),
    startLeaving: () => runner.startLeaving(),
    port: () => runner.localPort(),
    rejects: () => Object.fromEntries([...runner.membership.rejects].sort()),
    close: () => {
      if (!closing) {
        onClose();
        closing = runner.close();
      }
      return closing;
    },
  };
}

/** The heartbeats on the calling thread, on `clock` (tests on a fake clock). */
export function inProcessHeartbeat(clock: Clock): HeartbeatControl {
  return async (data, observer) => linkOf(await HeartbeatRunner.start(clock, data, observer ? { observer } : {}));
}

export interface ThreadHeartbeatOptions {
  /** SCHED_RR priority of the sending thread (default the BFD runner's, 10; 0: leave it). */
  readonly realtimePriority?: number;
  readonly log?: (level: "info" | "warn" | "error", message: string, fields?: Readonly<Record<string, unknown>>) => void;
}

/** Lateness of the sending thread worth a warning: a fifth of the peers' 250 ms timeout. */
const LATE_MS = 50;
/** How often the thread's totals reach the metrics, and its template and keys follow a key rotation. */
const HOUSEKEEPING_MS = 1000;

/** The heartbeats judged on the main thread, sent and their repeats taken by the addon's thread (the speaker's). */
export function threadHeartbeat(options: ThreadHeartbeatOptions = {}): HeartbeatControl {
  const log = options.log ?? (() => undefined);
  const priority = options.realtimePriority ?? BFD_RUNNER_PRIORITY.realtime;
  return async (data, observer) => {
    let channel: ThreadChannel | undefined;
    const runner = await HeartbeatRunner.start(realClock, data, {
      ...(observer ? { observer } : {}),
      openChannel: threadChannel(priority, opened => void (channel = opened)),
    });
    let reported = { sent: 0, failed: 0, repeats: 0, dropped: 0 };
    let schedulingLogged = false;
    const housekeeping = setInterval(() => {
      runner.refresh();
      const stats = channel?.stats();
      if (!stats) return;
      for (let i = reported.sent; i < stats.sent; i++) observer?.sent();
      for (let i = reported.failed; i < stats.failed; i++) observer?.sendFailed();
      // Repeats are heartbeats accepted, by the thread instead of the Membership.
      for (let i = reported.repeats; i < stats.repeats; i++) observer?.accepted();
      const dropped = stats.dropped - reported.dropped;
      reported = { sent: stats.sent, failed: stats.failed, repeats: stats.repeats, dropped: stats.dropped };
      if (!schedulingLogged && stats.scheduling !== "starting") {
        schedulingLogged = true;
        if (priority > 0) {
          const raised = stats.scheduling !== "default";
          const how = stats.scheduling === "SCHED_RR" ? `SCHED_RR priority ${priority}` : stats.scheduling === "nice" ? "nice -10" : "no CAP_SYS_NICE";
          logRunnerNotice(log, "heartbeat thread", { op: "priority", raised, how }, "peers may time this node out");
        }
      }
      if (stats.maxLateMs > LATE_MS) logRunnerNotice(log, "heartbeat thread", { op: "late", ms: Math.round(stats.maxLateMs) }, "peers may time this node out");
      // Only a flood fills the queue (64 datagrams between two turns of the main thread); heartbeats lost there count as lost datagrams.
      if (dropped > 0) log("warn", `heartbeat thread dropped ${dropped} datagrams: more arrived than the main thread took (a flood on the heartbeat port?)`, {});
    }, HOUSEKEEPING_MS);
    housekeeping.unref();
    return linkOf(runner, () => clearInterval(housekeeping));
  };
}
