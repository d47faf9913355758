/**
 * Passive BFD (BFDProfile passiveMode; RFC 5880 6.1: a passive system waits to hear from its peer
 * before it sends) against FRR's bfdd, single hop, in the bed's router namespace. With FRR active our
 * passive session comes Up; with FRR's profile passive as well neither side ever speaks; making FRR
 * active again brings both Up. Needs root; the bed builds and removes the namespaces.
 *
 * The silent window is bounded by FRR's own clock, not a sleep: a second bfdd session, to a witness
 * host that runs no BFD, is active at the same 1 s start-up rate, so when FRR has sent it three more
 * packets, FRR would have sent ours three as well had it been active, and our session (1 s start-up
 * rate too) would have sent about as many had it not been waiting.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Bed, ROUTER_IPV4, type Host, type Spawned } from "../../../hack/netns";
import { FrrRouter } from "../../bgp/interop/routers/frr";
import { eventually } from "../../bgp/interop/routers/poll";

const SPEAKER = "test/bfd/bfd-speaker.ts";
const PROFILE = { receiveIntervalMs: 300, transmitIntervalMs: 300, detectMultiplier: 3 };
/** Our speaker's discriminator (testkit/bfd-speaker.ts). */
const OUR_DISCRIMINATOR = 0x1d;

interface SpeakerStats {
  readonly state: string;
  readonly received: number;
  readonly sent: number;
}

describe("passive BFD against FRR bfdd (single hop)", () => {
  let bed: Bed;
  let node: Host;
  let witness: Host;
  let frr: FrrRouter;
  const running: Spawned[] = [];

  const passiveSpeaker = async (): Promise<Spawned> => {
    const p = node.ns.runNode(SPEAKER, [node.ipv4, ROUTER_IPV4, JSON.stringify({ passive: true, intervalMs: 300, multiplier: 3 })]);
    running.push(p);
    await p.waitForLine("ready", 20_000);
    return p;
  };
  const stats = async (p: Spawned): Promise<SpeakerStats> => {
    p.send("stats");
    return JSON.parse((await p.waitForNewLine(/^stats /)).slice("stats ".length)) as SpeakerStats;
  };
  /** What the speaker printed on its own (not answers to "stats"). */
  const events = (p: Spawned) => p.stdoutLines.filter(l => !l.startsWith("stats "));
  const stop = async (p: Spawned) => {
    p.send("stop");
    await p.exited;
  };
  const frrPeer = () => frr.bfdPeer(node.ipv4, ROUTER_IPV4, false);
  const frrStatus = (want: string) => eventually(async () => ((await frrPeer()).status === want ? true : undefined), `FRR's session with the node to be ${want}`);
  const frrPassive = async () =>
    (await frr.vtyshJson<{ "passive-mode"?: boolean }>(`show bfd peer ${node.ipv4} local-address ${ROUTER_IPV4} json`))["passive-mode"];

  beforeAll(async () => {
    bed = await Bed.create({ nodes: 2 });
    [node, witness] = bed.nodes as [Host, Host];
    frr = await FrrRouter.start(bed.router, {
      asn: 64500,
      routerId: ROUTER_IPV4,
      // FrrRouter.start knows bgpd is up by an "ipv4Unicast" in its summary, which only a configured
      // neighbor brings: the witness is one (it runs no BGP either; FRR's dials are refused).
      neighbors: [{ address: witness.ipv4, remoteAs: 64512 }],
      bfdProfiles: [
        { name: "toggled", ...PROFILE },
        { name: "witness", ...PROFILE },
      ],
      bfdPeers: [
        { address: node.ipv4, localAddress: ROUTER_IPV4, profile: "toggled" },
        { address: witness.ipv4, localAddress: ROUTER_IPV4, profile: "witness" },
      ],
    });
  }, 60_000);

  afterAll(async () => {
    for (const p of running) await p.kill();
    await frr?.stop();
    await bed?.destroy();
  });

  it("with FRR active, our passive session sends only after hearing FRR, and both come Up", async () => {
    const p = await passiveSpeaker();
    await p.waitForLine("bfd Up diag 0", 20_000);
    // FRR's Down takes us to Init, and that transition is our first packet: one heard before one sent.
    expect(p.stdoutLines).toEqual(["ready", "bfd Init diag 0", "first-send received 1", "bfd Up diag 0"]);
    await frrStatus("up");
    expect((await frrPeer()).remoteId).toBe(OUR_DISCRIMINATOR);
    await stop(p);
    await frrStatus("down");
  });

  it("with FRR passive too, neither side sends first, then both come Up once FRR is made active", async () => {
    await frr.configure(["bfd", "profile toggled", "passive-mode"]);
    expect(await frrPassive()).toBe(true);
    const before = await frrPeer();
    const p = await passiveSpeaker();

    // The window: FRR sends the active witness session three packets (about 3 s at the 1 s start-up rate).
    const witnessPeer = () => frr.bfdPeer(witness.ipv4, ROUTER_IPV4, false);
    const witnessStart = (await witnessPeer()).packetsOut;
    const seen: string[] = [];
    const windowStart = performance.now();
    await eventually(
      async () => {
        seen.push((await frrPeer()).status);
        return (await witnessPeer()).packetsOut >= witnessStart + 3 ? true : undefined;
      },
      "FRR to send the witness three packets",
      { timeoutMs: 10_000, intervalMs: 200 },
    );
    const after = await frrPeer();
    console.log(`silent window: ${(performance.now() - windowStart).toFixed(0)} ms, FRR's state read ${seen.length} times`);
    expect(seen.length).toBeGreaterThanOrEqual(2);
    expect(new Set(seen)).toEqual(new Set(["down"]));
    expect({ out: after.packetsOut - before.packetsOut, in: after.packetsIn - before.packetsIn }).toEqual({ out: 0, in: 0 });
    expect(await stats(p)).toEqual({ state: "Down", received: 0, sent: 0, echoReceived: 0, echoSent: 0 });
    expect(events(p)).toEqual(["ready"]);

    await frr.configure(["bfd", "profile toggled", "no passive-mode"]);
    expect(await frrPassive()).toBe(false);
    await p.waitForLine("bfd Up diag 0", 10_000);
    expect(events(p)).toEqual(["ready", "bfd Init diag 0", "first-send received 1", "bfd Up diag 0"]);
    await frrStatus("up");
    expect((await stats(p)).state).toBe("Up");
    await stop(p);
  });
});
