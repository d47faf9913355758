/**
 * One (peer, node) session as the data plane runs it: the BGP session, its BFD session when the
 * peer names a BFDProfile, the routes the peer should have, and the status the speaker reports.
 *
 * BFD governs BGP the way FRR's integration does: when BFD goes from Up to Down the BGP session is
 * stopped at once (a CEASE, then nothing until BFD is back), and started again when BFD comes Up.
 */
import type { Duplex } from "node:stream";
import type { Clock } from "../../l2/clock";
import { BfdSession } from "../../bfd/session";
import { BfdState, stateName, type BfdStateCode } from "../../bfd/packet";
import type { BfdTransport } from "../../bfd/udp";
import type { StateName } from "../fsm";
import type { PeerSettings } from "../open-checks";
import { BgpSession } from "../session";
import type { Route } from "../update-packer";
import type { BfdCounters } from "./bfd-metrics";
import type { OpenBfdTransport } from "./bfd-udp";
import { diffRoutes, type RouteTable } from "./routes";
import { GRACEFUL_RESTART_TIME_S, type BgpSessionSpec, type DesiredSession } from "./sessions";

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
  readonly openBfd: OpenBfdTransport;
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
    routerId: spec.routerId,
    holdTimeS: spec.holdTimeS,
    ...(spec.keepaliveTimeS > 0 ? { keepaliveTimeS: spec.keepaliveTimeS } : {}),
    ...(spec.connectTimeS !== undefined ? { connectTimeS: spec.connectTimeS } : {}),
    families: [spec.family],
    ...(spec.gracefulRestart ? { gracefulRestart: { restartTimeS: GRACEFUL_RESTART_TIME_S } } : {}),
  };
}

interface RunningBfd {
  readonly session: BfdSession;
  close(): void;
}

export class PeerSession {
  readonly bgp: BgpSession;
  private routes: RouteTable = new Map();
  private state: StateName = "Idle";
  private since: Date;
  private lastError: string | undefined;
  private bfd: RunningBfd | undefined;
  /** BGP was stopped because BFD went down; BFD coming back starts it again. */
  private heldByBfd = false;
  private stopped = false;

  constructor(
    private desired: DesiredSession,
    private readonly deps: PeerSessionDeps,
  ) {
    this.since = deps.now();
    this.lastError = desired.problem;
    const spec = desired.bgp;
    this.bgp = new BgpSession({
      settings: peerSettings(spec),
      clock: deps.clock,
      connect: () =>
        deps.connect(spec).catch((error: unknown) => {
          if (!this.stopped) this.setError(`connect to ${spec.peerAddress}:${spec.peerPort}: ${error instanceof Error ? error.message : String(error)}`);
          throw error;
        }),
    });
    this.bgp.on("state", to => {
      if (this.stopped) return;
      this.state = to;
      this.since = deps.now();
      deps.log(to === "Established" ? "info" : "debug", "BGP session state", { peer: desired.key, address: spec.peerAddress, state: to });
      deps.changed();
    });
    this.bgp.on("down", (reason, notification) => {
      if (this.stopped) return;
      const detail = notification ? ` (NOTIFICATION ${notification.code}/${notification.subcode})` : "";
      this.setError(`${reason}${detail}`);
      deps.log("warn", "BGP session down", { peer: desired.key, address: spec.peerAddress, reason: `${reason}${detail}` });
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
    this.bgp.start();
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
      this.stopBfd();
      if (this.heldByBfd) {
        this.heldByBfd = false;
        this.bgp.start();
      }
      this.startBfd();
    }
    this.deps.changed();
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.bgp.stop();
    this.stopBfd();
  }

  get bfdUp(): boolean {
    return this.bfd?.session.state === BfdState.Up;
  }

  get hasBfd(): boolean {
    return this.bfd !== undefined;
  }

  status(): PeerSessionStatus {
    return {
      peer: this.desired.key,
      peerAddress: this.desired.bgp.peerAddress,
      node: this.deps.node,
      state: this.state,
      since: this.since.toISOString(),
      ...(this.lastError !== undefined ? { lastError: this.lastError } : {}),
      prefixesAdvertised: this.bgp.announcedCount,
      ...(this.bfd ? { bfd: stateName(this.bfd.session.state) } : {}),
    };
  }

  private setError(message: string): void {
    this.lastError = message;
    this.deps.changed();
  }

  private startBfd(): void {
    const profile = this.desired.bfd;
    const local = this.desired.bgp.localAddress;
    if (!profile || local === undefined || this.stopped) return;
    const peer = this.desired.bgp.peerAddress;
    const counters = this.deps.bfdCounters(peer);
    let transport: BfdTransport | undefined;
    let closed = false;
    const session = new BfdSession(
      {
        desiredMinTxMs: profile.transmitIntervalMs,
        requiredMinRxMs: profile.receiveIntervalMs,
        detectMultiplier: profile.detectMultiplier,
        localDiscriminator: this.deps.nextDiscriminator(),
        passive: profile.passiveMode,
      },
      this.deps.clock,
      packet => {
        if (!transport) return;
        counters.controlPacketOutput++;
        transport.send(packet);
      },
    );
    session.on("state", (to, from, diag) => this.onBfdState(to, from, diag, counters));
    this.bfd = {
      session,
      close: () => {
        closed = true;
        session.stop(); // AdminDown to the peer, while the socket is still open
        transport?.close();
      },
    };
    const path = {
      multihop: this.desired.bgp.bfdMultihop,
      ...(profile.minimumTtl !== undefined ? { minimumTtl: profile.minimumTtl } : {}),
    };
    this.deps.openBfd(local, peer, packet => {
      counters.controlPacketInput++;
      session.receive(packet);
    }, path).then(
      opened => {
        if (closed) {
          opened.close();
          return;
        }
        transport = opened;
        session.start();
        this.deps.changed();
      },
      (error: unknown) => {
        if (!closed) this.setError(`BFD: ${error instanceof Error ? error.message : String(error)}`);
      },
    );
  }

  private onBfdState(to: BfdStateCode, from: BfdStateCode, diag: number, counters: BfdCounters): void {
    if (this.stopped) return;
    const spec = this.desired.bgp;
    if (to === BfdState.Up) {
      counters.sessionUpEvents++;
      if (this.heldByBfd) {
        this.heldByBfd = false;
        this.deps.log("info", "BFD up: starting the BGP session again", { peer: this.desired.key, address: spec.peerAddress });
        this.bgp.start();
      }
    } else if (from === BfdState.Up) {
      counters.sessionDownEvents++;
      this.heldByBfd = true;
      this.bgp.stop();
      this.lastError = `BFD went ${stateName(to)} (diag ${diag})`;
      this.deps.log("warn", "BFD down: BGP session stopped", { peer: this.desired.key, address: spec.peerAddress, diag });
    }
    this.deps.changed();
  }

  private stopBfd(): void {
    const running = this.bfd;
    if (!running) return;
    this.bfd = undefined;
    running.close();
  }
}
