/**
 * A BGP session over any duplex byte stream (a net.Socket in production, an in-memory pair in
 * tests). It frames and decodes what arrives, feeds the FSM, performs the FSM's actions, and
 * keeps the routes we want the peer to have (Adj-RIB-Out), sending them whenever the session
 * comes up, again on ROUTE-REFRESH, and as deltas through change() (advertise()/withdraw()).
 *
 * Deltas are coalesced: every change made in the same synchronous run (one macrotask) updates the
 * Adj-RIB-Out at once, and a microtask then packs what changed into as few UPDATEs as fit, the last
 * intent for each prefix winning. So a caller may announce and withdraw route by route and still
 * send full messages, and nothing waits on a timer.
 */
import { EventEmitter } from "node:events";
import type { Duplex } from "node:stream";
import type { Cidr } from "../../core/net/ip";
import type { CodecContext } from "./codec/attributes";
import { familyOf } from "./codec/mp-nlri";
import { decodeBgpMessage, encodeBgpMessage, type BgpMessage } from "./codec/message";
import type { NotificationMessage } from "./codec/notification";
import { encodeUpdate, endOfRib, type UpdateMessage } from "./codec/update";
import type { FsmAction, StateName } from "./fsm";
import { FsmRunner, type Clock } from "../../speaker/bgp/fsm-runner";
import { isInternal, type Negotiated, type PeerSettings } from "./open-checks";
import { MessageFramer } from "./framing";
import { prefixId, type PrefixKey, type Route } from "./update-packer";
import { encodeUpdates } from "./update-writer";

export interface SessionOptions {
  readonly settings: PeerSettings;
  readonly clock: Clock;
  /** Opens a new connection to the peer (dial, with TCP MD5 if needed). */
  readonly connect: () => Promise<Duplex>;
}

export interface ReceivedUpdate {
  readonly update: UpdateMessage;
  readonly treatAsWithdraw: boolean;
}

export interface SessionStats {
  opensSent: number;
  opensReceived: number;
  updatesSent: number;
  updatesReceived: number;
  keepalivesSent: number;
  keepalivesReceived: number;
  notificationsSent: number;
  notificationsReceived: number;
  routeRefreshReceived: number;
}

/** A batch of changes to the Adj-RIB-Out: routes to (re)announce and prefixes to withdraw. */
export interface RouteChangeBatch {
  readonly advertise?: readonly Route[];
  readonly withdraw?: readonly Cidr[];
}

/** Changes made since the last flush, in order. */
interface Pending {
  readonly announce: Route[];
  readonly withdraw: Cidr[];
  /** True once a prefix may be in the lists twice, or in both (a route replaced, or announced and
   * withdrawn in the same run): the flush must then keep only each prefix's last intent. */
  overlapping: boolean;
}

interface SessionEvents {
  state: [to: StateName, from: StateName];
  established: [negotiated: Negotiated];
  update: [received: ReceivedUpdate];
  /** `sent`: the NOTIFICATION is one we sent (false: the peer's). */
  down: [reason: string, notification: NotificationMessage | undefined, sent: boolean];
}

/** The items of the wanted families; the array itself (no copy) when all of them are (the usual case). */
function inFamilies<T>(items: readonly T[], familyOf: (item: T) => Cidr["family"], v4: boolean, v6: boolean): readonly T[] {
  const wanted = (item: T) => (familyOf(item) === "IPv4" ? v4 : v6);
  for (let i = 0; i < items.length; i++) if (!wanted(items[i] as T)) return items.filter(wanted);
  return items;
}

const viaIPv6 = (r: Route): boolean => r.prefix.family === "IPv4" && r.nextHop.family === "IPv6";

/** The routes a peer without RFC 8950 can take; the array itself when that is all of them. */
function withoutIPv6NextHops(routes: readonly Route[]): readonly Route[] {
  for (let i = 0; i < routes.length; i++) if (viaIPv6(routes[i] as Route)) return routes.filter(r => !viaIPv6(r));
  return routes;
}

export class BgpSession extends EventEmitter<SessionEvents> {
  readonly stats: SessionStats = {
    opensSent: 0, opensReceived: 0, updatesSent: 0, updatesReceived: 0, keepalivesSent: 0,
    keepalivesReceived: 0, notificationsSent: 0, notificationsReceived: 0, routeRefreshReceived: 0,
  };
  private readonly fsm: FsmRunner;
  private readonly ribOut = new Map<PrefixKey, Route>();
  /** Changes since the last flush (undefined: no flush scheduled). */
  private pending: Pending | undefined;
  private socket: Duplex | undefined;
  /** Bumped on every connect and disconnect, so callbacks of an old connection are ignored. */
  private generation = 0;

  constructor(private readonly options: SessionOptions) {
    super();
    this.fsm = new FsmRunner(options.settings, options.clock, a => this.perform(a));
  }

  get state(): StateName {
    return this.fsm.state.name;
  }

  get negotiated(): Negotiated | undefined {
    return this.fsm.state.negotiated;
  }

  /** Routes the peer should have (all of them, whatever the session state). */
  get advertised(): Route[] {
    return [...this.ribOut.values()];
  }

  /** Prefixes the peer has from us: the Adj-RIB-Out in the agreed families, while Established. */
  get announcedCount(): number {
    const n = this.negotiated;
    if (this.state !== "Established" || !n) return 0;
    return [...this.ribOut.values()].filter(r => n.families.includes(r.prefix.family) && (n.extendedNextHop || !viaIPv6(r))).length;
  }

  start(): void {
    this.fsm.handle({ type: "ManualStart" });
  }

  stop(): void {
    this.fsm.handle({ type: "ManualStop" });
  }

  /**
   * Applies a batch to the Adj-RIB-Out now; the peer gets it in the microtask that follows, packed
   * with every other change of this run. Within a batch withdrawals apply after announcements, so a
   * prefix in both ends withdrawn; across calls the later call wins.
   */
  change(batch: RouteChangeBatch): void {
    if (this.state !== "Established") {
      // Nothing to send yet: coming up sends the whole Adj-RIB-Out.
      for (const r of batch.advertise ?? []) this.ribOut.set(prefixId(r.prefix), r);
      for (const p of batch.withdraw ?? []) this.ribOut.delete(prefixId(p));
      return;
    }
    let pending = this.pending;
    if (!pending) {
      this.pending = pending = { announce: [], withdraw: [], overlapping: false };
      queueMicrotask(() => this.flush());
    }
    const ribOut = this.ribOut;
    const advertise = batch.advertise ?? [];
    if (advertise.length > 0) {
      const { announce } = pending;
      // A route for a prefix not in the Adj-RIB-Out grows it: it cannot be in this run's lists yet unless
      // withdrawn earlier in the run. Anything else (a replacement) is left to the flush to sort out.
      if (pending.withdraw.length > 0) pending.overlapping = true;
      let size = ribOut.size;
      for (let i = 0; i < advertise.length; i++) {
        const r = advertise[i] as Route;
        ribOut.set(prefixId(r.prefix), r);
        if (ribOut.size === size) pending.overlapping = true;
        size = ribOut.size;
        announce.push(r);
      }
    }
    const withdraw = batch.withdraw ?? [];
    if (withdraw.length > 0) {
      // A withdrawal after announcements of this run may take one of them back.
      if (pending.announce.length > 0) pending.overlapping = true;
      // Only what was in the Adj-RIB-Out is withdrawn (the peer cannot have anything else from us);
      // deleting it means it cannot be withdrawn twice.
      const withdrawn = pending.withdraw;
      for (let i = 0; i < withdraw.length; i++) {
        const p = withdraw[i] as Cidr;
        if (ribOut.delete(prefixId(p))) withdrawn.push(p);
      }
    }
  }

  advertise(routes: readonly Route[]): void {
    this.change({ advertise: routes });
  }

  withdraw(prefixes: readonly Cidr[]): void {
    this.change({ withdraw: prefixes });
  }

  /**
   * Sends what changed since the last flush, the Adj-RIB-Out deciding each prefix's last intent: a
   * route goes out only if it is still the current one for its prefix, a withdrawal only if the
   * prefix has no route now. Nothing goes out unless Established (coming up sends the whole table).
   */
  private flush(): void {
    const pending = this.pending;
    this.pending = undefined;
    if (!pending || this.state !== "Established") return;
    if (!pending.overlapping) {
      // Each prefix is in the lists once, with its current intent (the usual case: new routes, or withdrawals).
      this.sendRoutes(pending.announce, pending.withdraw);
      return;
    }
    const announce = pending.announce.filter(r => this.ribOut.get(prefixId(r.prefix)) === r);
    const withdraw = pending.withdraw.filter(p => !this.ribOut.has(prefixId(p)));
    this.sendRoutes(announce, withdraw);
  }

  private get context(): CodecContext {
    const s = this.options.settings;
    return { fourOctetAs: this.negotiated?.fourOctetAs ?? true, external: !isInternal(s), extendedNextHop: this.negotiated?.extendedNextHop ?? false };
  }

  private sendRoutes(announce: readonly Route[], withdraw: readonly Cidr[]): void {
    const negotiated = this.negotiated;
    if (this.state !== "Established" || !negotiated) return;
    // RFC 4760: never send a family the peer did not agree to.
    const families = negotiated.families;
    const v4 = families.includes("IPv4");
    const v6 = families.includes("IPv6");
    const inFamily = v4 && v6 ? announce : inFamilies(announce, r => r.prefix.family, v4, v6);
    // RFC 8950 4: an IPv4 route through an IPv6 next hop only to a peer that agreed to it.
    const routes = negotiated.extendedNextHop ? inFamily : withoutIPv6NextHops(inFamily);
    const prefixes = v4 && v6 ? withdraw : inFamilies(withdraw, p => p.family, v4, v6);
    const socket = this.socket;
    if (!socket) return;
    // Every caller passes distinct prefixes (one per Adj-RIB-Out entry), as encodeUpdates takes them.
    const { bytes, messages } = encodeUpdates(routes, prefixes, this.context);
    if (messages === 0) return;
    // One write for the whole batch: one syscall, and full segments on the wire.
    socket.write(bytes);
    this.stats.updatesSent += messages;
  }

  private send(message: BgpMessage): void {
    const socket = this.socket;
    if (!socket) return;
    const bytes = message.type === "update" ? encodeUpdate(message.update, this.context) : encodeBgpMessage(message, this.context);
    socket.write(bytes);
    const counter = { open: "opensSent", update: "updatesSent", keepalive: "keepalivesSent", notification: "notificationsSent", "route-refresh": undefined } as const;
    const key = counter[message.type];
    if (key) this.stats[key]++;
  }

  private perform(a: Exclude<FsmAction, { type: "start-timer" | "stop-timer" }>): void {
    switch (a.type) {
      case "connect":
        this.dial();
        break;
      case "disconnect":
        this.hangUp();
        break;
      case "send":
        this.send(a.message);
        break;
      case "state":
        this.emit("state", a.to, a.from);
        break;
      case "established": {
        this.emit("established", a.negotiated);
        // The whole table goes now, in the same run as the KEEPALIVE that completed the handshake;
        // changes queued before this point are part of it.
        this.pending = undefined;
        this.sendRoutes([...this.ribOut.values()], []);
        // End-of-RIB tells a graceful-restart peer the initial table is complete (RFC 4724 4).
        if (a.negotiated.peerGracefulRestart) for (const f of a.negotiated.families) this.send({ type: "update", update: endOfRib(f) });
        break;
      }
      case "update":
        this.emit("update", { update: a.update, treatAsWithdraw: a.treatAsWithdraw });
        break;
      case "route-refresh": {
        const family = familyOf(a.routeRefresh.afi, a.routeRefresh.safi);
        if (family) this.sendRoutes([...this.ribOut.values()].filter(r => r.prefix.family === family), []);
        break;
      }
      case "down":
        this.emit("down", a.reason, a.notification, a.sent ?? false);
        break;
    }
  }

  private dial(): void {
    const generation = ++this.generation;
    this.options.connect().then(
      socket => {
        if (generation !== this.generation) {
          socket.destroy();
          return;
        }
        this.attach(socket, generation);
        this.fsm.handle({ type: "TcpConnectionConfirmed" });
      },
      () => {
        if (generation === this.generation) this.fsm.handle({ type: "TcpConnectionFails" });
      },
    );
  }

  private attach(socket: Duplex, generation: number): void {
    this.socket = socket;
    const framer = new MessageFramer();
    const lost = () => {
      if (generation === this.generation) this.fsm.handle({ type: "TcpConnectionFails" });
    };
    socket.on("data", (chunk: Buffer) => {
      for (const frame of framer.push(chunk)) {
        if (generation !== this.generation) return;
        if (!frame.ok) {
          this.fsm.handle({ type: "DecodeError", error: frame.error });
          return;
        }
        this.receive(frame.message);
      }
    });
    socket.on("end", lost);
    socket.on("close", lost);
    socket.on("error", lost);
  }

  private receive(bytes: Buffer): void {
    const decoded = decodeBgpMessage(bytes, this.context);
    if (!decoded.ok) {
      this.fsm.handle({ type: "DecodeError", error: decoded.error });
      return;
    }
    const m = decoded.value;
    switch (m.type) {
      case "open":
        this.stats.opensReceived++;
        this.fsm.handle({ type: "BGPOpen", open: m.open });
        break;
      case "update":
        this.stats.updatesReceived++;
        this.fsm.handle({ type: "UpdateMsg", update: m.update, treatAsWithdraw: m.treatAsWithdraw ?? false });
        break;
      case "keepalive":
        this.stats.keepalivesReceived++;
        this.fsm.handle({ type: "KeepAliveMsg" });
        break;
      case "notification":
        this.stats.notificationsReceived++;
        this.fsm.handle({ type: "NotifMsg", notification: m.notification });
        break;
      case "route-refresh":
        this.stats.routeRefreshReceived++;
        this.fsm.handle({ type: "RouteRefreshMsg", routeRefresh: m.routeRefresh });
        break;
    }
  }

  private hangUp(): void {
    this.generation++;
    const socket = this.socket;
    this.socket = undefined;
    if (!socket) return;
    // end() lets a NOTIFICATION written just before leave; destroy once it has.
    socket.end(() => socket.destroy());
  }
}
