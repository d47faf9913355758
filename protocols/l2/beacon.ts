/**
 * Sends this speaker's heartbeat every `intervalMs` (default 75 ms) on an injected clock (tests on a
 * fake clock; the speaker itself sends from the addon's thread, speaker/l2/thread-beacon.ts). The
 * transport is a callback (the UDP edge fans the datagram out to every peer). `sendNow` exists for
 * the moments a peer should not wait a whole interval: starting to leave, and acking a leaver.
 */
import type { Clock, TimerHandle } from "../../core/clock";
import { checkKey, encodeHeartbeat, type Heartbeat } from "./heartbeat";

export const DEFAULT_HEARTBEAT_INTERVAL_MS = 75;

export interface BeaconOptions {
  readonly self: string;
  /** Identifies this run; must grow across restarts (start time in ms works). */
  readonly incarnation: bigint;
  /** The current signing key (read on every send, so a rotated Secret takes effect at once). */
  readonly key: () => Buffer;
  readonly send: (packet: Buffer) => void;
  /** Whether this node announces nothing now (Membership.canAnnounce() false): sent as the standby flag. */
  readonly standby?: () => boolean;
  /** Whether this node's view of the cluster is not current (Membership.isBlind()): sent as the blind flag. */
  readonly blind?: () => boolean;
  /** Leaving peers this node has taken over from (Membership.leavingPeers after re-election). */
  readonly acks: () => Iterable<string>;
  readonly intervalMs?: number;
  /** Wall time stamped on each heartbeat; default the clock's wallNow(). */
  readonly wallNow?: () => number;
}

/** What a beacon does, whoever keeps its time (Beacon: the clock's timers; ThreadBeacon: the addon's thread). */
export interface HeartbeatBeacon {
  start(): void;
  sendNow(): void;
  startLeaving(): void;
  isLeaving(): boolean;
  /** Something a heartbeat says may have changed (peers, keys, standby): a beacon that keeps a template refreshes it. */
  changed(): void;
  stop(): void;
}

/** The heartbeat `options` describe now, with this sequence number and send time. */
export function beaconHeartbeat(options: BeaconOptions, leaving: boolean, sequence: number, sentAtMs: number): Heartbeat {
  return {
    node: options.self,
    incarnation: options.incarnation,
    sequence,
    sentAtMs,
    leaving,
    ...(options.standby?.() ? { standby: true } : {}),
    ...(options.blind?.() ? { blind: true } : {}),
    acks: [...options.acks()],
  };
}

export class Beacon implements HeartbeatBeacon {
  private sequence = 0;
  private leaving = false;
  private timer: TimerHandle | undefined;
  private readonly intervalMs: number;

  constructor(
    private readonly clock: Clock,
    private readonly options: BeaconOptions,
  ) {
    this.intervalMs = options.intervalMs ?? DEFAULT_HEARTBEAT_INTERVAL_MS;
    checkKey(options.key());
  }

  start(): void {
    if (this.timer) return;
    this.tick();
  }

  private tick(): void {
    this.sendNow();
    this.timer = this.clock.setTimeout(() => this.tick(), this.intervalMs);
  }

  sendNow(): void {
    this.sequence = (this.sequence + 1) >>> 0;
    const sentAtMs = this.options.wallNow ? this.options.wallNow() : this.clock.wallNow();
    this.options.send(encodeHeartbeat(beaconHeartbeat(this.options, this.leaving, this.sequence, sentAtMs), this.options.key()));
  }

  /** Marks every later heartbeat as leaving and tells the peers at once. */
  startLeaving(): void {
    this.leaving = true;
    this.sendNow();
  }

  isLeaving(): boolean {
    return this.leaving;
  }

  /** Nothing to do: each send reads what the heartbeat says. */
  changed(): void {}

  stop(): void {
    this.timer?.cancel();
    this.timer = undefined;
  }
}
