/**
 * Our iBGP session against BIRD 2: IPv4 and IPv6 routes with standard and large communities and
 * LOCAL_PREF arrive as advertised (birdc show route all). Needs root; the bed builds and removes the
 * namespaces.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Bed, ROUTER_IPV4, type Host } from "../../../hack/netns";
import { BirdRouter } from "./routers/bird";
import { eventually } from "./routers/poll";
import { NodeSpeaker } from "./testkit/speakers";

const AS = 64512;

describe("BGP interop with BIRD (iBGP, communities, LOCAL_PREF)", () => {
  let bed: Bed;
  let bird: BirdRouter;
  let host: Host;
  let speaker: NodeSpeaker;

  beforeAll(async () => {
    bed = await Bed.create({ nodes: 1 });
    host = bed.nodes[0] as Host;
    bird = await BirdRouter.start(bed.router, { routerId: ROUTER_IPV4, neighbors: [{ name: "node1", address: host.ipv4, localAs: AS, remoteAs: AS, ipv6: true }] });
    speaker = NodeSpeaker.start(host, { peer: ROUTER_IPV4, local: host.ipv4, myAsn: AS, peerAsn: AS });
    await speaker.established();
  }, 60_000);

  afterAll(async () => {
    await bird?.stop();
    await bed?.destroy();
  });

  const routeAll = (prefix: string) =>
    eventually(async () => {
      const out = await bird.birdc("show", "route", prefix, "all");
      return out.includes("BGP.origin") ? out : undefined;
    }, `BIRD to hold ${prefix}`);

  it("holds an IPv4 route with its communities, large communities and LOCAL_PREF", async () => {
    await speaker.announce([{ prefix: "198.51.100.20/32", nextHop: host.ipv4, communities: ["64512:100", "65535:65281"], largeCommunities: ["64512:1:2", "4294967295:0:7"], localPref: 250 }]);
    const out = await routeAll("198.51.100.20/32");
    expect(out).toContain(`via ${host.ipv4} on br0`);
    expect(out).toMatch(/BGP\.origin: IGP\n/);
    expect(out).toMatch(/BGP\.as_path: *\n/);
    expect(out).toContain(`BGP.next_hop: ${host.ipv4}\n`);
    expect(out).toContain("BGP.local_pref: 250\n");
    expect(out).toContain("BGP.community: (64512,100) (65535,65281)\n");
    expect(out).toContain("BGP.large_community: (64512, 1, 2) (4294967295, 0, 7)\n");
  });

  it("holds an IPv6 route (MP_REACH_NLRI) with its communities and LOCAL_PREF", async () => {
    await speaker.announce([{ prefix: "2001:db8:5::20/128", nextHop: host.ipv6, communities: ["64512:600"], largeCommunities: ["64512:6:6"], localPref: 120 }]);
    const out = await routeAll("2001:db8:5::20/128");
    expect(out).toContain(`via ${host.ipv6} on br0`);
    expect(out).toContain(`BGP.next_hop: ${host.ipv6}`);
    expect(out).toContain("BGP.local_pref: 120\n");
    expect(out).toContain("BGP.community: (64512,600)\n");
    expect(out).toContain("BGP.large_community: (64512, 6, 6)\n");
  });

  it("replaces the attributes when a route is announced again, and forgets it when withdrawn", async () => {
    await speaker.announce([{ prefix: "198.51.100.20/32", nextHop: host.ipv4, communities: ["64512:101"], localPref: 90 }]);
    const out = await eventually(async () => {
      const o = await bird.birdc("show", "route", "198.51.100.20/32", "all");
      return o.includes("BGP.local_pref: 90") ? o : undefined;
    }, "the new LOCAL_PREF");
    expect(out).toContain("BGP.community: (64512,101)\n");
    expect(out).not.toContain("BGP.large_community");
    await speaker.withdraw(["198.51.100.20/32", "2001:db8:5::20/128"]);
    await eventually(async () => ((await bird.importedCount("node1")) === 0 ? true : undefined), "BIRD to drop both routes");
    expect(await bird.established("node1")).toBe(true);
  });
});
