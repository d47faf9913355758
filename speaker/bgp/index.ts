/**
 * The BGP data plane of one node: the pure cores (sessions.ts, routes.ts) wired to BGP and BFD
 * sessions on real sockets.
 *
 *   setNode / setConfig      -> desiredSessions -> diffSessions -> start / stop / restart / retune BFD
 *   setAnnouncements         -> routesForSession per session -> diffRoutes -> advertise / withdraw
 *   session and BFD events   -> status() and onStatusChange listeners; metallb_bgp_* / metallb_bfd_*
 *
 * Route changes go to the sessions synchronously, inside setAnnouncements: a Service change reaches
 * the socket in the same tick (the 50 ms budget is the watch's, not ours). The speaker
 * (speaker/) feeds this from its watches; the netns test feeds it from a test agent.
 */
import type { Duplex } from "node:stream";
import type { Registry } from "prom-client";
import type { BGPAnnouncement } from "../../core/announce/desired";
import type { Config } from "../../core/config/types";
import { realClock, type Clock } from "../../core/clock";
import { registerBgpMetrics } from "./metrics";
import { newBfdCounters, registerBfdMetrics, type BfdCounters } from "../bfd/bfd-metrics";
import { inProcessBfd, type BfdControl } from "../bfd/bfd-control";
import { isolatedBfd } from "../bfd/bfd-isolated";
import type { OpenBfdTransport } from "../bfd/bfd-udp";
import { InterfaceWatcher } from "../l2/interfaces";
import { dialPeer, type UnnumberedHooks } from "./dial";
import { advertiseOnLink } from "./link-peer";
import { bfdKeyOf, PeerSession, type BgpLog, type PeerSessionStatus, type RunningBfd } from "./peer-session";
import { routesForSession } from "./routes";
import { desiredSessions, diffSessions, peerLabel, type BgpSessionSpec, type DesiredSession, type NodeLink, type NodeView } from "./sessions";

export type { BgpLog, LogLevel, PeerSessionStatus } from "./peer-session";
export type { BgpSessionSpec, DesiredSession, NodeView } from "./sessions";
export { desiredSessions, diffSessions } from "./sessions";
export { routesForSession, diffRoutes, servicePeers } from "./routes";

export interface BgpDataPlaneOptions {
  readonly nodeName: string;
  readonly clock?: Clock;
  /** Wall-clock time for status `since` (default: new Date()). */
  readonly now?: () => Date;
  /** Where metallb_bgp_* and metallb_bfd_* are registered (once per registry). */
  readonly registry?: Registry;
  readonly log?: BgpLog;
  /** Seams for tests: how a session connects (default: dialPeer, MD5 and TTL by the addon) and opens BFD. */
  readonly connect?: (spec: BgpSessionSpec, key: string) => Promise<Duplex>;
  /** BFD sessions on this thread, on `clock`, through these transports (tests); default: a process of their own with real sockets. */
  readonly openBfd?: OpenBfdTransport;
  /** Or any BFD runner (e.g. isolatedBfd as a worker thread). */
  readonly bfd?: BfdControl;
  /**
   * Where the node's links come from (unnumbered and VRF peers need them): called once, the first
   * time a BGPPeer with `interface` or `vrf` selects this node; default: a netlink watcher.
   */
  readonly watchLinks?: (onLinks: (links: readonly NodeLink[]) => void) => { close(): void };
  /** Router Advertisements on an unnumbered session's interface (default: ./link-peer.ts on a packet socket). */
  readonly advertiseOnLink?: (ifname: string, linkLocal: string) => { solicit(): void; stop(): void };
}

/** The default link source: netlink, re-read on every link or address change. */
const netlinkLinks = (log: BgpLog) => (onLinks: (links: readonly NodeLink[]) => void) => {
  let watcher: InterfaceWatcher | undefined;
  let closed = false;
  InterfaceWatcher.open(onLinks, error => log("warn", "netlink dump failed", { error: error.message })).then(
    w => (closed ? w.close() : (watcher = w)),
    (error: unknown) => log("error", "cannot watch the node's links (unnumbered and VRF peers need them)", { error: String(error) }),
  );
  return {
    close: () => {
      closed = true;
      watcher?.close();
    },
  };
};

export interface BgpDataPlane {
  /** This node's labels and addresses (the first address of each family is its next hop). */
  setNode(labels: Readonly<Record<string, string>>, addresses: readonly string[]): void;
  setConfig(config: Config): void;
  /** What this node advertises (DesiredState.bgp); applied to the sessions before this returns. */
  setAnnouncements(bgp: readonly BGPAnnouncement[]): void;
  /** One entry per session this node should hold, sorted by peer name. */
  status(): PeerSessionStatus[];
  /** Called (synchronously) with the full status whenever it changes; returns an unsubscribe function. */
  onStatusChange(listener: (status: PeerSessionStatus[]) => void): () => void;
  /** The running session for a peer name (tests and `lodestone status`). */
  session(peer: string): PeerSession | undefined;
  /** Stops every session (CEASE to each Established peer) and BFD. */
  stop(): void;
}

export function startBgpDataPlane(opts: BgpDataPlaneOptions): BgpDataPlane {
  const clock = opts.clock ?? realClock;
  const now = opts.now ?? (() => new Date());
  const log: BgpLog = opts.log ?? (() => undefined);
  const advertisers = new Map<string, { solicit(): void; stop(): void }>();
  const found = new Map<string, string>();
  const hooksFor = (key: string): UnnumberedHooks => ({
    solicit: () => advertisers.get(key)?.solicit(),
    found: address => {
      if (found.get(key) !== address) log("info", "unnumbered peer found", { peer: key, address });
      found.set(key, address);
      sessions.get(key)?.linkPeerFound(address);
    },
  });
  const connect = opts.connect ?? ((spec: BgpSessionSpec, key: string) => dialPeer(spec, hooksFor(key)));
  const advertise = opts.advertiseOnLink ?? ((ifname: string, linkLocal: string) => advertiseOnLink(ifname, linkLocal, error => log("warn", "router advertisement failed", { interface: ifname, error: error.message })));
  let links: { close(): void } | undefined;
  let nodeLinks: readonly NodeLink[] | undefined;
  let watchingLinks = false;
  // BFD's timers and sockets run in a process of their own unless a test brings its own transports.
  const bfd: BfdControl = opts.bfd ?? (opts.openBfd ? inProcessBfd(opts.openBfd, clock) : isolatedBfd({ log }));
  const sessions = new Map<string, PeerSession>();
  const bfdCounters = new Map<string, BfdCounters>();
  const listeners = new Set<(status: PeerSessionStatus[]) => void>();
  let node: NodeView | undefined;
  let config: Config | undefined;
  let announcements: readonly BGPAnnouncement[] = [];
  let desired = new Map<string, DesiredSession>();
  let discriminator = 0;
  let stopped = false;
  let lastStatus = "[]";
  let batching = 0;

  const status = (): PeerSessionStatus[] => [...sessions.values()].map(s => s.status()).sort((a, b) => (a.peer < b.peer ? -1 : a.peer > b.peer ? 1 : 0));

  /** Tells listeners when the status really changed (sessions report every step; most change nothing). */
  const changed = () => {
    if (batching > 0) return;
    const current = status();
    const text = JSON.stringify(current);
    if (text === lastStatus) return;
    lastStatus = text;
    for (const l of [...listeners]) l(current);
  };
  const batch = (work: () => void) => {
    batching++;
    try {
      work();
    } finally {
      batching--;
    }
    changed();
  };

  const startSession = (d: DesiredSession, inherited?: RunningBfd) => {
    const session = new PeerSession(d, {
      node: opts.nodeName,
      clock,
      now,
      connect: spec => connect(spec, d.key),
      bfd,
      bfdCounters: peer => {
        let c = bfdCounters.get(peer);
        if (!c) bfdCounters.set(peer, (c = newBfdCounters()));
        return c;
      },
      nextDiscriminator: () => (discriminator = (discriminator % 0xfffffffe) + 1),
      log,
      changed,
    }, inherited);
    sessions.set(d.key, session);
    log("info", "starting BGP session", { peer: d.key, address: peerLabel(d.bgp), local: d.bgp.localAddress, vrf: d.bgp.vrf, bfd: d.bfd?.name });
    // Unnumbered: the router learns our address from our advertisements, for as long as the session lasts.
    if (d.bgp.interface !== undefined && d.bgp.localAddress !== undefined) advertisers.set(d.key, advertise(d.bgp.interface, d.bgp.localAddress));
    session.start(routesForSession(announcements, d.key, d.bgp));
  };

  const stopSession = (key: string, why: string) => {
    const s = sessions.get(key);
    if (!s) return;
    sessions.delete(key);
    log("info", "stopping BGP session", { peer: key, why });
    s.stop(why);
    advertisers.get(key)?.stop();
    advertisers.delete(key);
    found.delete(key);
  };

  const reconcile = () => {
    if (stopped) return;
    // The node's links are read only once some peer needs them (interface or vrf).
    if (!watchingLinks && config?.peers.some(p => p.interface !== undefined || p.vrf !== undefined)) {
      watchingLinks = true;
      links = (opts.watchLinks ?? netlinkLinks(log))(l => {
        nodeLinks = l;
        reconcile();
      });
    }
    const view: NodeView | undefined = node && nodeLinks ? { ...node, links: nodeLinks } : node;
    const next = view && config ? desiredSessions(config, view) : new Map<string, DesiredSession>();
    const diff = diffSessions(desired, next);
    desired = next;
    batch(() => {
      for (const key of diff.remove) stopSession(key, "BGPPeer removed or no longer selects this node");
      for (const d of diff.restart) {
        // The BFD session goes on under the new BGP session when its own settings did not change:
        // the peer then sees the one reset the edit asks for, not a second one from BFD.
        const old = sessions.get(d.key);
        const bfdKey = bfdKeyOf(d);
        const carried = old && bfdKey !== undefined && old.bfdKey === bfdKey ? old.handOverBfd() : undefined;
        stopSession(d.key, "BGPPeer changed");
        startSession(d, carried);
      }
      for (const d of [...diff.retuneBfd, ...diff.update]) sessions.get(d.key)?.update(d);
      for (const d of diff.add) startSession(d);
      applyRoutes();
    });
  };

  const applyRoutes = () => {
    for (const s of sessions.values()) s.setRoutes(routesForSession(announcements, s.key, s.spec));
  };

  if (opts.registry) {
    const peerOf = (s: PeerSession) => peerLabel(s.spec);
    // MetalLB's FRR mode labels by VRF name, "default" outside any VRF.
    const vrfOf = (s: PeerSession) => s.spec.vrf ?? "default";
    registerBgpMetrics(opts.registry, () => [...sessions.values()].map(s => ({ peer: peerOf(s), vrf: vrfOf(s), session: s.bgp })));
    const vrfByPeer = () => new Map([...sessions.values()].map(s => [peerOf(s), vrfOf(s)]));
    registerBfdMetrics(opts.registry, {
      counters: () => {
        const vrfs = vrfByPeer();
        return [...bfdCounters.entries()].map(([peer, c]) => [peer, c, vrfs.get(peer) ?? "default"] as const);
      },
      sessions: () => [...sessions.values()].filter(s => s.hasBfd).map(s => [peerOf(s), s.bfdUp, vrfOf(s)] as const),
    });
  }

  return {
    setNode(labels, addresses) {
      node = { name: opts.nodeName, labels, addresses };
      reconcile();
    },
    setConfig(c) {
      config = c;
      reconcile();
    },
    setAnnouncements(bgp) {
      announcements = bgp;
      if (stopped) return;
      batch(applyRoutes);
    },
    status,
    onStatusChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    session: peer => sessions.get(peer),
    stop() {
      if (stopped) return;
      batch(() => {
        for (const key of [...sessions.keys()]) stopSession(key, "speaker stopping");
      });
      stopped = true;
      links?.close();
      bfd.shutdown();
    },
  };
}
