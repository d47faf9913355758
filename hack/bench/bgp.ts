/**
 * BGP benchmark (root): how fast our session gets 10,000 /32s (198.18.0.0/15) into BIRD, churns 10,000
 * more on the live session, and how that compares with gobgpd doing the same against the same BIRD;
 * single-UPDATE latency; BFD detection against FRR with a 100 ms x 3 profile.
 *
 * "BIRD holds them" is observed, not polled: BIRD exports everything it holds to a listener of ours
 * (bench-listener.ts: a session in the node namespace, in a process of its own, so it never competes
 * for a thread with the advertiser it observes), which timestamps the UPDATE that completes the count.
 * Both advertisers are measured through that same listener, to the same end point (that UPDATE decoded).
 *
 * Start points, the same for ours and gobgpd:
 * - initial table (ours_ms, gobgp_ms, ratio): the advertiser's TCP SYN to BIRD, as tcpdump in the router
 *   namespace sees it. That is where a session starts on the wire for both; what comes before it differs
 *   and is reported apart, from the command that starts the session (ours_from_command_ms: the "start"
 *   line to the node process, which dials at once; gobgp_from_command_ms: `gobgp neighbor add`, after
 *   which gobgpd waits its connect timer, 3.75 to 5 s, before dialing).
 * - churn (churn_add_ms, churn_withdraw_ms, gobgp_churn_*_ms): the "mark" of bench-node.ts, just before
 *   the 10,000 routes (or prefixes) are handed to our session (ours) or to the feeder session that hands
 *   them to gobgpd over BGP (gobgpd: the feeder's leg, a few milliseconds, is included). The Route objects
 *   are built before the mark, as a speaker's session gets its table from its own pipeline; from the
 *   mark on everything is the session's work (Adj-RIB-Out, packing, encoding, writing). *_from_command_ms
 *   adds the command's trip to the node process and the building of the routes.
 * No warm-up of either advertiser: each step runs once, in the order a speaker would meet them. The
 * measuring side is warmed, though: before anything is measured, a warm-up advertiser (a third session,
 * in a process of its own) puts 10,000 other prefixes through BIRD to the listener and takes them back.
 * Without it the listener decoded its first table with code V8 had not optimised yet (about 33 ms for
 * BIRD's 10,000 exports, against 15 ms warm), and BIRD ran its first table too, while ours is measured;
 * gobgpd, measured second, always found both warm.
 *
 * gobgpd learns its routes over BGP from a feeder session of ours (its normal input: the RIB is
 * complete before BIRD is added as a neighbor; `gobgp mrt inject` kept only part of each file and
 * `global rib add` costs one process per prefix).
 *
 * Also reported, to see where time goes: *_from_first_update_ms (from BIRD's first UPDATE to the
 * listener), ours_syn_to_established_ms (the handshake, paced by BIRD), churn_*_written_ms (mark to our
 * UPDATEs written), and CPU time, which unlike wall time does not grow with the number of other processes
 * waiting for the machine's cores: churn_*_write_cpu_ms and ours_advertiser_cpu_ms (the node process),
 * *_listener_cpu_ms (the listener decoding BIRD's exports, for ours and for gobgpd).
 *
 *   npx tsx hack/bench/bgp.ts [prefixes]
 *   BENCH_TRACE=1 BENCH_TRACE_FILE=/tmp/trace.txt ...   also writes both processes' timeline (UPDATEs, GCs)
 *   BENCH_CPU_PROFILE=/tmp/node.cpuprofile ...          and a CPU profile of the node process
 *   BENCH_CPU_PROFILE_LISTENER=/tmp/listener.cpuprofile  and of the listener
 * Last line: one JSON object with the figures.
 */
import { writeFileSync } from "node:fs";
import { Bed, ROUTER_IPV4, type Host, type Spawned } from "../netns";
import { BirdRouter } from "../../test/bgp/interop/routers/bird";
import { FrrRouter } from "../../test/bgp/interop/routers/frr";
import { GobgpRouter } from "../../test/bgp/interop/routers/gobgp";
import { eventually } from "../../test/bgp/interop/routers/poll";
import { NodeSpeaker } from "../../test/bgp/interop/testkit/speakers";
import type { BenchListenerConfig } from "../../test/bgp/testkit/bench-listener";
import type { BenchNodeConfig } from "../../test/bgp/testkit/bench-node";
import { parseIP, formatIP, type IPAddress } from "../../core/net/ip";

const PREFIXES = Number(process.argv[2] ?? 10_000);
const FIRST = "198.18.0.0";
const ROUTER_AS = 64500;
const OURS_AS = 64512;
const GOBGP_AS = 64513;
const FEEDER_AS = 64514;
const BACK_AS = 64600;
const BACK_ADDRESS = "192.0.2.111";
const WARM_AS = 64515;
const WARM_ADDRESS = "192.0.2.112";
/** The warm-up's prefixes: the upper half of 198.18.0.0/15, apart from everything measured. */
const WARM_FIRST = "198.19.0.0";
const LATENCY_SAMPLES = 100;
const STEP_TIMEOUT_MS = 120_000;

const epoch = () => performance.timeOrigin + performance.now();
const log = (s: string) => process.stderr.write(`${s}\n`);
const round = (n: number) => Math.round(n * 10) / 10;
const offset = (first: string, n: number) => formatIP({ family: "IPv4", value: (parseIP(first) as IPAddress).value + BigInt(n) });

/** The number at the end of the next stdout line matching `prefix` (NaN if none comes). Call it
 * before causing the line, so it cannot be missed. */
function timeOf(p: Spawned, prefix: string): Promise<number> {
  return lineOf(p, prefix).then(line => Number(line.split(" ").pop()));
}

/** The next stdout line matching `prefix` ("" if none comes). */
function lineOf(p: Spawned, prefix: string): Promise<string> {
  return p.waitForNewLine(new RegExp(`^${prefix}`), STEP_TIMEOUT_MS).catch(() => "");
}

/** The node process's CPU time in a line with "cpu <ms>" (NaN if none). */
const cpuIn = (line: string): number => Number(/ cpu ([\d.]+)/.exec(line)?.[1] ?? NaN);

interface Step {
  /** From the command to the UPDATE that completes BIRD's count on the back session. */
  readonly ms: number;
  /** From the first UPDATE the back session received after the command. */
  readonly fromFirstMs: number;
}

/** Has the listener watch for BIRD to hold `watch` prefixes, then runs `action` (which starts the
 * change) and times it from then, and from `start` if given (a later event, e.g. the SYN). */
async function measured(listener: Spawned, watch: number, action: () => Promise<unknown> | void, start?: Promise<number>): Promise<Step & { fromStartMs: number; end: number; listenerCpuMs: number }> {
  // Every line is awaited from before the watch is sent: "first" can come in the same read as
  // "watching" (an UPDATE already on its way), and a waiter set up after that read would miss it.
  const [watching, first, done] = [lineOf(listener, `watching ${watch} `), timeOf(listener, "first"), lineOf(listener, `reached ${watch} `)];
  listener.send(JSON.stringify({ op: "watch", count: watch }));
  // The listener must be watching before the advertiser acts.
  const cpuBefore = cpuIn(await watching);
  const t0 = epoch();
  await action();
  const doneLine = await done;
  const end = Number(doneLine.split(" ").pop());
  return { ms: end - t0, fromFirstMs: end - (await first), fromStartMs: start ? end - (await start) : NaN, end, listenerCpuMs: cpuIn(doneLine) - cpuBefore };
}

/** The CPU time the process has used so far, as it reports it. */
async function cpuOf(p: Spawned): Promise<number> {
  const line = lineOf(p, "cpu ");
  p.send(JSON.stringify({ op: "cpu" }));
  return Number((await line).split(" ").pop());
}

/** tcpdump in the router namespace, printing each SYN (not SYN-ACK) to BIRD's port with an epoch time. */
async function synWatcher(bed: Bed): Promise<{ next(from: string): Promise<number>; stop(): Promise<unknown> }> {
  const filter = `dst host ${ROUTER_IPV4} and dst port 179 and tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn`;
  const dump = bed.router.spawn(["sh", "-c", `exec tcpdump -i any -n -l -tt --immediate-mode '${filter}' 2>&1`]);
  await dump.waitForLine(/listening on/, 10_000);
  return {
    // "1763780000.123456 eth0 In IP 192.0.2.11.40001 > 192.0.2.1.179: Flags [S], ..."
    next: (from: string) =>
      dump.waitForNewLine(new RegExp(`IP ${from.replace(/\./g, "\\.")}\\.\\d+ > `), STEP_TIMEOUT_MS).then(line => Number(line.split(" ")[0]) * 1000, () => NaN),
    stop: () => dump.kill(),
  };
}

async function bgpPart(): Promise<Record<string, number>> {
  const bed = await Bed.create({ nodes: 2 });
  try {
    const [ourNode, gobgpNode] = bed.nodes as [Host, Host];
    await ourNode.ns.ip([`addr add ${BACK_ADDRESS}/24 dev eth0`, `addr add ${WARM_ADDRESS}/24 dev eth0`]);
    const listenerConfig: BenchListenerConfig = { address: BACK_ADDRESS, asn: BACK_AS, routerAsn: ROUTER_AS };
    const listener = ourNode.ns.runNode("test/bgp/testkit/bench-listener.ts", [JSON.stringify(listenerConfig)]);
    const nodeConfig: BenchNodeConfig = { router: ROUTER_IPV4, local: ourNode.ipv4, myAsn: OURS_AS, routerAsn: ROUTER_AS };
    const node = ourNode.ns.runNode("test/bgp/testkit/bench-node.ts", [JSON.stringify(nodeConfig)]);
    await Promise.all([listener.waitForLine("listening", 30_000), node.waitForLine("ready", 30_000)]);
    const bird = await BirdRouter.start(bed.router, {
      routerId: ROUTER_IPV4,
      kernel: false,
      neighbors: [
        { name: "ours", address: ourNode.ipv4, localAs: ROUTER_AS, remoteAs: OURS_AS },
        { name: "gobgp", address: gobgpNode.ipv4, localAs: ROUTER_AS, remoteAs: GOBGP_AS },
        { name: "back", address: BACK_ADDRESS, localAs: ROUTER_AS, remoteAs: BACK_AS, passive: false, exportAll: true },
        { name: "warm", address: WARM_ADDRESS, localAs: ROUTER_AS, remoteAs: WARM_AS },
      ],
    });
    await listener.waitForLine(/^back Established/, 30_000);
    await warmUp(listener, ourNode);
    const syn = await synWatcher(bed);
    const send = (o: object) => node.send(JSON.stringify(o));
    const r: Record<string, number> = {};

    log(`ours: ${PREFIXES} prefixes from session start`);
    const established = timeOf(node, "ours Established");
    const ourSyn = syn.next(ourNode.ipv4);
    const oursCpuBefore = await cpuOf(node);
    const initial = await measured(listener, PREFIXES, () => send({ op: "start", first: FIRST, count: PREFIXES, nextHop: ourNode.ipv4 }), ourSyn);
    r.ours_ms = initial.fromStartMs;
    r.ours_from_command_ms = initial.ms;
    r.ours_from_first_update_ms = initial.fromFirstMs;
    r.ours_syn_to_established_ms = (await established) - (await ourSyn);
    r.ours_advertiser_cpu_ms = (await cpuOf(node)) - oursCpuBefore;
    r.ours_listener_cpu_ms = initial.listenerCpuMs;
    const second = offset(FIRST, PREFIXES);
    // Where churn time goes: until our UPDATEs are written (sent), and from BIRD's first UPDATE on.
    // And CPU time: our session's, from the mark to the last write (write_cpu), and the listener's, for
    // decoding BIRD's exports: the part of the figures that does not grow with the machine's load.
    const churn = async (watch: number, command: object, name: string) => {
      const [mark, sent] = [lineOf(node, "mark"), lineOf(node, "sent ours")];
      const markTime = mark.then(line => Number(line.split(" ").pop()));
      const step = await measured(listener, watch, () => send(command), markTime);
      r[`${name}_ms`] = step.fromStartMs;
      r[`${name}_from_command_ms`] = step.ms;
      r[`${name}_written_ms`] = Number((await sent).split(" ").pop()) - (await markTime);
      r[`${name}_from_first_update_ms`] = step.fromFirstMs;
      r[`${name}_write_cpu_ms`] = cpuIn(await sent) - cpuIn(await mark);
      r[`${name}_listener_cpu_ms`] = step.listenerCpuMs;
    };
    await churn(2 * PREFIXES, { op: "announce-range", first: second, count: PREFIXES, nextHop: ourNode.ipv4 }, "churn_add");
    await churn(PREFIXES, { op: "withdraw-range", first: second, count: PREFIXES }, "churn_withdraw");
    log(`ours: latency over ${LATENCY_SAMPLES} single advertisements`);
    // Each sample: from just before our session is handed the route to the listener decoding BIRD's UPDATE with it.
    const samples: number[] = [];
    for (let i = 0; i < LATENCY_SAMPLES; i++) {
      const prefix = offset(FIRST, 3 * PREFIXES + i);
      const awaiting = lineOf(listener, `awaiting ${prefix}$`);
      listener.send(JSON.stringify({ op: "await", prefix }));
      await awaiting;
      const [advertised, saw] = [timeOf(node, `advertised ${prefix} `), timeOf(listener, `saw ${prefix} `)];
      send({ op: "advertise-one", prefix, nextHop: ourNode.ipv4 });
      samples.push((await saw) - (await advertised));
    }
    send({ op: "withdraw-range", first: offset(FIRST, 3 * PREFIXES), count: LATENCY_SAMPLES });
    samples.sort((a, b) => a - b);
    r.update_latency_p50_ms = samples[Math.floor(samples.length * 0.5)] ?? NaN;
    r.update_latency_p99_ms = samples[Math.min(samples.length - 1, Math.ceil(samples.length * 0.99) - 1)] ?? NaN;
    r.update_latency_max_ms = samples[samples.length - 1] ?? NaN;
    await measured(listener, 0, () => send({ op: "stop" }));

    try {
      Object.assign(r, await gobgpPhase(node, listener, ourNode, gobgpNode, second, syn.next));
    } catch (error) {
      log(`gobgpd part failed: ${(error as Error).message}`);
      r.gobgp_failed = 1;
    }
    await syn.stop();
    await bird.stop();
    await node.kill();
    await listener.kill();
    // BENCH_TRACE_FILE=FILE (with BENCH_TRACE=1): both processes' output (with their trace lines), in time order, for study.
    if (process.env.BENCH_TRACE_FILE) {
      // A line without a time of its own keeps the time of the process's line before it.
      const stamped = (p: Spawned, who: string) => {
        let at = 0;
        return p.stdoutLines.map(line => {
          const last = Number(line.split(" ").pop());
          if (last > 1e12) at = last; // an epoch time, not a CPU time or a count
          return { at, line: `${who} ${line}` };
        });
      };
      const lines = [...stamped(node, "node"), ...stamped(listener, "listener")].sort((a, b) => a.at - b.at);
      writeFileSync(process.env.BENCH_TRACE_FILE, `${lines.map(l => l.line).join("\n")}\n`);
    }
    return r;
  } finally {
    await bed.destroy();
  }
}

/** Puts PREFIXES prefixes through BIRD to the listener and takes them back, from a process that is then gone. */
async function warmUp(listener: Spawned, ourNode: Host): Promise<void> {
  log(`warm-up: ${PREFIXES} other prefixes through BIRD to the listener and back`);
  const config: BenchNodeConfig = { router: ROUTER_IPV4, local: WARM_ADDRESS, myAsn: WARM_AS, routerAsn: ROUTER_AS };
  const warmer = ourNode.ns.runNode("test/bgp/testkit/bench-node.ts", [JSON.stringify(config)]);
  try {
    await warmer.waitForLine("ready", 30_000);
    await measured(listener, PREFIXES, () => warmer.send(JSON.stringify({ op: "start", first: WARM_FIRST, count: PREFIXES, nextHop: WARM_ADDRESS })));
    await measured(listener, 0, () => warmer.send(JSON.stringify({ op: "stop" })));
  } finally {
    await warmer.kill();
  }
}

/**
 * gobgpd in its own node namespace, advertising the same prefixes to the same BIRD. A feeder session
 * of ours (from the bench node) gives gobgpd its routes; BIRD becomes gobgpd's neighbor only once
 * gobgpd holds all of them.
 */
async function gobgpPhase(node: Spawned, listener: Spawned, ourNode: Host, gobgpNode: Host, second: string, synFrom: (address: string) => Promise<number>): Promise<Record<string, number>> {
  log("gobgpd: the same, fed over BGP by a feeder session");
  const send = (o: object) => node.send(JSON.stringify(o));
  const r: Record<string, number> = {};
  const gobgp = await GobgpRouter.start(gobgpNode.ns, { asn: GOBGP_AS, routerId: gobgpNode.ipv4, neighbors: [{ address: ourNode.ipv4, peerAs: FEEDER_AS }] });
  try {
    const holds = (n: number) =>
      eventually(async () => ((await gobgp.gobgp("global", "rib", "-a", "ipv4", "summary")).includes(`Path: ${n}\n`) ? true : undefined), `gobgpd to hold ${n} paths`, {
        timeoutMs: 30_000,
        intervalMs: 20,
      });
    send({ op: "feeder", peer: gobgpNode.ipv4, local: ourNode.ipv4, myAsn: FEEDER_AS, peerAsn: GOBGP_AS });
    const loadStart = epoch();
    send({ op: "start", to: "feeder", first: FIRST, count: PREFIXES, nextHop: ourNode.ipv4 });
    await holds(PREFIXES);
    r.gobgp_initial_load_ms = epoch() - loadStart;

    const gInitial = await measured(listener, PREFIXES, () => gobgp.gobgp("neighbor", "add", ROUTER_IPV4, "as", String(ROUTER_AS)), synFrom(gobgpNode.ipv4));
    r.gobgp_ms = gInitial.fromStartMs;
    r.gobgp_from_command_ms = gInitial.ms;
    // The listener's CPU for the same 10,000 arriving from BIRD (compare ours_listener_cpu_ms).
    r.gobgp_listener_cpu_ms = gInitial.listenerCpuMs;
    r.gobgp_from_first_update_ms = gInitial.fromFirstMs;
    // From the feeder's mark, as ours is from our session's: the feeder's leg (a few milliseconds) is included.
    const feederMark = () => timeOf(node, "mark");
    const gAdd = await measured(listener, 2 * PREFIXES, () => send({ op: "announce-range", to: "feeder", first: second, count: PREFIXES, nextHop: ourNode.ipv4 }), feederMark());
    r.gobgp_churn_add_ms = gAdd.fromStartMs;
    r.gobgp_churn_add_from_command_ms = gAdd.ms;
    const gWithdraw = await measured(listener, PREFIXES, () => send({ op: "withdraw-range", to: "feeder", first: second, count: PREFIXES }), feederMark());
    r.gobgp_churn_withdraw_ms = gWithdraw.fromStartMs;
    r.gobgp_churn_withdraw_from_command_ms = gWithdraw.ms;
    send({ op: "stop", to: "feeder" });
    return r;
  } finally {
    await gobgp.stop();
  }
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
    // Our Poll sequence finished: the 100 ms intervals (not the 1 s start-up floor) are in force. FRR's own
    // Poll is answered by our Final at once, so it has finished by then as well.
    await speaker.process.waitForLine(/^bfd intervals 100\/100$/, 10_000);
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
