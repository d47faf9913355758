/**
 * Our session against a real router: BIRD 2 in the bed's router namespace, our speaker in a node
 * namespace. Needs root; the bed builds and removes the namespaces.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Bed, ROUTER_IPV4, type Host, type Spawned } from "../../../hack/netns";
import { BirdRouter } from "../interop/routers/bird";
import { eventually } from "../interop/routers/poll";

describe("BGP session against BIRD", () => {
  let bed: Bed;
  let bird: BirdRouter;
  let speaker: Spawned;
  const birdc = (...args: string[]) => bird.birdc(...args);

  beforeAll(async () => {
    bed = await Bed.create({ nodes: 1 });
    const node = bed.nodes[0] as Host;
    bird = await BirdRouter.start(bed.router, { routerId: ROUTER_IPV4, neighbors: [{ name: "lodestone", address: node.ipv4, localAs: 64500, remoteAs: 64512, ipv6: true }] });
    speaker = node.ns.runNode("test/bgp/testkit/speaker.ts", [ROUTER_IPV4, node.ipv4, "64512", "64500"]);
  });

  afterAll(async () => {
    await bird?.stop();
    await bed?.destroy();
  });

  it("comes up, and BIRD installs our /32 and /128 with the node as next hop, then removes them", async () => {
    const node = bed.nodes[0];
    if (!node) throw new Error("no node");
    await speaker.waitForLine("state Established", 20_000);
    speaker.send(`announce 198.51.100.7/32 ${node.ipv4}`);
    speaker.send(`announce 2001:db8:5::7/128 ${node.ipv6}`);

    const v4 = await eventually(async () => {
      const out = (await bed.router.exec(["ip", "-4", "route", "show", "198.51.100.7"])).stdout.trim();
      return out === "" ? undefined : out;
    }, "the IPv4 route in the router's kernel");
    expect(v4).toBe(`198.51.100.7 via ${node.ipv4} dev br0 proto bird metric 32`);
    const table = await birdc("show", "route", "198.51.100.7/32", "all");
    expect(table).toContain(`via ${node.ipv4} on br0`);
    expect(table).toContain("BGP.as_path: 64512");
    expect(table).toContain(`BGP.next_hop: ${node.ipv4}`);

    const v6 = await eventually(async () => {
      const out = (await bed.router.exec(["ip", "-6", "route", "show", "2001:db8:5::7"])).stdout.trim();
      return out === "" ? undefined : out;
    }, "the IPv6 route in the router's kernel");
    expect(v6).toMatch(new RegExp(`^2001:db8:5::7 via ${node.ipv6} dev br0 proto bird metric 32`));

    speaker.send("withdraw 198.51.100.7/32");
    await eventually(async () => ((await bed.router.exec(["ip", "-4", "route", "show", "198.51.100.7"])).stdout.trim() === "" ? true : undefined), "the route to go");
    expect(await birdc("show", "protocols", "lodestone")).toMatch(/lodestone\s+BGP\s+---\s+up\s+\S+\s+Established/);
  });
});
