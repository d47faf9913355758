/**
 * A speaker's ServiceL2Status / ServiceBGPStatus objects against the local API server
 * (hack/kube-apiserver) through the real REST port: whoever else deletes them (another client, as
 * `kubectl delete` would; a survivor that took the node for dead, speaker/stale-status.ts) or
 * rewrites their status, the announcing node writes them back within seconds (its watch of its own
 * objects, speaker/own-status-watch.ts), and the survivor does not remove them again once it hears
 * the node (docs/adr/0009).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { K8s, kind, type GenericClass } from "kubernetes-fluent-client";
import { firstValueFrom, filter } from "rxjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeClock } from "../core/clock";
import { startApiServer, type RunningApiServer } from "../hack/kube-apiserver/server";
import { bootstrapCluster } from "../hack/local-controller/bootstrap";
import { BGPAdvertisementKind, BGPPeerKind, IPAddressPoolKind, L2AdvertisementKind, ServiceBGPStatusKind, ServiceL2StatusKind } from "../kube/kinds";
import { FakeBgpDataPlane } from "../test/speaker/bgp-fake-plane";
import { FakeL2DataPlane } from "../test/speaker/fake-l2-data-plane";
import type { Logger } from "../observability/log";
import { recordingLogger } from "../test/observability/recording-logger";
import { RestSpeakerPort } from "./rest-speaker-port";
import { startSpeaker, type RunningSpeaker } from "./speaker";

const NS = "metallb-system";
const ALL = ["node-a", "node-b", "node-c"];
const PEERS = ALL.map((node, i) => ({ node, address: `192.0.2.${11 + i}`, port: 7946 }));
/** "Within a few seconds": the watch event is milliseconds; this bounds a slow, loaded machine. */
const WRITTEN_BACK_WITHIN_MS = 5000;
/**
 * The speakers' clock: a node that hears its peers again re-reads its own objects now and once more
 * 3 s later (speaker.ts); moving this clock past that, by hand, leaves only what this test is about.
 */
const clock = new FakeClock();

let dir: string;
let api: RunningApiServer;
const running: RunningSpeaker[] = [];
const savedKubeconfig = process.env.KUBECONFIG;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "lodestone-own-status-"));
  api = await startApiServer({ dir });
  process.env.KUBECONFIG = api.kubeconfig;
  await bootstrapCluster(NS);
  await K8s(kind.Namespace).Apply({ metadata: { name: "shop" } }, { force: true });
  await K8s(IPAddressPoolKind).Apply({ metadata: { name: "p1", namespace: NS }, spec: { addresses: ["192.0.2.0/24"] } } as never, { force: true });
  await K8s(L2AdvertisementKind).Apply({ metadata: { name: "l2", namespace: NS }, spec: {} } as never, { force: true });
  await K8s(BGPAdvertisementKind).Apply({ metadata: { name: "all", namespace: NS }, spec: {} } as never, { force: true });
  await K8s(BGPPeerKind).Apply({ metadata: { name: "r1", namespace: NS }, spec: { myASN: 64500, peerASN: 64501, peerAddress: "198.51.100.1" } } as never, { force: true });
  for (const node of ALL) await K8s(kind.Node).Apply({ metadata: { name: node } }, { force: true });
  await K8s(kind.Service).Apply(
    { metadata: { name: "web", namespace: "shop", annotations: { "metallb.io/ip-allocated-from-pool": "p1" } }, spec: { type: "LoadBalancer", ports: [{ port: 80, protocol: "TCP" }], selector: { app: "web" } } },
    { force: true },
  );
  await K8s(kind.Service).PatchStatus({ metadata: { name: "web", namespace: "shop" }, status: { loadBalancer: { ingress: [{ ip: "192.0.2.10" }] } } } as never);
  await K8s(kind.EndpointSlice as GenericClass).Apply(
    {
      apiVersion: "discovery.k8s.io/v1",
      kind: "EndpointSlice",
      metadata: { name: "web-abcde", namespace: "shop", labels: { "kubernetes.io/service-name": "web" } },
      addressType: "IPv4",
      endpoints: [{ addresses: ["10.1.0.1"], conditions: { ready: true, serving: true, terminating: false }, nodeName: "node-b" }],
      ports: [{ port: 8080, protocol: "TCP" }],
    } as never,
    { force: true },
  );
});

afterAll(async () => {
  for (const s of running) s.stop();
  await api?.stop();
  if (savedKubeconfig === undefined) delete process.env.KUBECONFIG;
  else process.env.KUBECONFIG = savedKubeconfig;
  rmSync(dir, { recursive: true, force: true });
});

async function start(node: string, dp: FakeL2DataPlane, bgp?: FakeBgpDataPlane, log?: Logger): Promise<RunningSpeaker> {
  const s = await startSpeaker({ node, namespace: NS, port: new RestSpeakerPort(), dataPlane: dp, clock, ...(bgp ? { bgp } : {}), ...(log ? { log } : {}), staticPeers: PEERS, debounceMs: 20, retryMs: 200, bgpStatusDebounceMs: 20 });
  running.push(s);
  await firstValueFrom(s.states.pipe(filter(st => st.config?.peers.length === 1)));
  return s;
}

/** node-b's objects of both kinds, as `[kind, name, status]`. */
async function nodeB(): Promise<[string, string, unknown][]> {
  const l2 = (await K8s(ServiceL2StatusKind).InNamespace(NS).WithLabel("metallb.io/node", "node-b").Get()).items;
  const bgp = (await K8s(ServiceBGPStatusKind).InNamespace(NS).WithLabel("metallb.io/node", "node-b").Get()).items;
  return [...l2.map(o => ["ServiceL2Status", o.metadata?.name ?? "", o.status] as [string, string, unknown]), ...bgp.map(o => ["ServiceBGPStatus", o.metadata?.name ?? "", o.status] as [string, string, unknown])];
}

const L2_B = { node: "node-b", serviceName: "web", serviceNamespace: "shop", interfaces: [{ name: "eth0" }] };
const BGP_B = { node: "node-b", serviceName: "web", serviceNamespace: "shop", peers: ["r1"] };
const statuses = (objects: [string, string, unknown][]) => objects.map(([k, , s]) => [k, s]);

/** Polls the API server until `done` holds of node-b's objects; how long it took (ms). */
async function writtenBack(done: (objects: [string, string, unknown][]) => boolean): Promise<number> {
  const start = Date.now();
  for (;;) {
    const objects = await nodeB();
    if (done(objects)) return Date.now() - start;
    if (Date.now() - start > WRITTEN_BACK_WITHIN_MS) throw new Error(`not written back within ${WRITTEN_BACK_WITHIN_MS} ms: ${JSON.stringify(objects)}`);
    await new Promise(r => setTimeout(r, 50));
  }
}

describe("a node's own status objects, through the API", () => {
  let a: RunningSpeaker;
  let b: RunningSpeaker;
  const dpA = new FakeL2DataPlane();
  const dpB = new FakeL2DataPlane();
  const logA = recordingLogger("info");
  const bgpB = new FakeBgpDataPlane();
  const SESSION_B = { node: "node-b", state: "Established" as const, since: "2026-11-22T01:00:01Z", prefixesAdvertised: 1 };

  beforeAll(async () => {
    a = await start("node-a", dpA, undefined, logA.log);
    b = await start("node-b", dpB, bgpB);
    dpA.emitMembership({ live: ALL, canAnnounce: true });
    dpB.emitMembership({ live: ALL, canAnnounce: true });
    dpB.emit({ type: "announcing", service: "shop/web", ips: ["192.0.2.10"], interfaces: ["eth0"] });
    bgpB.report([{ peer: "r1", peerAddress: "198.51.100.1", ...SESSION_B }]);
    clock.advance(100); // the session report's debounce
    await b.settled();
    // Long after start-up: the re-reads that follow hearing peers again are done.
    clock.advance(60_000);
    await a.settled();
    await b.settled();
  });

  it("false death: taken for dead by a survivor (its own view unchanged) and heard again, it ends with every status present", async () => {
    expect(statuses(await nodeB())).toEqual([
      ["ServiceL2Status", L2_B],
      ["ServiceBGPStatus", BGP_B],
    ]);
    // node-b's heartbeats come late: node-a takes it for dead and removes its objects. node-b hears everyone all along.
    dpA.emitMembership({ live: ["node-a", "node-c"], canAnnounce: true });
    await a.settled();
    expect(logA.messages.filter(m => m.includes("found silent"))).toEqual([
      expect.stringMatching(/^speaker on node node-b found silent at \S+: removed its 1 ServiceL2Status and 1 ServiceBGPStatus, marked 1 BGP session\(s\) Idle$/),
    ]);
    // node-a hears node-b again a moment later.
    dpA.emitMembership({ live: ALL, canAnnounce: true });
    await writtenBack(objects => objects.length === 2);
    await a.settled();
    await b.settled();
    expect(statuses(await nodeB())).toEqual([
      ["ServiceL2Status", L2_B],
      ["ServiceBGPStatus", BGP_B],
    ]);
    // Its session entry, marked Idle by node-a meanwhile, is its own again.
    const start = Date.now();
    const sessions = async () => ((await K8s(BGPPeerKind).InNamespace(NS).Get("r1")).status as { sessions?: unknown[] } | undefined)?.sessions;
    while (!isDeepStrictEqual(await sessions(), [SESSION_B]) && Date.now() - start < WRITTEN_BACK_WITHIN_MS) await new Promise(r => setTimeout(r, 50));
    expect(await sessions()).toEqual([SESSION_B]);
  });

  it("deleted or rewritten by another client, they come back within seconds", async () => {
    const before = await nodeB();
    expect(statuses(before)).toEqual([
      ["ServiceL2Status", L2_B],
      ["ServiceBGPStatus", BGP_B],
    ]);

    // kubectl delete servicel2status/servicebgpstatus, by another client.
    await K8s(ServiceL2StatusKind).InNamespace(NS).Delete(before[0]?.[1] ?? "");
    await K8s(ServiceBGPStatusKind).InNamespace(NS).Delete(before[1]?.[1] ?? "");
    const names = new Set(before.map(([, n]) => n));
    const ms = await writtenBack(objects => objects.length === 2 && objects.every(([, n]) => !names.has(n)));
    expect(ms).toBeLessThan(WRITTEN_BACK_WITHIN_MS);
    const after = await nodeB();
    expect(statuses(after)).toEqual([
      ["ServiceL2Status", L2_B],
      ["ServiceBGPStatus", BGP_B],
    ]);

    // Its status rewritten by another client: rewritten back.
    await K8s(ServiceL2StatusKind).PatchStatus({ metadata: { name: after[0]?.[1] ?? "", namespace: NS }, status: { ...L2_B, interfaces: [{ name: "wrong0" }] } } as never);
    await writtenBack(objects => isDeepStrictEqual(objects[0]?.[2], L2_B));
    expect(statuses(await nodeB())).toEqual([
      ["ServiceL2Status", L2_B],
      ["ServiceBGPStatus", BGP_B],
    ]);
  });
});
