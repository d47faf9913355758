/**
 * The controller's memory alone (no root, no speakers): `npx tsx hack/bench/controller-memory.ts`.
 * The same controller process as `npm run bench:memory` (hack/bench/controller-bundle.ts: our code
 * bundled as `pepr build` bundles it, Node 24 LTS, package.json pepr.env) against the local API
 * server, without the network-namespace bed and the three speakers, so that the 10,000-Service figure
 * is reached in minutes on a shared machine: allocation needs the controller only.
 *
 *   1. idle: an IPAddressPool (198.18.0.0/17) and an L2Advertisement, no Service; RSS 20 s after start.
 *   2. --services (default 10,000) LoadBalancer Services with one EndpointSlice each on one of three
 *      Nodes, as bench:memory makes them; RSS 15 s after every Service has its IP. Unlike
 *      bench:memory, no speaker writes ServiceL2Statuses (which the controller watches too).
 *
 * Last line: one JSON object (controller_rss_idle_mib, controller_rss_10k_mib, the peak, the machine).
 *
 *   npx tsx hack/bench/controller-memory.ts [--services 10000] [--env KEY=VALUE,...]
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os, { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { kubeConnection } from "../../kube/rest/kube-connection";
import { RestClient } from "../../kube/rest/rest-client";
import { startApiServer } from "../kube-apiserver/server";
import { logTo } from "../lab/infra";
import { nodeObject } from "../lab/objects";
import { REPO_ROOT, Spawned } from "../netns";
import { buildController, nodeLts, peprEnv } from "./controller-bundle";
import { postRetrying } from "./post-retrying";
import { statusKiB } from "./process-memory";

const { values: flags } = parseArgs({
  options: {
    services: { type: "string", default: "10000" },
    /** KEY=VALUE,... added to the controller's environment (to try settings; the figures then are not pepr.env's). */
    env: { type: "string" },
  },
});
const SERVICES = Number(flags.services);
const extraEnv = Object.fromEntries((flags.env ?? "").split(",").filter(Boolean).map(kv => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]));
const NS = "metallb-system";
const APP_NS = "bench";
const POOL = "198.18.0.0/17";
const MiB = 1024 * 1024;

const log = (line: string): void => void process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);
const sleep = (ms: number): Promise<void> => new Promise(r => setTimeout(r, ms));
const round1 = (n: number): number => Math.round(n * 10) / 10;
/** VmRSS / VmHWM of a process, in MiB. */
const statusMiB = (pid: number, field: "VmRSS" | "VmHWM"): number => round1(statusKiB(pid, field) / 1024);
const load = (): string => os.loadavg().map(l => l.toFixed(1)).join(" ");

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>, everyMs = 2000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "lodestone-bench-controller-"));
  const stops: (() => Promise<void> | void)[] = [];
  const result: Record<string, number | string> = {};
  try {
    const node24 = nodeLts();
    const bundle = await buildController();
    const plane = await startApiServer({ dir: join(dir, "apiserver") });
    stops.push(() => plane.stop());
    const api = new RestClient(kubeConnection({ env: { KUBECONFIG: plane.kubeconfig }, readFile: p => readFileSync(p, "utf8") })).request;
    const create = postRetrying(api);
    await api("POST", "/api/v1/namespaces", "application/json", { apiVersion: "v1", kind: "Namespace", metadata: { name: APP_NS } });
    const nodes = [1, 2, 3].map(n => ({ name: `node${n}`, ipv4: `192.0.2.${10 + n}`, ipv6: `2001:db8::${10 + n}` }));
    for (const n of nodes) await api("POST", "/api/v1/nodes", "application/json", nodeObject(n));

    const port = 20_000 + Math.floor(Math.random() * 20_000);
    const controller = new Spawned([node24, bundle, "--port", String(port), "--state", join(dir, "controller")], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...peprEnv(), ...extraEnv, KUBECONFIG: plane.kubeconfig, LOG_LEVEL: "warn" },
    });
    logTo(controller, join(dir, "controller.log"));
    stops.unshift(async () => void (await controller.kill(2_000)));
    await controller.waitForLine(/lodestone controller: webhooks at/, 120_000);
    log(`controller: ${node24} ${bundle}, pid ${controller.pid}, env ${JSON.stringify({ ...peprEnv(), ...extraEnv })}; log ${join(dir, "controller.log")}`);
    await until("the pool through the webhook", 60_000, async () => {
      await create(`/apis/metallb.io/v1beta1/namespaces/${NS}/ipaddresspools`, { apiVersion: "metallb.io/v1beta1", kind: "IPAddressPool", metadata: { name: "bench", namespace: NS }, spec: { addresses: [POOL] } });
      return true;
    }, 500);
    await create(`/apis/metallb.io/v1beta1/namespaces/${NS}/l2advertisements`, { apiVersion: "metallb.io/v1beta1", kind: "L2Advertisement", metadata: { name: "bench", namespace: NS }, spec: { ipAddressPools: ["bench"] } });

    await sleep(20_000);
    result.controller_rss_idle_mib = statusMiB(controller.pid, "VmRSS");
    result.idle_load = load();
    log(`idle: ${result.controller_rss_idle_mib} MiB (load ${result.idle_load})`);

    const t = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < SERVICES) {
          const i = next++;
          const node = nodes[i % nodes.length] ?? nodes[0]!;
          await create(`/apis/discovery.k8s.io/v1/namespaces/${APP_NS}/endpointslices`, {
            apiVersion: "discovery.k8s.io/v1",
            kind: "EndpointSlice",
            metadata: { name: `s${i}-bench`, namespace: APP_NS, labels: { "kubernetes.io/service-name": `s${i}` } },
            addressType: "IPv4",
            endpoints: [{ addresses: [node.ipv4], conditions: { ready: true, serving: true, terminating: false }, nodeName: node.name }],
            ports: [{ port: 8080, protocol: "TCP" }],
          });
          await create(`/api/v1/namespaces/${APP_NS}/services`, { apiVersion: "v1", kind: "Service", metadata: { name: `s${i}`, namespace: APP_NS }, spec: { type: "LoadBalancer", allocateLoadBalancerNodePorts: false, ports: [{ port: 80, protocol: "TCP", targetPort: 8080 }], selector: { app: `s${i}` } } });
          if (i % 1000 === 999) log(`  ${i + 1} created, controller ${statusMiB(controller.pid, "VmRSS")} MiB`);
        }
      }),
    );
    log(`created ${SERVICES} Services in ${Math.round((performance.now() - t) / 1000)} s`);
    await until(`${SERVICES} Services with an IP`, 30 * 60_000, async () => {
      const list = await api<{ items?: { status?: { loadBalancer?: { ingress?: unknown[] } } }[] }>("GET", `/api/v1/namespaces/${APP_NS}/services`);
      const n = (list.items ?? []).filter(s => (s.status?.loadBalancer?.ingress?.length ?? 0) > 0).length;
      return n >= SERVICES ? n : undefined;
    });
    log(`${SERVICES} Services allocated ${Math.round((performance.now() - t) / 1000)} s after the first create`);
    await sleep(15_000);
    result[SERVICES === 10_000 ? "controller_rss_10k_mib" : `controller_rss_${SERVICES}_mib`] = statusMiB(controller.pid, "VmRSS");
    result.controller_rss_peak_mib = statusMiB(controller.pid, "VmHWM");
    result.services = SERVICES;
    result.machine = `${os.cpus().length} cores ${os.cpus()[0]?.model ?? "?"}, ${Math.round(os.totalmem() / MiB / 1024)} GiB, load ${load()}`;
  } finally {
    for (const stop of stops) await stop();
  }
  // Kept when the run failed: the controller's log is there.
  rmSync(dir, { recursive: true, force: true });
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().catch((e: unknown) => {
  log(`controller-memory failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  process.exit(1);
});
