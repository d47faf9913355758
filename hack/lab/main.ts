/**
 * `npm run lab [-- --once] [-- --bgp]`: Lodestone on a laptop. As root, builds a router/client network
 * namespace and three node namespaces, runs the local API server, the controller with its webhooks
 * and one speaker per node, applies the articles' examples (addresses moved to documentation ranges),
 * shows `kubectl get svc`, an HTTP answer from each VIP, and a measured failover when the owning node
 * dies. Then it stays up for exploring (KUBECONFIG printed) until Ctrl-C; `--once` tears down right
 * away and exits 1 if any step failed. See docs/lab.md.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { randomBytes } from "node:crypto";
import { signal, type Bed } from "../netns";
import { Cleanup } from "./cleanup";
import { examplesDir, labExamples, writeExamples, type AppliedExamples } from "./examples";
import { createBed, labNodes, startControlPlane, startController, type ControlPlane } from "./infra";
import { endpointSliceObject, heartbeatSecret, listOf, nodeObject } from "./objects";
import { StepFailed, Steps, until } from "./steps";
import { BGP_NET, L2_NET } from "./translate";
import { answeringNode, Client, LODESTONE_NAMESPACE, startBackends, startSpeakers } from "./workload";
import { formatFailover, measureFailover } from "./failover";
import { labHints } from "./hints";
import { linkOutageThenNewService } from "./outage";
import { BGP_LAB, bfdSummary, startFrr, waitForBfdUp, waitForEcmp, watchRoutes } from "./bgp";
import { nextHopRemovedAt, type RouteMonitor } from "./routes";
import { movedAtStart, nodeAssignments, type CoreEventView } from "./node-assigned";
import { stillNaming } from "./status-truth";
import type { FrrRouter } from "../../test/bgp/interop/routers/frr";

const { values: flags } = parseArgs({ options: { once: { type: "boolean", default: false }, bgp: { type: "boolean", default: false }, help: { type: "boolean", default: false } } });
const out = (line: string): void => void process.stdout.write(`${line}\n`);
if (flags.help) {
  out("usage: npm run lab [-- --once] [-- --bgp]   (as root; see docs/lab.md)");
  process.exit(0);
}
if (process.getuid?.() !== 0) {
  out("[lab] needs root (network namespaces): run `sudo npm run lab`");
  process.exit(2);
}

const mode = flags.bgp ? "bgp" : "l2";
/** BFD 100 ms x 3 detects in 300 ms; the hold timer (9 s) takes seconds. Anything past this bound
 * means BFD did not act (the margin is for two loaded cores). */
const BFD_FAILOVER_BOUND_MS = 2_000;
const dir = mkdtempSync(join(tmpdir(), "lodestone-lab-"));
const steps = new Steps(out);
const cleanup = new Cleanup(out);
let finishing: Promise<never> | undefined;

/** Tears everything down once and exits; the lab directory is kept when a step failed (its logs). */
function finish(code: number, keepDir: boolean): Promise<never> {
  finishing ??= (async () => {
    const start = performance.now();
    await cleanup.run();
    if (keepDir) out(`[lab] logs kept in ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
    out(`[lab] teardown ... ok (${Math.round(performance.now() - start)} ms)`);
    process.exit(code);
  })();
  return finishing;
}

// Registered before the bed's own hooks, so Ctrl-C runs the full teardown (the bed's hook deletes
// the namespaces at once and re-raises the signal, which lands here again and is ignored).
for (const name of ["SIGINT", "SIGTERM"] as const) {
  process.on(name, () => {
    if (finishing) return;
    out(`[lab] ${name}: tearing down`);
    void finish(flags.once ? 1 : 0, false);
  });
}

interface Lab {
  bed?: Bed;
  plane?: ControlPlane;
}

async function scenario(lab: Lab): Promise<void> {
  const bed = await steps.run("bed", 20_000, (note) => createBed(cleanup, note));
  lab.bed = bed;
  const plane = await steps.run("API server", 30_000, (note) => startControlPlane(bed, dir, cleanup, note));
  lab.plane = plane;
  const kubectl = plane.kubectl;
  const nodes = labNodes(bed);
  await steps.run("Node objects", 20_000, async (note) => {
    note(await kubectl(["apply", "-f", "-"], listOf(nodes.map(nodeObject))));
  });
  const net = mode === "bgp" ? BGP_NET : L2_NET;
  const { files, applied } = await steps.run("read examples", 5_000, async (note) => {
    note(`from ${examplesDir()}, addresses moved to ${net}.0/24`);
    return labExamples(examplesDir(), net, mode === "bgp" ? BGP_LAB : undefined);
  });
  await steps.run("namespace and memberlist Secret", 20_000, async (note) => {
    const namespace = { apiVersion: "v1", kind: "Namespace", metadata: { name: LODESTONE_NAMESPACE } };
    note(await kubectl(["apply", "-f", "-"], listOf([namespace, heartbeatSecret(LODESTONE_NAMESPACE, randomBytes(32))])));
  });
  let frr: FrrRouter | undefined;
  let routes: RouteMonitor | undefined;
  if (mode === "bgp") {
    frr = await steps.run("FRR (router namespace, AS 64501, BFD 100 ms x 3)", 20_000, () => startFrr(bed, cleanup));
    routes = await watchRoutes(bed, cleanup, join(dir, "routes.log"));
  }
  // Node start-ups are slow and CPU-bound: they overlap the controller's start and are awaited later.
  const started = await steps.run("start backends, speakers and client", 20_000, async (note) => {
    const backends = await startBackends(bed, applied.poolAddresses, applied.services, dir);
    const speakers = startSpeakers(bed, plane, dir);
    const client = Client.start(bed, dir);
    for (const [node, s] of speakers.speakers) note(`speaker ${node}: pid ${s.pid}, log ${join(dir, `speaker-${node}.log`)}`);
    note(`${applied.poolAddresses.length} pool addresses on lo of each node; logs in ${dir}`);
    return { backends, speakers, client };
  });
  await steps.run("controller", 90_000, (note) => startController(dir, plane, cleanup, note));

  const examples: AppliedExamples = await steps.run(`apply examples (${mode === "bgp" ? "BGP" : "L2"})`, 30_000, async (note) => {
    const paths = writeExamples(dir, files);
    for (const path of paths) note(`kubectl apply -f ${path}\n${(await kubectl(["apply", "-f", path])).trimEnd()}`);
    return { ...applied, files: paths };
  });

  await steps.run("backends and EndpointSlices", 60_000, async (note) => {
    await started.backends.ready;
    note(`HTTP server on ${[...new Set(examples.services.flatMap((s) => s.ports.map((p) => p.port)))].join(", ")} in each node`);
    const slices = examples.services.map((s) => endpointSliceObject(s.namespace, s.name, s.ports, nodes));
    note(await kubectl(["apply", "-f", "-"], listOf(slices)));
  });

  const ips = await steps.run("EXTERNAL-IPs", 30_000, async (note) => {
    const found = await until(async () => {
      const list = JSON.parse(await kubectl(["get", "svc", "-A", "-o", "json"])) as { items: { metadata: { name: string; namespace: string }; status?: { loadBalancer?: { ingress?: { ip?: string }[] } } }[] };
      const byName = new Map(list.items.map((s) => [`${s.metadata.namespace}/${s.metadata.name}`, s.status?.loadBalancer?.ingress?.[0]?.ip]));
      const ips = examples.services.map((s) => ({ service: s, ip: byName.get(`${s.namespace}/${s.name}`) }));
      return ips.every((x) => x.ip !== undefined) ? ips.map((x) => ({ service: x.service, ip: x.ip ?? "" })) : undefined;
    }, "EXTERNAL-IP on every LoadBalancer Service", 25_000, 200);
    for (const { service, ip } of found) {
      if (service.requestedIP !== undefined && ip !== service.requestedIP) throw new Error(`${service.name} got ${ip}, asked for ${service.requestedIP}`);
      if (!examples.poolAddresses.includes(ip)) throw new Error(`${service.name} got ${ip}, outside pool ${examples.pool}`);
    }
    note(await kubectl(["get", "svc", "-o", "wide"]));
    return found;
  });

  const speakers = await steps.run("speakers", 90_000, async () => {
    await started.speakers.ready;
    return started.speakers.speakers;
  });
  const client = await steps.run("client", 60_000, async () => {
    await started.client.ready;
    return started.client.client;
  });

  if (frr) {
    const router = frr;
    await steps.run("ECMP routes", 30_000, async (note) => {
      for (const { ip } of ips) note(`${ip}/32 via ${(await waitForEcmp(bed, router, ip, bed.nodes.length, 25_000)).join(", ")}`);
      note((await router.vtysh(`show ip route ${ips[0]?.ip ?? ""}/32`)).trimEnd());
    });
  }

  const owners = await steps.run("HTTP from the client", 30_000, async (note) => {
    const answers: string[] = [];
    for (const { service, ip } of ips) {
      const port = service.ports[0]?.port ?? 80;
      const url = `http://${ip}:${port}/`;
      const reply = await until(async () => {
        const r = await client.get(url);
        if (!r.startsWith("200 ")) throw new Error(r);
        return r;
      }, `answer from ${url}`, 25_000, 200);
      note(`GET ${url} -> ${reply}`);
      answers.push(answeringNode(reply) ?? "?");
    }
    return answers;
  });

  await steps.run("no IP moved at start-up (nodeAssigned events)", 10_000, async (note) => {
    const events = JSON.parse(await kubectl(["get", "events", "-A", "-o", "json"])) as { items: CoreEventView[] };
    const assignments = nodeAssignments(events.items);
    for (const { service } of ips) note(`${service.namespace}/${service.name}: ${(assignments.get(`${service.namespace}/${service.name}`) ?? []).join(", ") || "none"}`);
    const moved = movedAtStart(assignments, mode);
    if (moved.length > 0) throw new Error(`moved at start-up: ${moved.join("; ")}`);
  });

  if (mode !== "bgp") {
    await steps.run("link down 6 s, then a new Service (L2)", 60_000, async (note) => {
      const host = bed.nodes.find((n) => n.ns.role === owners[0]);
      const first = ips[0];
      if (!host || !first) throw new Error(`no owning node for the first Service (answer from ${owners[0] ?? "nobody"})`);
      await linkOutageThenNewService({ host, kubectl, client, nodes, namespace: first.service.namespace, port: first.service.ports[0]?.port ?? 80, note });
    });
  }

  const died = await steps.run(`failover (${mode === "bgp" ? "BGP" : "L2"})`, 40_000, async (note) => {
    const target = ips[0];
    const owner = owners[0];
    const host = bed.nodes.find((n) => n.ns.role === owner);
    const speaker = owner !== undefined ? speakers.get(owner) : undefined;
    if (!target || !host || !speaker) throw new Error(`no owning node for the first Service (answer from ${owner ?? "nobody"})`);
    const port = target.service.ports[0]?.port ?? 80;
    // Through BGP the next hop goes within BFD's detection time only if BFD is up when the node dies
    // (under load a session can flap at start-up; BGP then comes back before BFD does).
    if (frr) {
      const ready = await waitForBfdUp(frr, bed.nodes.map((n) => n.ipv4), 20_000);
      if (ready.firstSeen !== undefined) note(`waited ${Math.round(ready.waitedMs)} ms for BFD and BGP with every node (first seen: ${ready.firstSeen})`);
      note(`FRR's BFD before the kill: ${ready.bfd.get(host.ipv4) ?? "?"}`);
    }
    const samples = client.probe(target.ip, port, 10, 100);
    await until(async () => (samples().filter((s) => s.ok).length >= 5 ? true : undefined), `steady connects to ${target.ip}:${port}`, 5_000, 10);
    // The outage counts from before the SIGKILL (failover.ts); service is back only once a connect
    // started after the link went down succeeds (until then the node's kernel still accepts them).
    const killStart = performance.timeOrigin + performance.now();
    signal(speaker.pid, "SIGKILL");
    await host.ns.linkSet("eth0", "down");
    const deadAt = performance.timeOrigin + performance.now();
    note(`${owner} answered ${target.ip}: SIGKILL its speaker (pid ${speaker.pid}) and take its eth0 down (down ${Math.round(deadAt - killStart)} ms after the SIGKILL); TCP connect every 10 ms from the client`);
    const killTimes = { killedAt: killStart, deadAt };
    await until(async () => measureFailover(samples(), killTimes), `successful connect to ${target.ip}:${port} after the kill`, 30_000, 10);
    // Measured again once the client has printed every attempt it started, so that attempts still in
    // flight when service came back are counted too.
    await client.stopProbe();
    const failover = measureFailover(samples(), killTimes);
    if (!failover) throw new Error("the failover measurement vanished once the probe stopped");
    if (frr && routes) {
      const monitor = routes;
      const removed = await until(async () => nextHopRemovedAt(monitor.events(), target.ip, host.ipv4, killStart), `removal of next hop ${host.ipv4} from ${target.ip}/32`, 15_000, 20);
      // BFD counts from the last packet the node sent, which is at the SIGKILL of its speaker.
      const afterMs = removed.atMs - killStart;
      note(`next hop ${host.ipv4} left ${target.ip}/32 ${Math.round(afterMs)} ms after the SIGKILL (link down at +${Math.round(deadAt - killStart)} ms; ${removed.deleted ? "route deleted" : `route now via ${removed.nextHops.join(", ") || "nothing"}`})`);
      note(`FRR's BFD after: ${(await bfdSummary(frr)).get(host.ipv4) ?? "no session"}`);
      if (afterMs > BFD_FAILOVER_BOUND_MS) throw new Error(`the next hop went ${Math.round(afterMs)} ms after the SIGKILL: BGP's hold timer, not BFD (bound ${BFD_FAILOVER_BOUND_MS} ms)`);
    }
    note(`service back ${formatFailover(failover)}`);
    const after = await client.get(`http://${target.ip}:${port}/`);
    note(`GET http://${target.ip}:${port}/ -> ${after}`);
    if (answeringNode(after) === undefined || answeringNode(after) === owner) throw new Error(`after failover the answer was ${JSON.stringify(after)}`);
    return { owner: owner ?? "", diedAt: deadAt };
  });

  await steps.run("status stops naming the dead node (within 10 s)", 15_000, async (note) => {
    const read = async (what: string, namespace?: string): Promise<{ items: never[] }> =>
      JSON.parse(await kubectl(["get", what, ...(namespace ? ["-n", namespace] : ["-A"]), "-o", "json"])) as { items: never[] };
    let last: string[] = [];
    const clean = await until(async () => {
      const [l2Statuses, bgpStatuses, peers, services] = await Promise.all([
        read("servicel2statuses", LODESTONE_NAMESPACE),
        read("servicebgpstatuses", LODESTONE_NAMESPACE),
        read("bgppeers", LODESTONE_NAMESPACE),
        read("services"),
      ]);
      last = stillNaming({ l2Statuses: l2Statuses.items, bgpStatuses: bgpStatuses.items, peers: peers.items, services: services.items }, died.owner);
      return last.length === 0 ? performance.timeOrigin + performance.now() : undefined;
    }, `status without ${died.owner}`, 12_000, 200).catch((e: unknown) => {
      throw new Error(`${e instanceof Error ? e.message : String(e)}; still naming it: ${last.join("; ")}`);
    });
    const afterMs = clean - died.diedAt;
    note(`${died.owner}'s ServiceL2Status/ServiceBGPStatus gone, its BGP sessions Idle, no Announced condition names it: ${Math.round(afterMs)} ms after it died`);
    note(await kubectl(["get", "servicel2statuses,servicebgpstatuses,bgppeers", "-n", LODESTONE_NAMESPACE]));
    if (afterMs > 10_000) throw new Error(`the dead node was still named ${Math.round(afterMs)} ms after it died (bound 10 s)`);
  });
}

async function main(): Promise<void> {
  const started = performance.now();
  out(`[lab] ${mode === "bgp" ? "BGP" : "L2"} lab in ${dir}${flags.once ? " (--once)" : ""}`);
  const lab: Lab = {};
  try {
    await scenario(lab);
  } catch (error) {
    if (!(error instanceof StepFailed)) out(`[lab] ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  }
  if (finishing) return;
  const failed = steps.failed || steps.results.length === 0;
  out(`[lab] ${failed ? "FAILED" : "all steps ok"} (${steps.results.filter((r) => r.ok).length}/${steps.results.length} steps, ${Math.round(performance.now() - started)} ms)`);
  if (flags.once || !lab.plane) {
    await finish(failed ? 1 : 0, failed);
    return;
  }
  if (failed) out("[lab] a step failed; the lab stays up so you can look around");
  for (const line of labHints(mode, lab.plane.kubeconfig, lab.bed?.router.name ?? "?", `${mode === "bgp" ? BGP_NET : L2_NET}.161`)) out(line);
  out(`      logs: ${dir}`);
  out("[lab] Ctrl-C tears everything down");
  setInterval(() => undefined, 1 << 30);
}

void main();
