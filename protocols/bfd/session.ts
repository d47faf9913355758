/**
 * A BFD session in asynchronous mode (RFC 5880 section 6.8), on an injected clock. The caller
 * moves packets: receive() takes what arrived on the UDP socket, `send` puts one on it.
 *
 * - State machine of 6.8.6: Down -> Init -> Up on the peer's Down/Init/Up, Down on the peer's
 *   AdminDown or Down, Down (diag 1) when nothing arrives for the detection time: the peer's
 *   multiplier x max(our RequiredMinRx, its DesiredMinTx).
 * - Transmit interval max(our DesiredMinTx, its RequiredMinRx) with 0-25 % jitter (6.8.7),
 *   never below 1 s while the session is not Up (6.8.3).
 * - Interval changes while Up go through a Poll sequence: packets carry P until the peer answers
 *   with F, and only then do the new intervals take effect. A P from the peer is answered at once.
 */
import { EventEmitter } from "node:events";
import type { Clock, TimerHandle } from "../../core/clock";
import { BfdState, decodeControl, Diag, encodeControl, type BfdStateCode, type DropReason } from "./packet";

export interface BfdIntervals {
  readonly desiredMinTxMs: number;
  readonly requiredMinRxMs: number;
}

export interface BfdSettings extends BfdIntervals {
  readonly detectMultiplier: number;
  /** Non-zero, unique per session on this system. */
  readonly localDiscriminator: number;
  /** Wait for the peer's first packet before sending (BFDProfile passiveMode). */
  readonly passive?: boolean;
}

interface BfdEvents {
  /** `peer`: the state the peer last sent (AdminDown tells a client this is no failure, RFC 5882 3.2). */
  state: [to: BfdStateCode, from: BfdStateCode, diag: number, peer: BfdStateCode];
  dropped: [reason: DropReason | "wrong-discriminator"];
  /** A Poll sequence completed: these intervals are now in force (6.8.3). */
  intervals: [now: BfdIntervals];
}

const SLOW_TX_MS = 1000;

export class BfdSession extends EventEmitter<BfdEvents> {
  private sessionState: BfdStateCode = BfdState.Down;
  private localDiag: number = Diag.None;
  private remoteDiscriminator = 0;
  private remoteState: BfdStateCode = BfdState.Down;
  /** RFC 5880 6.8.1: 1 µs until the peer says otherwise. */
  private remoteMinRxMs = 0.001;
  private remoteDesiredMinTxMs = 0;
  private remoteDetectMult = 0;
  private intervals: BfdIntervals;
  private pending: BfdIntervals | undefined;
  private txTimer: TimerHandle | undefined;
  private detectTimer: TimerHandle | undefined;
  private running = false;

  constructor(
    private readonly settings: BfdSettings,
    private readonly clock: Clock,
    private readonly send: (packet: Buffer) => void,
    /** [0, 1): the jitter source; tests pin it. */
    private readonly random: () => number = Math.random,
  ) {
    super();
    this.intervals = { desiredMinTxMs: settings.desiredMinTxMs, requiredMinRxMs: settings.requiredMinRxMs };
  }

  get state(): BfdStateCode {
    return this.sessionState;
  }

  get diag(): number {
    return this.localDiag;
  }

  /** Milliseconds without a packet before the session goes down (0 until the peer is heard). */
  get detectionTimeMs(): number {
    return this.remoteDetectMult * Math.max(this.intervals.requiredMinRxMs, this.remoteDesiredMinTxMs);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.setState(BfdState.Down, Diag.None);
    this.scheduleTx();
  }

  /** Goes AdminDown (diag 7), tells the peer, and stops sending. */
  stop(): void {
    if (!this.running) return;
    this.setState(BfdState.AdminDown, Diag.AdministrativelyDown);
    this.transmit(false);
    this.running = false;
    this.txTimer?.cancel();
    this.detectTimer?.cancel();
  }

  /** New intervals: at once while not Up, through a Poll sequence while Up. */
  setIntervals(next: BfdIntervals): void {
    if (this.sessionState === BfdState.Up) {
      this.pending = next;
      this.transmit(false);
    } else {
      this.intervals = next;
    }
  }

  receive(buf: Buffer): void {
    if (!this.running) return;
    const decoded = decodeControl(buf);
    if (!decoded.ok) {
      this.emit("dropped", decoded.reason);
      return;
    }
    const p = decoded.packet;
    if (p.yourDiscriminator !== 0 && p.yourDiscriminator !== this.settings.localDiscriminator) {
      this.emit("dropped", "wrong-discriminator");
      return;
    }
    this.remoteDiscriminator = p.myDiscriminator;
    this.remoteState = p.state;
    this.remoteDesiredMinTxMs = p.desiredMinTxUs / 1000;
    this.remoteDetectMult = p.detectMult;
    const remoteMinRxMs = p.requiredMinRxUs / 1000;
    const rxChanged = remoteMinRxMs !== this.remoteMinRxMs;
    this.remoteMinRxMs = remoteMinRxMs;
    let reschedule = rxChanged || !this.txTimer;
    if (p.final && this.pending) {
      this.intervals = this.pending;
      this.pending = undefined;
      reschedule = true;
      this.emit("intervals", this.intervals);
    }

    if (this.remoteState === BfdState.AdminDown) {
      if (this.sessionState !== BfdState.Down) this.setState(BfdState.Down, Diag.NeighborSignaledSessionDown);
    } else if (this.sessionState === BfdState.Down) {
      if (this.remoteState === BfdState.Down) this.setState(BfdState.Init, Diag.None);
      else if (this.remoteState === BfdState.Init) this.setState(BfdState.Up, Diag.None);
    } else if (this.sessionState === BfdState.Init) {
      if (this.remoteState === BfdState.Init || this.remoteState === BfdState.Up) this.setState(BfdState.Up, Diag.None);
    } else if (this.sessionState === BfdState.Up && this.remoteState === BfdState.Down) {
      this.setState(BfdState.Down, Diag.NeighborSignaledSessionDown);
    }

    if (p.poll) this.transmit(true);
    this.armDetection();
    // A new peer RequiredMinRx, our own new intervals, or a passive start: reschedule at once.
    if (reschedule) this.scheduleTx();
  }

  private setState(to: BfdStateCode, diag: number): void {
    const from = this.sessionState;
    if (to === from) return;
    this.sessionState = to;
    this.localDiag = diag;
    this.emit("state", to, from, diag, this.remoteState);
    if (to === BfdState.Up && this.intervals.desiredMinTxMs < SLOW_TX_MS) {
      // Leaving the 1 s floor is itself an interval change: announce it with a Poll.
      this.pending = this.intervals;
    }
    if (this.running && to !== BfdState.AdminDown) {
      this.transmit(false);
      // The rate depends on the state (1 s floor while not Up): restart the period from here.
      this.scheduleTx();
    }
  }

  private armDetection(): void {
    this.detectTimer?.cancel();
    const ms = this.detectionTimeMs;
    if (ms <= 0) return;
    this.detectTimer = this.clock.setTimeout(() => {
      this.detectTimer = undefined;
      // 6.8.1: a peer not heard from for the detection time is forgotten.
      this.remoteDiscriminator = 0;
      if (this.sessionState === BfdState.Init || this.sessionState === BfdState.Up) this.setState(BfdState.Down, Diag.ControlDetectionTimeExpired);
    }, ms);
  }

  private txIntervalMs(): number {
    const desired = this.sessionState === BfdState.Up ? this.intervals.desiredMinTxMs : Math.max(this.intervals.desiredMinTxMs, SLOW_TX_MS);
    const base = Math.max(desired, this.remoteMinRxMs);
    // 6.8.7: reduce by up to 25 % (at least 10 % when the multiplier is 1).
    const maxFactor = this.settings.detectMultiplier === 1 ? 0.9 : 1;
    return base * (0.75 + (maxFactor - 0.75) * this.random());
  }

  private scheduleTx(): void {
    this.txTimer?.cancel();
    this.txTimer = undefined;
    if (!this.running) return;
    // A peer asking for RequiredMinRx 0 wants no packets; a passive session waits to hear first.
    if (this.remoteMinRxMs === 0 || (this.settings.passive && this.remoteDiscriminator === 0)) return;
    this.txTimer = this.clock.setTimeout(() => {
      this.transmit(false);
      this.scheduleTx();
    }, this.txIntervalMs());
  }

  private transmit(final: boolean): void {
    if (this.settings.passive && this.remoteDiscriminator === 0 && this.sessionState !== BfdState.AdminDown) return;
    const advertised = this.pending ?? this.intervals;
    const slow = this.sessionState !== BfdState.Up;
    this.send(
      encodeControl({
        diag: this.localDiag,
        state: this.sessionState,
        poll: !final && this.pending !== undefined,
        final,
        controlPlaneIndependent: false,
        demand: false,
        detectMult: this.settings.detectMultiplier,
        myDiscriminator: this.settings.localDiscriminator,
        yourDiscriminator: this.remoteDiscriminator,
        desiredMinTxUs: Math.round((slow ? Math.max(advertised.desiredMinTxMs, SLOW_TX_MS) : advertised.desiredMinTxMs) * 1000),
        requiredMinRxUs: Math.round(advertised.requiredMinRxMs * 1000),
        requiredMinEchoRxUs: 0,
      }),
    );
  }
}
