/**
 * BFD soak (root): does BFD (100 ms x 3, 300 ms detection) hold on a busy node? (issue 12, finding 7)
 *
 * A speaker (bfd-soak-node.ts: the speaker pipeline with the real BGP data plane, its BFD in a process
 * of its own) runs in a node namespace against FRR 8.4 (bgpd + bfdd) in the bed's router namespace, while
 * - it relists every minute: N Services and their EndpointSlices (10,000 by default) come back as JSON,
 *   are parsed, the desired state is recomputed, a tenth of the Services is new (routes announced and
 *   withdrawn, ServiceBGPStatus objects, conditions and events written);
 * - two CPU hogs (busy loops in child processes, ended at the end of the run) compete for the cores.
 * It counts BFD flaps on both sides (FRR's session-down counter, our metallb_bfd_session_down_events)
 * and FRR's dropped BGP connections. The target is 0 of each.
 * The node also sends layer 2 heartbeats as the speaker does (from the addon's thread, docs/adr/0013) to a
 * receiver in the router namespace (heartbeat-gaps.ts) that measures the gaps between arrivals: a gap
 * over 250 ms is a node its peers would have declared dead. The target is 0 of those too.
 *
 *   npx tsx hack/bench/bfd-soak.ts [--minutes 30] [--services 10000] [--relist-s 60] [--hogs 2] [--bfd process|thread|main]
 *
 * BFD_SOAK_LOG=/tmp/soak-node.log keeps the speaker's log.
 * --bfd thread runs the speaker's BFD in a worker thread instead, --bfd main on its main thread as before (controls).
 * Last line: one JSON object with the figures.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { parseArgs } from "node:util";
import { Bed, ROUTER_IPV4, type Host } from "../netns";
import { run } from "../netns/process";
import { addonCandidates } from "../../native/index";
import { BFD_RUNNER_PRIORITY } from "../../speaker/bfd/bfd-isolated";
import { FrrRouter } from "../../test/bgp/interop/routers/frr";
import { eventually } from "../../test/bgp/interop/routers/poll";
import type { SoakNodeConfig } from "./bfd-soak-node";

const { values: flags } = parseArgs({
  options: {
    minutes: { type: "string", default: "30" },
    services: { type: "string", default: "10000" },
    "relist-s": { type: "string", default: "60" },
    hogs: { type: "string", default: "2" },
    bfd: { type: "string", default: "process" },
  },
});
const MINUTES = Number(flags.minutes);
const SERVICES = Number(flags.services);
const RELIST_MS = Number(flags["relist-s"]) * 1000;
const HOGS = Number(flags.hogs);
const BFD_WHERE = flags.bfd as "process" | "thread" | "main";
if (!["process", "thread", "main"].includes(BFD_WHERE)) throw new Error(`--bfd ${BFD_WHERE}: process, thread or main`);
const ROUTER_AS = 64500;
const NODE_AS = 64512;
const NODE_SCRIPT = "hack/bench/bfd-soak-node.ts";
const HEARTBEAT_KEY = "6c6f646573746f6e652d736f616b2d6865617274626561742d6b65792d333262";

const log = (s: string) => process.stderr.write(`${new Date().toISOString()} ${s}\n`);

interface FrrCounters {
  readonly peer?: string;
  readonly "session-down"?: number;
  readonly "session-up"?: number;
}

/** Busy loops in child processes, each ending by itself after `ms` (and killed by PID at the end anyway). */
function cpuHogs(n: number, ms: number): ChildProcess[] {
  const code = `const end = Date.now() + ${ms}; let x = 0; while (Date.now() < end) x++;`;
  return Array.from({ length: n }, () => spawn(process.execPath, ["-e", code], { stdio: "ignore" }));
}

/**
 * A stall probe: a process of its own at the BFD runner's SCHED_RR priority that wakes every 10 ms and
 * notes when it woke more than 100 ms late. A flap at the same moment as a probe stall happened while
 * the whole machine (a shared VM) was not running anything of ours, not because the speaker was busy.
 */
function stallProbe(ms: number): { child: ChildProcess; result: Promise<{ stalls: number[]; at: string[] }> } {
  const addon = addonCandidates().find(p => existsSync(p));
  const code = `
    try { require(${JSON.stringify(addon ?? "")}).setThreadRealtime(${BFD_RUNNER_PRIORITY.realtime}); } catch {}
    const stalls = [], at = [];
    let last = performance.now();
    const t = setInterval(() => {
      const now = performance.now();
      const late = now - last - 10;
      if (late > 100) { stalls.push(Math.round(late)); at.push(new Date().toISOString()); }
      last = now;
    }, 10);
    setTimeout(() => { clearInterval(t); process.stdout.write(JSON.stringify({ stalls, at })); }, ${ms});`;
  const child = spawn(process.execPath, ["-e", code], { stdio: ["ignore", "pipe", "ignore"] });
  let out = "";
  child.stdout?.on("data", (d: Buffer) => (out += d.toString()));
  const result = new Promise<{ stalls: number[]; at: string[] }>(resolve => child.on("exit", () => resolve(out ? (JSON.parse(out) as { stalls: number[]; at: string[] }) : { stalls: [], at: [] })));
  return { child, result };
}

async function main(): Promise<void> {
  const started = Date.now();
  const bed = await Bed.create({ nodes: 1 });
  const node = bed.nodes[0] as Host;
  let frr: FrrRouter | undefined;
  let hogs: ChildProcess[] = [];
  try {
    frr = await FrrRouter.start(bed.router, {
      asn: ROUTER_AS,
      routerId: ROUTER_IPV4,
      bfdProfiles: [{ name: "fast", receiveIntervalMs: 100, transmitIntervalMs: 100, detectMultiplier: 3 }],
      neighbors: [{ address: node.ipv4, remoteAs: NODE_AS, bfdProfile: "fast" }],
    });
    const router = frr;
    // FRR stands for the router, another machine in a real network: the node's CPU hogs must not
    // starve its bfdd here, where both share two cores. Same scheduling as our BFD runner's.
    const raised: string[] = [];
    for (const pid of await bed.router.pids()) {
      const comm = readFileSync(`/proc/${pid}/comm`, "utf8").trim();
      if (comm !== "bfdd") continue;
      await run(["chrt", "--rr", "--all-tasks", "--pid", String(BFD_RUNNER_PRIORITY.realtime), String(pid)]);
      raised.push(`${comm} ${pid}`);
    }
    log(`SCHED_RR ${BFD_RUNNER_PRIORITY.realtime}: ${raised.join(", ")}`);
    const config: SoakNodeConfig = {
      node: node.ns.name,
      address: node.ipv4,
      peerAddress: ROUTER_IPV4,
      myAsn: NODE_AS,
      peerAsn: ROUTER_AS,
      services: SERVICES,
      firstIp: "198.18.0.0",
      bfd: BFD_WHERE,
      heartbeatKey: HEARTBEAT_KEY,
    };
    const gaps = bed.router.runNode("hack/bench/heartbeat-gaps.ts", [ROUTER_IPV4, "7946", HEARTBEAT_KEY]);
    await gaps.waitForLine(/^listening$/, 60_000);
    const speaker = node.ns.runNode(NODE_SCRIPT, [JSON.stringify(config)]);
    await speaker.waitForLine(/^ready$/, 120_000);
    await speaker.waitForLine(/"state":"Established".*"bfd":"Up"/, 120_000);
    await eventually(
      async () => {
        const peers = await router.vtyshJson<{ peer?: string; status?: string; "remote-transmit-interval"?: number }[]>("show bfd peers json");
        return peers.some(p => p.peer === node.ipv4 && p.status === "up" && p["remote-transmit-interval"] === 100) ? true : undefined;
      },
      "FRR's BFD session up at 100 ms",
      { timeoutMs: 30_000 },
    );
    const frrCounters = async () => (await router.vtyshJson<FrrCounters[]>("show bfd peers counters json")).find(c => c.peer === node.ipv4) ?? {};
    const bgpDropped = async () =>
      (await router.vtyshJson<Record<string, { connectionsDropped?: number }>>(`show bgp neighbors ${node.ipv4} json`))[node.ipv4]?.connectionsDropped ?? 0;
    const frrBefore = await frrCounters();
    const droppedBefore = await bgpDropped();
    log(`up: FRR counters ${JSON.stringify(frrBefore)}; soak for ${MINUTES} min, ${SERVICES} Services relisted every ${RELIST_MS / 1000} s, ${HOGS} CPU hogs, BFD in the ${BFD_WHERE === "main" ? "main thread" : BFD_WHERE === "thread" ? "worker thread" : "BFD process"}`);

    const runMs = MINUTES * 60_000;
    const end = Date.now() + runMs;
    hogs = cpuHogs(HOGS, runMs);
    const probe = stallProbe(runMs);
    hogs.push(probe.child);
    const relistTimes: number[] = [];
    const load: number[] = [];
    while (Date.now() < end) {
      const done = speaker.waitForNewLine(/^relisted /, 120_000);
      speaker.send(JSON.stringify({ op: "relist" }));
      const line = await done;
      relistTimes.push(Number(line.split(" ")[1]));
      load.push(loadavg()[0] ?? NaN);
      const c = await frrCounters();
      log(`${line}; load ${loadavg()[0]?.toFixed(2)}; FRR BFD down events ${(c["session-down"] ?? 0) - (frrBefore["session-down"] ?? 0)}`);
      const wait = Math.min(RELIST_MS, end - Date.now());
      if (wait > 0) await new Promise(r => setTimeout(r, wait));
    }

    const reportLine = speaker.waitForNewLine(/^report /, 30_000);
    speaker.send(JSON.stringify({ op: "report" }));
    const report = JSON.parse((await reportLine).slice("report ".length)) as Record<string, unknown> & { status?: { state?: string; bfd?: string }[] };
    const frrAfter = await frrCounters();
    const stalls = await probe.result;
    const gapsLine = gaps.waitForNewLine(/^gaps /, 30_000);
    gaps.send("report");
    const heartbeatGaps = JSON.parse((await gapsLine).slice("gaps ".length)) as { heartbeats: number; gap_ms_max: number; gaps_over_250ms: number[]; refused: number };
    if (stalls.at.length > 0) log(`machine stalls (probe woke > 100 ms late): ${stalls.at.map((t, i) => `${t} ${stalls.stalls[i]} ms`).join(", ")}`);
    const figures = {
      minutes: MINUTES,
      services: SERVICES,
      relist_every_s: RELIST_MS / 1000,
      hogs: HOGS,
      bfd_runs_in: BFD_WHERE,
      bfd_profile: "100ms x 3",
      frr_bfd_down_events: (frrAfter["session-down"] ?? 0) - (frrBefore["session-down"] ?? 0),
      ours_bfd_down_events: report["bfd_down_events"],
      frr_bgp_connections_dropped: (await bgpDropped()) - droppedBefore,
      relists: relistTimes.length,
      relist_ms_max: Math.round(Math.max(...relistTimes)),
      relist_ms_median: Math.round([...relistTimes].sort((a, b) => a - b)[Math.floor(relistTimes.length / 2)] ?? NaN),
      bfd_runner_scheduling: report["bfd_runner_scheduling"],
      bfd_runner_late_warnings: report["bfd_runner_late_warnings"],
      bfd_runner_late_ms_max: report["bfd_runner_late_ms_max"],
      ours_bfd_failures: report["bfd_failures"],
      ours_bfd_peer_admin_down: report["bfd_peer_admin_down"],
      ours_bgp_downs: report["bgp_downs"],
      heartbeats_received: heartbeatGaps.heartbeats,
      heartbeat_gap_ms_max: heartbeatGaps.gap_ms_max,
      heartbeat_gaps_over_250ms: heartbeatGaps.gaps_over_250ms.length,
      heartbeats_refused: heartbeatGaps.refused,
      heartbeat_thread_scheduling: report["heartbeat_thread_scheduling"],
      heartbeat_thread_late_warnings: report["heartbeat_thread_late_warnings"],
      heartbeat_thread_late_ms_max: report["heartbeat_thread_late_ms_max"],
      machine_stalls_over_100ms: stalls.stalls.length,
      machine_stall_ms_max: Math.max(0, ...stalls.stalls),
      speaker_event_loop_delay_max_ms: report["event_loop_delay_max_ms"],
      speaker_cpu_s: report["cpu_s"],
      final_state: report.status?.map(s => `${s.state}/${s.bfd}`).join(","),
      load1_max: Math.round(Math.max(...load) * 100) / 100,
      cpus: cpus().length,
      cpu_model: cpus()[0]?.model,
      run_s: Math.round((Date.now() - started) / 1000),
    };
    speaker.send(JSON.stringify({ op: "stop" }));
    await speaker.exited;
    if (process.env["BFD_SOAK_LOG"]) writeFileSync(process.env["BFD_SOAK_LOG"], speaker.stderr);
    console.log(JSON.stringify(figures));
  } finally {
    for (const h of hogs) if (h.exitCode === null && h.signalCode === null && h.pid !== undefined) process.kill(h.pid, "SIGKILL");
    await frr?.stop();
    await bed.destroy();
  }
}

main().catch((error: unknown) => {
  log(`soak failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exit(1);
});
