/**
 * A busy speaker keeps its heartbeats (issue 12, item 5; docs/adr/0012, 0013), as root on the L2 bed: three
 * node namespaces run one agent each (test/l2/agent.ts). The owner's main thread is held 600 ms by a busy
 * loop, more than twice the 250 ms heartbeat timeout, as a relist or a long GC holds a loaded speaker's.
 * Its heartbeats come from the addon's sending thread (docs/adr/0013), so no node declares any other dead, the VIP does not move
 * and every probe of the client is answered.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import type { Spawned } from "../../hack/netns/process";
import { L2Bed, NODE_NAMES, VIP4, nextOk, parseProbe, probes, waitForLineWhere } from "../../test/l2/l2-bed";

let l2: L2Bed;
let owner: string;
let prober: Spawned;

beforeAll(async () => {
  l2 = await L2Bed.create([VIP4]);
  l2.setServices([{ name: "default/web", ips: [VIP4] }]);
  await Promise.all(NODE_NAMES.map(n => l2.startAgent(n)));
  [owner] = l2.electionOrder(VIP4) as [string];
  await l2.waitForAnnouncement(owner, VIP4);
  for (const n of NODE_NAMES) await waitForLineWhere(l2.agent(n), line => line.startsWith("membership ") && line.includes('"canAnnounce":true') && NODE_NAMES.every(m => line.includes(`"${m}"`)), 20_000);
  prober = l2.startProber([VIP4]);
  await nextOk(prober, VIP4, 0, node => node === owner);
}, 90_000);

afterAll(async () => {
  await l2?.destroy();
});

it("the owner's main thread held 600 ms: nobody is declared dead, the VIP stays, every probe is answered", async () => {
  const since = Date.now();
  const proberFrom = prober.stdoutLines.length;
  const from = new Map(NODE_NAMES.map(n => [n, l2.agent(n).stdoutLines.length]));
  const blocked = l2.agent(owner).waitForNewLine(/^blocked /);
  l2.agent(owner).send("block 600");
  expect(await blocked).toBe("blocked 600");
  // The other nodes ran throughout; what they decided during the block is in their output by the
  // time they answer the next command. Their stats, and then the owner's (its loop free again).
  for (const n of NODE_NAMES) expect((await l2.stats(n)).live).toEqual([...NODE_NAMES]);
  // 100 answered probes (10 ms apart) since the block began: 400 ms past its end, past any timeout it could have started.
  let answered = 0;
  await waitForLineWhere(prober, line => {
    const p = parseProbe(line);
    if (p?.ok && p.sentAt >= since) answered++;
    return answered >= 100;
  }, 20_000, proberFrom);
  for (const n of NODE_NAMES) {
    const lines = l2.agent(n).stdoutLines.slice(from.get(n));
    expect({ node: n, changes: lines.filter(l => l.startsWith("membership ") || l.startsWith("status ")) }).toEqual({ node: n, changes: [] });
  }
  const results = probes(prober, VIP4, since);
  expect(results.filter(p => !p.ok)).toEqual([]);
  expect(new Set(results.map(p => p.node))).toEqual(new Set([owner]));
}, 60_000);
