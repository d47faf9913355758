/**
 * The L2 data plane of one node: the pure L2 core (core/election, protocols/l2) wired to real sockets.
 *
 *   netlink (interfaces.ts)  -> usable interfaces -> InterfacePorts (ports.ts): AF_PACKET sockets + Responders
 *   UDP heartbeats (heartbeat-control.ts; sent by the addon's thread) -> Membership -> L2Announcements: election -> OwnershipTable
 *   OwnershipTable changes   -> solicited-node memberships, status events; Announcer -> gratuitous bursts
 *
 * The speaker (Kubernetes watches) and the test agent (agent.ts, a JSON file) call startL2DataPlane
 * and feed it services and peers. Nothing here throws on a received frame or datagram.
 */
import { createHash } from "node:crypto";
import { ETH_P_ARP, ETH_P_IPV6 } from "../../native/bpf";
import { PacketSocket } from "../../native/index";
import { Announcer } from "../../protocols/l2/announcer";
import type { AnnouncedService } from "../../core/election/announcements";
import { L2Announcements } from "../../core/election/announcements";
import { realClock, type Clock } from "../../core/clock";
import type { KeyRingOptions } from "../../protocols/l2/heartbeat-keys";
import { checkKey } from "../../protocols/l2/heartbeat";
import type { HeartbeatObserver } from "./heartbeat-metrics";
import { inProcessHeartbeat, threadHeartbeat, type HeartbeatControl } from "./heartbeat-control";
import type { PartitionPolicy } from "../../core/election/liveness";
import { CountingL2Metrics, type L2Metrics } from "../../protocols/l2/metrics";
import { OwnershipTable } from "../../core/election/ownership";
import { ownedArpFilter, ownedNdpFilter } from "./arp-filter";
import { InterfaceWatcher, usableInterfaces, type LinkSnapshot, type UsableInterface } from "./interfaces";
import { InterfacePorts, type OpenSocket } from "./ports";
import { announcementStatus, type IPStatus } from "./status";

export type { AnnouncedService } from "../../core/election/announcements";
export type { IPStatus } from "./status";
export { DEFAULT_EXCLUDE_L2, usableInterfaces, type LinkSnapshot, type UsableInterface } from "./interfaces";

export type LogLevel = "debug" | "info" | "warn" | "error";
export type L2Log = (level: LogLevel, message: string, fields?: Readonly<Record<string, unknown>>) => void;

export interface L2Peer {
  readonly node: string;
  readonly address: string;
}

export interface L2DataPlaneOptions {
  readonly nodeName: string;
  readonly heartbeat: {
    /** HMAC key (the memberlist Secret's secretkey); `previousKey` is still accepted on receive. */
    readonly key: Buffer;
    readonly previousKey?: Buffer;
    /** How a key replaced later (setHeartbeatKeys) is phased in (heartbeat-keys.ts, defaults 30 s / 60 s). */
    readonly keyRotation?: KeyRingOptions;
    /** UDP port, the same on every node (default 7946). */
    readonly port?: number;
    readonly bindAddress: string;
    /** Fixed peers (tests, LODESTONE_SPEAKER_PEERS). Without them nothing is announced until setPeers() gives
     * the peers the API knows: the start-up grace runs from then (liveness.ts). */
    readonly peers?: readonly L2Peer[];
    readonly intervalMs?: number;
    readonly timeoutMs?: number;
    /** How long a speaker hearing no announcing peer waits for silent ones (liveness.ts, default 10 s). */
    readonly coldStartGraceMs?: number;
    readonly partitionPolicy?: PartitionPolicy;
  };
  /** Interface names never used (default: MetalLB's excludel2 list). */
  readonly excludeInterfaces?: readonly RegExp[];
  /** A fake clock for tests: the heartbeats are then sent from its timers (the addon's thread keeps real time). */
  readonly clock?: Clock;
  /**
   * Where the heartbeats run (heartbeat-control.ts). Default: on this thread, sent by the addon's thread
   * (threadHeartbeat), or in-process on `clock` when a clock is given.
   */
  readonly heartbeats?: HeartbeatControl;
  readonly metrics?: L2Metrics;
  /** Told of every heartbeat sent, accepted or refused, and of the peer counts (PromHeartbeatMetrics). */
  readonly heartbeatObserver?: HeartbeatObserver;
  readonly log?: L2Log;
  /** Seams for tests: packet sockets and the interface source (default: native addon, netlink). */
  readonly openSocket?: OpenSocket;
  readonly watchInterfaces?: (onSnapshot: (links: LinkSnapshot[]) => void) => Promise<{ close(): void }>;
}

export interface L2DataPlane {
  setServices(services: readonly AnnouncedService[]): void;
  setPeers(peers: readonly L2Peer[]): void;
  /**
   * Whether the speaker's view of the cluster is current (its watches are up). While it is not, this node
   * announces nothing and its heartbeats say blind, so its peers answer for its IPs (liveness.ts).
   */
  setViewCurrent(current: boolean): void;
  /**
   * A new reading of the heartbeat Secret (heartbeatKeysFromSecret: secretkey, then previouskey):
   * the new key is accepted at once and signed with after the rotation delay (HeartbeatKeyRing).
   */
  setHeartbeatKeys(keys: readonly Buffer[]): void;
  /** Graceful handover (SIGTERM): resolves once every owned IP's next owner has taken it, or after 1 s. */
  beginHandover(): Promise<"acked" | "timeout">;
  stop(): Promise<void>;
  /** Called with the full status after every change of owned IPs or usable interfaces. */
  onStatus(listener: (status: readonly IPStatus[]) => void): () => void;
  /** Called after every change of the live speakers or of whether this node may announce (liveness.ts). */
  onMembership(listener: (view: { live: string[]; canAnnounce: boolean }) => void): () => void;
  status(): readonly IPStatus[];
  ownedIPs(): string[];
  liveSpeakers(): string[];
  /** Heartbeat datagrams refused, by reason ("bad-mac": signed with a key this node does not accept). */
  heartbeatRejects(): Record<string, number>;
  /** Fingerprints (first 8 hex digits of sha256) of the key signed with and of every key accepted now. */
  heartbeatKeyFingerprints(): { signing: string; accepted: string[] };
  interfaces(): UsableInterface[];
  /** The UDP port heartbeats are received on (useful with port 0). */
  heartbeatPort(): number;
  readonly metrics: L2Metrics;
}

/** The native packet sockets with kernel filters: ARP requests for owned IPs (none until the first
 * ownership sync), and IPv6 passing only solicitations. */
export const openNativeSocket: OpenSocket = (ifname, protocol) =>
  protocol === "arp"
    ? PacketSocket.open(ifname, ETH_P_ARP, ownedArpFilter([]))
    : PacketSocket.open(ifname, ETH_P_IPV6, ownedNdpFilter([]));

/** An OwnershipTable that tells the data plane about every change (memberships, status). */
class ObservedOwnership extends OwnershipTable {
  onChange: () => void = () => {};
  override set(ip: string, interfaces: readonly string[]): void {
    super.set(ip, interfaces);
    this.onChange();
  }
  override delete(ip: string): void {
    super.delete(ip);
    this.onChange();
  }
}

/** Names a key in logs and stats without revealing it. */
export const keyFingerprint = (key: Buffer): string => createHash("sha256").update(key).digest("hex").slice(0, 8);

/** Runs `fn` in a microtask, once however often it is asked for before that microtask runs. */
function onceInMicrotask(fn: () => void): () => void {
  let queued = false;
  return () => {
    if (queued) return;
    queued = true;
    queueMicrotask(() => {
      queued = false;
      fn();
    });
  };
}

const asError = (e: unknown): Error => (e instanceof Error ? e : new Error(String(e)));

export async function startL2DataPlane(opts: L2DataPlaneOptions): Promise<L2DataPlane> {
  const clock = opts.clock ?? realClock;
  const metrics = opts.metrics ?? new CountingL2Metrics();
  const log: L2Log = opts.log ?? (() => {});
  const hb = opts.heartbeat;
  const startKeys = hb.previousKey ? [hb.key, hb.previousKey] : [hb.key];
  const heartbeats = opts.heartbeats ?? (opts.clock ? inProcessHeartbeat(opts.clock) : threadHeartbeat({ log: (level, message, fields) => log(level, message, fields) }));

  const ownership = new ObservedOwnership();
  const ports = new InterfacePorts(opts.openSocket ?? openNativeSocket, ownership, metrics, {
    onOpenError: (ifname, protocol, error) => log("warn", "cannot open packet socket", { ifname, protocol, error: error.message }),
    onConnError: (ifname, protocol, kind, error) => log("debug", "packet socket error", { ifname, protocol, kind, error: error.message }),
  });
  const observer = opts.heartbeatObserver;
  const link = await heartbeats(
    {
      nodeName: opts.nodeName,
      keys: startKeys,
      ...(hb.keyRotation ? { keyRotation: hb.keyRotation } : {}),
      ...(hb.port !== undefined ? { port: hb.port } : {}),
      bindAddress: hb.bindAddress,
      ...(hb.intervalMs !== undefined ? { intervalMs: hb.intervalMs } : {}),
      ...(hb.timeoutMs !== undefined ? { timeoutMs: hb.timeoutMs } : {}),
      ...(hb.coldStartGraceMs !== undefined ? { coldStartGraceMs: hb.coldStartGraceMs } : {}),
      ...(hb.partitionPolicy !== undefined ? { partitionPolicy: hb.partitionPolicy } : {}),
    },
    observer,
  );
  const membership = link.membership;
  const announcer = new Announcer(clock, ip => ports.sendGratuitous(ip));

  let services: readonly AnnouncedService[] = [];
  let lastStatus: readonly IPStatus[] = [];
  let lastStatusKey = "";
  const statusListeners = new Set<(s: readonly IPStatus[]) => void>();
  const publishStatus = (): void => {
    const next = announcementStatus(services, new Set(ownership.ips()), ports.interfaces());
    const key = JSON.stringify(next);
    if (key === lastStatusKey) return;
    lastStatusKey = key;
    lastStatus = next;
    for (const l of [...statusListeners]) {
      try {
        l(next);
      } catch (error) {
        log("error", "status listener failed", { error: asError(error).message });
      }
    }
  };
  const queueStatus = onceInMicrotask(publishStatus);
  // Filters and memberships follow ownership before the event loop reads another frame (a microtask:
  // a question may already be on its way), once per change of the whole table: a state that brings
  // 10,000 IPs changes it 10,000 times, and a sync per change (sort, filter program, setsockopt)
  // held the main thread 42 s. Status batches the same way.
  const queueSyncOwned = onceInMicrotask(() => ports.syncOwned());
  ownership.onChange = () => {
    queueSyncOwned();
    queueStatus();
  };

  const setPeers = (peers: readonly L2Peer[]): void => link.setPeers(peers);

  let announcements: L2Announcements | undefined;
  announcements = new L2Announcements(membership, ownership, announcer, () => link.heartbeatChanged(announcements?.acksToSend() ?? []));
  if (hb.peers) setPeers(hb.peers);

  const applySnapshot = (links: LinkSnapshot[]): void => {
    const verdict = usableInterfaces(links, opts.excludeInterfaces);
    const before = new Set(ports.interfaces().map(i => i.name));
    ports.sync(verdict.usable);
    const after = ports.interfaces().map(i => i.name);
    const opened = after.filter(n => !before.has(n));
    if (opened.length > 0 || after.length !== before.size) log("info", "interfaces", { usable: after });
    // An interface that (re)appears, e.g. a link back up, may face clients that moved to another node
    // meanwhile: start a fresh gratuitous burst for the IPs it serves, as on a takeover.
    for (const ip of ownership.ips()) {
      if (opened.some(n => ownership.allowedOn(ip, n))) {
        announcer.lose(ip);
        announcer.gain(ip);
      }
    }
    queueStatus();
  };
  let watcher: { close(): void };
  try {
    watcher = opts.watchInterfaces
      ? await opts.watchInterfaces(applySnapshot)
      : await InterfaceWatcher.open(applySnapshot, error => log("warn", "netlink dump failed", { error: error.message }));
  } catch (error) {
    await link.close();
    throw error;
  }
  link.start();

  let stopped = false;
  const plane: L2DataPlane = {
    metrics,
    setServices(next) {
      services = next;
      announcements?.setServices(next);
      queueStatus();
    },
    setPeers,
    setViewCurrent(current) {
      if (current === !membership.isBlind()) return;
      log(current ? "info" : "warn", current ? "view of the cluster current again: candidate for elections" : "view of the cluster not current: announcing nothing, peers answer");
      link.setViewCurrent(current);
    },
    setHeartbeatKeys(next) {
      for (const k of next) checkKey(k);
      link.setKeys(next);
    },
    async beginHandover() {
      if (!announcements) return "acked";
      link.startLeaving();
      const handover = announcements.beginHandover(clock);
      return handover.finished;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      announcements?.close();
      announcer.stopAll();
      watcher.close();
      ports.close();
      await link.close();
    },
    onStatus(listener) {
      statusListeners.add(listener);
      return () => void statusListeners.delete(listener);
    },
    onMembership(listener) {
      return membership.onChange(() => listener({ live: [...membership.liveSpeakers()].sort(), canAnnounce: membership.canAnnounce() }));
    },
    status: () => lastStatus,
    ownedIPs: () => ownership.ips().sort(),
    liveSpeakers: () => [...membership.liveSpeakers()].sort(),
    heartbeatRejects: () => link.rejects(),
    heartbeatKeyFingerprints: () => ({ signing: keyFingerprint(link.keys.signingKey()), accepted: link.keys.acceptedKeys().map(keyFingerprint) }),
    interfaces: () => ports.interfaces(),
    heartbeatPort: () => link.port(),
  };
  return plane;
}
