import { describe, expect, it } from "vitest";
import { parseConfig } from "../config/parse";
import { bgpAdv, l2, NS, peer, pool } from "../../test/config/testdata/objects";
import type { Config } from "../config/types";
import type { ElectionNode } from "../election/election";
import { computeDesired, type AnnounceInput } from "./desired";
import type { EndpointSliceView, SpeakerService } from "./inputs";

function config(...objects: unknown[]): Config {
  const r = parseConfig({ namespace: NS, objects });
  if (!r.config) throw new Error(r.problems.map(p => p.message).join("; "));
  return r.config;
}

const node = (name: string, labels: Record<string, string> = {}, networkUnavailable = false): ElectionNode => ({ name, labels, networkUnavailable });
const NODES = [node("node-a", { zone: "a" }), node("node-b", { zone: "b" }), node("node-c", { zone: "c" })];

const svc = (name: string, more: Partial<SpeakerService> = {}): SpeakerService => ({
  key: `default/${name}`,
  namespace: "default",
  name,
  uid: `uid-${name}`,
  labels: {},
  ips: ["192.0.2.10"],
  externalTrafficPolicy: "Cluster",
  sharingKey: "",
  ...more,
});

const ready = (service: string, ...nodes: string[]): EndpointSliceView => ({ serviceKey: `default/${service}`, endpoints: nodes.map(n => ({ ready: true, serving: true, nodeName: n })) });
/** A terminating pod still passing its readiness probe (the EndpointSlice controller's ready=false, serving=true). */
const draining = (service: string, ...nodes: string[]): EndpointSliceView => ({ serviceKey: `default/${service}`, endpoints: nodes.map(n => ({ ready: false, serving: true, nodeName: n })) });
/** A pod failing its readiness probe. */
const notReady = (service: string, ...nodes: string[]): EndpointSliceView => ({ serviceKey: `default/${service}`, endpoints: nodes.map(n => ({ ready: false, serving: false, nodeName: n })) });

const POOL = pool("p1", ["192.0.2.0/24", "2001:db8::/120"]);

function run(objects: unknown[], services: SpeakerService[], slices: EndpointSliceView[], more: Partial<AnnounceInput> = {}) {
  return computeDesired({ config: config(...objects), services, endpointSlices: slices, nodes: NODES, node: "node-a", ...more });
}

describe("computeDesired: pools and advertisements (reference 1.3)", () => {
  it("announces by L2 when an L2Advertisement without pools applies to every pool", () => {
    const d = run([POOL, l2("all")], [svc("web")], [ready("web", "node-b")]);
    expect(d.verdicts).toEqual([{ service: "default/web", ips: ["192.0.2.10"], pool: "p1", l2: { candidates: expect.any(Array) } }]);
    expect(d.l2).toHaveLength(1);
    expect(d.l2[0]?.name).toBe("default/web");
    expect(d.l2[0]?.interfaces).toEqual([]);
    expect(d.bgp).toEqual([]);
  });

  it("finds the pool by IP containment when the annotation is absent or names a missing pool", () => {
    const objects = [pool("other", ["198.51.100.0/24"]), POOL, l2("x", { ipAddressPools: ["p1"] })];
    expect(run(objects, [svc("web")], [ready("web", "node-a")]).verdicts[0]?.pool).toBe("p1");
    expect(run(objects, [svc("web", { allocatedPool: "gone" })], [ready("web", "node-a")]).verdicts[0]?.pool).toBe("p1");
  });

  it("prefers the pool named by ip-allocated-from-pool when it holds the IP", () => {
    const objects = [POOL, pool("p2", ["198.51.100.0/24"]), l2("x", { ipAddressPools: ["p2"] })];
    const d = run(objects, [svc("web", { allocatedPool: "p2", ips: ["198.51.100.7"] })], [ready("web", "node-a")]);
    expect(d.verdicts[0]?.pool).toBe("p2");
    expect(d.l2).toHaveLength(1);
  });

  it("does not trust ip-allocated-from-pool: an IP outside the pool it names is judged by the pool that holds it", () => {
    const objects = [POOL, pool("p2", ["198.51.100.0/24"]), l2("x", { ipAddressPools: ["p2"] })];
    const d = run(objects, [svc("web", { allocatedPool: "p2" })], [ready("web", "node-a")]);
    expect(d.verdicts).toEqual([
      { service: "default/web", ips: ["192.0.2.10"], pool: "p1", notAnnounced: { reason: "NoAdvertisement", message: "no L2Advertisement or BGPAdvertisement of pool p1 applies to this service" } },
    ]);
    expect(d.l2).toEqual([]);
  });

  it("refuses a Service whose second IP lies outside the pool of its first (IPNotInPool), by any protocol", () => {
    const objects = [POOL, l2("all"), peer("r", {}), bgpAdv("all")];
    const d = run(objects, [svc("web", { ips: ["192.0.2.10", "2001:db8:1::1"] })], [ready("web", "node-a")]);
    expect(d.verdicts).toEqual([
      { service: "default/web", ips: ["192.0.2.10", "2001:db8:1::1"], pool: "p1", notAnnounced: { reason: "IPNotInPool", message: "ingress IP 2001:db8:1::1 is not in pool p1 of the service's first IP 192.0.2.10" } },
    ]);
    expect(d.l2).toEqual([]);
    expect(d.bgp).toEqual([]);
  });

  it("refuses a special-purpose IP even inside a pool (ReservedIP)", () => {
    const objects = [pool("wide", ["0.0.0.0/0"]), l2("all")];
    const d = run(objects, [svc("ospf", { ips: ["224.0.0.5"] }), svc("bcast", { ips: ["255.255.255.255"] })], [ready("ospf", "node-a"), ready("bcast", "node-a")]);
    expect(d.verdicts.map(v => [v.service, v.notAnnounced])).toEqual([
      ["default/bcast", { reason: "ReservedIP", message: "ingress IP 255.255.255.255 lies in 255.255.255.255/32 (limited broadcast), which is never announced" }],
      ["default/ospf", { reason: "ReservedIP", message: "ingress IP 224.0.0.5 lies in 224.0.0.0/4 (multicast), which is never announced" }],
    ]);
    expect(d.l2).toEqual([]);
  });

  it("reports NoPool for an IP outside every pool", () => {
    const d = run([POOL, l2("all")], [svc("web", { ips: ["203.0.113.5"] })], [ready("web", "node-a")]);
    expect(d.verdicts).toEqual([{ service: "default/web", ips: ["203.0.113.5"], notAnnounced: { reason: "NoPool", message: "ingress IP 203.0.113.5 is not in any IPAddressPool" } }]);
    expect(d.l2).toEqual([]);
  });

  it.each([
    ["another pool's advertisement", [POOL, pool("p2", ["198.51.100.0/24"]), l2("x", { ipAddressPools: ["p2"] })], {}],
    ["a pool selector that does not match", [pool("p1", ["192.0.2.0/24"], {}), l2("x", { ipAddressPoolSelectors: [{ matchLabels: { tier: "gold" } }] })], {}],
    ["serviceSelectors that do not match", [POOL, l2("x", { serviceSelectors: [{ matchLabels: { app: "db" } }] })], { labels: { app: "web" } }],
  ])("reports NoAdvertisement with %s", (_, objects, more) => {
    const d = run(objects, [svc("web", more)], [ready("web", "node-a")]);
    expect(d.verdicts[0]?.notAnnounced).toEqual({ reason: "NoAdvertisement", message: "no L2Advertisement or BGPAdvertisement of pool p1 applies to this service" });
    expect(d.l2).toEqual([]);
  });

  it("applies an advertisement whose serviceSelectors match", () => {
    const d = run([POOL, l2("x", { serviceSelectors: [{ matchLabels: { app: "web" } }] })], [svc("web", { labels: { app: "web" } })], [ready("web", "node-a")]);
    expect(d.l2).toHaveLength(1);
  });

  it("does not announce a shared-IP service matched by an L2Advertisement with serviceSelectors (sharedIPWithServiceSelector)", () => {
    const d = run([POOL, l2("sel", { serviceSelectors: [{ matchLabels: { app: "web" } }] })], [svc("web", { labels: { app: "web" }, sharingKey: "k" })], [ready("web", "node-a")]);
    expect(d.verdicts[0]?.notAnnounced).toEqual({
      reason: "SharedIPWithServiceSelector",
      message: "the service shares its IP (allow-shared-ip) and L2Advertisement sel selects services by label",
    });
    expect(d.l2).toEqual([]);
  });

  it("announces a shared-IP service when the L2Advertisement has no serviceSelectors", () => {
    expect(run([POOL, l2("all")], [svc("web", { sharingKey: "k" })], [ready("web", "node-a")]).l2).toHaveLength(1);
  });

  it("takes the union of the interfaces of the advertisements selecting this node", () => {
    const objects = [
      POOL,
      l2("one", { interfaces: ["eth1"] }),
      l2("two", { interfaces: ["eth0", "eth1"] }),
      l2("elsewhere", { interfaces: ["eth9"], nodeSelectors: [{ matchLabels: { zone: "b" } }] }),
    ];
    expect(run(objects, [svc("web")], [ready("web", "node-a")]).l2[0]?.interfaces).toEqual(["eth0", "eth1"]);
  });

  it("takes the shortest gratuitous interval among the advertisements selecting this node; none when none sets one", () => {
    const every = (name: string, interval: string, spec: Record<string, unknown> = {}) => {
      const o = l2(name, spec);
      (o.metadata as Record<string, unknown>).annotations = { "lodestone.dev/gratuitous-interval": interval };
      return o;
    };
    const objects = [POOL, every("slow", "5m"), every("fast", "90s"), every("elsewhere", "2s", { nodeSelectors: [{ matchLabels: { zone: "b" } }] }), l2("plain")];
    expect(run(objects, [svc("web")], [ready("web", "node-a")]).l2[0]?.gratuitousIntervalMs).toBe(90_000);
    expect(run(objects, [svc("web")], [ready("web", "node-a")], { node: "node-b" }).l2[0]?.gratuitousIntervalMs).toBe(2000);
    expect(run([POOL, l2("plain")], [svc("web")], [ready("web", "node-a")]).l2[0]).not.toHaveProperty("gratuitousIntervalMs");
  });

  it("uses all interfaces when one applying advertisement lists none", () => {
    const objects = [POOL, l2("one", { interfaces: ["eth1"] }), l2("two")];
    expect(run(objects, [svc("web")], [ready("web", "node-a")]).l2[0]?.interfaces).toEqual([]);
  });

  it("gives the election every node, the advertisements' node selectors and preferences", () => {
    const objects = [POOL, l2("x", { nodeSelectors: [{ matchLabels: { zone: "b" } }], preferredNodeSelectors: [{ weight: 5, preference: { matchLabels: { zone: "b" } } }] })];
    const d = run(objects, [svc("web")], [ready("web", "node-b")]);
    expect(d.verdicts[0]?.l2).toEqual({ candidates: ["node-b"] });
    const e = d.l2[0]?.election;
    expect(e?.nodes).toEqual(NODES);
    const zoneB = { matchLabels: { zone: "b" }, matchExpressions: [] };
    expect(e?.advertisements).toEqual([{ nodeSelectors: [zoneB], preferredNodeSelectors: [{ weight: 5, preference: zoneB }] }]);
    expect(e?.anyReadyEndpoint).toBe(true);
    expect([...(e?.endpointNodes ?? [])]).toEqual(["node-b"]);
  });
});

describe("computeDesired: endpoints and traffic policy (reference 2.5)", () => {
  it("reports NoReadyEndpoint when no endpoint counts", () => {
    const slices: EndpointSliceView[] = [{ serviceKey: "default/web", endpoints: [{ ready: false, serving: false, nodeName: "node-a" }] }];
    const d = run([POOL, l2("all")], [svc("web")], slices);
    expect(d.verdicts[0]?.notAnnounced).toEqual({ reason: "NoReadyEndpoint", message: "the service has no ready endpoint" });
    expect(d.l2).toEqual([]);
  });

  it("reports NoReadyEndpoint when the service has no EndpointSlice", () => {
    expect(run([POOL, l2("all")], [svc("web")], []).verdicts[0]?.notAnnounced?.reason).toBe("NoReadyEndpoint");
  });

  it("counts an endpoint without a node (Cluster policy)", () => {
    const slices: EndpointSliceView[] = [{ serviceKey: "default/web", endpoints: [{ ready: true, serving: true }] }];
    expect(run([POOL, l2("all")], [svc("web")], slices).verdicts[0]?.l2).toEqual({ candidates: expect.arrayContaining(["node-a", "node-b", "node-c"]) });
  });

  it("limits candidates to nodes with a ready local endpoint under Local", () => {
    const d = run([POOL, l2("all")], [svc("web", { externalTrafficPolicy: "Local" })], [ready("web", "node-c")]);
    expect(d.verdicts[0]?.l2).toEqual({ candidates: ["node-c"] });
    expect(d.l2[0]?.election.externalTrafficPolicy).toBe("Local");
  });

  it("reports NoEligibleNode under Local when no selected node has an endpoint", () => {
    const objects = [POOL, l2("x", { nodeSelectors: [{ matchLabels: { zone: "a" } }] })];
    const d = run(objects, [svc("web", { externalTrafficPolicy: "Local" })], [ready("web", "node-b")]);
    expect(d.verdicts[0]?.notAnnounced).toEqual({
      reason: "NoEligibleNode",
      message:
        "no node may announce the service: node-a (no ready local endpoint (externalTrafficPolicy Local)), node-b (not selected by the L2Advertisements' nodeSelectors), node-c (not selected by the L2Advertisements' nodeSelectors)",
    });
  });
});

describe("computeDesired: terminating endpoints and publishNotReadyAddresses (KEP-1669)", () => {
  const local = svc("web", { externalTrafficPolicy: "Local" });
  const both = [POOL, l2("all"), bgpAdv("all")];

  it("Local: a node whose only endpoint is terminating does not count while another node has a ready one (L2 and BGP)", () => {
    const slices = [ready("web", "node-b"), draining("web", "node-a")];
    const d = run(both, [local], slices);
    expect(d.verdicts[0]?.l2).toEqual({ candidates: ["node-b"] });
    expect(d.verdicts[0]?.bgp).toEqual({ advertises: false, reason: "noLocalEndpoints" });
    expect(run(both, [local], slices, { node: "node-b" }).verdicts[0]?.bgp).toEqual({ advertises: true });
  });

  it("Local: when no node has a ready endpoint, the nodes with serving (terminating) ones count, and only they", () => {
    const slices = [draining("web", "node-a", "node-c"), notReady("web", "node-b")];
    const d = run(both, [local], slices);
    expect(d.verdicts[0]?.l2).toEqual({ candidates: expect.arrayContaining(["node-a", "node-c"]) });
    expect((d.verdicts[0]?.l2 as { candidates: string[] }).candidates).toHaveLength(2);
    expect(d.verdicts[0]?.bgp).toEqual({ advertises: true });
    expect(d.verdicts[0]?.notAnnounced).toBeUndefined();
    expect(run(both, [local], slices, { node: "node-b" }).verdicts[0]?.bgp).toEqual({ advertises: false, reason: "noLocalEndpoints" });
  });

  it("Cluster: serving (terminating) endpoints keep the service announced when none is ready", () => {
    const d = run(both, [svc("web")], [draining("web", "node-c")]);
    expect(d.verdicts[0]?.l2).toEqual({ candidates: expect.arrayContaining(["node-a", "node-b", "node-c"]) });
    expect(d.verdicts[0]?.bgp).toEqual({ advertises: true });
  });

  it("not-ready endpoints do not count, unless the service sets publishNotReadyAddresses", () => {
    const slices = [notReady("web", "node-c")];
    expect(run(both, [local], slices).verdicts[0]?.notAnnounced).toEqual({ reason: "NoReadyEndpoint", message: "the service has no ready endpoint" });
    const published = svc("web", { externalTrafficPolicy: "Local", publishNotReadyAddresses: true });
    const d = run(both, [published], slices);
    expect(d.verdicts[0]?.l2).toEqual({ candidates: ["node-c"] });
    expect(d.verdicts[0]?.bgp).toEqual({ advertises: false, reason: "noLocalEndpoints" });
    expect(run(both, [published], slices, { node: "node-c" }).verdicts[0]?.bgp).toEqual({ advertises: true });
  });

  it("publishNotReadyAddresses counts every endpoint, ready or not, on every node", () => {
    const published = svc("web", { externalTrafficPolicy: "Local", publishNotReadyAddresses: true });
    const d = run(both, [published], [ready("web", "node-a"), notReady("web", "node-b")]);
    expect((d.verdicts[0]?.l2 as { candidates: string[] }).candidates.sort()).toEqual(["node-a", "node-b"]);
  });
});

describe("computeDesired: node exclusions (reference 2.6)", () => {
  const nodes = [node("node-a", {}, true), node("node-b", { "node.kubernetes.io/exclude-from-external-load-balancers": "" })];

  it("excludes NetworkUnavailable and exclude-from-external-load-balancers nodes", () => {
    const d = run([POOL, l2("all")], [svc("web")], [ready("web", "node-a")], { nodes });
    expect(d.verdicts[0]?.notAnnounced).toEqual({
      reason: "NoEligibleNode",
      message: "no node may announce the service: node-a (NetworkUnavailable), node-b (labelled node.kubernetes.io/exclude-from-external-load-balancers)",
    });
  });

  it("lets labelled nodes announce with ignoreExcludeLB", () => {
    const d = run([POOL, l2("all")], [svc("web")], [ready("web", "node-a")], { nodes, ignoreExcludeLB: true });
    expect(d.verdicts[0]?.l2).toEqual({ candidates: ["node-b"] });
    expect(d.l2[0]?.election.ignoreExcludeLB).toBe(true);
  });
});

describe("computeDesired: BGP (reference 1.4, 2.5)", () => {
  const peers = [peer("r1", {}), peer("r2", { peerAddress: "192.0.2.2", nodeSelectors: [{ matchLabels: { zone: "b" } }] }), peer("r3", { peerAddress: "192.0.2.3" })];

  it("advertises the aggregated prefix with communities and local preference to the peers of this node", () => {
    const objects = [POOL, ...peers, bgpAdv("agg", { aggregationLength: 24, localPref: 100, communities: ["64500:1"] })];
    const d = run(objects, [svc("web")], [ready("web", "node-b")]);
    expect(d.verdicts[0]?.bgp).toEqual({ advertises: true });
    expect(d.bgp).toEqual([{ service: "default/web", ips: ["192.0.2.10"], routes: [{ prefix: "192.0.2.0/24", localPref: 100, communities: [{ kind: "standard", value: 64500 * 65536 + 1 }], peers: ["r1", "r3"] }] }]);
  });

  it("deduplicates identical prefixes and unions their communities and peers", () => {
    const objects = [POOL, ...peers, bgpAdv("a", { communities: ["64500:1"], peers: ["r1"] }), bgpAdv("b", { communities: ["64500:2", "64500:1"], peers: ["r3"] })];
    const routes = run(objects, [svc("web", { ips: ["192.0.2.10", "2001:db8::10"] })], [ready("web", "node-a")]).bgp[0]?.routes;
    expect(routes).toEqual([
      { prefix: "192.0.2.10/32", localPref: 0, communities: [{ kind: "standard", value: 64500 * 65536 + 1 }, { kind: "standard", value: 64500 * 65536 + 2 }], peers: ["r1", "r3"] },
      { prefix: "2001:db8::10/128", localPref: 0, communities: [{ kind: "standard", value: 64500 * 65536 + 1 }, { kind: "standard", value: 64500 * 65536 + 2 }], peers: ["r1", "r3"] },
    ]);
  });

  it.each([
    ["noEndpoints", [], "Cluster", NODES],
    ["noLocalEndpoints", [ready("web", "node-b")], "Local", NODES],
    ["networkUnavailable", [ready("web", "node-b")], "Cluster", [node("node-a", {}, true)]],
    ["excludedFromLoadBalancers", [ready("web", "node-b")], "Cluster", [node("node-a", { "node.kubernetes.io/exclude-from-external-load-balancers": "true" })]],
  ] as const)("does not advertise from this node: %s", (reason, slices, etp, nodes) => {
    const d = run([POOL, ...peers, bgpAdv("all")], [svc("web", { externalTrafficPolicy: etp })], [...slices], { nodes });
    expect(d.verdicts[0]?.bgp).toEqual({ advertises: false, reason });
    expect(d.bgp).toEqual([]);
  });

  it("does not advertise from a node outside the advertisement's nodeSelectors", () => {
    const d = run([POOL, ...peers, bgpAdv("b-only", { nodeSelectors: [{ matchLabels: { zone: "b" } }] })], [svc("web")], [ready("web", "node-a")]);
    expect(d.verdicts[0]?.bgp).toEqual({ advertises: false, reason: "nodeSelector" });
    expect(d.verdicts[0]?.notAnnounced).toBeUndefined();
  });

  it("a service with BGP endpoints elsewhere is not 'not announced' even if L2 cannot announce it", () => {
    const d = run([POOL, ...peers, bgpAdv("all"), l2("c-only", { nodeSelectors: [{ matchLabels: { zone: "c" } }] })], [svc("web", { externalTrafficPolicy: "Local" })], [ready("web", "node-b")]);
    expect(d.verdicts[0]?.l2).toMatchObject({ reason: "NoEligibleNode" });
    expect(d.verdicts[0]?.bgp).toEqual({ advertises: false, reason: "noLocalEndpoints" });
    expect(d.verdicts[0]?.notAnnounced).toBeUndefined();
  });
});

describe("computeDesired: determinism", () => {
  it("sorts services by name whatever the input order", () => {
    const d = run([POOL, l2("all")], [svc("b", { ips: ["192.0.2.2"] }), svc("a", { ips: ["192.0.2.1"] })], [ready("a", "node-a"), ready("b", "node-a")]);
    expect(d.verdicts.map(v => v.service)).toEqual(["default/a", "default/b"]);
    expect(d.l2.map(s => s.name)).toEqual(["default/a", "default/b"]);
  });
});
