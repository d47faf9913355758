/**
 * Our BFD session against BIRD 2's BFD in the bed's router namespace; BIRD does not implement the echo
 * function, so a session in echo mode must run on control packets alone. Needs root; the bed builds
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

  it("with our echo mode on, comes Up too and sends no echo: BIRD offers none (Required Min Echo RX 0)", async () => {
    const echoSpeaker = node.ns.runNode("test/bfd/bfd-speaker.ts", [node.ipv4, ROUTER_IPV4, JSON.stringify({ echoIntervalMs: 50 })]);
    await echoSpeaker.waitForLine("bfd Up diag 0", 15_000);
    await eventually(async () => ((await bird.bfdSessions()).get(node.ipv4) === "Up" ? true : undefined), "BIRD to report the session Up");
    // Two seconds Up: at 50 ms, some 40 echoes would have gone out had BIRD asked for them.
    await new Promise(r => setTimeout(r, 2_000));
    echoSpeaker.send("stats");
    const stats = JSON.parse((await echoSpeaker.waitForNewLine(/^stats /)).slice("stats ".length)) as { state: string; echoSent: number; echoReceived: number };
    expect(stats).toMatchObject({ state: "Up", echoSent: 0, echoReceived: 0 });
    expect((await bird.bfdSessions()).get(node.ipv4)).toBe("Up");
    expect(echoSpeaker.stdoutLines.filter(l => l.startsWith("echo-error") || l.startsWith("bfd Down"))).toEqual([]);
    echoSpeaker.send("stop");
  });
});
