/**
 * One (peer, node) session as the data plane runs it: the BGP session, its BFD session when the
 * peer names a BFDProfile, the routes the peer should have, and the status the speaker reports.
 *
 * BFD governs BGP the way FRR's integration does: when BFD goes from Up to Down the BGP session is
 * stopped at once (a CEASE, then nothing until BFD is back), and started again when BFD comes Up.
 * Only a failure counts (RFC 5882 3.2): a peer that signals AdminDown is taking its session down on
 * purpose, not reporting a broken path, so BGP is left alone; and a BFD session that was never Up
 * (still coming up on either side) never takes BGP down. The BFD session runs apart from the BGP
 * one (bfd-control.ts, in a process of its own in production), and a BGP restart for a BGPPeer edit hands
 * the running BFD session over to the new BGP session when the BFD side did not change, so the
 * peer sees one reset, not a BGP reset followed by a BFD one.
 */
import type { Duplex } from "node:stream";
import type { Clock } from "../../core/clock";
import { BfdState, describeDiag, stateName, type BfdStateCode } from "../../protocols/bfd/packet";
import { describeNotification } from "../../protocols/bgp/codec/notification-names";
import type { StateName } from "../../protocols/bgp/fsm";
import type { PeerSettings } from "../../protocols/bgp/open-checks";
import { BgpSession } from "../../protocols/bgp/session";
import type { Route } from "../../protocols/bgp/update-packer";
import type { BfdCounters } from "../bfd/bfd-metrics";
import type { BfdControl, BfdLink, BfdSessionSpec } from "../bfd/bfd-control";
import { diffRoutes, type RouteTable } from "./routes";
import { GRACEFUL_RESTART_TIME_S, peerLabel, sessionFamilies, type BgpSessionSpec, type DesiredSession } from "./sessions";

export type LogLevel = "debug" | "info" | "warn" | "error";
export type BgpLog = (level: LogLevel, message: string, fields?: Readonly<Record<string, unknown>>) => void;

/** What the speaker writes into BGPPeer status.sessions[] (and more). */
export interface PeerSessionStatus {
  /** The BGPPeer's name. */
  readonly peer: string;
  readonly peerAddress: string;
  readonly node: string;
  readonly state: StateName;
  /** When the session entered `state` (RFC 3339). */
  readonly since: string;
  /** The last NOTIFICATION sent or received, connection failure, BFD failure or config problem. */
  readonly lastError?: string;
  /** Prefixes the peer has from us (0 unless Established). */
  readonly prefixesAdvertised: number;
  /** BFD state, when the peer has a BFDProfile. */
  readonly bfd?: string;
}

export interface PeerSessionDeps {
  readonly node: string;
  readonly clock: Clock;
  readonly now: () => Date;
  readonly connect: (spec: BgpSessionSpec) => Promise<Duplex>;
  readonly bfd: BfdControl;
  readonly bfdCounters: (peerAddress: string) => BfdCounters;
  readonly nextDiscriminator: () => number;
  readonly log: BgpLog;
  /** Called after anything that may change status(). */
  readonly changed: () => void;
}

export function peerSettings(spec: BgpSessionSpec): PeerSettings {
  return {
    myAsn: spec.myAsn,
    peerAsn: spec.peerAsn,
    ...(spec.dynamicAsn ? { dynamicAsn: spec.dynamicAsn } : {}),
    routerId: spec.routerId,
    holdTimeS: spec.holdTimeS,
    ...(spec.keepaliveTimeS > 0 ? { keepaliveTimeS: spec.keepaliveTimeS } : {}),
    ...(spec.connectTimeS !== undefined ? { connectTimeS: spec.connectTimeS } : {}),
    // Dual stack and unnumbered: both families in a fixed order, whatever the session's own family.
    families: sessionFamilies(spec),
    // Unnumbered: IPv4 routes go with our IPv6 next hop (RFC 8950).
    ...(spec.interface !== undefined ? { extendedNextHop: true } : {}),
    ...(spec.gracefulRestart ? { gracefulRestart: { restartTimeS: GRACEFUL_RESTART_TIME_S } } : {}),
  };
}

/** A BFD session and what BGP knows of it, handed from one PeerSession to the next on a BGP restart. */
export interface RunningBfd {
  readonly link: BfdLink;
  /** Identifies the BFD session (addresses, path, profile): a new one is needed when this changes. */
  readonly key: string;
  /** BGP is stopped because BFD went down; BFD coming back starts it again. */
  heldByBfd: boolean;
}

/**
 * The BFD session `desired` needs, or undefined for none; its JSON is RunningBfd.key. Unnumbered, the
 * peer is the router found on the link (`linkPeer`, undefined until found), both addresses scoped to
 * the interface ("fe80::1%eth1").
 */
function bfdIdentity(desired: DesiredSession, linkPeer?: string): Omit<BfdSessionSpec, "settings"> & { profile: unknown } | undefined {
  const profile = desired.bfd;
  const local = desired.bgp.localAddress;
  const iface = desired.bgp.interface;
  if (!profile || local === undefined || (iface !== undefined && linkPeer === undefined)) return undefined;
  return {
    localAddress: iface !== undefined ? `${local}%${iface}` : local,
    peerAddress: iface !== undefined ? `${linkPeer}%${iface}` : desired.bgp.peerAddress,
    path: {
      multihop: desired.bgp.bfdMultihop,
      ...(profile.minimumTtl !== undefined ? { minimumTtl: profile.minimumTtl } : {}),
      // The BFD sockets live in the session's VRF too.
      ...(desired.bgp.vrf !== undefined ? { device: desired.bgp.vrf } : {}),
    },
    profile,
  };
}

/** The key a session for `desired` would have (undefined: no BFD). */
export const bfdKeyOf = (desired: DesiredSession): string | undefined => {
  const id = bfdIdentity(desired);
  return id ? JSON.stringify(id) : undefined;
};

/** "sent NOTIFICATION 6/2 (administrative shutdown) to 192.0.2.1: BFD down", "received NOTIFICATION 6/10 (BFD down) from 192.0.2.1". */
export function describeDown(reason: string, notification: { code: number; subcode: number } | undefined, sent: boolean, peerAddress: string, why?: string): string {
  if (!notification) return reason;
  const what = `NOTIFICATION ${describeNotification(notification.code, notification.subcode)}`;
  if (!sent) return `received ${what} from ${peerAddress}`;
  return `sent ${what} to ${peerAddress}: ${why ?? reason}`;
}

export class PeerSession {
  readonly bgp: BgpSession;
  private routes: RouteTable = new Map();
  private state: StateName = "Idle";
  private since: Date;
  private lastError: string | undefined;
  private bfd: RunningBfd | undefined;
  private stopped = false;
  /** Unnumbered: the router found on the interface (BFD goes to it). */
  private linkPeer: string | undefined;
  /** Why we are stopping BGP, for the log of the NOTIFICATION this sends. */
  private stopping: string | undefined;

  constructor(
    private desired: DesiredSession,
    private readonly deps: PeerSessionDeps,
    /** A BFD session kept running from the session this one replaces (same BFD key). */
    private readonly inherited?: RunningBfd,
  ) {
    this.since = deps.now();
    this.lastError = desired.problem;
    const spec = desired.bgp;
    this.bgp = new BgpSession({
      settings: peerSettings(spec),
      clock: deps.clock,
      connect: () =>
        deps.connect(spec).catch((error: unknown) => {
          if (!this.stopped) this.setError(`connect to ${peerLabel(spec)}:${spec.peerPort}: ${error instanceof Error ? error.message : String(error)}`);
          throw error;
        }),
    });
    this.bgp.on("state", to => {
      if (this.stopped) return;
      this.state = to;
      this.since = deps.now();
      // Whatever went wrong before is over; a config problem stays as long as it lasts.
      if (to === "Established") this.lastError = this.desired.problem;
      deps.log(to === "Established" ? "info" : "debug", "BGP session state", { peer: desired.key, address: peerLabel(spec), state: to });
      deps.changed();
    });
    this.bgp.on("established", n => {
      // With dynamicASN this is where the peer's AS becomes known.
      deps.log("info", "BGP session established", { peer: desired.key, address: spec.peerAddress, peerAs: n.peerAsn, families: n.families });
    });
    this.bgp.on("down", (reason, notification, sent) => {
      const text = describeDown(reason, notification, sent, peerLabel(spec), this.stopping);
      deps.log("warn", "BGP session down", { peer: desired.key, address: peerLabel(spec), reason: text });
      // No report yet: the state change that always follows a down reports both together.
      if (!this.stopped) this.lastError = text;
    });
  }

  get key(): string {
    return this.desired.key;
  }

  get spec(): BgpSessionSpec {
    return this.desired.bgp;
  }

  /** Starts BGP with `routes` already in its Adj-RIB-Out (sent as soon as it is Established), and BFD. */
  start(routes: RouteTable): void {
    this.routes = routes;
    this.bgp.advertise([...routes.values()]);
    const inherited = this.inherited;
    if (inherited && inherited.key === bfdKeyOf(this.desired)) {
      this.adoptBfd(inherited);
      // Held: BFD is down, and BGP waits for it as the session before did.
      if (!inherited.heldByBfd) this.bgp.start();
      return;
    }
    inherited?.link.close();
    this.bgp.start();
    this.startBfd();
  }

  /** Unnumbered: the dial found the router at `address` on the interface; BFD (if any) runs to it from now on. */
  linkPeerFound(address: string): void {
    if (this.stopped || this.desired.bgp.interface === undefined || address === this.linkPeer) return;
    this.linkPeer = address;
    if (!this.desired.bfd) return;
    // A different router: BGP goes wherever the next dial finds; BFD follows it.
    const held = this.bfd?.heldByBfd ?? false;
    this.stopBfd();
    if (held) this.bgp.start();
    this.startBfd();
  }

  /** Sends the peer only what changed; returns the number of prefixes announced and withdrawn. */
  setRoutes(next: RouteTable): number {
    const change = diffRoutes(this.routes, next);
    this.routes = next;
    // One batch: withdrawals share the announcing UPDATEs where they fit.
    if (change.advertise.length + change.withdraw.length > 0) this.bgp.change(change);
    return change.advertise.length + change.withdraw.length;
  }

  get advertisedRoutes(): readonly Route[] {
    return [...this.routes.values()];
  }

  /** Same BGP settings, another problem text or BFD profile. */
  update(desired: DesiredSession): void {
    const bfdChanged = JSON.stringify(desired.bfd) !== JSON.stringify(this.desired.bfd);
    this.desired = desired;
    if (desired.problem !== undefined) this.lastError = desired.problem;
    if (bfdChanged) {
      const held = this.bfd?.heldByBfd ?? false;
      this.stopBfd();
      if (held) this.bgp.start();
      this.startBfd();
    }
    this.deps.changed();
  }

  /** Stops BGP (a CEASE, logged with `why`) and BFD, unless BFD was handed over first. */
  stop(why: string): void {
    if (this.stopped) return;
    this.stopping = why;
    this.stopped = true;
    this.bgp.stop();
    this.stopBfd();
  }

  /** Takes the running BFD session out of this one (which must be stopped next), for its successor. */
  handOverBfd(): RunningBfd | undefined {
    const running = this.bfd;
    this.bfd = undefined;
    return running;
  }

  /** The key of the running BFD session (undefined: none). */
  get bfdKey(): string | undefined {
    return this.bfd?.key;
  }

  get bfdUp(): boolean {
    return this.bfd?.link.state === BfdState.Up;
  }

  get hasBfd(): boolean {
    return this.bfd !== undefined;
  }

  status(): PeerSessionStatus {
    return {
      peer: this.desired.key,
      peerAddress: peerLabel(this.desired.bgp),
      node: this.deps.node,
      state: this.state,
      since: this.since.toISOString(),
      ...(this.lastError !== undefined ? { lastError: this.lastError } : {}),
      prefixesAdvertised: this.bgp.announcedCount,
      ...(this.bfd ? { bfd: stateName(this.bfd.link.state) } : {}),
    };
  }

  private setError(message: string): void {
    this.lastError = message;
    this.deps.changed();
  }

  private startBfd(): void {
    const id = bfdIdentity(this.desired, this.linkPeer);
    if (!id || this.stopped) return;
    const profile = this.desired.bfd;
    if (!profile) return;
    const spec: BfdSessionSpec = {
      localAddress: id.localAddress,
      peerAddress: id.peerAddress,
      path: id.path,
      settings: {
        desiredMinTxMs: profile.transmitIntervalMs,
        requiredMinRxMs: profile.receiveIntervalMs,
        detectMultiplier: profile.detectMultiplier,
        localDiscriminator: this.deps.nextDiscriminator(),
        ...(profile.passiveMode ? { passive: true } : {}),
        // Never over multihop (RFC 5883 3); FRR's bfdd ignores echo-mode on a multihop session too.
        ...(profile.echoMode && !id.path.multihop ? { echoIntervalMs: profile.echoIntervalMs } : {}),
      },
    };
    const counters = this.deps.bfdCounters(peerLabel(this.desired.bgp));
    const link = this.deps.bfd.open(spec, counters, { state: () => undefined, failed: () => undefined });
    this.adoptBfd({ link, key: JSON.stringify(id), heldByBfd: false });
  }

  private adoptBfd(running: RunningBfd): void {
    this.bfd = running;
    const counters = this.deps.bfdCounters(peerLabel(this.desired.bgp));
    running.link.listen({
      state: (to, from, diag, peer) => {
        if (this.bfd === running) this.onBfdState(running, to, from, diag, peer, counters);
      },
      failed: message => {
        if (this.bfd === running && !this.stopped) this.setError(`BFD: ${message}`);
      },
    });
    this.deps.changed();
  }

  private onBfdState(running: RunningBfd, to: BfdStateCode, from: BfdStateCode, diag: number, peer: BfdStateCode, counters: BfdCounters): void {
    if (this.stopped) return;
    const spec = this.desired.bgp;
    if (to === BfdState.Up) {
      counters.sessionUpEvents++;
      if (running.heldByBfd) {
        running.heldByBfd = false;
        this.deps.log("info", "BFD up: starting the BGP session again", { peer: this.desired.key, address: peerLabel(spec) });
        this.bgp.start();
      }
    } else if (from === BfdState.Up) {
      counters.sessionDownEvents++;
      if (peer === BfdState.AdminDown) {
        // RFC 5882 3.2: the peer took BFD down on purpose; that says nothing about the path.
        this.deps.log("info", "BFD down: the peer signaled AdminDown; the BGP session stays", { peer: this.desired.key, address: peerLabel(spec) });
      } else {
        running.heldByBfd = true;
        const why = `BFD down, ${describeDiag(diag)}`;
        this.deps.log("warn", "BFD down: BGP session stopped", { peer: this.desired.key, address: peerLabel(spec), diag: describeDiag(diag) });
        // The CEASE this sends is logged (and becomes lastError) with `why`; without one, `why` is the error.
        this.lastError = why;
        this.stopping = why;
        this.bgp.stop();
        this.stopping = undefined;
      }
    }
    this.deps.changed();
  }

  private stopBfd(): void {
    const running = this.bfd;
    if (!running) return;
    this.bfd = undefined;
    running.link.close();
  }
}
