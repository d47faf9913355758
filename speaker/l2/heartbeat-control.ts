/**
 * How the L2 data plane runs its heartbeats, whatever process they live in. The data plane hands over
 * plain data (peers, keys, whether its view is current, the acks its election decided) and reads the
 * membership back through a MembershipView; it never touches a heartbeat datagram or timer.
 *
 * Two implementations: inProcessHeartbeat (below: HeartbeatRunner on the calling thread and its clock,
 * for tests on a fake clock) and isolatedHeartbeat (./heartbeat-isolated.ts: the same runner in the
 * timing process, so nothing the speaker's main thread does delays a heartbeat or a peer's timeout;
 * docs/adr/0012-heartbeats-in-a-process-of-their-own.md).
 */
import type { Clock } from "../../core/clock";
import type { HeartbeatObserver, MembershipView } from "../../core/election/liveness";
import { HeartbeatRunner, type HeartbeatRunnerData, type HeartbeatRunnerPeer } from "./heartbeat-runner";

export interface HeartbeatLink {
  readonly membership: MembershipView;
  /** Starts sending (call once the membership has its listeners). */
  start(): void;
  setPeers(peers: readonly HeartbeatRunnerPeer[]): void;
  /** Whether the speaker's view of the cluster is current; not current: heartbeats say blind, nothing is announced. */
  setViewCurrent(current: boolean): void;
  /** Keys as hex, current first (checked by the caller). */
  setKeys(keys: readonly string[]): void;
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

/** The heartbeats on the calling thread, on `clock` (tests on a fake clock). */
export function inProcessHeartbeat(clock: Clock): HeartbeatControl {
  return async (data, observer) => {
    const runner = await HeartbeatRunner.start(clock, data, observer);
    return {
      membership: runner.membership,
      start: () => runner.startBeacon(),
      setPeers: peers => runner.setPeers(peers),
      setViewCurrent: current => runner.setViewCurrent(current),
      setKeys: keys => runner.setKeys(keys),
      heartbeatChanged: acks => runner.heartbeatChanged(acks),
      startLeaving: () => runner.startLeaving(),
      port: () => runner.localPort(),
      rejects: () => Object.fromEntries([...runner.membership.rejects].sort()),
      close: () => runner.close(),
    };
  };
}
