/**
 * How long a Service change takes to reach a peer: setAnnouncements() on the data plane (real
 * clock, real TCP over loopback) until the peer's BgpSession has decoded the UPDATE. The issue's
 * budget is 50 ms; this checks the median and prints the figures.
 */
import { createServer, type Server, type Socket } from "node:net";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Config } from "../../core/config/types";
import { realClock } from "../../core/clock";
import { formatCidr } from "../../core/net/ip";
import { dialTcp } from "./tcp-connect";
import { BgpSession, type ReceivedUpdate } from "../../protocols/bgp/session";
import { startBgpDataPlane, type BgpDataPlane } from "./index";
import { EventQueue } from "../../test/bgp/dataplane/routers";
import { bgpPeer } from "../../test/bgp/dataplane/peers";

const PEER = bgpPeer();
const config: Config = {
  namespace: "metallb-system",
  pools: new Map(),
  l2Advertisements: [],
  bgpAdvertisements: [],
  peers: [PEER],
  bfdProfiles: new Map(),
  communityAliases: new Map(),
};

describe("setAnnouncements to the peer's UPDATE over loopback TCP", () => {
  let server: Server;
  let dp: BgpDataPlane;
  const updates = new EventQueue<ReceivedUpdate>();
  let router: BgpSession | undefined;

  beforeAll(async () => {
    const accepted = new EventQueue<Socket>();
    server = createServer(s => accepted.push(s));
    await new Promise<void>(r => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as AddressInfo).port;
    // The router side: a BgpSession whose "connection" is the socket the server accepted.
    router = new BgpSession({
      settings: { myAsn: 64500, peerAsn: 64512, routerId: 0xc0000201, holdTimeS: 90, families: ["IPv4"] },
      clock: realClock,
      connect: () => accepted.next(),
    });
    router.on("update", u => updates.push(u));
    const established = new Promise<void>(r => router?.once("established", () => r()));
    router.start();
    dp = startBgpDataPlane({ nodeName: "node1", connect: () => dialTcp({ host: "127.0.0.1", port }) });
    dp.setNode({}, ["192.0.2.11"]);
    dp.setConfig(config);
    await established;
  });

  afterAll(() => {
    dp?.stop();
    router?.stop();
    server?.close();
  });

  it("delivers each change well within 50 ms", async () => {
    const delays: number[] = [];
    for (let i = 1; i <= 50; i++) {
      const prefix = `198.51.100.${i}/32`;
      const t0 = performance.now();
      dp.setAnnouncements([{ service: "default/web", ips: [], routes: [{ prefix, localPref: 0, communities: [], peers: ["tor"] }] }]);
      const u = await updates.next();
      delays.push(performance.now() - t0);
      expect(u.update.nlri.map(formatCidr)).toEqual([prefix]);
      // The previous prefix is withdrawn in the same UPDATE: one change, one message.
      expect(u.update.withdrawn.map(formatCidr)).toEqual(i > 1 ? [`198.51.100.${i - 1}/32`] : []);
    }
    delays.sort((a, b) => a - b);
    const at = (q: number) => delays[Math.min(delays.length - 1, Math.floor(q * delays.length))] ?? Infinity;
    console.log(`setAnnouncements -> peer decoded the UPDATE (loopback TCP): median ${at(0.5).toFixed(2)} ms, p90 ${at(0.9).toFixed(2)} ms, max ${at(1).toFixed(2)} ms over ${delays.length}`);
    expect(at(0.5)).toBeLessThan(50);
  });
});
