/**
 * The speaker and the controller (hack/local-controller, Pepr included) as processes in a node
 * namespace that reaches the local API server over its eth0 (hack/netns/api-bridge.ts), through API
 * outages of three kinds and two lengths: the link down and a DROP rule (silent: nothing fails, packets
 * vanish) and the router's bridge stopped (connections refused), for 6 s and 60 s. A Service created
 * during the outage gets its IP from the controller and is announced by the speaker within 5 s of the
 * path coming back (the node answers ARP for its IP; its ServiceL2Status follows through the status
 * writer's retries); while cut off, the speaker says blind (/readyz 503) and its watches are all back
 * (ready again) within 5 s of the return; neither process exits.
 *
 * Each case prints one JSON line with what it measured.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { K8s, kind, type GenericClass } from "kubernetes-fluent-client";
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest";
import { IPAddressPoolKind, L2AdvertisementKind, ServiceL2StatusKind } from "../kube/kinds";
import { startApiServer, type RunningApiServer } from "../hack/kube-apiserver/server";
import { bootstrapCluster } from "../hack/local-controller/bootstrap";
import { endpointSliceObject, heartbeatSecret, nodeObject } from "../hack/lab/objects";
import { ApiBridge } from "../hack/netns/api-bridge";
import { Bed, ROUTER_IPV4, Spawned, type Host } from "../hack/netns";

const NS = "metallb-system";
const APP_NS = "shop";
const WEBHOOK_PORT = 3481;
const METRICS_PORT = 7472;

let dir: string;
let bed: Bed;
let node: Host;
let api: RunningApiServer;
let bridge: ApiBridge;
let webhookHost: Spawned;
let controller: Spawned;
let speaker: Spawned;
const savedKubeconfig = process.env.KUBECONFIG;

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const got = await probe().catch(() => undefined);
    if (got !== undefined) return got;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise(r => setTimeout(r, everyMs));
  }
}

async function ingressIP(name: string): Promise<string | undefined> {
  const svc = await K8s(kind.Service).InNamespace(APP_NS).Get(name);
  return svc.status?.loadBalancer?.ingress?.[0]?.ip ?? undefined;
}

async function announcedBy(name: string): Promise<string | undefined> {
  const list = await K8s(ServiceL2StatusKind).InNamespace(NS).WithLabel("metallb.io/service-name", name).Get();
  return list.items[0] ? String((list.items[0] as { status?: { node?: string } }).status?.node ?? "") || undefined : undefined;
}

/** Whether the node answers ARP for `ip`, asked from the router namespace on the bridge. */
async function answersArp(ip: string): Promise<true | undefined> {
  const r = await bed.router.exec(["arping", "-c", "1", "-w", "1", "-I", "br0", ip]).then(
    () => true as const,
    () => undefined,
  );
  return r;
}

/** The speaker's readiness, asked inside its namespace (its metrics port is on the node's loopback too). */
async function readiness(): Promise<number> {
  const r = await node.ns.exec(["curl", "-s", "-o", "/dev/null", "-m", "1", "-w", "%{http_code}", `http://127.0.0.1:${METRICS_PORT}/readyz`]).catch(() => ({ stdout: "0" }));
  return Number(r.stdout.trim());
}

/** A LoadBalancer Service and its EndpointSlice (one ready endpoint on the node), as the kubelet and the endpoint controller would have it. */
async function createService(name: string): Promise<void> {
  await K8s(kind.Service).Apply({ metadata: { name, namespace: APP_NS }, spec: { type: "LoadBalancer", ports: [{ port: 80, protocol: "TCP" }], selector: { app: name } } }, { force: true });
  const labNode = { name: node.ns.role, ipv4: node.ipv4, ipv6: node.ipv6 };
  await K8s(kind.EndpointSlice as GenericClass).Apply(endpointSliceObject(APP_NS, name, [{ port: 80 }], [labNode]) as never, { force: true });
}

type Fault = "link-down" | "drop" | "refused";

async function cut(fault: Fault): Promise<void> {
  if (fault === "link-down") await node.ns.linkSet("eth0", "down");
  if (fault === "drop") {
    await node.ns.exec(["iptables", "-w", "-I", "OUTPUT", "-d", ROUTER_IPV4, "-p", "tcp", "--dport", String(bridge.port), "-j", "DROP"]);
    await node.ns.exec(["iptables", "-w", "-I", "INPUT", "-s", ROUTER_IPV4, "-p", "tcp", "--sport", String(bridge.port), "-j", "DROP"]);
  }
  if (fault === "refused") await bridge.stopRouterSide();
}

async function restore(fault: Fault): Promise<void> {
  if (fault === "link-down") await node.ns.linkSet("eth0", "up");
  if (fault === "drop") {
    await node.ns.exec(["iptables", "-w", "-D", "OUTPUT", "-d", ROUTER_IPV4, "-p", "tcp", "--dport", String(bridge.port), "-j", "DROP"]);
    await node.ns.exec(["iptables", "-w", "-D", "INPUT", "-s", ROUTER_IPV4, "-p", "tcp", "--sport", String(bridge.port), "-j", "DROP"]);
  }
  if (fault === "refused") bridge.startRouterSide();
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "lodestone-outage-"));
  bed = await Bed.create({ nodes: 1 });
  node = bed.nodes[0] as Host;
  api = await startApiServer({ dir: join(dir, "apiserver") });
  process.env.KUBECONFIG = api.kubeconfig;
  await bootstrapCluster(NS);
  await K8s(kind.Namespace).Apply({ metadata: { name: APP_NS } }, { force: true });
  await K8s(kind.Node).Apply(nodeObject({ name: node.ns.role, ipv4: node.ipv4, ipv6: node.ipv6 }) as never, { force: true });
  await K8s(kind.Secret).Apply(heartbeatSecret(NS, Buffer.from("0123456789abcdef0123456789abcdef")) as never, { force: true });
  bridge = await ApiBridge.start(bed, api.url, dir);
  // Webhooks: the API server calls 127.0.0.1:WEBHOOK_PORT in the host namespace; a unix socket carries
  // that into the node namespace without crossing eth0, so admission keeps working during the outages.
  const webhookSocket = join(dir, "webhook.sock");
  webhookHost = new Spawned(["socat", `TCP-LISTEN:${WEBHOOK_PORT},bind=127.0.0.1,reuseaddr,fork`, `UNIX-CONNECT:${webhookSocket}`]);
  node.ns.spawn(["socat", `UNIX-LISTEN:${webhookSocket},fork,mode=600`, `TCP:127.0.0.1:${WEBHOOK_PORT}`]);
  const env = { ...process.env, KUBECONFIG: api.kubeconfig, LOG_LEVEL: "warn" };
  controller = node.ns.runNode("hack/local-controller/main.ts", ["--port", String(WEBHOOK_PORT), "--state", join(dir, "controller"), "--metrics-port", "0"], env);
  await controller.waitForLine(/webhooks at /, 90_000);
  speaker = node.ns.runNode("speaker/main.ts", ["--metrics-port", String(METRICS_PORT)], { ...env, LOG_LEVEL: "info", NODE_NAME: node.ns.role, LODESTONE_NAMESPACE: NS, POD_IP: node.ipv4, LODESTONE_METRICS_HOST: "0.0.0.0" });
  await speaker.waitForLine(/running on node /, 90_000);
  await K8s(IPAddressPoolKind).Apply({ metadata: { name: "lan", namespace: NS }, spec: { addresses: ["192.0.2.200-192.0.2.230"] } } as never, { force: true });
  await K8s(L2AdvertisementKind).Apply({ metadata: { name: "l2", namespace: NS }, spec: {} } as never, { force: true });
  await createService("before");
  await until("Service before announced", 30_000, () => announcedBy("before"));
}, 180_000);

afterAll(async () => {
  await speaker?.kill();
  await controller?.kill();
  await webhookHost?.kill(500);
  await bridge?.close();
  await bed?.destroy();
  await api?.stop();
  if (savedKubeconfig === undefined) delete process.env.KUBECONFIG;
  else process.env.KUBECONFIG = savedKubeconfig;
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

describe("API outages seen from a node namespace", () => {
  const cases: [Fault, number][] = [
    ["link-down", 6_000],
    ["drop", 6_000],
    ["refused", 6_000],
    ["link-down", 60_000],
    ["drop", 60_000],
    ["refused", 60_000],
  ];
  it.each(cases)("%s for %i ms: the Service created meanwhile is allocated and announced within 5 s of the path's return; blind meanwhile; nobody exits", async (fault, outageMs) => {
    const name = `during-${fault}-${outageMs / 1000}s`;
    const speakerLines = speaker.stdoutLines.length;
    const controllerLines = controller.stdoutLines.length;
    // What both processes said about the API since the cut, printed whatever the outcome.
    onTestFinished(() => {
      const about = /API server|view of the cluster|watch |unhandled|Error/;
      console.log([...speaker.stdoutLines.slice(speakerLines), ...controller.stdoutLines.slice(controllerLines)].filter(l => about.test(l) && !/failed \((?:[2-9]|\d\d+)x\)/.test(l)).join("\n"));
    });
    await cut(fault);
    const cutAt = Date.now();
    await new Promise(r => setTimeout(r, 1_000));
    await createService(name);
    // Blind within a few seconds of the cut: /readyz says so.
    const blindAfterMs = await until("speaker not ready", outageMs - 1_000, async () => ((await readiness()) === 503 ? Date.now() - cutAt : undefined), 200);
    await new Promise(r => setTimeout(r, Math.max(0, cutAt + outageMs - Date.now())));
    // Cut off all along: nothing happened to the Service yet.
    expect(await ingressIP(name)).toBeUndefined();
    await restore(fault);
    const back = Date.now();
    console.log(`path back at ${new Date(back).toISOString()}`);
    const ip = await until(`${name} allocated`, 10_000, () => ingressIP(name), 25);
    const allocatedMs = Date.now() - back;
    await until(`ARP answer for ${ip}`, 10_000, () => answersArp(ip), 10);
    const answeredMs = Date.now() - back;
    await until("speaker ready again", 10_000, async () => ((await readiness()) === 200 ? true : undefined), 50);
    const readyMs = Date.now() - back;
    const owner = await until(`${name} announced`, 15_000, () => announcedBy(name), 25);
    const statusMs = Date.now() - back;
    console.log(JSON.stringify({ fault, outageMs, blindAfterMs, allocatedMs, answeredMs, readyMs, statusMs, ip }));
    expect(owner).toBe(node.ns.role);
    expect(allocatedMs).toBeLessThan(5_000);
    expect(answeredMs).toBeLessThan(5_000);
    expect(readyMs).toBeLessThan(5_000);
    expect(statusMs).toBeLessThan(10_000);
    expect(blindAfterMs).toBeLessThan(6_000);
    expect(controller.running).toBe(true);
    expect(speaker.running).toBe(true);
    expect(speaker.stdoutLines.slice(speakerLines).some(l => /view of the cluster not current/.test(l))).toBe(true);
  }, 120_000);
});
