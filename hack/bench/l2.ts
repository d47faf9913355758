/**
 * L2 failover benchmark (root): the network-namespace bed of the L2 tests (client = router namespace,
 * three nodes, VIP on lo, a TCP server per node), a client probing the VIP by TCP every 10 ms.
 *
 *   1. 20 deaths of the owning node (its link taken down): failover = first successful probe to the
 *      new owner, sent after the death, minus the time of death; then the link comes back and the
 *      owner takes the IP back before the next death.
 *   2. 20 graceful handovers (SIGTERM to the owner's agent, then restart): probes lost.
 *   3. ARP reply latency (one request at a time) and throughput (64 in flight) from a packet-socket client.
 *   4. The same 20 deaths with keepalived holding another VIP: default timers (VRRPv2, advert_int 1)
 *      and tuned (VRRPv3, advert_int 0.1).
 * Last line: one JSON object with the figures.
 *
 *   npx tsx hack/bench/l2.ts [deaths]
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { REPO_ROOT } from "../netns/bed";
import { run, type Spawned } from "../netns/process";
import { L2Bed, NODE_NAMES, VIP4, nextOk, probes } from "../../test/l2/l2-bed";

const DEATHS = Number(process.argv[2] ?? 20);
/** Phases to run (default all): deaths, graceful, arp, keepalived. */
const PHASES = new Set((process.argv[3] ?? "deaths,graceful,arp,keepalived").split(","));
const KEEPALIVED_VIP = "192.0.2.101";

const percentile = (values: readonly number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN;
};
const log = (line: string): void => void process.stderr.write(`${line}\n`);

/** Link-down deaths of whoever serves `vip`; `owner()` names the current owner, `heirOf` who takes over. */
async function deaths(
  l2: L2Bed,
  prober: Spawned,
  vip: string,
  owner: () => string,
  heirOf: (owner: string) => string,
  label: string,
  /** Resolves once the cluster has settled after the owner's return (the heir has let go). */
  settled: (owner: string, heir: string) => Promise<void> = async () => {},
): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < DEATHS; i++) {
    const dying = owner();
    const heir = heirOf(dying);
    await nextOk(prober, vip, Date.now(), n => n === dying, 30_000);
    const t0 = Date.now();
    await l2.host(dying).ns.linkSet("eth0", "down");
    const resumed = await nextOk(prober, vip, t0, n => n === heir, 30_000);
    times.push(resumed.sentAt - t0);
    log(`${label} death ${i + 1}: ${dying} -> ${heir} in ${resumed.sentAt - t0} ms`);
    if (resumed.sentAt - t0 > 500) explainSlow(l2, heir, t0);
    const t1 = Date.now();
    await l2.host(dying).ns.linkSet("eth0", "up");
    await nextOk(prober, vip, t1, n => n === dying, 30_000);
    await settled(dying, heir);
  }
  return times;
}

/** For a slow failover: what the heir's agent logged around the death (announcing, stalls, errors). */
function explainSlow(l2: L2Bed, heir: string, t0: number): void {
  const agent = l2.agents.get(heir);
  if (!agent) return;
  for (const line of agent.stderr.split("\n")) {
    const t = Number(/"t":(\d+)/.exec(line)?.[1] ?? NaN);
    if (t >= t0 - 200 && t <= t0 + 2000) log(`  ${heir} +${t - t0} ms ${line}`);
  }
}

/**
 * The ARP phase against the VIP on br0 from the router namespace: reply latency (one request at a time)
 * and throughput (64 in flight). The client is test/native/arp-flood.c, compiled here with the C
 * compiler the addon's build needs, so that the figures are the responder's: the TypeScript client
 * (test/l2/arp-flood.ts) spends about as much CPU per request as the responder does per reply, and it
 * saturated first on a loaded machine. Without a compiler, the TypeScript client is used (and logged).
 */
async function arpPhase(l2: L2Bed, target: string): Promise<{ latency: Record<string, number>; throughput: Record<string, number> }> {
  const dir = mkdtempSync(join(tmpdir(), "lodestone-arp-flood-"));
  try {
    const binary = join(dir, "arp-flood");
    let native = true;
    try {
      await run(["cc", "-O2", "-o", binary, join(REPO_ROOT, "test", "native", "arp-flood.c")], { timeoutMs: 60_000 });
    } catch (error) {
      native = false;
      log(`ARP client: no C build (${(error as Error).message}); using the TypeScript client`);
    }
    const flood = async (args: string[]): Promise<Record<string, number>> => {
      const p = native
        ? l2.bed.router.spawn([binary, "br0", target, ...args])
        : l2.bed.router.runNode("test/l2/arp-flood.ts", ["br0", target, ...args]);
      try {
        return JSON.parse(await p.waitForLine(/^\{/, 60_000)) as Record<string, number>;
      } finally {
        await p.kill();
      }
    };
    return { latency: await flood(["latency", "5000"]), throughput: await flood(["throughput", "3000", "64"]) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function keepalivedConf(node: string, priority: number, tuned: boolean): string {
  return [
    "global_defs {",
    `  router_id ${node}`,
    ...(tuned ? ["  vrrp_version 3"] : []),
    "}",
    "vrrp_instance VI_1 {",
    "  state BACKUP",
    "  interface eth0",
    "  virtual_router_id 51",
    `  priority ${priority}`,
    `  advert_int ${tuned ? "0.1" : "1"}`,
    ...(tuned ? [] : ["  authentication {", "    auth_type PASS", "    auth_pass lodestone", "  }"]),
    "  virtual_ipaddress {",
    `    ${KEEPALIVED_VIP}/32 dev eth0`,
    "  }",
    "}",
    "",
  ].join("\n");
}

async function keepalivedRun(l2: L2Bed, tuned: boolean): Promise<number[]> {
  const dir = mkdtempSync(join(tmpdir(), "lodestone-keepalived-"));
  const daemons: Spawned[] = [];
  try {
    // node1 highest priority: it is the master while up, node2 takes over when it dies.
    NODE_NAMES.forEach((node, i) => {
      const conf = join(dir, `${node}.conf`);
      writeFileSync(conf, keepalivedConf(node, 150 - i * 10, tuned));
      daemons.push(
        l2.host(node).ns.spawn([
          "/usr/sbin/keepalived", "-n", "-l", "-P", "-f", conf,
          "-p", join(dir, `${node}.pid`), "-r", join(dir, `${node}.vrrp.pid`), "-c", join(dir, `${node}.checkers.pid`),
          "-i", node, "--no-syslog",
        ]),
      );
    });
    const prober = l2.startProber([KEEPALIVED_VIP]);
    await prober.waitForLine("probing", 30_000);
    try {
      return await deaths(l2, prober, KEEPALIVED_VIP, () => "node1", () => "node2", tuned ? "keepalived tuned" : "keepalived default");
    } finally {
      await prober.kill();
    }
  } finally {
    await Promise.all(daemons.map(d => d.kill()));
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const l2 = await L2Bed.create([VIP4]);
  try {
    l2.setServices([{ name: "default/web", ips: [VIP4] }]);
    await Promise.all(NODE_NAMES.map(n => l2.startAgent(n)));
    const [first] = l2.electionOrder(VIP4) as [string];
    await l2.waitForAnnouncement(first, VIP4);
    const prober = l2.startProber([VIP4]);
    await prober.waitForLine("probing", 30_000);

    const ownerOf = (): string => l2.electionOrder(VIP4)[0] as string;
    const heirOf = (dying: string): string => l2.electionOrder(VIP4, NODE_NAMES.filter(n => n !== dying))[0] as string;
    const failover = PHASES.has("deaths") ? await deaths(l2, prober, VIP4, ownerOf, heirOf, "lodestone", (_owner, heir) => l2.waitForAnnouncement(heir, VIP4, false)) : [];

    // Graceful handovers: SIGTERM, wait for the heir, restart the owner, wait until it serves again.
    let lost = 0;
    // Of the lost probes: connections whose handshake straddled the move of the client's neighbour
    // entry (SYN-ACK from the old node, ACK to the new one), reset by the new node's kernel; the
    // client sees ECONNRESET, or EPIPE when the reset follows the old node's reply and FIN before the
    // prober read them (docs/adr/0002, "What a move costs"). The rest would be L2 gaps: unanswered.
    let resets = 0;
    const lostPerHandover: number[] = [];
    for (let i = 0; PHASES.has("graceful") && i < DEATHS; i++) {
      const leaving = ownerOf();
      const heir = heirOf(leaving);
      const t0 = Date.now();
      const agent = l2.agent(leaving);
      process.kill(agent.pid, "SIGTERM");
      await agent.exited;
      await nextOk(prober, VIP4, t0, n => n === heir, 30_000);
      await l2.startAgent(leaving);
      const back = await nextOk(prober, VIP4, Date.now(), n => n === leaving, 30_000);
      // Let probes sent up to the owner's return complete (they time out after 1 s at most).
      await nextOk(prober, VIP4, back.sentAt + 1100, () => true, 30_000);
      const failed = probes(prober, VIP4, t0).filter(p => !p.ok && p.sentAt <= back.sentAt);
      lost += failed.length;
      resets += failed.filter(p => p.detail === "ECONNRESET" || p.detail === "EPIPE").length;
      lostPerHandover.push(failed.length);
      log(`graceful ${i + 1}: ${leaving} -> ${heir} -> ${leaving}, lost ${failed.length}`);
      for (const f of failed) {
        const move = f.sentAt - t0 < (back.sentAt - t0) / 2 ? "handover" : "return";
        log(`  lost probe sent at +${f.sentAt - t0} ms (back at +${back.sentAt - t0} ms, at the ${move}): ${f.detail}`);
      }
    }
    await prober.kill();

    const owner = ownerOf();
    const { latency, throughput } = PHASES.has("arp") ? await arpPhase(l2, VIP4) : { latency: {}, throughput: {} };
    log(`ARP latency from ${owner}: ${JSON.stringify(latency)}`);
    log(`ARP throughput: ${JSON.stringify(throughput)}`);
    // The same client against the owner's own interface address, which its kernel answers: the floor set
    // by the bed (veths, bridge, the client, a virtual machine's scheduling), to read our figures against.
    // (Its throughput is not comparable: the kernel rate-limits requests from the client's many senders.)
    const kernel = PHASES.has("arp") ? await arpPhase(l2, l2.host(owner).ipv4) : { latency: {}, throughput: {} };
    log(`ARP latency, ${owner}'s kernel: ${JSON.stringify(kernel.latency)}`);


    for (const n of NODE_NAMES) await l2.agent(n).kill();
    const kaTuned = PHASES.has("keepalived") ? await keepalivedRun(l2, true) : [];
    const kaDefault = PHASES.has("keepalived") ? await keepalivedRun(l2, false) : [];

    const result = {
      deaths: DEATHS,
      failover_p50_ms: percentile(failover, 50),
      failover_p99_ms: percentile(failover, 99),
      failover_max_ms: Math.max(...failover),
      keepalived_default_p50_ms: percentile(kaDefault, 50),
      keepalived_tuned_p50_ms: percentile(kaTuned, 50),
      ratio_vs_keepalived_tuned: Math.round((percentile(failover, 50) / percentile(kaTuned, 50)) * 100) / 100,
      graceful_lost_probes: lost,
      graceful_lost_in_flight_resets: resets,
      graceful_lost_unanswered: lost - resets,
      graceful_lost_per_handover: lostPerHandover.join(""),
      arp_reply_p50_us: latency["p50_us"],
      arp_reply_p99_us: latency["p99_us"],
      arp_replies_per_s: throughput["replies_per_s"],
      arp_kernel_reply_p50_us: kernel.latency["p50_us"],
      arp_kernel_reply_p99_us: kernel.latency["p99_us"],
      // The figures depend on CPU contention (this runs beside the other test suites): keep it in view.
      load_average_1m: Math.round((os.loadavg()[0] ?? 0) * 10) / 10,
      cpus: os.cpus().length,
    };
    console.log(JSON.stringify(result));
  } finally {
    await l2.destroy();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
