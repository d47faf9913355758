import dgram from "node:dgram";
import { afterEach, describe, expect, it } from "vitest";
import type { AnnouncedService } from "../core/election/announcements";
import { FakeClock } from "../core/clock";
import { startL2DataPlane, type IPStatus, type LinkSnapshot, type L2DataPlane as RealL2DataPlane } from "./l2";
import type { MembershipSocket } from "./l2/ports";
import { electedOwner } from "../core/election/election";
import { DEFAULT_COLD_START_GRACE_MS } from "../core/election/liveness";
import { encodeHeartbeat } from "../protocols/l2/heartbeat";
import { parseSpeakerArgs } from "./args";
import type { L2DataPlaneEvent } from "./data-plane";
import { adaptL2DataPlane, speakerL2Options, statusEvents } from "./l2-adapter";
import { recordingLogger } from "../test/observability/recording-logger";

const svc = (name: string, ips: string[], interfaces: string[] = []): AnnouncedService => ({
  name,
  ips,
  interfaces,
  election: { nodes: [], advertisements: [], externalTrafficPolicy: "Cluster", endpointNodes: new Set(), anyReadyEndpoint: true },
});
const st = (service: string, ip: string, interfaces: string[], problems: string[] = []): IPStatus => ({ service, ip, interfaces, problems });

describe("statusEvents", () => {
  const services = [svc("shop/web", ["192.0.2.10", "2001:db8::10"]), svc("shop/db", ["192.0.2.11"], ["eth5"])];

  it("reports a service announced on the union of its IPs' interfaces", () => {
    expect(statusEvents([], [st("shop/web", "192.0.2.10", ["eth0"]), st("shop/web", "2001:db8::10", ["eth1"])], services)).toEqual([
      { type: "announcing", service: "shop/web", ips: ["192.0.2.10", "2001:db8::10"], interfaces: ["eth0", "eth1"] },
    ]);
  });

  it("reports nothing when nothing changed for a service", () => {
    const s = [st("shop/web", "192.0.2.10", ["eth0"])];
    expect(statusEvents(s, [...s], services)).toEqual([]);
  });

  it("reports interfaceMissing with the named interfaces when owned IPs answer nowhere", () => {
    expect(statusEvents([], [st("shop/db", "192.0.2.11", [], ["interface eth5 missing on this node"])], services)).toEqual([
      { type: "interfaceMissing", service: "shop/db", interfaces: ["eth5"] },
    ]);
  });

  it("reports released services first, then changes in name order", () => {
    const before = [st("shop/web", "192.0.2.10", ["eth0"])];
    const after = [st("shop/db", "192.0.2.11", ["eth0"])];
    expect(statusEvents(before, after, services)).toEqual([
      { type: "released", service: "shop/web" },
      { type: "announcing", service: "shop/db", ips: ["192.0.2.11"], interfaces: ["eth0"] },
    ]);
  });

  it("reports a change of interfaces", () => {
    expect(statusEvents([st("shop/web", "192.0.2.10", ["eth0"])], [st("shop/web", "192.0.2.10", ["eth0", "eth1"])], services)).toEqual([
      { type: "announcing", service: "shop/web", ips: ["192.0.2.10"], interfaces: ["eth0", "eth1"] },
    ]);
  });
});

describe("adaptL2DataPlane: the heartbeat Secret", () => {
  const key = (fill: string): string => Buffer.alloc(32, fill).toString("base64");
  function adapted(): { plane: ReturnType<typeof adaptL2DataPlane>; keys: string[][]; logs: string[] } {
    const keys: string[][] = [];
    const logs: string[] = [];
    const real = {
      onStatus: () => () => {},
      setHeartbeatKeys: (k: readonly Buffer[]) => void keys.push(k.map(b => b.toString("base64"))),
    } as unknown as RealL2DataPlane;
    return { plane: adaptL2DataPlane(real, recordingLogger("trace", logs).log), keys, logs };
  }

  it("hands every reading of the Secret to the data plane's key ring, current key first", () => {
    const { plane, keys, logs } = adapted();
    plane.setHeartbeatSecret({ data: { secretkey: key("a") } });
    plane.setHeartbeatSecret({ data: { secretkey: key("b"), previouskey: key("a") } });
    expect(keys).toEqual([[key("a")], [key("b"), key("a")]]);
    expect(logs).toEqual([]);
  });

  it("keeps the keys in use when the Secret is deleted or unusable, and says why", () => {
    const { plane, keys, logs } = adapted();
    plane.setHeartbeatSecret(undefined);
    plane.setHeartbeatSecret({ data: { secretkey: Buffer.from("short").toString("base64") } });
    plane.setHeartbeatSecret({ data: {} });
    expect(keys).toEqual([]);
    expect(logs).toEqual([
      "heartbeat Secret: data.secretkey must decode to at least 16 bytes, got 5; keeping the keys in use",
      "heartbeat Secret: Secret has no data.secretkey; keeping the keys in use",
    ]);
  });
});

describe("speakerL2Options", () => {
  const KEY = Buffer.from("0123456789abcdef0123456789abcdef");
  const args = { node: "node-a", heartbeatPort: 7946, bindAddress: "192.0.2.5", partitionPolicy: "majority" } as const;

  it("carries the node, heartbeat address, port, partition policy and both keys", () => {
    const previous = Buffer.alloc(32, "p");
    expect(speakerL2Options(args, [KEY, previous])).toEqual({
      nodeName: "node-a",
      heartbeat: { key: KEY, previousKey: previous, port: 7946, bindAddress: "192.0.2.5", partitionPolicy: "majority" },
    });
  });

  it("needs a key", () => {
    expect(() => speakerL2Options(args, [])).toThrow("no heartbeat key");
  });
});

describe("the --partition-policy flag reaches the data plane's Membership", () => {
  const KEY = Buffer.from("0123456789abcdef0123456789abcdef");
  const NODES = ["node-a", "node-b", "node-c"];
  const election: AnnouncedService["election"] = {
    nodes: NODES.map(name => ({ name, labels: {}, networkUnavailable: false })),
    advertisements: [{ nodeSelectors: [] }],
    externalTrafficPolicy: "Cluster",
    endpointNodes: new Set(),
    anyReadyEndpoint: true,
  };
  /** An IP node-a wins both alone and with node-b alive, so hearing node-b changes only the policy's verdict. */
  const IP = Array.from({ length: 250 }, (_, i) => `192.0.2.${i + 1}`).find(
    ip => electedOwner({ ...election, firstIP: ip, liveSpeakers: new Set(["node-a", "node-b"]) }) === "node-a",
  ) ?? "";
  const ETH0: LinkSnapshot = { index: 2, name: "eth0", mac: "02:00:00:00:00:01", up: true, broadcast: true, noarp: false, master: undefined, addresses: ["192.0.2.1"] };

  class QuietSocket implements MembershipSocket {
    constructor(readonly ifname: string) {}
    send(frame: Uint8Array): number {
      return frame.length;
    }
    onFrame(): void {}
    addMembership(): void {}
    dropMembership(): void {}
    setFilter(): void {}
    close(): void {}
  }

  const running: RealL2DataPlane[] = [];
  afterEach(async () => {
    await Promise.all(running.splice(0).map(p => p.stop()));
  });

  /** A speaker on node-a with two unheard peers (node-b, node-c), started from its command line; with
   * `peersLater` the peers are set only when the test calls setPeers (the API's list arriving late). */
  async function speaker(argv: string[], opts: { peersLater?: boolean } = {}) {
    const parsed = parseSpeakerArgs(["--heartbeat-port=0", ...argv], { NODE_NAME: "node-a", POD_IP: "127.0.0.1" });
    if (!parsed.ok) throw new Error(parsed.error);
    const clock = new FakeClock();
    const real = await startL2DataPlane(
      speakerL2Options(parsed.args, [KEY], {
        clock,
        openSocket: ifname => new QuietSocket(ifname),
        watchInterfaces: async onSnapshot => {
          onSnapshot([ETH0]);
          return { close: () => {} };
        },
      }),
    );
    running.push(real);
    const plane = adaptL2DataPlane(real);
    const events: L2DataPlaneEvent[] = [];
    let waiting: (() => void) | undefined;
    plane.onEvent(e => {
      events.push(e);
      waiting?.();
    });
    const nextEvent = (): Promise<L2DataPlaneEvent | undefined> => new Promise(r => (waiting = () => r(events.at(-1))));
    const setPeers = (): void => plane.setPeers(["node-b", "node-c"].map(node => ({ node, address: "127.0.0.1", port: real.heartbeatPort() })));
    if (!opts.peersLater) setPeers();
    const setService = (): void => plane.setServices([{ name: "shop/web", ips: [IP], interfaces: [], election }]);
    return { clock, real, events, nextEvent, setService, setPeers };
  }
  /** Status is published from a microtask: let any be published. */
  const settled = () => new Promise(r => setImmediate(r));

  const announcing: L2DataPlaneEvent = { type: "announcing", service: "shop/web", ips: [IP], interfaces: ["eth0"] };

  it("availability (the default): a node hearing none of its peers announces what it elects after the cold-start grace", async () => {
    const s = await speaker([]);
    s.setService();
    s.clock.advance(DEFAULT_COLD_START_GRACE_MS - 1);
    await settled();
    expect(s.events).toEqual([]);
    const next = s.nextEvent();
    s.clock.advance(1); // the peers may be starting too: it waits for them that long
    expect(await next).toEqual(announcing);
    expect(s.events).toEqual([announcing]);
    expect(s.real.ownedIPs()).toEqual([IP]);
  });

  it("a speaker whose peer list comes late announces nothing until the grace after it (it would take every IP)", async () => {
    const s = await speaker([], { peersLater: true });
    s.setService();
    s.clock.advance(1000); // the API's speaker Pods take a second to arrive
    await settled();
    expect(s.events).toEqual([]);
    s.setPeers();
    s.clock.advance(DEFAULT_COLD_START_GRACE_MS - 1);
    await settled();
    expect(s.events).toEqual([]);
    expect(s.real.ownedIPs()).toEqual([]);
    const next = s.nextEvent();
    s.clock.advance(1);
    expect(await next).toEqual(announcing);
  });

  it("majority: the same node announces nothing until it hears a majority (itself and node-b of three)", async () => {
    const s = await speaker(["--partition-policy=majority"]);
    s.setService();
    s.clock.advance(250);
    await settled();
    expect(s.events).toEqual([]);
    expect(s.real.ownedIPs()).toEqual([]);
    const next = s.nextEvent();
    const sender = dgram.createSocket("udp4");
    const hb = encodeHeartbeat({ node: "node-b", incarnation: 1n, sequence: 1, sentAtMs: s.clock.wallNow(), leaving: false, acks: [] }, KEY);
    await new Promise<void>((resolve, reject) => sender.send(hb, s.real.heartbeatPort(), "127.0.0.1", e => (e ? reject(e) : resolve())));
    sender.close();
    expect(await next).toEqual(announcing);
    expect(s.events).toEqual([announcing]);
    expect(s.real.liveSpeakers()).toEqual(["node-a", "node-b"]);
  });
});
