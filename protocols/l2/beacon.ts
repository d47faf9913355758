/**
 * Sends this speaker's heartbeat every `intervalMs` (default 75 ms) on an injected clock. The
 * transport is a callback (the UDP edge fans the datagram out to every peer). `sendNow` exists for
 * the moments a peer should not wait a whole interval: starting to leave, and acking a leaver.
 */
import type { Clock, TimerHandle } from "../../core/clock";
import { checkKey, encodeHeartbeat } from "./heartbeat";

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

export class Beacon {
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
    const packet = encodeHeartbeat(
      {
        node: this.options.self,
        incarnation: this.options.incarnation,
        sequence: this.sequence,
        sentAtMs: this.options.wallNow ? this.options.wallNow() : this.clock.wallNow(),
        leaving: this.leaving,
        ...(this.options.standby?.() ? { standby: true } : {}),
        ...(this.options.blind?.() ? { blind: true } : {}),
        acks: [...this.options.acks()],
      },
      this.options.key(),
    );
    this.options.send(packet);
  }

  /** Marks every later heartbeat as leaving and tells the peers at once. */
  startLeaving(): void {
    this.leaving = true;
    this.sendNow();
  }

  isLeaving(): boolean {
    return this.leaving;
  }

  stop(): void {
    this.timer?.cancel();
    this.timer = undefined;
  }
}
