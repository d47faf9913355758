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
import { K8s, kind, type GenericClass } from "kubernetes-fluent-client";
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest";
import { ServiceL2StatusKind } from "../kube/kinds";
import { endpointSliceObject } from "../hack/lab/objects";
import type { ApiBridge } from "../hack/netns/api-bridge";
import { ROUTER_IPV4, type Bed, type Host, type Spawned } from "../hack/netns";
import { APP_NS, ingressIP, labNode, METRICS_PORT, NS, startBridgedCluster, until, type BridgedCluster } from "../test/speaker/bridged-cluster";

let cluster: BridgedCluster | undefined;
let bed: Bed;
let node: Host;
let bridge: ApiBridge;
let controller: Spawned;
let speaker: Spawned;

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
  await K8s(kind.EndpointSlice as GenericClass).Apply(endpointSliceObject(APP_NS, name, [{ port: 80 }], [labNode(node)]) as never, { force: true });
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
  cluster = await startBridgedCluster({
    nodes: 1,
    tmpPrefix: "lodestone-outage-",
    webhookPort: 3481,
    controllerNode: 0,
    poolRange: "192.0.2.200-192.0.2.230",
    speakerEnv: () => ({ LODESTONE_METRICS_HOST: "0.0.0.0" }),
  });
  ({ bed, bridge, controller } = cluster);
  [node] = cluster.nodes as [Host];
  [speaker] = cluster.speakers as [Spawned];
  await createService("before");
  await until("Service before announced", 30_000, () => announcedBy("before"));
}, 180_000);

afterAll(() => cluster?.stop(), 60_000);

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
