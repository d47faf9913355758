/**
 * Memory, idle CPU, CLI start-up and image payload (root): `npm run bench:memory`.
 *
 * The lab's bed (three node namespaces, the local API server bridged into each) runs the production
 * bundles as the images run them: the speaker bundle (build/speaker/main.cjs) under Node 24 LTS (the
 * image's Node, hack/node-lts.sh) with the Dockerfile ENTRYPOINT's flags, and the controller as Pepr's
 * module process runs it: our code bundled the way `pepr build` bundles it (pepr and its dependencies
 * left to node_modules), admission and watchers in one process (hack/local-controller).
 *
 *   1. idle: the pool and an L2Advertisement, no Service; RSS after settling, then CPU over 60 s.
 *   2. 1,000 then 10,000 LoadBalancer Services with one EndpointSlice each; RSS once every Service
 *      has its IP and its ServiceL2Status.
 *   3. BGP: the L2Advertisement replaced by a BGPAdvertisement and a BGPPeer to BIRD in the router
 *      namespace; RSS once BIRD holds the 10,000 prefixes from every node.
 *   4. `lodestone validate -f examples/` (bin/lodestone.js, the bundle): median of 5 wall times, on
 *      Node 24 LTS and on the machine's Node.
 *   5. The payload of the image's final stage: what it copies onto the base (build/speaker/).
 *
 * RSS figures are the largest of the three speakers, in MiB: the resident pages of the speaker and the
 * runners it forks, each physical page once, as its container's memory cgroup charges them
 * (process-memory.ts familyMiB; the plain VmRSS sum is logged beside it). The peaks are VmHWM summed
 * over the family (an upper bound). Idle CPU includes the runners.
 * Last line: one JSON object.
 *
 *   npm run bench:memory [-- --services 10000] [-- --idle-cpu-seconds 60]
 */
import { spawnSync } from "node:child_process";
import { request as httpsRequest } from "node:https";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import os, { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { kubeConnection } from "../../kube/rest/kube-connection";
import { RestClient } from "../../kube/rest/rest-client";
import { listInPages, type ListPage } from "../../kube/list-pages";
import { BirdRouter } from "../../test/bgp/interop/routers/bird";
import { finalEnv, speakerNodeFlags } from "../dockerfile";
import { buildController, nodeLts, peprEnv } from "./controller-bundle";
import { postRetrying } from "./post-retrying";
import { Cleanup } from "../lab/cleanup";
import { createBed, logTo, startControlPlane } from "../lab/infra";
import { heartbeatSecret, nodeObject } from "../lab/objects";
import { REPO_ROOT, Spawned, type Bed } from "../netns";
import { familyCpuSeconds, familyMiB, hwmSumMiB, rssByMapping, rssSumMiB } from "./process-memory";

const { values: flags } = parseArgs({
  options: {
    services: { type: "string", default: "10000" },
    "idle-cpu-seconds": { type: "string", default: "60" },
    "skip-bgp": { type: "boolean", default: false },
    /** Node flags instead of the Dockerfile's (to try others; the figures then are not the image's). */
    "node-flags": { type: "string" },
    /** Write a heap snapshot of node1's speaker after each phase (with --node-flags=--heapsnapshot-signal=SIGUSR2). */
    snapshot: { type: "boolean", default: false },
    /** KEY=VALUE,... added to the speakers' environment (to try settings). */
    env: { type: "string" },
    /** Keep the processes' logs (printed at the start) instead of removing them with the bed. */
    "keep-logs": { type: "boolean", default: false },
  },
});
const SERVICES = Number(flags.services);
const IDLE_CPU_S = Number(flags["idle-cpu-seconds"]);
const extraEnv = Object.fromEntries((flags.env ?? "").split(",").filter(Boolean).map(kv => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]));
const NS = "metallb-system";
const APP_NS = "bench";
/** RFC 2544's benchmarking range: room for 32,768 addresses. */
const POOL = "198.18.0.0/17";
const NODE_AS = 64512;
const ROUTER_AS = 64501;
const ROUTER = "192.0.2.1";
const MiB = 1024 * 1024;

const log = (line: string): void => void process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);
const sleep = (ms: number): Promise<void> => new Promise(r => setTimeout(r, ms));

const round1 = (n: number): number => Math.round(n * 10) / 10;

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>, everyMs = 2000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** Runs `fn` over `items`, `width` at a time. */
async function pool<T>(items: readonly T[], width: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) await fn(items[next++] as T);
    }),
  );
}

function serviceObject(i: number): object {
  return { apiVersion: "v1", kind: "Service", metadata: { name: `s${i}`, namespace: APP_NS }, spec: { type: "LoadBalancer", allocateLoadBalancerNodePorts: false, ports: [{ port: 80, protocol: "TCP", targetPort: 8080 }], selector: { app: `s${i}` } } };
}

function endpointSliceObject(i: number, nodes: readonly { name: string; ipv4: string }[]): object {
  const node = nodes[i % nodes.length] ?? { name: "node1", ipv4: "192.0.2.11" };
  return {
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: { name: `s${i}-bench`, namespace: APP_NS, labels: { "kubernetes.io/service-name": `s${i}` } },
    addressType: "IPv4",
    endpoints: [{ addresses: [node.ipv4], conditions: { ready: true, serving: true, terminating: false }, nodeName: node.name }],
    ports: [{ port: 8080, protocol: "TCP" }],
  };
}

/** Whether the controller answers /healthz (its routes are bound). */
function healthy(port: number): Promise<true | undefined> {
  return new Promise(resolve => {
    const req = httpsRequest({ host: "127.0.0.1", port, path: "/healthz", rejectUnauthorized: false, timeout: 1000 }, res => {
      res.resume();
      resolve(res.statusCode === 200 ? true : undefined);
    });
    req.on("error", () => resolve(undefined));
    req.on("timeout", () => req.destroy());
    req.end();
  });
}

interface ServiceItem {
  status?: { loadBalancer?: { ingress?: unknown[] } };
}

/**
 * What the API server (in this process) is asked and whether its event loop keeps up: a line per
 * minute with the requests by kind, and a line whenever the loop was held for a second or more. A
 * speaker takes a held loop for an outage (kube/watch-supervisor.ts), so a phase that does not settle
 * shows here first.
 */
class ApiTraffic {
  private counts = new Map<string, number>();
  private timers: NodeJS.Timeout[] = [];
  private last = performance.now();

  count(method: string, url: string): void {
    const [path = "", query = ""] = url.split("?");
    const parts = path.split("/").filter(Boolean);
    // /api/v1/namespaces/NS/services[/name[/status]] or /apis/G/V/namespaces/NS/kind[/name]: the plural after the namespace, else the last part.
    const at = parts.indexOf("namespaces");
    const resource = at >= 0 && parts.length > at + 2 ? (parts[at + 2] ?? "") : (parts[parts.length - 1] ?? "");
    const verb = /(^|&)watch=(1|true)/.test(query) ? "WATCH" : method;
    const key = `${verb} ${resource}`;
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }

  start(): void {
    this.timers.push(
      setInterval(() => {
        const now = performance.now();
        const held = now - this.last - 250;
        this.last = now;
        if (held >= 1000) log(`  API server's event loop held ${Math.round(held)} ms`);
      }, 250),
      setInterval(() => {
        const top = [...this.counts].sort((a, b) => b[1] - a[1]).slice(0, 8);
        this.counts = new Map();
        if (top.length > 0) log(`  API requests in the last minute: ${top.map(([k, n]) => `${k} ${n}`).join(", ")}`);
      }, 60_000),
    );
  }

  stop(): void {
    for (const t of this.timers) clearInterval(t);
  }
}
const traffic = new ApiTraffic();

/** What a signal tears down: the run's Cleanup once main() made it. */
let running: Cleanup | undefined;
let tearingDown = false;
// Registered before the bed's own hooks (as hack/lab/main.ts): the bed's hook deletes the namespaces
// and raises the signal again, which lands here and is ignored; this one stops what runs outside
// them (the controller and the API bridge in the host namespace).
for (const name of ["SIGINT", "SIGTERM"] as const) {
  process.on(name, () => {
    if (tearingDown) return;
    tearingDown = true;
    log(`${name}: tearing down`);
    void (running?.run(30_000) ?? Promise.resolve()).finally(() => process.exit(name === "SIGINT" ? 130 : 143));
  });
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error("bench:memory needs root (network namespaces)");
  const dir = mkdtempSync(join(tmpdir(), "lodestone-bench-memory-"));
  const cleanup = new Cleanup(line => log(line));
  running = cleanup;
  const note = (line: string): void => log(`  ${line}`);
  const result: Record<string, number | string> = {};
  try {
    const node24 = nodeLts();
    const flagsOfImage = flags["node-flags"] !== undefined ? flags["node-flags"].split(" ").filter(Boolean) : speakerNodeFlags();
    log(`speaker: ${node24} ${flagsOfImage.join(" ")} build/speaker/main.cjs`);
    const controllerBundle = await buildController();

    const bed: Bed = await createBed(cleanup, note);
    const plane = await startControlPlane(bed, dir, cleanup, note, (method, url) => traffic.count(method, url));
    traffic.start();
    cleanup.add("API server traffic log", async () => traffic.stop());
    const client = new RestClient(kubeConnection({ env: { KUBECONFIG: plane.kubeconfig }, readFile: p => readFileSync(p, "utf8") }));
    const api = client.request;
    const create = postRetrying(api);
    const nodes = bed.nodes.map(h => ({ name: h.ns.role, ipv4: h.ipv4, ipv6: h.ipv6 }));
    for (const n of nodes) await api("POST", "/api/v1/nodes", "application/json", nodeObject(n));
    for (const name of [NS, APP_NS]) await api("POST", "/api/v1/namespaces", "application/json", { apiVersion: "v1", kind: "Namespace", metadata: { name } });
    await api("POST", `/api/v1/namespaces/${NS}/secrets`, "application/json", heartbeatSecret(NS, Buffer.alloc(32, 7)));

    // The controller (the module process), then the configuration through its webhooks.
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    const controller = new Spawned([node24, controllerBundle, "--port", String(port), "--state", join(dir, "controller")], {
      cwd: REPO_ROOT,
      // The environment `pepr deploy` gives the controller's pods (package.json pepr.env), which its module process inherits.
      env: { ...process.env, ...peprEnv(), KUBECONFIG: plane.kubeconfig, LOG_LEVEL: "warn" },
    });
    logTo(controller, join(dir, "controller.log"));
    cleanup.trackPid(controller.pid);
    cleanup.add("controller", async () => void (await controller.kill(2_000)));
    await controller.waitForLine(/lodestone controller: webhooks at/, 120_000);
    // Pepr binds its admission routes once its store has loaded, after the registration above.
    await until("the controller's /healthz", 60_000, () => healthy(port), 200);
    log(`controller: pid ${controller.pid}`);
    await api("POST", `/apis/metallb.io/v1beta1/namespaces/${NS}/ipaddresspools`, "application/json", { apiVersion: "metallb.io/v1beta1", kind: "IPAddressPool", metadata: { name: "bench", namespace: NS }, spec: { addresses: [POOL] } });
    await api("POST", `/apis/metallb.io/v1beta1/namespaces/${NS}/l2advertisements`, "application/json", { apiVersion: "metallb.io/v1beta1", kind: "L2Advertisement", metadata: { name: "bench", namespace: NS }, spec: { ipAddressPools: ["bench"] } });

    // The speakers, as the image runs them.
    const peers = bed.nodes.map(n => `${n.ns.role}=${n.ipv4}`).join(",");
    const speakers = bed.nodes.map(host => {
      // The image's environment and the DaemonSet's, not this shell's (NODE_EXTRA_CA_CERTS alone loads a CA bundle).
      const env = { PATH: process.env.PATH ?? "", KUBECONFIG: plane.kubeconfig, NODE_NAME: host.ns.role, LODESTONE_NAMESPACE: NS, POD_IP: host.ipv4, LODESTONE_SPEAKER_PEERS: peers, ...finalEnv(), ...extraEnv };
      const s = host.ns.spawn([node24, ...flagsOfImage, "main.cjs"], { cwd: join(REPO_ROOT, "build", "speaker"), env });
      logTo(s, join(dir, `speaker-${host.ns.role}.log`));
      return s;
    });
    await Promise.all(speakers.map(s => s.waitForLine(/running on node /, 120_000)));
    log(`speakers: pids ${speakers.map(s => s.pid).join(", ")}; logs in ${dir}`);
    const speakerMax = (f: (pid: number) => number): number => round1(Math.max(...speakers.map(s => f(s.pid))));
    /** Where node1's speaker's memory is, from its own metrics (prom-client's default collectors). */
    const heapOfNode1 = async (): Promise<string> => {
      const host = bed.nodes[0];
      if (!host) return "";
      const text = (await host.ns.exec(["curl", "-s", `http://${host.ipv4}:7472/metrics`]).catch(() => ({ stdout: "" }))).stdout;
      const metric = (re: RegExp): string => { const m = re.exec(text); return m ? `${(Number(m[1]) / MiB).toFixed(1)}` : "?"; };
      const spaces = [...text.matchAll(/^nodejs_heap_space_size_used_bytes\{space="(\w+)"\} (\S+)/gm)].map(m => `${m[1]}=${(Number(m[2]) / MiB).toFixed(1)}`).join(" ");
      return `rss ${rssByMapping(speakers[0]?.pid ?? 0)}; heap used ${metric(/^nodejs_heap_size_used_bytes (\S+)/m)} of ${metric(/^nodejs_heap_size_total_bytes (\S+)/m)} MiB, external ${metric(/^nodejs_external_memory_bytes (\S+)/m)}; ${spaces}`;
    };

    // 1. Idle.
    await sleep(20_000);
    result.speaker_rss_idle_mib = speakerMax(familyMiB);
    result.controller_rss_idle_mib = round1(familyMiB(controller.pid));
    log(`idle: speakers ${speakers.map(s => `${round1(familyMiB(s.pid))} (VmRSS summed ${round1(rssSumMiB(s.pid))})`).join(", ")} MiB, controller ${result.controller_rss_idle_mib} MiB; CPU over ${IDLE_CPU_S} s...`);
    log(`  node1: ${await heapOfNode1()}`);
    const cpu0 = speakers.map(s => familyCpuSeconds(s.pid));
    const t0 = performance.now();
    await sleep(IDLE_CPU_S * 1000);
    const wall = (performance.now() - t0) / 1000;
    const cpuPct = speakers.map((s, i) => ((familyCpuSeconds(s.pid) - (cpu0[i] ?? 0)) / wall) * 100);
    result.speaker_cpu_idle_pct = Math.round((cpuPct.reduce((a, b) => a + b, 0) / cpuPct.length) * 100) / 100;
    log(`idle CPU per speaker: ${cpuPct.map(p => p.toFixed(2)).join(", ")} % of a core`);

    // 2. 1,000 then SERVICES Services.
    const announced = async (want: number): Promise<void> => {
      const t = performance.now();
      // In pages, every 5 s: the API server runs in this process, and one body of 10,000 Services
      // would hold its event loop (and the speakers' watches) for as long as it takes to write.
      await until(`${want} Services with an IP`, 30 * 60_000, async () => {
        const list = await listInPages(`/api/v1/namespaces/${APP_NS}/services`, 500, p => api<ListPage>("GET", p));
        const n = (list.items as ServiceItem[]).filter(s => (s.status?.loadBalancer?.ingress?.length ?? 0) > 0).length;
        return n >= want ? n : undefined;
      }, 5000);
      await until(`${want} ServiceL2Statuses`, 30 * 60_000, async () => {
        const list = await listInPages(`/apis/metallb.io/v1beta1/namespaces/${NS}/servicel2statuses`, 500, p => api<ListPage>("GET", p));
        return list.items.length >= want ? true : undefined;
      }, 5000);
      log(`  ${want} Services allocated and announced ${Math.round((performance.now() - t) / 1000)} s after the last create`);
      await sleep(15_000);
    };
    let created = 0;
    for (const [target, key] of [
      [Math.min(1000, SERVICES), "1k"],
      [SERVICES, "10k"],
    ] as const) {
      const ids = Array.from({ length: target - created }, (_, k) => created + k);
      const t = performance.now();
      await pool(ids, 16, async i => {
        await create(`/apis/discovery.k8s.io/v1/namespaces/${APP_NS}/endpointslices`, endpointSliceObject(i, nodes));
        await create(`/api/v1/namespaces/${APP_NS}/services`, serviceObject(i));
      });
      created = target;
      log(`created ${created} Services in ${Math.round((performance.now() - t) / 1000)} s`);
      await announced(created);
      result[`speaker_rss_${key}_mib`] = speakerMax(familyMiB);
      if (key === "10k") result.controller_rss_10k_mib = round1(familyMiB(controller.pid));
      log(`${created} Services: speakers ${speakers.map(s => round1(familyMiB(s.pid))).join(", ")} MiB (peak ${speakerMax(hwmSumMiB)}), controller ${round1(familyMiB(controller.pid))} MiB (peak ${round1(hwmSumMiB(controller.pid))})`);
      log(`  node1: ${await heapOfNode1()}`);
      if (flags.snapshot) {
        process.kill(speakers[0]?.pid ?? 0, "SIGUSR2");
        await sleep(15_000);
      }
    }
    result.speaker_rss_peak_l2_mib = speakerMax(hwmSumMiB);
    result.controller_rss_peak_mib = round1(hwmSumMiB(controller.pid));

    // 3. BGP: the same Services as prefixes to BIRD.
    if (!flags["skip-bgp"]) {
      const bird = await BirdRouter.start(bed.router, {
        routerId: ROUTER,
        kernel: false,
        neighbors: bed.nodes.map(h => ({ name: h.ns.role.replace(/[^a-z0-9]/g, ""), address: h.ipv4, localAs: ROUTER_AS, remoteAs: NODE_AS })),
      });
      cleanup.add("BIRD", () => bird.stop());
      await api("DELETE", `/apis/metallb.io/v1beta1/namespaces/${NS}/l2advertisements/bench`);
      await api("POST", `/apis/metallb.io/v1beta2/namespaces/${NS}/bgppeers`, "application/json", { apiVersion: "metallb.io/v1beta2", kind: "BGPPeer", metadata: { name: "bird", namespace: NS }, spec: { myASN: NODE_AS, peerASN: ROUTER_AS, peerAddress: ROUTER } });
      await api("POST", `/apis/metallb.io/v1beta1/namespaces/${NS}/bgpadvertisements`, "application/json", { apiVersion: "metallb.io/v1beta1", kind: "BGPAdvertisement", metadata: { name: "bench", namespace: NS }, spec: { ipAddressPools: ["bench"] } });
      const t = performance.now();
      const names = bed.nodes.map(h => h.ns.role.replace(/[^a-z0-9]/g, ""));
      await until(`BIRD to hold ${created} prefixes from each node`, 30 * 60_000, async () => {
        const counts = await Promise.all(names.map(n => bird.importedCount(n)));
        return counts.every(c => c >= created) ? counts : undefined;
      });
      log(`BGP: ${created} prefixes from each node in BIRD ${Math.round((performance.now() - t) / 1000)} s after the BGPPeer`);
      await sleep(15_000);
      result.speaker_bgp_rss_10k_mib = speakerMax(familyMiB);
      log(`BGP: speakers ${speakers.map(s => round1(familyMiB(s.pid))).join(", ")} MiB (peak ${speakerMax(hwmSumMiB)})`);
      log(`  node1: ${await heapOfNode1()}`);
      if (flags.snapshot) {
        process.kill(speakers[0]?.pid ?? 0, "SIGUSR2");
        await sleep(15_000);
      }
      result.speaker_rss_peak_mib = speakerMax(hwmSumMiB);
    }
  } finally {
    await cleanup.run(30_000);
    if (flags["keep-logs"]) log(`logs kept in ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }

  // 4. The CLI, as users run it: on Node 24 LTS (supported; it has the compile cache bin/lodestone.js
  // turns on) and on this machine's Node (Node 20, past its end of life, has none), median of 5 each.
  const validateMs = (node: string): number => {
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t = performance.now();
      const r = spawnSync(node, [join(REPO_ROOT, "bin", "lodestone.js"), "validate", "-f", join(REPO_ROOT, "examples")], { encoding: "utf8" });
      times.push(performance.now() - t);
      if (r.status !== 0) throw new Error(`lodestone validate failed: ${r.stdout}${r.stderr}`);
    }
    return Math.round([...times].sort((a, b) => a - b)[2] ?? NaN);
  };
  result.cli_validate_ms = validateMs(nodeLts());
  result[`cli_validate_ms_node${process.versions.node.split(".")[0]}`] = validateMs(process.execPath);
  result.cli_validate_load = os.loadavg()[0]?.toFixed(1) ?? "?";

  // 5. The image's payload: build/speaker/, which the final stage copies onto its base.
  const payload = join(REPO_ROOT, "build", "speaker");
  result.speaker_payload_mib = Math.round((readdirSync(payload).reduce((n, f) => n + statSync(join(payload, f)).size, 0) / MiB) * 100) / 100;

  result.services = SERVICES;
  result.machine = `${os.cpus().length} cores ${os.cpus()[0]?.model ?? "?"}, ${Math.round(os.totalmem() / MiB / 1024)} GiB, load ${os.loadavg().map(l => l.toFixed(1)).join(" ")}`;
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().catch((e: unknown) => {
  log(`bench:memory failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  process.exit(1);
});
