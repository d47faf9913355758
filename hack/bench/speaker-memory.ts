/**
 * One speaker's memory, quickly (root, no lock needed beyond a spec's): `npx tsx hack/bench/speaker-memory.ts`.
 *
 * bench:memory needs the heavy lock, three speakers and the controller; this runs one speaker bundle
 * (build/speaker/main.cjs, `node hack/build.mjs speaker` first) under Node 24 LTS in a network namespace
 * of its own (a veth pair, eth0 192.0.2.11/24 and its peer eth0p, both inside), against the local API
 * server started in that namespace by this process. No controller: the Services are created with their
 * IP already in status.loadBalancer, then the speaker starts. For each set of flags in turn: start, wait
 * until it runs, settle, then print its RSS (VmRSS, VmHWM, by mapping), its V8 heap from its metrics and
 * the ServiceL2Statuses it wrote. With --arp, also ARP reply latency and throughput from
 * test/native/arp-flood.c on eth0p (to 198.18.0.5). With --bgp, BGP instead of layer 2: a BGPPeer to
 * BIRD on eth0p (192.0.2.1, moved to a namespace of its own) and a BGPAdvertisement; settled once BIRD holds
 * every Service's prefix.
 *
 *   npx tsx hack/bench/speaker-memory.ts [--services 1000] [--settle 30] [--arp | --bgp] [--snapshot DIR]
 *     [--set="--max-semi-space-size=1 --lite-mode MALLOC_MMAP_THRESHOLD_=65536"]...  (default: the Dockerfile's)
 *
 * A set is node flags and KEY=VALUE environment settings; without --set, the image's ENTRYPOINT and ENV.
 * Last line: one JSON array, one object per set.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { parse } from "yaml";
import { kubeConnection } from "../../kube/rest/kube-connection";
import { RestClient } from "../../kube/rest/rest-client";
import { finalEnv, speakerNodeFlags } from "../dockerfile";
import { startApiServer } from "../kube-apiserver/server";
import { heartbeatSecret, nodeObject } from "../lab/objects";
import { Namespace, REPO_ROOT, Spawned, type Bed } from "../netns";
import { BirdRouter } from "../../test/bgp/interop/routers/bird";
import { nodeLts } from "./controller-bundle";
import { cpuSeconds, familyMiB, rssByMapping, statusKiB } from "./process-memory";

const { values: flags } = parseArgs({
  options: {
    services: { type: "string", default: "1000" },
    settle: { type: "string", default: "30" },
    arp: { type: "boolean", default: false },
    bgp: { type: "boolean", default: false },
    /** Set by outside() for the re-run inside the namespace: BIRD's namespace (--bgp). */
    ns: { type: "string" },
    /** Also write a heap snapshot of the settled speaker to this folder (adds --heapsnapshot-signal=SIGUSR2). */
    snapshot: { type: "string" },
    set: { type: "string", multiple: true },
    /** Set by the re-run inside the namespace. */
    inside: { type: "boolean", default: false },
  },
});
const NS = "metallb-system";
const APP = "bench";
const MiB = 1024 * 1024;
const sleep = (ms: number): Promise<void> => new Promise(r => setTimeout(r, ms));
const log = (line: string): void => void process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);

/** Runs this script again inside a fresh namespace, removed afterwards. */
function outside(): number {
  if (process.getuid?.() !== 0) throw new Error("speaker-memory needs root (a network namespace)");
  const ns = `ls-spkmem-${process.pid}`;
  const router = `ls-spkmem-${process.pid}-r`;
  const ip = (...args: string[]): void => {
    const r = spawnSync("ip", args, { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`ip ${args.join(" ")}: ${r.stderr}`);
  };
  ip("netns", "add", ns);
  try {
    ip("-n", ns, "link", "set", "lo", "up");
    ip("-n", ns, "link", "add", "eth0", "type", "veth", "peer", "name", "eth0p");
    ip("-n", ns, "addr", "add", "192.0.2.11/24", "dev", "eth0");
    ip("-n", ns, "addr", "add", "2001:db8::11/64", "dev", "eth0", "nodad");
    ip("-n", ns, "link", "set", "eth0", "up");
    ip("-n", ns, "link", "set", "eth0p", "up");
    if (flags.bgp) {
      // BIRD's end in a namespace of its own (BIRD takes no neighbor that is one of its own addresses).
      ip("netns", "add", router);
      ip("-n", ns, "link", "set", "eth0p", "netns", router);
      ip("-n", router, "link", "set", "lo", "up");
      ip("-n", router, "addr", "add", "192.0.2.1/24", "dev", "eth0p");
      ip("-n", router, "link", "set", "eth0p", "up");
    }
    return spawnSync("ip", ["netns", "exec", ns, process.execPath, ...process.execArgv, process.argv[1] ?? "", ...process.argv.slice(2), "--inside", `--ns=${router}`], { stdio: "inherit" }).status ?? 1;
  } finally {
    ip("netns", "del", ns);
    if (flags.bgp) ip("netns", "del", router);
  }
}

/** Signals the speaker to write a heap snapshot (into its working folder), waits for it, moves it to `into`. */
async function heapSnapshot(speaker: Spawned, into: string): Promise<string> {
  const cwd = join(REPO_ROOT, "build", "speaker");
  const before = new Set(readdirSync(cwd));
  process.kill(speaker.pid, "SIGUSR2");
  for (let waited = 0; waited < 120_000; waited += 500) {
    await sleep(500);
    const file = readdirSync(cwd).find(f => f.endsWith(".heapsnapshot") && !before.has(f));
    // V8 writes the file as it goes: done once its size stops changing.
    if (file && statSync(join(cwd, file)).size > 0) {
      const size = statSync(join(cwd, file)).size;
      await sleep(1000);
      if (statSync(join(cwd, file)).size !== size) continue;
      mkdirSync(into, { recursive: true });
      renameSync(join(cwd, file), join(into, file));
      return join(into, file);
    }
  }
  throw new Error("no heap snapshot within 120 s");
}

async function inside(): Promise<void> {
  const services = Number(flags.services);
  const dir = mkdtempSync(join(tmpdir(), "lodestone-speaker-memory-"));
  const plane = await startApiServer({ dir: join(dir, "api") });
  const results: object[] = [];
  let bird: BirdRouter | undefined;
  try {
    const api = new RestClient(kubeConnection({ env: { KUBECONFIG: plane.kubeconfig }, readFile: p => readFileSync(p, "utf8") })).request;
    for (const f of readdirSync(join(REPO_ROOT, "crds")).filter(f => f.endsWith(".yaml"))) {
      await api("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", "application/json", parse(readFileSync(join(REPO_ROOT, "crds", f), "utf8")));
    }
    await sleep(1000);
    await api("POST", "/api/v1/nodes", "application/json", nodeObject({ name: "node1", ipv4: "192.0.2.11", ipv6: "2001:db8::11" }));
    for (const name of [NS, APP]) await api("POST", "/api/v1/namespaces", "application/json", { apiVersion: "v1", kind: "Namespace", metadata: { name } });
    await api("POST", `/api/v1/namespaces/${NS}/secrets`, "application/json", heartbeatSecret(NS, Buffer.alloc(32, 7)));
    await api("POST", `/apis/metallb.io/v1beta1/namespaces/${NS}/ipaddresspools`, "application/json", { apiVersion: "metallb.io/v1beta1", kind: "IPAddressPool", metadata: { name: "bench", namespace: NS }, spec: { addresses: ["198.18.0.0/17"] } });
    if (flags.bgp) {
      // The bed's Namespace runs BIRD through `ip netns exec`; this script tracks and ends it itself.
      const ns = new Namespace(flags.ns ?? "", "router", { track: (p: Spawned) => p } as unknown as Bed);
      bird = await BirdRouter.start(ns, { routerId: "192.0.2.1", kernel: false, neighbors: [{ name: "node1", address: "192.0.2.11", localAs: 64501, remoteAs: 64512 }] });
      await api("POST", `/apis/metallb.io/v1beta2/namespaces/${NS}/bgppeers`, "application/json", { apiVersion: "metallb.io/v1beta2", kind: "BGPPeer", metadata: { name: "bird", namespace: NS }, spec: { myASN: 64512, peerASN: 64501, peerAddress: "192.0.2.1" } });
      await api("POST", `/apis/metallb.io/v1beta1/namespaces/${NS}/bgpadvertisements`, "application/json", { apiVersion: "metallb.io/v1beta1", kind: "BGPAdvertisement", metadata: { name: "bench", namespace: NS }, spec: { ipAddressPools: ["bench"] } });
    } else {
      await api("POST", `/apis/metallb.io/v1beta1/namespaces/${NS}/l2advertisements`, "application/json", { apiVersion: "metallb.io/v1beta1", kind: "L2Advertisement", metadata: { name: "bench", namespace: NS }, spec: { ipAddressPools: ["bench"] } });
    }
    for (let i = 0; i < services; i++) {
      await api("POST", `/apis/discovery.k8s.io/v1/namespaces/${APP}/endpointslices`, "application/json", { apiVersion: "discovery.k8s.io/v1", kind: "EndpointSlice", metadata: { name: `s${i}-bench`, namespace: APP, labels: { "kubernetes.io/service-name": `s${i}` } }, addressType: "IPv4", endpoints: [{ addresses: ["192.0.2.11"], conditions: { ready: true, serving: true, terminating: false }, nodeName: "node1" }], ports: [{ port: 8080, protocol: "TCP" }] });
      await api("POST", `/api/v1/namespaces/${APP}/services`, "application/json", { apiVersion: "v1", kind: "Service", metadata: { name: `s${i}`, namespace: APP }, spec: { type: "LoadBalancer", allocateLoadBalancerNodePorts: false, ports: [{ port: 80, protocol: "TCP", targetPort: 8080 }], selector: { app: `s${i}` } } });
      await api("PATCH", `/api/v1/namespaces/${APP}/services/s${i}/status`, "application/merge-patch+json", { status: { loadBalancer: { ingress: [{ ip: `198.18.${i >> 8}.${i & 255}` }] } } });
    }
    log(`${services} Services with their IPs`);
    const arpFlood = join(dir, "arp-flood");
    if (flags.arp && spawnSync("cc", ["-O2", "-o", arpFlood, join(REPO_ROOT, "test", "native", "arp-flood.c")]).status !== 0) throw new Error("cc test/native/arp-flood.c failed");
    const sets = flags.set ?? [[...speakerNodeFlags(), ...Object.entries(finalEnv()).map(([k, v]) => `${k}=${v}`)].join(" ")];
    for (const set of sets) {
      const words = set.split(" ").filter(Boolean);
      const nodeFlags = [...words.filter(w => w.startsWith("-")), ...(flags.snapshot ? ["--heapsnapshot-signal=SIGUSR2"] : [])];
      const env = Object.fromEntries(words.filter(w => !w.startsWith("-")).map(w => [w.slice(0, w.indexOf("=")), w.slice(w.indexOf("=") + 1)]));
      const speaker = new Spawned([nodeLts(), ...nodeFlags, "main.cjs"], {
        cwd: join(REPO_ROOT, "build", "speaker"),
        // The DaemonSet's environment, not this shell's (NODE_EXTRA_CA_CERTS would load a CA bundle).
        env: { PATH: process.env.PATH ?? "", KUBECONFIG: plane.kubeconfig, NODE_NAME: "node1", LODESTONE_NAMESPACE: NS, POD_IP: "192.0.2.11", LODESTONE_SPEAKER_PEERS: "node1=192.0.2.11", ...env },
      });
      try {
        const t0 = performance.now();
        await speaker.waitForLine(/running on node /, 600_000);
        const runningS = (performance.now() - t0) / 1000;
        let prefixesAfterS: number | undefined;
        if (bird) {
          for (let n = 0; n < services; n = await bird.importedCount("node1")) {
            if (performance.now() - t0 > 600_000) throw new Error(`BIRD holds ${n} of ${services} prefixes after 600 s`);
            await sleep(1000);
          }
          prefixesAfterS = Math.round((performance.now() - t0) / 100) / 10;
        }
        await sleep(Number(flags.settle) * 1000);
        const metrics = await fetch("http://192.0.2.11:7472/metrics").then(r => r.text()).catch(() => "");
        const metric = (name: string): number => Math.round((Number(new RegExp(`^${name} (\\S+)`, "m").exec(metrics)?.[1]) / MiB) * 10) / 10;
        const statuses = await api<{ items?: unknown[] }>("GET", `/apis/metallb.io/v1beta1/namespaces/${NS}/servicel2statuses`).then(l => l.items?.length ?? 0);
        const result: Record<string, unknown> = {
          set, services, ...(bird ? { bgp: true, prefixes_after_s: prefixesAfterS } : { statuses }), running_after_s: Math.round(runningS * 10) / 10,
          // The speaker with the runners it forks, each page once (as its container is charged), and its own VmRSS.
          family_mib: Math.round(familyMiB(speaker.pid) * 10) / 10,
          rss_mib: Math.round(statusKiB(speaker.pid, "VmRSS") / 102.4) / 10, peak_mib: Math.round(statusKiB(speaker.pid, "VmHWM") / 102.4) / 10,
          heap_used_mib: metric("nodejs_heap_size_used_bytes"), heap_total_mib: metric("nodejs_heap_size_total_bytes"), external_mib: metric("nodejs_external_memory_bytes"),
          cpu_s: Math.round(cpuSeconds(speaker.pid) * 100) / 100, by_mapping: rssByMapping(speaker.pid),
        };
        // Not settled: say where the speaker is, from its own log.
        if (!bird && statuses < services) log(`only ${statuses} of ${services} statuses; the speaker's last lines:\n${[...speaker.stdoutLines.slice(-12), speaker.stderr.slice(-1500)].join("\n")}`);
        if (flags.snapshot) result.snapshot = await heapSnapshot(speaker, flags.snapshot);
        if (flags.arp) {
          for (const args of [["latency", "5000"], ["throughput", "3000", "64"]]) {
            const flood = new Spawned([arpFlood, "eth0p", "198.18.0.5", ...args]);
            result[`arp_${args[0]}`] = JSON.parse(await flood.waitForLine(/^\{/, 60_000)) as unknown;
            await flood.kill();
          }
        }
        log(JSON.stringify(result));
        results.push(result);
      } finally {
        await speaker.kill(2_000);
      }
      // Each set starts from the same objects: the statuses the last one wrote go.
      const written = await api<{ items?: { metadata: { name: string } }[] }>("GET", `/apis/metallb.io/v1beta1/namespaces/${NS}/servicel2statuses`);
      for (const s of written.items ?? []) await api("DELETE", `/apis/metallb.io/v1beta1/namespaces/${NS}/servicel2statuses/${s.metadata.name}`);
    }
  } finally {
    await bird?.stop();
    await plane.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  process.stdout.write(`${JSON.stringify(results.map(r => ({ ...r, load: loadavg()[0]?.toFixed(1) })))}\n`);
}

if (flags.inside) {
  inside().then(
    () => process.exit(0),
    (e: unknown) => {
      log(`speaker-memory failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      process.exit(1);
    },
  );
} else {
  process.exit(outside());
}
