/**
 * Which speakers are alive, from their heartbeats, as a pure state machine on an injected clock.
 *
 * A peer is alive from an accepted heartbeat until `timeoutMs` passes without another (default
 * 250 ms: with a 75 ms heartbeat interval that tolerates two lost datagrams and still declares a
 * dead speaker within 300 ms of its last heartbeat). Only peers the API says run a speaker
 * (setExpectedPeers) count; others are refused and counted.
 *
 * Whether this node may announce at all is decided here too (docs/adr/0002): never before the
 * expected peers are known (the first setExpectedPeers, from the API), nor during the start-up grace
 * that follows (until every expected peer is heard; or, when some stay silent, one timeout if a peer
 * heard is announcing (a running cluster: the silent ones are down), else the longer cold-start grace
 * (the cluster is starting and the silent ones may be starting too), so neither a restarting speaker
 * nor the first of several starting together claims IPs that move on when the others come up);
 * after that, always under the "availability" policy, and only while
 * it sees a strict majority of the expected speakers under the "majority" policy. The grace runs from
 * when the peers are known, not from start-up: a speaker whose API list takes longer than one timeout
 * would otherwise take every IP the moment the list arrives, before hearing anyone on it.
 *
 * A speaker whose watches of the API are down (setViewCurrent(false), from watch-supervisor.ts) is
 * blind: it cannot know the IPs handed out meanwhile, so it announces nothing and says so in its
 * heartbeats, and its peers elect without it until it sees again (docs/adr/0002 §4).
 */
import type { Clock, TimerHandle } from "../clock";
import type { Heartbeat, HeartbeatRejectReason } from "../../protocols/l2/heartbeat";

/** Why a received datagram did not count as a heartbeat: the codec's reasons, then Membership's. */
export type HeartbeatRefusal = HeartbeatRejectReason | Exclude<HeartbeatVerdict, "accepted">;

export interface HeartbeatObserver {
  /** One datagram handed to the kernel for one peer. */
  sent(): void;
  /** Sending to one peer failed (the callback's error: no route, a family mismatch, ...). */
  sendFailed(): void;
  /** A heartbeat verified, from an expected peer, fresh and newer than the last one. */
  accepted(): void;
  refused(reason: HeartbeatRefusal): void;
  /** Peers with a current heartbeat (leaving ones included) and peers the API says run a speaker. */
  peers(alive: number, expected: number): void;
}

export type PartitionPolicy = "availability" | "majority";
const PARTITION_POLICIES: readonly PartitionPolicy[] = ["availability", "majority"];

/** A policy from its name, as a flag or setting gives it; the error names `source` (the flag or variable) and the value. */
export function parsePartitionPolicy(text: string, source: string): PartitionPolicy | { error: string } {
  return PARTITION_POLICIES.find(p => p === text) ?? { error: `${source} needs availability or majority, got ${JSON.stringify(text)}` };
}

export interface LivenessOptions {
  readonly self: string;
  readonly timeoutMs?: number;
  /** Heartbeats whose sentAt differs from our wall clock by more are refused (bounds replays). */
  readonly maxClockSkewMs?: number;
  readonly partitionPolicy?: PartitionPolicy;
  /**
   * How long a starting speaker that hears no announcing peer waits for the expected peers it has not
   * heard yet (default 10 s): they are probably starting too, and claiming IPs before they are heard
   * would move those IPs when they are.
   */
  readonly coldStartGraceMs?: number;
  /** Wall time for the heartbeats' skew check; default the clock's wallNow(). */
  readonly wallNow?: () => number;
  /** Told each received datagram's fate and the peer counts (PromHeartbeatMetrics). */
  readonly observer?: Pick<HeartbeatObserver, "accepted" | "refused" | "peers">;
}

export const DEFAULT_HEARTBEAT_TIMEOUT_MS = 250;
export const DEFAULT_COLD_START_GRACE_MS = 10_000;
export const DEFAULT_MAX_CLOCK_SKEW_MS = 30_000;
/**
 * An expiry timer firing this much later than due means our own event loop was stalled (GC, CPU
 * starvation): the peer's heartbeats are probably queued unread in the socket. Judging then would
 * declare every peer dead at once and claim every IP; instead the check is repeated shortly, after
 * the queued datagrams have been read (Node runs I/O callbacks before the next timers). Only once:
 * by the re-check, the socket has been read, so a silent peer is dead however late that timer fires
 * too (under sustained CPU starvation every timer is late, and re-checking again would never end).
 */
export const STALL_TOLERANCE_MS = 50;
const STALL_RECHECK_MS = 100;

export type HeartbeatVerdict = "accepted" | "self" | "unknown-peer" | "stale" | "replay";

/**
 * A receiver that takes a peer's repeated heartbeats itself, without handing them over: ones that say
 * exactly what the last one accepted from that peer said, with a higher sequence (the speaker's
 * heartbeat thread, native/heartbeat_thread.c, told of each accepted heartbeat by the runner). The
 * Membership reads it before judging a peer's heartbeat or its silence, and tells it of peers it forgets.
 */
export interface RepeatFilter {
  /** The sequence of the last repeat taken from `node` since its last accepted heartbeat, and how long ago (ms). */
  heard(node: string): { readonly sequence: number; readonly msAgo: number } | undefined;
  /** `node` is no longer known: hand over all its heartbeats again (so that a return is judged here). */
  forget(node: string): void;
}

interface PeerState {
  incarnation: bigint;
  sequence: number;
  leaving: boolean;
  standby: boolean;
  blind: boolean;
  acks: ReadonlySet<string>;
  /** When its last heartbeat was taken (clock.now()): it expires timeoutMs after. */
  heardAt: number;
  expiry: TimerHandle;
}

/** Whether a heartbeat says what `state` already holds (everything the election reads of a peer). */
function saysTheSame(state: PeerState, hb: Heartbeat): boolean {
  if (state.leaving !== hb.leaving || state.standby !== (hb.standby ?? false) || state.blind !== (hb.blind ?? false)) return false;
  if (state.acks.size !== hb.acks.length) return false;
  for (const a of hb.acks) if (!state.acks.has(a)) return false;
  return true;
}

/**
 * What the election (announcements.ts) reads of the membership (the Membership; a narrower type, so
 * the data plane cannot feed it).
 */
export interface MembershipView {
  readonly self: string;
  liveSpeakers(): Set<string>;
  standbyPeers(): Set<string>;
  leavingPeers(): Set<string>;
  ackedMe(): Set<string>;
  canAnnounce(): boolean;
  isBlind(): boolean;
  onChange(listener: () => void): () => void;
}

/** A Membership's state as plain data (what a test compares, sorted). */
export interface MembershipSnapshot {
  readonly live: readonly string[];
  readonly standby: readonly string[];
  readonly leaving: readonly string[];
  readonly ackedMe: readonly string[];
  readonly canAnnounce: boolean;
}

export function membershipSnapshot(m: MembershipView): MembershipSnapshot {
  const list = (s: Set<string>): string[] => [...s].sort();
  return { live: list(m.liveSpeakers()), standby: list(m.standbyPeers()), leaving: list(m.leavingPeers()), ackedMe: list(m.ackedMe()), canAnnounce: m.canAnnounce() };
}

export class Membership implements MembershipView {
  readonly self: string;
  private readonly timeoutMs: number;
  private readonly maxSkewMs: number;
  private readonly policy: PartitionPolicy;
  private readonly wallNow: () => number;
  private readonly observer: LivenessOptions["observer"];
  private expected = new Set<string>();
  private readonly peers = new Map<string, PeerState>();
  /** Peers that said they were leaving and then fell silent: departures, not failures. */
  private readonly departed = new Set<string>();
  private ready = false;
  private readonly coldStartGraceMs: number;
  private viewCurrent = true;
  /** The start-up grace, running from the first setExpectedPeers (undefined before it). */
  private readyTimer: TimerHandle | undefined;
  /** One timeout of the grace has passed: any announcing peer heard now ends it. */
  private graceTimedOut = false;
  private readonly listeners = new Set<() => void>();
  private lastSignature = "";
  readonly verdicts = new Map<HeartbeatVerdict, number>();
  /** Datagrams that failed decoding or authentication, by reason (fed by the transport). */
  readonly rejects = new Map<HeartbeatRejectReason, number>();
  /** Expiries postponed because our own event loop had stalled (see STALL_TOLERANCE_MS). */
  stalls = 0;
  private repeats: RepeatFilter | undefined;

  constructor(
    private readonly clock: Clock,
    options: LivenessOptions,
  ) {
    this.self = options.self;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_HEARTBEAT_TIMEOUT_MS;
    this.coldStartGraceMs = Math.max(options.coldStartGraceMs ?? DEFAULT_COLD_START_GRACE_MS, this.timeoutMs);
    this.maxSkewMs = options.maxClockSkewMs ?? DEFAULT_MAX_CLOCK_SKEW_MS;
    this.policy = options.partitionPolicy ?? "availability";
    this.wallNow = options.wallNow ?? (() => clock.wallNow());
    this.observer = options.observer;
    this.lastSignature = this.signature();
  }

  /** Where repeats of accepted heartbeats are taken instead of reaching receive() (see RepeatFilter). */
  useRepeatFilter(filter: RepeatFilter): void {
    this.repeats = filter;
  }

  /** The other nodes that run a speaker, from the API (self is ignored if present). The first call starts the start-up grace. */
  setExpectedPeers(names: Iterable<string>): void {
    this.expected = new Set([...names].filter(n => n !== this.self));
    this.readyTimer ??= this.clock.setTimeout(() => this.graceTimeout(), this.timeoutMs);
    for (const [name, state] of [...this.peers]) {
      if (!this.expected.has(name)) {
        state.expiry.cancel();
        this.forget(name);
      }
    }
    for (const d of [...this.departed]) if (!this.expected.has(d)) this.departed.delete(d);
    this.checkAllHeard();
    this.changed();
  }

  receive(hb: Heartbeat): HeartbeatVerdict {
    const verdict = this.judge(hb);
    this.verdicts.set(verdict, (this.verdicts.get(verdict) ?? 0) + 1);
    if (verdict !== "accepted") {
      this.observer?.refused(verdict);
      return verdict;
    }
    this.observer?.accepted();
    this.departed.delete(hb.node);
    const known = this.peers.get(hb.node);
    // The usual heartbeat, 13 a second from each peer: nothing changes but its sequence and its time.
    // Its expiry timer stays and, when it fires, runs on to timeoutMs after this heartbeat.
    if (known && saysTheSame(known, hb)) {
      known.incarnation = hb.incarnation;
      known.sequence = hb.sequence;
      known.heardAt = this.clock.now();
      return verdict;
    }
    known?.expiry.cancel();
    this.peers.set(hb.node, {
      incarnation: hb.incarnation,
      sequence: hb.sequence,
      leaving: hb.leaving,
      standby: hb.standby ?? false,
      blind: hb.blind ?? false,
      acks: new Set(hb.acks),
      heardAt: this.clock.now(),
      expiry: this.expiryTimer(hb.node, this.timeoutMs),
    });
    this.checkAllHeard();
    this.changed();
    return verdict;
  }

  /** Counts a datagram the codec refused (a wrong key shows up here as "bad-mac"). */
  rejected(reason: HeartbeatRejectReason): void {
    this.rejects.set(reason, (this.rejects.get(reason) ?? 0) + 1);
    this.observer?.refused(reason);
  }

  private judge(hb: Heartbeat): HeartbeatVerdict {
    if (hb.node === this.self) return "self";
    if (!this.expected.has(hb.node)) return "unknown-peer";
    if (Math.abs(this.wallNow() - hb.sentAtMs) > this.maxSkewMs) return "stale";
    const known = this.peers.get(hb.node);
    if (known) this.catchUp(hb.node, known);
    // A dead peer is forgotten, so a restart with any incarnation is taken (within the skew bound).
    if (known && (hb.incarnation < known.incarnation || (hb.incarnation === known.incarnation && hb.sequence <= known.sequence))) {
      return "replay";
    }
    return "accepted";
  }

  private expiryTimer(node: string, ms: number, recheck = false): TimerHandle {
    const due = this.clock.now() + ms;
    return this.clock.setTimeout(() => this.expire(node, this.clock.now() - due, recheck), ms);
  }

  private expire(node: string, lateMs: number, recheck: boolean): void {
    const state = this.peers.get(node);
    if (!state) return;
    if (lateMs > STALL_TOLERANCE_MS && !recheck) {
      this.stalls++;
      state.expiry = this.expiryTimer(node, STALL_RECHECK_MS, true);
      return;
    }
    // Heard since the timer was set: due timeoutMs after that heartbeat (a re-check stays a re-check).
    this.catchUp(node, state);
    const left = state.heardAt + this.timeoutMs - this.clock.now();
    if (left > 0) {
      state.expiry = this.expiryTimer(node, left, recheck);
      return;
    }
    this.forget(node);
    if (state.leaving) this.departed.add(node);
    this.changed();
  }

  /** Takes in the repeats of `node`'s last heartbeat taken elsewhere since (RepeatFilter). */
  private catchUp(node: string, state: PeerState): void {
    const repeat = this.repeats?.heard(node);
    if (!repeat || repeat.sequence <= state.sequence) return;
    state.sequence = repeat.sequence;
    state.heardAt = Math.max(state.heardAt, this.clock.now() - repeat.msAgo);
  }

  private forget(node: string): void {
    this.peers.delete(node);
    this.repeats?.forget(node);
  }

  private checkAllHeard(): void {
    if (this.ready || !this.readyTimer) return;
    if ([...this.expected].every(n => this.peers.has(n))) this.ready = true;
    // A running cluster: the peers not heard after one timeout are down, not starting.
    else if (this.graceTimedOut && [...this.peers.values()].some(p => !p.standby && !p.leaving)) this.ready = true;
  }

  /** One timeout after the peers became known: ready if the cluster runs, else wait for the cold-start grace. */
  private graceTimeout(): void {
    this.graceTimedOut = true;
    this.checkAllHeard();
    if (this.ready) return this.changed();
    this.readyTimer = this.clock.setTimeout(() => this.becomeReady(), this.coldStartGraceMs - this.timeoutMs);
  }

  private becomeReady(): void {
    this.ready = true;
    this.changed();
  }

  /** Self and every peer alive, not leaving and not blind: the liveSpeakers input of the election. */
  liveSpeakers(): Set<string> {
    const live = new Set([this.self]);
    for (const [n, s] of this.peers) if (!s.leaving && !s.blind) live.add(n);
    return live;
  }

  /** Peers alive but blind (their view of the cluster is not current): no candidates until they see again. */
  blindPeers(): Set<string> {
    return new Set([...this.peers].filter(([, s]) => s.blind && !s.leaving).map(([n]) => n));
  }

  /**
   * Whether this node's view of the cluster is current (its watches are up). While it is not, this node
   * announces nothing and its heartbeats say blind (and standby), so its peers answer for its IPs.
   */
  setViewCurrent(current: boolean): void {
    this.viewCurrent = current;
    this.changed();
  }

  isBlind(): boolean {
    return !this.viewCurrent;
  }

  /**
   * Peers alive but announcing nothing yet (their heartbeat's standby flag: start-up grace, or no majority).
   * They stay candidates of the election, but a node holding an IP one of them wins keeps it until that
   * peer announces (L2Announcements): a returning owner then takes its IPs over without a moment in which
   * nobody answers.
   */
  standbyPeers(): Set<string> {
    return new Set([...this.peers].filter(([, s]) => s.standby && !s.leaving && !s.blind).map(([n]) => n));
  }

  /** Peers alive but shutting down; a speaker acks these once it has re-elected without them. */
  leavingPeers(): Set<string> {
    return new Set([...this.peers].filter(([, s]) => s.leaving).map(([n]) => n));
  }

  /** Peers whose latest heartbeat acknowledges our own leaving. */
  ackedMe(): Set<string> {
    return new Set([...this.peers].filter(([, s]) => s.acks.has(this.self)).map(([n]) => n));
  }

  /** Whether this node may announce at all (start-up grace and partition policy). */
  canAnnounce(): boolean {
    if (!this.ready || !this.viewCurrent) return false;
    if (this.policy === "availability") return true;
    const voters = [...this.expected].filter(n => !this.departed.has(n) || this.peers.has(n));
    const seen = 1 + voters.filter(n => this.peers.has(n)).length;
    return seen * 2 > voters.length + 1;
  }

  /** Called after any change of liveSpeakers, leavingPeers, ackedMe or canAnnounce. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  private signature(): string {
    const list = (s: Set<string>): string => [...s].sort().join(",");
    return `${list(this.liveSpeakers())}|${list(this.standbyPeers())}|${list(this.blindPeers())}|${list(this.leavingPeers())}|${list(this.ackedMe())}|${this.canAnnounce()}`;
  }

  private changed(): void {
    // Before the signature check: the counts change without the signature (a peer expected but unheard).
    this.observer?.peers(this.peers.size, this.expected.size);
    const sig = this.signature();
    if (sig === this.lastSignature) return;
    this.lastSignature = sig;
    for (const l of [...this.listeners]) l();
  }

  /** Cancels every timer (on shutdown). */
  close(): void {
    this.readyTimer?.cancel();
    for (const s of this.peers.values()) s.expiry.cancel();
    this.peers.clear();
    this.listeners.clear();
  }
}
