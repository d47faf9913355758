/**
 * Allocator benchmark: allocates 10,000 Services (requested IPs, sharing keys, namespace-restricted
 * pools, dual stack, an IPv4 /16 and an IPv6 /64), then rebuilds a fresh allocator from those
 * Services' status as a restarted controller would, and checks that every IP is unchanged.
 * Last line: one JSON object with the figures. Exit 1 if the rebuild changed any IP.
 *
 *   npx tsx hack/bench/allocator.ts [count]
 */
import os from "node:os";
import { Allocator } from "../../core/allocation/allocator";
import { parseServiceRequest, type ServiceRequest } from "../../core/allocation/service-request";
import { makePool, makeService, selector, type ServiceOptions } from "../../test/allocation/testing";
import { formatIP } from "../../core/net/ip";

const count = Number(process.argv[2] ?? 10_000);
// RSS before any work: the runtime's own share (tsx runs its loader in a worker thread, ~80 MiB).
const rssStartMiB = process.memoryUsage().rss / 2 ** 20;

const pools = [
  makePool("main", ["198.18.0.0/16", "2001:db8:64::/64"]),
  makePool("team-x", ["203.0.113.0/24"], { serviceAllocation: { priority: 1, namespaces: ["team-x"] } }),
  makePool("gold", ["198.51.100.0/24"], { serviceAllocation: { priority: 2, namespaceSelectors: [selector({ tier: "gold" })] } }),
  makePool("manual", ["192.0.2.0/24"], { autoAssign: false }),
];
const namespaces = new Map<string, Record<string, string>>([["team-x", {}], ["gold-ns", { tier: "gold" }], ["default", {}]]);

function serviceOptions(i: number): ServiceOptions {
  const o: ServiceOptions = { ports: [`tcp/${80 + (i % 3)}`], clusterIPs: ["10.96.0.10"] };
  if (i % 17 === 0) o.namespace = "team-x";
  else if (i % 19 === 0) o.namespace = "gold-ns";
  if (i % 11 === 0) {
    o.clusterIPs = ["10.96.0.10", "fd00::10"];
    o.policy = i % 22 === 0 ? "RequireDualStack" : "PreferDualStack";
  } else if (i % 13 === 0) o.clusterIPs = ["fd00::10"];
  if (i % 7 === 0) {
    // Groups of three services under one key, each on its own port.
    o.annotations = { "metallb.io/allow-shared-ip": `group-${Math.floor(i / 21)}` };
    o.ports = [`tcp/${1000 + (i % 21)}`];
  } else if (i % 10 === 1 && o.clusterIPs?.length === 1 && o.clusterIPs[0] === "10.96.0.10") {
    o.loadBalancerIP = `198.18.${200 + Math.floor(i / 250) % 50}.${i % 250}`;
  } else if (i % 50 === 3 && o.clusterIPs?.[0] === "10.96.0.10") {
    o.annotations = { "metallb.io/address-pool": "manual" };
  }
  return o;
}

const cpuMs = (u: NodeJS.CpuUsage): number => (u.user + u.system) / 1000;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

const objects = Array.from({ length: count }, (_, i) => makeService(`svc-${i}`, serviceOptions(i)));

let allocator: Allocator | undefined = new Allocator();
allocator.setPools(pools);
allocator.setNamespaces(namespaces);
const durations: number[] = [];
const failures = new Map<string, number>();
const cpu0 = process.cpuUsage();
const t0 = performance.now();
for (const object of objects) {
  const start = performance.now();
  const parsed = parseServiceRequest(object);
  const result = parsed.handled ? allocator.allocate(parsed.request) : undefined;
  durations.push((performance.now() - start) * 1000);
  if (!result?.ok) failures.set(result?.reason ?? "NotHandled", (failures.get(result?.reason ?? "NotHandled") ?? 0) + 1);
  else {
    // What the reconciler writes to status, and what the restarted controller reads back.
    (object.status as { loadBalancer: { ingress: unknown[] } }).loadBalancer.ingress = result.ips.map(ip => ({ ip: formatIP(ip) }));
  }
}
const totalMs = performance.now() - t0;
const allocCpuMs = cpuMs(process.cpuUsage(cpu0));
// Keep only the answers, and drop the first allocator: the restarted controller has no memory of it.
const before = new Map<string, string>();
for (const object of objects) {
  const parsed = parseServiceRequest(object);
  if (parsed.handled) before.set(parsed.request.key, allocator.assignment(parsed.request.key)?.ips.map(formatIP).join(",") ?? "");
}
allocator = undefined;

const cpu1 = process.cpuUsage();
const r0 = performance.now();
const rebuilt = new Allocator();
rebuilt.setPools(pools);
rebuilt.setNamespaces(namespaces);
const requests: ServiceRequest[] = [];
for (const object of objects) {
  const parsed = parseServiceRequest(object);
  if (parsed.handled) requests.push(parsed.request);
}
rebuilt.restore(requests);
const rebuildMs = performance.now() - r0;
const rebuildCpuMs = cpuMs(process.cpuUsage(cpu1));

let changed = 0;
for (const request of requests) {
  const a = before.get(request.key);
  const b = rebuilt.assignment(request.key)?.ips.map(formatIP).join(",") ?? "";
  if (a !== b) changed++;
}

durations.sort((a, b) => a - b);
const round = (n: number, d = 1): number => Math.round(n * 10 ** d) / 10 ** d;
console.log(`failed allocations by reason (expected none): ${JSON.stringify(Object.fromEntries(failures))}`);
console.log(
  `IPs changed by rebuild: ${changed}; CPU time: allocation ${round(allocCpuMs)} ms, rebuild ${round(rebuildCpuMs)} ms; ` +
    `RSS at start ${round(rssStartMiB)} MiB; load average ${os.loadavg()[0]?.toFixed(1)}`,
);
console.log(JSON.stringify({
  services: count,
  alloc_p50_us: round(percentile(durations, 50)),
  alloc_p99_us: round(percentile(durations, 99)),
  total_ms: round(totalMs),
  rebuild_ms: round(rebuildMs),
  rss_mib: round(process.memoryUsage().rss / 2 ** 20),
}));
if (changed > 0) process.exitCode = 1;
if (process.env.BENCH_MEM) console.error(JSON.stringify(process.memoryUsage()));
