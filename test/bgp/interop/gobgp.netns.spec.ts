/**
 * Our eBGP session against gobgpd: routes land in its global RIB with the right next hop, AS path
 * and communities (gobgp global rib -j). Needs root; the bed builds and removes the namespaces.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Bed, ROUTER_IPV4, type Host } from "../../../hack/netns";
import { GobgpRouter, type GobgpPath } from "./routers/gobgp";
import { eventually } from "./routers/poll";
import { NodeSpeaker } from "./testkit/speakers";

const attr = (p: GobgpPath | undefined, type: number) => p?.attrs?.find(a => a.type === type);

describe("BGP interop with GoBGP", () => {
  let bed: Bed;
  let gobgp: GobgpRouter;
  let host: Host;
  let speaker: NodeSpeaker;

  beforeAll(async () => {
    bed = await Bed.create({ nodes: 1 });
    host = bed.nodes[0] as Host;
    gobgp = await GobgpRouter.start(bed.router, { asn: 64500, routerId: ROUTER_IPV4, neighbors: [{ address: host.ipv4, peerAs: 64512, ipv6: true }] });
    speaker = NodeSpeaker.start(host, { peer: ROUTER_IPV4, local: host.ipv4, myAsn: 64512, peerAsn: 64500 });
    await speaker.established();
  }, 60_000);

  afterAll(async () => {
    await gobgp?.stop();
    await bed?.destroy();
  });

  const path = (family: "ipv4" | "ipv6", prefix: string) =>
    eventually(async () => (await gobgp.rib(family))[prefix]?.[0], `gobgpd to hold ${prefix}`);

  it("holds an IPv4 route with our next hop, AS path and communities", async () => {
    await speaker.announce([{ prefix: "198.51.100.30/32", nextHop: host.ipv4, communities: ["64512:300"], largeCommunities: ["64512:3:4"] }]);
    const p = await path("ipv4", "198.51.100.30/32");
    expect(p["neighbor-ip"]).toBe(host.ipv4);
    expect(attr(p, 1)?.value).toBe(0);
    expect(attr(p, 2)?.as_paths).toEqual([{ segment_type: 2, num: 1, asns: [64512] }]);
    expect(attr(p, 3)?.nexthop).toBe(host.ipv4);
    expect(attr(p, 8)?.communities).toEqual([64512 * 65536 + 300]);
    expect(attr(p, 32)?.value).toEqual([{ ASN: 64512, LocalData1: 3, LocalData2: 4 }]);
  });

  it("holds an IPv6 route with our IPv6 next hop", async () => {
    await speaker.announce([{ prefix: "2001:db8:5::30/128", nextHop: host.ipv6, communities: ["64512:301"] }]);
    const p = await path("ipv6", "2001:db8:5::30/128");
    expect(attr(p, 14)?.nexthop).toBe(host.ipv6);
    expect(attr(p, 8)?.communities).toEqual([64512 * 65536 + 301]);
  });

  it("drops the routes when we withdraw them", async () => {
    await speaker.withdraw(["198.51.100.30/32", "2001:db8:5::30/128"]);
    await eventually(async () => (Object.keys(await gobgp.rib("ipv4")).length === 0 && Object.keys(await gobgp.rib("ipv6")).length === 0 ? true : undefined), "gobgpd's RIB to empty");
    expect(await gobgp.neighborState(host.ipv4)).toMatch(/^(6|established|ESTABLISHED)$/);
  });
});
