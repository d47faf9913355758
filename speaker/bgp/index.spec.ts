/**
 * The data plane against in-memory routers (a BgpSession per connection, over a stream pair), on a
 * fake clock: routes reach the right peers with the right attributes, edits restart only what they
 * touch, BFD down takes BGP down, status and metrics follow.
 */
import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import type { BGPAnnouncement, BGPRoute } from "../../core/announce/desired";
import type { BFDProfile, BGPPeer, Config } from "../../core/config/types";
import { FakeClock } from "../../core/clock";
import { BfdState, decodeControl, encodeControl, type BfdStateCode, type ControlPacket } from "../../protocols/bfd/packet";
import { BfdSession } from "../../protocols/bfd/session";
import type { BfdTransport } from "../bfd/bfd-udp";
import type { BfdPath } from "../bfd/bfd-udp";
import type { BfdControl, BfdSessionSpec } from "../bfd/bfd-control";
import { formatCidr, formatIP } from "../../core/net/ip";
import type { UpdateMessage } from "../../protocols/bgp/codec/update";
import { startBgpDataPlane, type PeerSessionStatus } from "./index";
import { MemoryRouters } from "../../test/bgp/dataplane/routers";
import { bgpPeer as peer } from "../../test/bgp/dataplane/peers";

const A = peer({ name: "a" });
const B = peer({ name: "b", peerAddress: "192.0.2.2", peerASN: 64512 }); // iBGP
const config = (peers: BGPPeer[], bfd: BFDProfile[] = []): Config => ({
  namespace: "metallb-system",
  pools: new Map(),
  l2Advertisements: [],
  bgpAdvertisements: [],
  peers,
  bfdProfiles: new Map(bfd.map(p => [p.name, p])),
  communityAliases: new Map(),
});
const route = (prefix: string, peers: string[], over: Partial<BGPRoute> = {}): BGPRoute => ({ prefix, localPref: 150, communities: [], peers, ...over });
const ann = (...routes: BGPRoute[]): BGPAnnouncement[] => [{ service: "default/web", ips: [], routes }];
/** What a router saw in one UPDATE, as text. */
const seen = (u: UpdateMessage) => ({
  nlri: u.nlri.map(formatCidr),
  withdrawn: u.withdrawn.map(formatCidr),
  nextHop: u.attributes.nextHop ? formatIP(u.attributes.nextHop) : undefined,
  localPref: u.attributes.localPref,
  asPath: u.attributes.asPath,
});

function setup(peers: BGPPeer[] = [A, B], bfd: BFDProfile[] = [], extra: Partial<Parameters<typeof startBgpDataPlane>[0]> = {}, clock = new FakeClock()) {
  const routers = new MemoryRouters(clock);
  let t = Date.parse("2026-11-22T00:00:00Z");
  const dp = startBgpDataPlane({ nodeName: "node1", clock, now: () => new Date((t += 1000)), connect: routers.connect, ...extra });
  dp.setNode({ rack: "r1" }, ["192.0.2.11", "2001:db8::11"]);
  dp.setConfig(config(peers, bfd));
  return { clock, routers, dp };
}

describe("BGP data plane (in memory)", () => {
  it("sends a Service's route to every peer with the node as next hop, LOCAL_PREF to the iBGP peer only, and withdraws it", async () => {
    const { routers, dp } = setup();
    await Promise.all([routers.latest("a").established, routers.latest("b").established]);
    dp.setAnnouncements(ann(route("198.51.100.7/32", ["a", "b"])));
    expect(seen((await routers.latest("a").updates.next()).update)).toEqual({ nlri: ["198.51.100.7/32"], withdrawn: [], nextHop: "192.0.2.11", localPref: undefined, asPath: [{ type: 2, asns: [64512] }] });
    expect(seen((await routers.latest("b").updates.next()).update)).toEqual({ nlri: ["198.51.100.7/32"], withdrawn: [], nextHop: "192.0.2.11", localPref: 150, asPath: [] });

    dp.setAnnouncements([]);
    expect(seen((await routers.latest("a").updates.next()).update)).toMatchObject({ nlri: [], withdrawn: ["198.51.100.7/32"] });
    expect(seen((await routers.latest("b").updates.next()).update)).toMatchObject({ nlri: [], withdrawn: ["198.51.100.7/32"] });
    dp.stop();
  });

  it("honours the peers filter: a route for b never reaches a", async () => {
    const { routers, dp } = setup();
    await Promise.all([routers.latest("a").established, routers.latest("b").established]);
    dp.setAnnouncements(ann(route("198.51.100.8/32", ["b"])));
    expect(seen((await routers.latest("b").updates.next()).update).nlri).toEqual(["198.51.100.8/32"]);
    // A later route for both: the first thing a receives is that one.
    dp.setAnnouncements(ann(route("198.51.100.8/32", ["b"]), route("198.51.100.9/32", ["a", "b"])));
    expect(seen((await routers.latest("a").updates.next()).update).nlri).toEqual(["198.51.100.9/32"]);
    expect(seen((await routers.latest("b").updates.next()).update).nlri).toEqual(["198.51.100.9/32"]);
    dp.stop();
  });

  it("sends IPv6 prefixes only on IPv6 sessions, with the node's IPv6 address as next hop", async () => {
    const V6 = peer({ name: "v6", peerAddress: "2001:db8::1" });
    const { routers, dp } = setup([A, V6]);
    await Promise.all([routers.latest("a").established, routers.latest("v6").established]);
    dp.setAnnouncements(ann(route("2001:db8:5::7/128", ["a", "v6"]), route("198.51.100.7/32", ["a", "v6"])));
    expect(seen((await routers.latest("a").updates.next()).update).nlri).toEqual(["198.51.100.7/32"]);
    const u = (await routers.latest("v6").updates.next()).update;
    expect(u.attributes.mpReach?.nlri.map(formatCidr)).toEqual(["2001:db8:5::7/128"]);
    expect(u.attributes.mpReach?.nextHops.map(formatIP)).toEqual(["2001:db8::11"]);
    dp.stop();
  });

  describe("dynamicASN, localASN, dualStackAddressFamily", () => {
    /** A data plane whose routers have the ASes given (by peer name). */
    const withRouterAsns = (peers: BGPPeer[], asns: Record<string, number>) => {
      const clock = new FakeClock();
      const routers = new MemoryRouters(clock);
      for (const [k, v] of Object.entries(asns)) routers.asns.set(k, v);
      const dp = startBgpDataPlane({ nodeName: "node1", clock, connect: routers.connect });
      dp.setNode({}, ["192.0.2.11", "2001:db8::11"]);
      dp.setConfig(config(peers));
      return { routers, dp };
    };
    const statusWhen = (dp: ReturnType<typeof startBgpDataPlane>, ok: (s: PeerSessionStatus[]) => boolean) =>
      new Promise<PeerSessionStatus[]>(resolve => {
        const off = dp.onStatusChange(s => {
          if (ok(s)) {
            off();
            resolve(s);
          }
        });
      });

    it("dynamicASN: a peer of the configured kind comes up (eBGP or iBGP attributes by kind); one of the other kind gets Bad Peer AS and stays down, saying why", async () => {
      const ext = peer({ name: "ext", peerASN: 0, dynamicASN: "external" });
      const int = peer({ name: "int", peerAddress: "192.0.2.2", peerASN: 0, dynamicASN: "internal" });
      const wrong = peer({ name: "wrong", peerAddress: "192.0.2.3", peerASN: 0, dynamicASN: "internal" });
      const { routers, dp } = withRouterAsns([ext, int, wrong], { ext: 4200000001, int: 64512, wrong: 64500 });
      const refused = statusWhen(dp, s => s.find(x => x.peer === "wrong")?.lastError !== undefined);
      await Promise.all([routers.latest("ext").established, routers.latest("int").established]);
      expect([routers.latest("ext").session.negotiated?.peerAsn, dp.session("ext")?.bgp.negotiated?.peerAsn, dp.session("int")?.bgp.negotiated?.peerAsn]).toEqual([64512, 4200000001, 64512]);
      dp.setAnnouncements(ann(route("198.51.100.7/32", ["ext", "int"])));
      expect(seen((await routers.latest("ext").updates.next()).update)).toMatchObject({ localPref: undefined, asPath: [{ type: 2, asns: [64512] }] });
      expect(seen((await routers.latest("int").updates.next()).update)).toMatchObject({ localPref: 150, asPath: [] });

      const status = (await refused).find(x => x.peer === "wrong");
      expect(status).toMatchObject({ state: "Idle", lastError: "sent NOTIFICATION 2/2 (bad peer AS) to 192.0.2.3: peer AS 64500, expected internal (64512)" });
      expect(routers.latest("wrong").downs).toEqual(["notification received: code 2 subcode 2"]);
      dp.stop();
    });

    it("localASN: the peer sees it in the OPEN (its peer AS) and alone in the AS_PATH", async () => {
      const { routers, dp } = withRouterAsns([peer({ name: "a", localASN: 4200000001 })], {});
      await routers.latest("a").established;
      expect(routers.latest("a").session.negotiated?.peerAsn).toBe(4200000001);
      dp.setAnnouncements(ann(route("198.51.100.7/32", ["a"])));
      expect(seen((await routers.latest("a").updates.next()).update)).toMatchObject({ asPath: [{ type: 2, asns: [4200000001] }] });
      dp.stop();
    });

    it("dualStackAddressFamily: one IPv4 session and one IPv6 session each carry both families, each with a next hop of its own family", async () => {
      const v4 = peer({ name: "v4", dualStackAddressFamily: true });
      const v6 = peer({ name: "v6", peerAddress: "2001:db8::1", dualStackAddressFamily: true });
      const { routers, dp } = withRouterAsns([v4, v6], {});
      await Promise.all([routers.latest("v4").established, routers.latest("v6").established]);
      expect(dp.session("v4")?.bgp.negotiated?.families).toEqual(["IPv4", "IPv6"]);
      dp.setAnnouncements(ann(route("198.51.100.7/32", ["v4", "v6"]), route("2001:db8:5::7/128", ["v4", "v6"])));
      for (const name of ["v4", "v6"]) {
        const got = [(await routers.latest(name).updates.next()).update, (await routers.latest(name).updates.next()).update];
        expect(got.map(u => ({ ...seen(u), mp: u.attributes.mpReach?.nlri.map(formatCidr), mpNextHops: u.attributes.mpReach?.nextHops.map(formatIP) }))).toEqual([
          { nlri: ["198.51.100.7/32"], withdrawn: [], nextHop: "192.0.2.11", localPref: undefined, asPath: [{ type: 2, asns: [64512] }], mp: undefined, mpNextHops: undefined },
          { nlri: [], withdrawn: [], nextHop: undefined, localPref: undefined, asPath: [{ type: 2, asns: [64512] }], mp: ["2001:db8:5::7/128"], mpNextHops: ["2001:db8::11"] },
        ]);
      }
      expect(dp.status().map(s => [s.peer, s.prefixesAdvertised])).toEqual([["v4", 2], ["v6", 2]]);
      dp.stop();
    });
  });

  it("restarts only the edited BGPPeer's session; the other keeps its connection and never goes down", async () => {
    const { routers, dp } = setup();
    await Promise.all([routers.latest("a").established, routers.latest("b").established]);
    dp.setAnnouncements(ann(route("198.51.100.7/32", ["a", "b"])));
    await routers.latest("a").updates.next();
    await routers.latest("b").updates.next();
    const sinceA = dp.status().find(s => s.peer === "a")?.since;

    dp.setConfig(config([A, { ...B, holdTimeS: 9 }]));
    expect(routers.latest("b").session.state).not.toBe("Established");
    expect(routers.count("b")).toBe(2);
    await routers.latest("b").established;
    // The new session gets the table at once.
    expect(seen((await routers.latest("b").updates.next()).update).nlri).toEqual(["198.51.100.7/32"]);
    expect(routers.connections.get("b")?.[0]?.downs).toEqual(["notification received: code 6 subcode 2"]);

    expect(routers.count("a")).toBe(1);
    expect(routers.latest("a").downs).toEqual([]);
    expect(routers.latest("a").session.state).toBe("Established");
    expect(routers.latest("a").updates.pending).toBe(0);
    expect(dp.status().find(s => s.peer === "a")?.since).toBe(sinceA);

    // An edit that changes nothing for this node (a label selector it still matches) touches nothing.
    dp.setConfig(config([{ ...A, nodeSelectors: [{ matchLabels: { rack: "r1" }, matchExpressions: [] }] }, { ...B, holdTimeS: 9 }]));
    expect([routers.count("a"), routers.count("b")]).toEqual([1, 2]);
    // Deleting a peer closes its session only.
    dp.setConfig(config([A]));
    expect(dp.status().map(s => s.peer)).toEqual(["a"]);
    expect(routers.latest("a").session.state).toBe("Established");
    dp.stop();
  });

  it("opens and closes sessions as the node's labels match the peer's nodeSelectors", async () => {
    const onlyR2 = { ...A, nodeSelectors: [{ matchLabels: { rack: "r2" }, matchExpressions: [] }] };
    const { routers, dp } = setup([onlyR2]);
    expect(routers.count("a")).toBe(0);
    dp.setNode({ rack: "r2" }, ["192.0.2.11"]);
    await routers.latest("a").established;
    const down = new Promise<void>(resolve => routers.latest("a").session.once("down", () => resolve()));
    dp.setNode({ rack: "r1" }, ["192.0.2.11"]);
    expect(dp.status()).toEqual([]);
    await down;
    expect(routers.latest("a").downs).toEqual(["notification received: code 6 subcode 2"]);
    dp.stop();
  });

  it("reports status per peer (state, since, last error, prefixes) and tells listeners on change", async () => {
    const { routers, dp } = setup([A, { ...B, sourceAddress: "198.51.100.99" }]);
    const reports: PeerSessionStatus[][] = [];
    dp.onStatusChange(s => reports.push(s));
    await Promise.all([routers.latest("a").established, routers.latest("b").established]);
    dp.setAnnouncements(ann(route("198.51.100.7/32", ["a", "b"]), route("198.51.100.8/32", ["a"])));
    const status = dp.status();
    expect(status.map(s => ({ ...s, since: typeof s.since }))).toEqual([
      { peer: "a", peerAddress: "192.0.2.1", node: "node1", state: "Established", since: "string", prefixesAdvertised: 2 },
      {
        peer: "b",
        peerAddress: "192.0.2.2",
        node: "node1",
        state: "Established",
        since: "string",
        lastError: "sourceAddress 198.51.100.99 is not an address of this node; using 192.0.2.11",
        prefixesAdvertised: 1,
      },
    ]);
    expect(status[0]?.since).toMatch(/^2026-11-22T00:\d\d:\d\d\.000Z$/);
    expect(reports.at(-1)).toEqual(status);
    expect(reports.some(r => r.every(s => s.state === "Established") && r[0]?.prefixesAdvertised === 0)).toBe(true);
    dp.stop();
    expect(dp.status()).toEqual([]);
  });

  it("records a connection failure as the last error", async () => {
    const { dp } = setup([A], [], { connect: () => Promise.reject(new Error("connect ECONNREFUSED 192.0.2.1:179")) });
    await new Promise(r => setImmediate(r));
    expect(dp.status()[0]).toMatchObject({ peer: "a", lastError: "connect to 192.0.2.1:179: connect ECONNREFUSED 192.0.2.1:179" });
    dp.stop();
  });

  it("exports metallb_bgp_* for each session", async () => {
    const registry = new Registry();
    const { routers, dp } = setup([A], [], { registry });
    await routers.latest("a").established;
    dp.setAnnouncements(ann(route("198.51.100.7/32", ["a"])));
    await routers.latest("a").updates.next();
    const text = await registry.metrics();
    expect(text).toContain('metallb_bgp_session_up{peer="192.0.2.1"} 1');
    expect(text).toContain('metallb_bgp_announced_prefixes_total{peer="192.0.2.1"} 1');
    expect(text).toContain('metallb_bgp_updates_total{peer="192.0.2.1"} 1');
    dp.stop();
  });
});

describe("BGP data plane with BFD (in memory)", () => {
  const fast: BFDProfile = { name: "fast", receiveIntervalMs: 100, transmitIntervalMs: 100, detectMultiplier: 3, echoIntervalMs: 50, echoMode: false, passiveMode: false };

  /** A BFD peer at the router, wired to the data plane's BFD session through the openBfd seam. A muted
   * router drops everything both ways, as a dead link does; `heard` decodes what the node sent. */
  function bfdRouter(clock: FakeClock) {
    let toNode: ((p: Buffer) => void) | undefined;
    let router: BfdSession | undefined;
    let muted = false;
    const heard: ControlPacket[] = [];
    const make = () => {
      const s = new BfdSession({ desiredMinTxMs: 100, requiredMinRxMs: 100, detectMultiplier: 3, localDiscriminator: 77 }, clock, p => (muted ? undefined : toNode?.(p)), () => 0.5);
      s.start();
      return s;
    };
    const paths: (BfdPath | undefined)[] = [];
    const openBfd = async (_local: string, _peer: string, onPacket: (p: Buffer) => void, path?: BfdPath): Promise<BfdTransport> => {
      paths.push(path);
      toNode = onPacket;
      router = make();
      return {
        send: p => {
          const d = decodeControl(p);
          if (d.ok) heard.push(d.packet);
          if (!muted) router?.receive(p);
        },
        close: () => (toNode = undefined),
      };
    };
    return {
      openBfd,
      paths,
      heard,
      opens: () => paths.length,
      router: () => router as BfdSession,
      restart: () => (router = make()),
      mute: (on: boolean) => (muted = on),
    };
  }

  /** The data plane with one BFD peer "a", BGP Established and BFD Up; log lines collected. */
  async function bfdSetup(extra: Partial<Parameters<typeof startBgpDataPlane>[0]> = {}) {
    const clock = new FakeClock();
    const bfd = bfdRouter(clock);
    const logs: string[] = [];
    const log = (level: string, message: string, fields?: Readonly<Record<string, unknown>>) => logs.push(`${level} ${message} ${JSON.stringify(fields ?? {})}`);
    const { routers, dp } = setup([{ ...A, bfdProfile: "fast" }], [fast], { openBfd: bfd.openBfd, log, ...extra }, clock);
    await routers.latest("a").established;
    await new Promise(r => setImmediate(r)); // the BFD transport opens
    const bfdIs = (want: string) => {
      for (let i = 0; i < 10 && dp.status()[0]?.bfd !== want; i++) clock.advance(1000);
      return dp.status()[0]?.bfd;
    };
    expect(bfdIs("Up")).toBe("Up");
    expect(dp.status()[0]?.state).toBe("Established");
    return { clock, bfd, logs, routers, dp, bfdIs };
  }

  it("takes the BGP session down at once when BFD fails, says it sent the CEASE and why, and brings BGP back when BFD is up again", async () => {
    const registry = new Registry();
    const { clock, bfd, logs, routers, dp, bfdIs } = await bfdSetup({ registry });
    const established = dp.status()[0]?.since;

    // The path dies: nothing more arrives, and ours goes Down on detection (diag 1); BGP stops in the same tick.
    const routerSide = routers.latest("a");
    const down = new Promise<void>(resolve => routerSide.session.once("down", () => resolve()));
    bfd.mute(true);
    expect(bfdIs("Down")).toBe("Down");
    const why = "sent NOTIFICATION 6/2 (administrative shutdown) to 192.0.2.1: BFD down, control detection time expired (diag 1)";
    expect(dp.status()[0]).toMatchObject({ state: "Idle", bfd: "Down", lastError: why, prefixesAdvertised: 0 });
    expect(logs).toContain(`warn BGP session down {"peer":"a","address":"192.0.2.1","reason":"${why}"}`);
    bfd.mute(false);
    await down;
    expect(routerSide.downs).toEqual(["notification received: code 6 subcode 2"]);
    // While BFD is down, BGP does not redial.
    bfd.router().stop();
    clock.advance(5000);
    expect(routers.count("a")).toBe(1);

    bfd.restart();
    expect(bfdIs("Up")).toBe("Up");
    expect(routers.count("a")).toBe(2);
    await routers.latest("a").established;
    // Back: a new `since`, and the failure is no longer the session's error.
    const back = dp.status()[0];
    expect(back?.state).toBe("Established");
    expect(back?.lastError).toBeUndefined();
    expect(Date.parse(back?.since ?? "")).toBeGreaterThan(Date.parse(established ?? ""));

    const text = await registry.metrics();
    expect(text).toContain('metallb_bfd_session_up{peer="192.0.2.1",vrf="default"} 1');
    expect(text).toContain('metallb_bfd_session_up_events{peer="192.0.2.1",vrf="default"} 2');
    expect(text).toContain('metallb_bfd_session_down_events{peer="192.0.2.1",vrf="default"} 1');
    expect(text).toMatch(/metallb_bfd_control_packet_input\{peer="192.0.2.1",vrf="default"\} [1-9]/);
    expect(text).toMatch(/metallb_bfd_control_packet_output\{peer="192.0.2.1",vrf="default"\} [1-9]/);
    // No echo mode in this profile: no echo sent nor received.
    expect(text).toContain('metallb_bfd_echo_packet_output{peer="192.0.2.1",vrf="default"} 0');
    expect(text).toContain('metallb_bfd_echo_packet_input{peer="192.0.2.1",vrf="default"} 0');
    dp.stop();
  });

  it("leaves BGP up when the peer signals AdminDown (RFC 5882 3.2: a deliberate stop, not a failure)", async () => {
    const { clock, bfd, logs, routers, dp, bfdIs } = await bfdSetup();
    bfd.router().stop();
    expect(dp.status()[0]).toMatchObject({ state: "Established", bfd: "Down" });
    expect(dp.status()[0]?.lastError).toBeUndefined();
    expect(logs).toContain('info BFD down: the peer signaled AdminDown; the BGP session stays {"peer":"a","address":"192.0.2.1"}');
    clock.advance(5000);
    expect(routers.count("a")).toBe(1);
    expect(routers.latest("a").downs).toEqual([]);
    // The peer's BFD comes back: Up again, BGP untouched.
    bfd.restart();
    expect(bfdIs("Up")).toBe("Up");
    expect(routers.count("a")).toBe(1);
    expect(routers.latest("a").session.state).toBe("Established");
    dp.stop();
  });

  it("never takes BGP down for a BFD session that was never Up (the peer's BFD still starting)", async () => {
    const clock = new FakeClock();
    let toNode: ((p: Buffer) => void) | undefined;
    const openBfd = async (_l: string, _p: string, onPacket: (p: Buffer) => void): Promise<BfdTransport> => {
      toNode = onPacket;
      return { send: () => undefined, close: () => undefined };
    };
    const { routers, dp } = setup([{ ...A, bfdProfile: "fast" }], [fast], { openBfd }, clock);
    await routers.latest("a").established;
    await new Promise(r => setImmediate(r));
    const from = (state: BfdStateCode) =>
      encodeControl({ diag: 0, state, poll: false, final: false, controlPlaneIndependent: false, demand: false, detectMult: 3, myDiscriminator: 9, yourDiscriminator: 0, desiredMinTxUs: 1_000_000, requiredMinRxUs: 1_000_000, requiredMinEchoRxUs: 0 });
    // FRR's bfdd starting: one Down (ours goes Init), then AdminDown, then silence past the detection time.
    toNode?.(from(BfdState.Down));
    expect(dp.status()[0]?.bfd).toBe("Init");
    toNode?.(from(BfdState.AdminDown));
    expect(dp.status()[0]?.bfd).toBe("Down");
    toNode?.(from(BfdState.Down));
    expect(dp.status()[0]?.bfd).toBe("Init");
    clock.advance(10_000);
    expect(dp.status()[0]).toMatchObject({ state: "Established", bfd: "Down" });
    expect(dp.status()[0]?.lastError).toBeUndefined();
    expect(routers.count("a")).toBe(1);
    expect(routers.latest("a").downs).toEqual([]);
    dp.stop();
  });

  it("resets the session once for a BGPPeer edit (holdTime): the BFD session goes on, never AdminDown, same discriminator", async () => {
    const { clock, bfd, logs, routers, dp } = await bfdSetup();
    const first = routers.latest("a");
    const sentBefore = bfd.heard.length;
    const before = dp.status()[0];
    dp.setConfig(config([{ ...A, bfdProfile: "fast", holdTimeS: 30 }], [fast]));
    await routers.latest("a").established;
    expect(logs).toContain('warn BGP session down {"peer":"a","address":"192.0.2.1","reason":"sent NOTIFICATION 6/2 (administrative shutdown) to 192.0.2.1: BGPPeer changed"}');
    clock.advance(10_000);
    expect(routers.count("a")).toBe(2);
    expect(first.downs).toEqual(["notification received: code 6 subcode 2"]);
    expect(routers.latest("a").downs).toEqual([]);
    expect(bfd.opens()).toBe(1);
    const after = bfd.heard.slice(sentBefore);
    expect(after.length).toBeGreaterThan(50);
    expect(after.every(p => p.state === BfdState.Up && p.myDiscriminator === bfd.heard[0]?.myDiscriminator)).toBe(true);
    const now = dp.status()[0];
    expect(now).toMatchObject({ state: "Established", bfd: "Up" });
    expect(Date.parse(now?.since ?? "")).toBeGreaterThan(Date.parse(before?.since ?? ""));
    dp.stop();
  });

  it("holds the new BGP session while the handed-over BFD session is down", async () => {
    const { clock, bfd, routers, dp, bfdIs } = await bfdSetup();
    bfd.mute(true);
    expect(bfdIs("Down")).toBe("Down");
    dp.setConfig(config([{ ...A, bfdProfile: "fast", holdTimeS: 30 }], [fast]));
    clock.advance(5000);
    expect(routers.count("a")).toBe(1);
    // The link comes back: the router's session (still running) and ours find each other again.
    bfd.mute(false);
    expect(bfdIs("Up")).toBe("Up");
    await routers.latest("a").established;
    expect(routers.count("a")).toBe(2);
    dp.stop();
  });

  it("opens single-hop BFD for a directly connected peer and multihop BFD (RFC 5883) with the profile's minimumTtl for an eBGP multihop peer", async () => {
    for (const [over, profile, want] of [
      [{}, fast, { multihop: false }],
      [{ ebgpMultiHop: true }, { ...fast, minimumTtl: 250 }, { multihop: true, minimumTtl: 250 }],
    ] as const) {
      const clock = new FakeClock();
      const bfd = bfdRouter(clock);
      const { routers, dp } = setup([{ ...A, ...over, bfdProfile: "fast" }], [profile], { openBfd: bfd.openBfd }, clock);
      await routers.latest("a").established;
      await new Promise(r => setImmediate(r));
      expect(bfd.paths).toEqual([want]);
      dp.stop();
    }
  });

  it("replaces only the BFD session when the BFDProfile changes, keeping the BGP connection", async () => {
    const clock = new FakeClock();
    const bfd = bfdRouter(clock);
    const { routers, dp } = setup([{ ...A, bfdProfile: "fast" }], [fast], { openBfd: bfd.openBfd }, clock);
    await routers.latest("a").established;
    await new Promise(r => setImmediate(r));
    const first = bfd.router();
    dp.setConfig(config([{ ...A, bfdProfile: "fast" }], [{ ...fast, transmitIntervalMs: 300 }]));
    await new Promise(r => setImmediate(r));
    expect(bfd.router()).not.toBe(first);
    expect(routers.count("a")).toBe(1);
    expect(routers.latest("a").session.state).toBe("Established");
    expect(routers.latest("a").downs).toEqual([]);
    dp.stop();
  });
});

describe("BGP data plane: BFD echo mode", () => {
  const echo: BFDProfile = { name: "echo", receiveIntervalMs: 300, transmitIntervalMs: 300, detectMultiplier: 3, echoIntervalMs: 40, echoMode: true, passiveMode: false };

  it("asks for echo at the profile's echoInterval on a single-hop session, and never on a multihop one (RFC 5883 3)", async () => {
    const specs: BfdSessionSpec[] = [];
    const bfd: BfdControl = {
      open: spec => (specs.push(spec), { state: BfdState.Down, listen: () => undefined, close: () => undefined }),
      shutdown: () => undefined,
    };
    const { dp, routers } = setup([{ ...A, bfdProfile: "echo" }, { ...peer({ name: "m", peerAddress: "198.51.100.1" }), ebgpMultiHop: true, bfdProfile: "echo" }], [echo], { bfd });
    await Promise.all([routers.latest("a").established, routers.latest("m").established]);
    expect(specs.map(s => [s.peerAddress, s.path.multihop, s.settings.echoIntervalMs])).toEqual([
      ["192.0.2.1", false, 40],
      ["198.51.100.1", true, undefined],
    ]);
    dp.stop();
  });
});
