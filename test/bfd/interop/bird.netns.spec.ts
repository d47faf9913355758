/**
 * Our BFD session against BIRD 2's BFD in the bed's router namespace. Needs root; the bed builds
 * and removes the namespaces.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Bed, BRIDGE, ROUTER_IPV4, type Host, type Spawned } from "../../../hack/netns";
import { BirdRouter } from "../../bgp/interop/routers/bird";
import { eventually } from "../../bgp/interop/routers/poll";

describe("BFD session against BIRD", () => {
  let bed: Bed;
  let bird: BirdRouter;
  let node: Host;
  let speaker: Spawned;

  beforeAll(async () => {
    bed = await Bed.create({ nodes: 1 });
    node = bed.nodes[0] as Host;
    bird = await BirdRouter.start(bed.router, {
      routerId: ROUTER_IPV4,
      neighbors: [],
      kernel: false,
      bfd: { interface: BRIDGE, intervalMs: 300, multiplier: 3, neighbors: [{ address: node.ipv4, local: ROUTER_IPV4 }] },
    });
    speaker = node.ns.runNode("test/bfd/bfd-speaker.ts", [node.ipv4, ROUTER_IPV4]);
  });

  afterAll(async () => {
    await bird?.stop();
    await bed?.destroy();
  });

  it("comes Up on both sides, and BIRD sees it go down when we go AdminDown", async () => {
    await speaker.waitForLine("bfd Up diag 0", 15_000);
    await eventually(async () => ((await bird.bfdSessions()).get(node.ipv4) === "Up" ? true : undefined), "BIRD to report the session Up");
    speaker.send("stop");
    await eventually(async () => ((await bird.bfdSessions()).get(node.ipv4) !== "Up" ? true : undefined), "BIRD to see the session go down", { timeoutMs: 5_000 });
    expect((await bird.bfdSessions()).get(node.ipv4)).toBe("Down");
  });
});
