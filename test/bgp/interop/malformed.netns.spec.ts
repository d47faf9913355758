/**
 * Robustness: malformed OPENs and UPDATEs sent to our speaker over real TCP, one scenario per session.
 * Our session must answer with the right NOTIFICATION (RFC 4271 6), or keep the session and treat the
 * routes as withdrawn or drop the bad attribute (RFC 7606), and the speaker process must survive all of it.
 *
 * 1. ExaBGP (a real, independent implementation) sends what its configuration can express: OPENs that
 *    are well formed but unacceptable, and UPDATEs with arbitrary attributes (testkit/exabgp-scenarios.ts).
 *    The NOTIFICATION code is read from ExaBGP's own event log.
 * 2. ExaBGP 4.2 has no raw-message command and always frames correctly, so header faults, an attribute
 *    length that overruns the message, a bad NLRI length and hold time 2 (its parser refuses it) come
 *    from our scripted peer (testkit/raw-peer.ts, testkit/malformed.ts).
 * Needs root; the beds build and remove the namespaces.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Bed, ROUTER_IPV4, type Host, type Spawned } from "../../../hack/netns";
import { ExaBgpRouter } from "./routers/exabgp";
import { BAD_PREFIX, exaScenarios, PROBE_PREFIX, type ExaScenario, type SpeakerSide } from "./testkit/exabgp-scenarios";
import { PEER_AS, scenarios } from "./testkit/malformed";
import { NodeSpeaker } from "./testkit/speakers";

const ROUTER_ID = 0xc0000201;

interface UpdateLine {
  readonly treatAsWithdraw: boolean;
  readonly nlri: readonly string[];
  readonly withdrawn: number;
  readonly attributes: readonly string[];
}

/** The first stdout line from index `from` on that matches, waiting for it if it has not come yet. */
function lineFrom(p: Spawned, from: number, pattern: RegExp, timeoutMs = 15_000): Promise<{ line: string; index: number }> {
  const i = p.stdoutLines.findIndex((l, n) => n >= from && pattern.test(l));
  if (i >= 0) return Promise.resolve({ line: p.stdoutLines[i] as string, index: i });
  return p.waitForNewLine(pattern, timeoutMs).then(line => ({ line, index: p.stdoutLines.lastIndexOf(line) }));
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
/** node-speaker's line for an UPDATE that announces `prefix`. */
const updateFor = (prefix: string) => new RegExp(`^update \\{.*"nlri":\\[[^\\]]*"${escape(prefix)}"`);

describe("malformed OPENs and UPDATEs from ExaBGP", () => {
  let bed: Bed;
  let host: Host;
  let list: ExaScenario[];
  let speaker: NodeSpeaker | undefined;
  let speakerSide = "";
  /** Speakers already stopped, and whether they were still alive and answering then. */
  const finished: { side: string; running: boolean }[] = [];

  const retire = async () => {
    if (!speaker) return;
    const running = speaker.process.running;
    // A stats round trip: the process still answers, not merely exists.
    finished.push({ side: speakerSide, running: running && (await speaker.stats()).state !== undefined });
    speaker.process.send(JSON.stringify({ op: "stop" }));
    await speaker.process.kill();
    speaker = undefined;
  };

  /** One speaker per (AS, peer AS) pair, kept across consecutive scenarios: it must survive them all. */
  const speakerFor = async (side: SpeakerSide): Promise<NodeSpeaker> => {
    const key = `${side.myAsn}->${side.peerAsn}`;
    if (speaker && speakerSide === key) return speaker;
    await retire();
    speakerSide = key;
    speaker = NodeSpeaker.start(host, { peer: ROUTER_IPV4, local: host.ipv4, myAsn: side.myAsn, peerAsn: side.peerAsn, connectTimeS: 1 });
    return speaker;
  };

  beforeAll(async () => {
    bed = await Bed.create({ nodes: 1 });
    host = bed.nodes[0] as Host;
    list = exaScenarios(ROUTER_IPV4);
  }, 60_000);

  afterAll(async () => {
    await retire();
    await bed?.destroy();
  });

  // The table is built from the bed's addresses, so the cases are listed by index here.
  const names = exaScenarios(ROUTER_IPV4).map(s => s.name);
  it.each(names.map((name, i) => [i, name] as const))("%i: %s", async i => {
    const s = list[i] as ExaScenario;
    const sp = await speakerFor(s.speaker);
    const start = sp.process.stdoutLines.length;
    const exa = await ExaBgpRouter.start(bed.router, {
      routerId: s.exabgp.routerId ?? ROUTER_IPV4,
      localAddress: ROUTER_IPV4,
      peerAddress: host.ipv4,
      localAs: s.exabgp.localAs,
      peerAs: s.exabgp.peerAs,
      ...(s.exabgp.noAsn4 ? { noAsn4: true } : {}),
      ...(s.exabgp.routes ? { routes: s.exabgp.routes } : {}),
    });
    try {
      if ("notification" in s.expect) {
        expect(await exa.receivedNotification(), JSON.stringify(exa.events())).toBe(s.expect.notification);
        // Our side of it, as the speaker logged it.
        await lineFrom(sp.process, start, new RegExp(`^down .*\\(notification ${s.expect.notification}\\)$`));
      } else {
        const established = await lineFrom(sp.process, start, /^state Established$/);
        const bad = await lineFrom(sp.process, established.index, updateFor(BAD_PREFIX));
        const u = JSON.parse(bad.line.slice(7)) as UpdateLine;
        if ("treatAsWithdraw" in s.expect) {
          expect(u.treatAsWithdraw).toBe(true);
        } else if ("attributeDiscard" in s.expect) {
          expect(u.treatAsWithdraw).toBe(false);
          expect(u.attributes).not.toContain(s.expect.attributeDiscard);
          expect(u.attributes).toEqual(expect.arrayContaining(["origin", "asPath", "nextHop"]));
        } else {
          expect(u).toEqual({ treatAsWithdraw: false, nlri: [BAD_PREFIX], withdrawn: 0, attributes: s.expect.attributes });
        }
        // The session is still up: a valid route sent after the bad one arrives on it, with no reset between.
        exa.command(`announce route ${PROBE_PREFIX} next-hop ${ROUTER_IPV4}`);
        const probe = await lineFrom(sp.process, bad.index, updateFor(PROBE_PREFIX));
        expect(JSON.parse(probe.line.slice(7))).toMatchObject({ treatAsWithdraw: false, nlri: [PROBE_PREFIX] });
        expect(sp.process.stdoutLines.slice(established.index + 1, probe.index).filter(l => l.startsWith("down ") || l.startsWith("state "))).toEqual([]);
        expect(exa.events().filter(e => e.state === "down")).toEqual([]);
      }
      expect(sp.process.running).toBe(true);
    } finally {
      await exa.stop();
    }
  });

  it("left every speaker running", async () => {
    await retire();
    expect(finished.map(f => [f.side, f.running])).toEqual([
      ["64512->64500", true],
      ["4200000001->64500", true],
    ]);
  });
});

describe("malformed messages ExaBGP cannot send, from our scripted peer", () => {
  let bed: Bed;
  let peer: Spawned;
  let speaker: NodeSpeaker;
  const list = scenarios(ROUTER_ID);

  beforeAll(async () => {
    bed = await Bed.create({ nodes: 1 });
    const host = bed.nodes[0] as Host;
    peer = bed.router.runNode("test/bgp/interop/testkit/raw-peer.ts", [ROUTER_IPV4, String(ROUTER_ID)]);
    await peer.waitForLine("listening", 30_000);
    speaker = NodeSpeaker.start(host, { peer: ROUTER_IPV4, local: host.ipv4, myAsn: 64512, peerAsn: PEER_AS, connectTimeS: 1 });
  }, 60_000);

  afterAll(async () => {
    await bed?.destroy();
  });

  it("answers each with the right NOTIFICATION or treats the UPDATE as withdraw, and never crashes", async () => {
    const results: string[] = [];
    for (let i = 0; i < list.length; i++) results.push(await peer.waitForLine(`result ${i} `, 20_000));
    const expected = list.map((s, i) => `result ${i} ${"notification" in s.expect ? `notification ${s.expect.notification}` : "none"}`);
    expect(results).toEqual(expected);
    const updates = speaker.process.stdoutLines.filter(l => l.startsWith("update "));
    expect(updates).toEqual(['update {"treatAsWithdraw":true,"nlri":["198.51.100.40/32"],"withdrawn":0,"attributes":["asPath","nextHop","origin"]}']);
    // Our side of each reset, as the speaker logged it (the last may still be on its way).
    await speaker.process.waitForLine("(notification 3/10)");
    const downs = speaker.process.stdoutLines.filter(l => l.startsWith("down "));
    expect(downs).toContain("down marker is not all ones (notification 1/1)");
    expect(downs).toContain("down bad length 5000 for message type 1 (notification 1/2)");
    expect(downs).toContain("down unsupported BGP version 3 (notification 2/1)");
    expect(downs).toContain("down unacceptable hold time 2 (notification 2/6)");
    expect(speaker.process.running).toBe(true);
    const stats = await speaker.stats();
    // Decoded UPDATEs only: the ones that reset the session never decode.
    expect(stats.updatesReceived).toBe(1);
    expect(stats.opensReceived).toBe(list.length - 3); // not the bad marker, bad length, version 3
  });
});
