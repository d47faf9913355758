/**
 * Multihop BFD (RFC 5883) against FRR's bfdd across a routed hop: FRR runs in a namespace behind the
 * bed's router (203.0.113.0/24), so its packets reach our node with TTL 254. Our side runs the data
 * plane's multihop sockets (port 4784, per-peer minimum TTL in a socket filter). Needs root; the bed
 * builds and removes the namespaces.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Bed, type Host, type Namespace, type Spawned } from "../../../hack/netns";
import { FrrRouter } from "../../bgp/interop/routers/frr";
import { eventually } from "../../bgp/interop/routers/poll";

const FAR = "203.0.113.2";

describe("multihop BFD against FRR bfdd over a routed hop", () => {
  let bed: Bed;
  let node: Host;
  let frr: FrrRouter;
  const running: Spawned[] = [];

  const speaker = (options: Record<string, unknown>): Spawned => {
    const p = node.ns.runNode("test/bfd/bfd-speaker.ts", [node.ipv4, FAR, JSON.stringify({ multihop: true, ...options })]);
    running.push(p);
    return p;
  };
  const frrPeer = () => frr.bfdPeer(node.ipv4, FAR, true);
  const frrStatus = (want: string) => eventually(async () => ((await frrPeer()).status === want ? true : undefined), `FRR's session to be ${want}`);
  const stats = async (p: Spawned) => {
    p.send("stats");
    return JSON.parse((await p.waitForNewLine(/^stats /)).slice(6)) as { state: string; received: number; sent: number };
  };
  const stop = async (p: Spawned) => {
    p.send("stop");
    await p.exited;
  };

  beforeAll(async () => {
    bed = await Bed.create({ nodes: 1 });
    node = bed.nodes[0] as Host;
    const far: Namespace = await bed.addNamespace("far");
    await bed.router.ip([`link add tofar type veth peer name eth0 netns ${far.name}`, "addr add 203.0.113.1/24 dev tofar", "link set tofar up"]);
    await far.ip([`addr add ${FAR}/24 dev eth0`, "link set eth0 up", "route add default via 203.0.113.1"]);
    await node.ns.ip(["route add 203.0.113.0/24 via 192.0.2.1"]);
    frr = await FrrRouter.start(far, {
      asn: 64500,
      routerId: FAR,
      neighbors: [{ address: node.ipv4, remoteAs: 64512 }],
      bfdProfiles: [{ name: "mh", receiveIntervalMs: 300, transmitIntervalMs: 300, detectMultiplier: 3 }],
      bfdPeers: [{ address: node.ipv4, localAddress: FAR, multihop: true, profile: "mh" }],
    });
  }, 60_000);

  afterAll(async () => {
    for (const p of running) await p.kill();
    await frr?.stop();
    await bed?.destroy();
  });

  it("comes Up with the default minimum TTL (254), and FRR sees our AdminDown", async () => {
    const p = speaker({});
    await p.waitForLine("bfd Up diag 0", 20_000);
    await frrStatus("up");
    expect((await frrPeer()).remoteId).toBe(0x1d);
    await stop(p);
    await frrStatus("down");
    expect(p.stdoutLines.filter(l => l.startsWith("filter-error"))).toEqual([]);
  });

  it("hears nothing from FRR with minimumTtl 255: its packets arrive with TTL 254 and are dropped in the kernel", async () => {
    const p = speaker({ minimumTtl: 255 });
    // FRR hears our Down and answers Init (at the 1 s slow rate): count three of its answers.
    await frrStatus("init");
    const sentAtInit = (await frrPeer()).packetsOut;
    await eventually(async () => ((await frrPeer()).packetsOut >= sentAtInit + 3 ? true : undefined), "FRR to send three more packets");
    expect(await stats(p)).toMatchObject({ state: "Down", received: 0 });
    expect(p.stdoutLines.filter(l => l.startsWith("bfd ") || l.startsWith("filter-error"))).toEqual([]);
    await stop(p);
  });

  it("in passive mode, comes Up once FRR speaks first", async () => {
    const p = speaker({ passive: true });
    await p.waitForLine("bfd Up diag 0", 20_000);
    await frrStatus("up");
    // Silence until the peer is heard is asserted on the FSM (session.spec.ts, packet.property.spec.ts);
    // here, that a passive session does come Up against an active FRR.
    expect((await stats(p)).received).toBeGreaterThan(0);
    await stop(p);
  });
});
