/**
 * BGP benchmark (root): how fast our session gets 10,000 /32s (198.18.0.0/15) into BIRD, churns 10,000
 * more on the live session, and how that compares with gobgpd doing the same against the same BIRD;
 * single-UPDATE latency; BFD detection against FRR with a 100 ms x 3 profile.
 *
 * "BIRD holds them" is observed, not polled: BIRD exports everything it holds to a listener of ours
 * (a second session in the node namespace), which timestamps the UPDATE that completes the count. Both
 * advertisers are measured through the same listener. gobgpd is fed with `gobgp mrt inject global`
 * (one TABLE_DUMP_V2 file per 10,000 routes, written here): its fastest CLI path; `global rib add`
 * costs one process per prefix. gobgpd's withdrawal of 10,000 is `global rib del all` while it holds
 * exactly those 10,000.
 *
 *   npx tsx hack/bench/bgp.ts [prefixes]
 * Last line: one JSON object with the figures.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { Bed, ROUTER_IPV4, type Host, type Spawned } from "../netns";
import { BirdRouter } from "../../capabilities/bgp/interop/routers/bird";
import { FrrRouter } from "../../capabilities/bgp/interop/routers/frr";
import { GobgpRouter } from "../../capabilities/bgp/interop/routers/gobgp";
import { eventually, scratchDir } from "../../capabilities/bgp/interop/routers/poll";
import { NodeSpeaker } from "../../capabilities/bgp/interop/testkit/speakers";
import type { BenchNodeConfig } from "../../capabilities/bgp/interop/testkit/bench-node";
import { mrtTableDump } from "../../capabilities/bgp/interop/testkit/mrt";
import { parseIP, formatIP, type IPAddress } from "../../capabilities/net/ip";

const PREFIXES = Number(process.argv[2] ?? 10_000);
const FIRST = "198.18.0.0";
const ROUTER_AS = 64500;
const OURS_AS = 64512;
const GOBGP_AS = 64513;
const BACK_AS = 64600;
const BACK_ADDRESS = "192.0.2.111";
const LATENCY_SAMPLES = 100;
const STEP_TIMEOUT_MS = 120_000;

const epoch = () => performance.timeOrigin + performance.now();
const log = (s: string) => process.stderr.write(`${s}\n`);
const round = (n: number) => Math.round(n * 10) / 10;
const offset = (first: string, n: number) => formatIP({ family: "IPv4", value: (parseIP(first) as IPAddress).value + BigInt(n) });

/** The number at the end of the next stdout line matching `prefix` (NaN if none comes). Call it
 * before causing the line, so it cannot be missed. */
function timeOf(p: Spawned, prefix: string): Promise<number> {
  return p.waitForNewLine(new RegExp(`^${prefix}`), STEP_TIMEOUT_MS).then(line => Number(line.split(" ").pop()), () => NaN);
}

async function bgpPart(): Promise<Record<string, number>> {
  const bed = await Bed.create({ nodes: 2 });
  const scratch = scratchDir("bench-bgp");
  try {
    const [ourNode, gobgpNode] = bed.nodes as [Host, Host];
    await ourNode.ns.ip([`addr add ${BACK_ADDRESS}/24 dev eth0`]);
    const nodeConfig: BenchNodeConfig = { router: ROUTER_IPV4, local: ourNode.ipv4, myAsn: OURS_AS, routerAsn: ROUTER_AS, backAddress: BACK_ADDRESS, backAsn: BACK_AS };
    const node = ourNode.ns.runNode("capabilities/bgp/interop/testkit/bench-node.ts", [JSON.stringify(nodeConfig)]);
    await node.waitForLine("listening", 30_000);
    const bird = await BirdRouter.start(bed.router, {
      routerId: ROUTER_IPV4,
      kernel: false,
      neighbors: [
        { name: "ours", address: ourNode.ipv4, localAs: ROUTER_AS, remoteAs: OURS_AS },
        { name: "gobgp", address: gobgpNode.ipv4, localAs: ROUTER_AS, remoteAs: GOBGP_AS },
        { name: "back", address: BACK_ADDRESS, localAs: ROUTER_AS, remoteAs: BACK_AS, passive: false, exportAll: true },
      ],
    });
    await node.waitForLine("back Established", 30_000);
    const send = (o: object) => node.send(JSON.stringify(o));
    const step = async (watch: number, command: object): Promise<{ ms: number; fromFirstMs: number }> => {
      const [mark, first, done] = [timeOf(node, "mark"), timeOf(node, "first"), timeOf(node, `reached ${watch} `)];
      send({ op: "watch", count: watch });
      send(command);
      return { ms: (await done) - (await mark), fromFirstMs: (await done) - (await first) };
    };
    const r: Record<string, number> = {};

    log(`ours: ${PREFIXES} prefixes from session start`);
    const initial = await step(PREFIXES, { op: "start", first: FIRST, count: PREFIXES, nextHop: ourNode.ipv4 });
    r.ours_ms = initial.ms;
    r.ours_from_first_update_ms = initial.fromFirstMs;
    const second = offset(FIRST, PREFIXES);
    r.churn_add_ms = (await step(2 * PREFIXES, { op: "announce-range", first: second, count: PREFIXES, nextHop: ourNode.ipv4 })).ms;
    r.churn_withdraw_ms = (await step(PREFIXES, { op: "withdraw-range", first: second, count: PREFIXES })).ms;
    log(`ours: latency over ${LATENCY_SAMPLES} single advertisements`);
    const latencyLine = node.waitForNewLine(/^latency /, STEP_TIMEOUT_MS);
    send({ op: "latency", first: offset(FIRST, 3 * PREFIXES), samples: LATENCY_SAMPLES, nextHop: ourNode.ipv4 });
    const samples = JSON.parse((await latencyLine).slice("latency ".length)) as number[];
    samples.sort((a, b) => a - b);
    r.update_latency_p50_ms = samples[Math.floor(samples.length * 0.5)] ?? NaN;
    r.update_latency_p99_ms = samples[Math.min(samples.length - 1, Math.ceil(samples.length * 0.99) - 1)] ?? NaN;
    r.update_latency_max_ms = samples[samples.length - 1] ?? NaN;
    const empty = timeOf(node, "reached 0 ");
    send({ op: "watch", count: 0 });
    send({ op: "stop-ours" });
    await empty;

    try {
      await gobgpPhase(node, gobgpNode, scratch.path, r, second);
    } catch (error) {
      log(`gobgpd part failed: ${(error as Error).message}`);
      r.gobgp_failed = 1;
    }
    await bird.stop();
    return r;
  } finally {
    scratch.remove();
    await bed.destroy();
  }
}

/** gobgpd in its own node namespace, advertising the same prefixes to the same BIRD. */
async function gobgpPhase(node: Spawned, gobgpNode: Host, dir: string, r: Record<string, number>, second: string): Promise<void> {
  log("gobgpd: the same, fed with gobgp mrt inject");
  const send = (o: object) => node.send(JSON.stringify(o));
  const gobgp = await GobgpRouter.start(gobgpNode.ns, { asn: GOBGP_AS, routerId: gobgpNode.ipv4, neighbors: [], listenPort: -1 });
  const fileA = join(dir, "a.mrt");
  const fileB = join(dir, "b.mrt");
  writeFileSync(fileA, mrtTableDump(FIRST, PREFIXES, gobgpNode.ipv4, GOBGP_AS));
  writeFileSync(fileB, mrtTableDump(second, PREFIXES, gobgpNode.ipv4, GOBGP_AS));
  // `gobgp mrt inject` exits before its stream is drained and gobgpd keeps only the first ~640
  // entries of each call (measured: 643 of 1,000, the same ones every time). Chunks of 500 through the
  // CLI's count/skip arguments did not fill the RIB either (last run): the gobgp figures are then
  // reported as failed (gobgp_failed: 1, ratio null) rather than measured on a partial table.
  let injects = 0;
  const CHUNK = 500;
  const load = async (file: string, expected: number): Promise<void> => {
    for (let skip = 0; skip < PREFIXES; skip += CHUNK) {
      injects++;
      await gobgp.gobgp("mrt", "inject", "global", file, String(CHUNK), String(skip));
    }
    await eventually(async () => ((await gobgp.gobgp("global", "rib", "-a", "ipv4", "summary")).includes(`Path: ${expected}\n`) ? true : undefined), `gobgpd to hold ${expected} paths`, { timeoutMs: 5_000, intervalMs: 20 });
  };
  const injectStart = epoch();
  await load(fileA, PREFIXES);
  r.gobgp_initial_load_ms = epoch() - injectStart;
  r.gobgp_initial_injects = injects;
  const gobgpStep = async (watch: number, action: () => Promise<unknown>): Promise<{ ms: number; fromFirstMs: number }> => {
    const [watching, first, done] = [timeOf(node, `watching ${watch}`), timeOf(node, "first"), timeOf(node, `reached ${watch} `)];
    send({ op: "watch", count: watch });
    // The listener must be watching before gobgpd acts.
    await watching;
    const t0 = epoch();
    await action();
    return { ms: (await done) - t0, fromFirstMs: (await done) - (await first) };
  };
  const gInitial = await gobgpStep(PREFIXES, () => gobgp.gobgp("neighbor", "add", ROUTER_IPV4, "as", String(ROUTER_AS)));
  r.gobgp_ms = gInitial.ms;
  r.gobgp_from_first_update_ms = gInitial.fromFirstMs;
  injects = 0;
  r.gobgp_churn_add_ms = (await gobgpStep(2 * PREFIXES, () => load(fileB, 2 * PREFIXES))).ms;
  r.gobgp_churn_add_injects = injects;
  r.gobgp_withdraw_all_2x_ms = (await gobgpStep(0, () => gobgp.gobgp("global", "rib", "-a", "ipv4", "del", "all"))).ms;
  await gobgpStep(PREFIXES, () => load(fileA, PREFIXES));
  r.gobgp_churn_withdraw_ms = (await gobgpStep(0, () => gobgp.gobgp("global", "rib", "-a", "ipv4", "del", "all"))).ms;
  await gobgp.stop();
}

/** Our BFD (100 ms x 3) against FRR's bfdd: the node's link goes down; how long until each side notices. */
async function bfdPart(): Promise<Record<string, number>> {
  const bed = await Bed.create({ nodes: 1 });
  try {
    const host = bed.nodes[0] as Host;
    const frr = await FrrRouter.start(bed.router, {
      asn: ROUTER_AS,
      routerId: ROUTER_IPV4,
      bfdProfiles: [{ name: "fast", receiveIntervalMs: 100, transmitIntervalMs: 100, detectMultiplier: 3 }],
      neighbors: [{ address: host.ipv4, remoteAs: OURS_AS, bfdProfile: "fast" }],
    });
    const speaker = NodeSpeaker.start(host, { peer: ROUTER_IPV4, local: host.ipv4, myAsn: OURS_AS, peerAsn: ROUTER_AS, bfd: { txMs: 100, rxMs: 100, multiplier: 3 } });
    await speaker.process.waitForLine("bfd Up", 30_000);
    await eventually(async () => ((await frr.bfdPeers()).get(host.ipv4) === "up" ? true : undefined), "FRR's BFD to be up", { timeoutMs: 15_000 });
    // Let both Poll sequences finish so the 100 ms intervals (not the 1 s start-up floor) are in force.
    await new Promise(res => setTimeout(res, 2_000));
    const oursDown = speaker.process.waitForNewLine(/^bfd Down diag 1 /, 10_000).catch(() => "NaN");
    const t0 = epoch();
    await bed.router.linkSet(host.bridgePort, "down");
    await eventually(async () => ((await frr.bfdPeers()).get(host.ipv4) === "down" ? true : undefined), "FRR's BFD to go down", { timeoutMs: 10_000, intervalMs: 5 });
    const frrMs = epoch() - t0;
    const oursMs = Number((await oursDown).split(" ").pop()) - t0;
    await frr.stop();
    return { bfd_detect_ms: oursMs, frr_bfd_detect_ms: frrMs };
  } finally {
    await bed.destroy();
  }
}

async function main(): Promise<void> {
  const started = epoch();
  const bgp = await bgpPart();
  let bfd: Record<string, number | null>;
  try {
    bfd = await bfdPart();
  } catch (error) {
    log(`BFD part failed: ${(error as Error).message}`);
    bfd = { bfd_detect_ms: null, frr_bfd_detect_ms: null };
  }
  const ours = bgp.ours_ms ?? NaN;
  const gobgp = bgp.gobgp_ms ?? NaN;
  const figures: Record<string, number | null> = { prefixes: PREFIXES, ...bgp, ratio: ours / gobgp, ...bfd, run_s: (epoch() - started) / 1000 };
  for (const [k, v] of Object.entries(figures)) if (typeof v === "number" && k !== "prefixes") figures[k] = k === "ratio" ? Math.round(v * 1000) / 1000 : round(v);
  console.log(JSON.stringify(figures));
}

void main().then(
  () => process.exit(0),
  error => {
    log(`bench failed: ${(error as Error).stack ?? String(error)}`);
    process.exit(1);
  },
);
