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
 * - Echo function (6.4, 6.8.9), with `echoIntervalMs` and an echo sender: our packets advertise
 *   Required Min Echo RX Interval = echoIntervalMs (the peer may send us echoes, which the node's
 *   kernel forwards back); while Up and the peer advertises a non-zero one, we send echoes every
 *   max(echoIntervalMs, peer's echo RX) with the same jitter as control packets, and go Down with diag 2
 *   when none has come back for the peer's Detect Mult x that interval (as FRR's bfdd,
 *   ptm_bfd_echo_start in bfdd/bfd.c). While echoes flow, 6.8.3's SHOULD applies: we ask for control
 *   packets no faster than once a second (Required Min RX Interval >= 1 s, through a Poll sequence),
 *   since echo now does the detecting; our own transmit rate stays as configured, so a peer without
 *   echo still detects us at its usual speed. FRR leaves the rates alone and tells its users to raise
 *   transmit-interval by hand; we follow the RFC.
 */
import { EventEmitter } from "node:events";
import type { Clock, TimerHandle } from "../../core/clock";
import type { EchoPayload } from "./echo";
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
  /** Echo mode (BFDProfile echoMode, echoInterval): undefined for none. Used only with an echo sender. */
  readonly echoIntervalMs?: number;
}

/** Puts one echo packet on the wire; false when it cannot go yet (the peer's MAC is not known). */
export type SendEcho = (payload: EchoPayload) => boolean;

interface BfdEvents {
  /** `peer`: the state the peer last sent (AdminDown tells a client this is no failure, RFC 5882 3.2). */
  state: [to: BfdStateCode, from: BfdStateCode, diag: number, peer: BfdStateCode];
  dropped: [reason: DropReason | "wrong-discriminator"];
  /** A Poll sequence completed: these intervals are now in force (6.8.3). */
  intervals: [now: BfdIntervals];
  /** Echo packets started going out (at `intervalMs`) or stopped (0). */
  echo: [intervalMs: number];
  /** The first echo since echo started came back: the forwarding path works. */
  echoVerified: [];
}

const SLOW_TX_MS = 1000;
/** 6.8.3: while the echo function is active, Required Min RX Interval not less than one second. */
const ECHO_ACTIVE_MIN_RX_MS = 1000;
/** Echoes older than this many sequence numbers are not taken as news of the path. */
const ECHO_SEQUENCE_WINDOW = 1024;

export class BfdSession extends EventEmitter<BfdEvents> {
  private sessionState: BfdStateCode = BfdState.Down;
  private localDiag: number = Diag.None;
  private remoteDiscriminator = 0;
  private remoteState: BfdStateCode = BfdState.Down;
  /** RFC 5880 6.8.1: 1 µs until the peer says otherwise. */
  private remoteMinRxMs = 0.001;
  private remoteDesiredMinTxMs = 0;
  private remoteDetectMult = 0;
  /** What the owner asked for; `intervals` may differ while echo is active (6.8.3). */
  private configured: BfdIntervals;
  private intervals: BfdIntervals;
  private pending: BfdIntervals | undefined;
  private txTimer: TimerHandle | undefined;
  private detectTimer: TimerHandle | undefined;
  private running = false;
  private remoteEchoRxMs = 0;
  /** Echo transmit interval while echo runs, else 0. */
  private echoTxMs = 0;
  /** An echo has gone out since echo started: the echo detection timer runs. */
  private echoActive = false;
  /** An echo has come back since echo became active. */
  private echoVerified = false;
  private echoSequence = 0;
  private echoTxTimer: TimerHandle | undefined;
  private echoDetectTimer: TimerHandle | undefined;

  constructor(
    private readonly settings: BfdSettings,
    private readonly clock: Clock,
    private readonly send: (packet: Buffer) => void,
    /** [0, 1): the jitter source; tests pin it. */
    private readonly random: () => number = Math.random,
    /** Where echo packets go; without it the session never offers nor sends echoes. */
    private readonly sendEcho?: SendEcho,
  ) {
    super();
    this.configured = { desiredMinTxMs: settings.desiredMinTxMs, requiredMinRxMs: settings.requiredMinRxMs };
    this.intervals = this.configured;
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

  /** Milliseconds without a returned echo before the session goes down (0 while no echo is active). */
  get echoDetectionTimeMs(): number {
    return this.echoActive ? this.remoteDetectMult * this.echoTxMs : 0;
  }

  /** Our echo interval while echoes go out, else 0. */
  get echoIntervalMs(): number {
    return this.echoActive ? this.echoTxMs : 0;
  }

  /** The state the peer last sent. */
  get peerState(): BfdStateCode {
    return this.remoteState;
  }

  /** Up, with echoes going out of which none has come back yet: the forwarding path is not proven. */
  get awaitingEcho(): boolean {
    return this.sessionState === BfdState.Up && this.echoActive && !this.echoVerified;
  }

  private get offersEcho(): boolean {
    return this.sendEcho !== undefined && this.settings.echoIntervalMs !== undefined;
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
    this.stopEcho();
  }

  /** New intervals: at once while not Up, through a Poll sequence while Up. */
  setIntervals(next: BfdIntervals): void {
    this.configured = next;
    this.applyIntervals(this.target(), true);
  }

  /** One of our echoes came back (the transport matched its discriminator to this session). */
  receiveEcho(echo: EchoPayload): void {
    if (!this.echoActive || echo.discriminator !== this.settings.localDiscriminator) return;
    // Only an echo sent lately says the path works now (sequence numbers wrap at 2^32).
    if ((this.echoSequence - echo.sequence) >>> 0 >= ECHO_SEQUENCE_WINDOW) return;
    this.armEchoDetection();
    if (!this.echoVerified) {
      this.echoVerified = true;
      this.emit("echoVerified");
    }
  }

  /** The intervals to be in force: the configured ones, with 6.8.3's slower control RX while echo is active. */
  private target(): BfdIntervals {
    if (!this.echoActive || this.configured.requiredMinRxMs >= ECHO_ACTIVE_MIN_RX_MS) return this.configured;
    return { ...this.configured, requiredMinRxMs: ECHO_ACTIVE_MIN_RX_MS };
  }

  private applyIntervals(next: BfdIntervals, always: boolean): void {
    if (this.sessionState === BfdState.Up) {
      const current = this.pending ?? this.intervals;
      if (!always && current.desiredMinTxMs === next.desiredMinTxMs && current.requiredMinRxMs === next.requiredMinRxMs) return;
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
    this.remoteEchoRxMs = p.requiredMinEchoRxUs / 1000;
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
    this.updateEcho();
  }

  private setState(to: BfdStateCode, diag: number): void {
    const from = this.sessionState;
    if (to === from) return;
    this.sessionState = to;
    this.localDiag = diag;
    if (to === BfdState.Up && this.intervals.desiredMinTxMs < SLOW_TX_MS) {
      // Leaving the 1 s floor is itself an interval change: announce it with a Poll.
      this.pending = this.intervals;
    }
    // Before the packet that announces the state (it carries the intervals that go with it, 6.8.3),
    // and before the event, so that a listener sees awaitingEcho as it is.
    this.updateEcho();
    this.emit("state", to, from, diag, this.remoteState);
    if (this.running && to !== BfdState.AdminDown) {
      this.transmit(false);
      // The rate depends on the state (1 s floor while not Up): restart the period from here.
      this.scheduleTx();
    }
  }

  /** Starts, retimes or stops the echo function to match the state and the peer's echo RX interval (6.8.9). */
  private updateEcho(): void {
    const echoMs = this.settings.echoIntervalMs;
    if (!this.running || !this.offersEcho || echoMs === undefined || this.sessionState !== BfdState.Up || this.remoteEchoRxMs === 0) {
      this.stopEcho();
      return;
    }
    // Never faster than the peer asks (6.8.9).
    const interval = Math.max(echoMs, this.remoteEchoRxMs);
    if (interval === this.echoTxMs) return;
    this.echoTxMs = interval;
    if (this.echoActive) {
      this.armEchoDetection();
      this.emit("echo", interval);
    }
    this.echoTick();
  }

  private echoTick(): void {
    this.echoTxTimer?.cancel();
    this.echoSequence = (this.echoSequence + 1) >>> 0;
    const sent = this.sendEcho?.({ discriminator: this.settings.localDiscriminator, sequence: this.echoSequence }) ?? false;
    if (sent && !this.echoActive) {
      this.echoActive = true;
      this.echoVerified = false;
      this.armEchoDetection();
      this.emit("echo", this.echoTxMs);
      this.applyIntervals(this.target(), false);
    }
    this.echoTxTimer = this.clock.setTimeout(() => this.echoTick(), this.jittered(this.echoTxMs));
  }

  private stopEcho(): void {
    if (this.echoTxMs === 0) return;
    this.echoTxTimer?.cancel();
    this.echoDetectTimer?.cancel();
    this.echoTxTimer = undefined;
    this.echoDetectTimer = undefined;
    this.echoTxMs = 0;
    if (!this.echoActive) return;
    this.echoActive = false;
    this.echoVerified = false;
    this.emit("echo", 0);
    if (this.running) this.applyIntervals(this.target(), false);
  }

  private armEchoDetection(): void {
    this.echoDetectTimer?.cancel();
    this.echoDetectTimer = this.clock.setTimeout(() => {
      this.echoDetectTimer = undefined;
      if (this.sessionState === BfdState.Up) this.setState(BfdState.Down, Diag.EchoFunctionFailed);
    }, this.echoDetectionTimeMs);
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
    return this.jittered(Math.max(desired, this.remoteMinRxMs));
  }

  /** 6.8.7 (and 6.8.9 for echoes): reduce by up to 25 % (at least 10 % when the multiplier is 1). */
  private jittered(base: number): number {
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
        // Non-zero only in echo mode: the peer's echoes then cross our kernel's forwarding (6.4).
        requiredMinEchoRxUs: this.offersEcho ? Math.round((this.settings.echoIntervalMs ?? 0) * 1000) : 0,
      }),
    );
  }
}

/** What a session's client (BGP) hears: a state change, with the state it heard last as `from`. */
export type ClientReport = (to: BfdStateCode, from: BfdStateCode, diag: number, peer: BfdStateCode) => void;

/**
 * The states a client should act on. They are the session's, except after an echo failure: the next
 * Up is then held until an echo has come back. A forwarding path that drops echoes while control
 * packets pass would otherwise bring the session Up again within milliseconds (the peer answers our
 * Down at once), and BGP with it, for one echo detection time after every failure: the routes would
 * flap several times a second. BGP thus stays down while the echo path is broken, as vendors' BFD
 * hold-down timers do with a fixed delay. A first Up, or an Up without echo running (echo off, the
 * peer's echo RX 0, no echo could be sent), is reported at once.
 */
export function reportToClient(session: BfdSession, report: ClientReport): void {
  let heard: BfdStateCode = session.state;
  let echoFailed = false;
  const tell = (to: BfdStateCode, diag: number) => {
    if (to === heard) return;
    const from = heard;
    heard = to;
    report(to, from, diag, session.peerState);
  };
  session.on("state", (to, _from, diag) => {
    if (to === BfdState.Down && diag === Diag.EchoFunctionFailed) echoFailed = true;
    if (to === BfdState.Up && echoFailed && session.awaitingEcho) return;
    tell(to, diag);
  });
  session.on("echoVerified", () => {
    echoFailed = false;
    if (session.state === BfdState.Up) tell(BfdState.Up, session.diag);
  });
}
