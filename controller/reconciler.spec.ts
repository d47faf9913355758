import { afterEach, describe, expect, it } from "vitest";
import { INT64_MAX } from "../core/allocation/pool-state";
import { ApiError, type KubeObject } from "../kube/controller-port";
import { Bench, exampleObjects, NS, pool, service } from "../test/controller/testing";

const T0 = "2026-11-22T01:00:00Z";
let bench: Bench;

afterEach(async () => {
  await bench?.stop();
});

async function withExamplePool(): Promise<Bench> {
  bench = new Bench();
  bench.putAll(exampleObjects("lb-ippool.yaml"));
  await bench.start();
  return bench;
}

describe("the articles' examples", () => {
  it("nginxlb gets its requested 192.168.172.161, with annotation, condition and IPAllocated event", async () => {
    const b = await withExamplePool();
    b.putAll(exampleObjects("lb-service.yaml"));
    await b.settled();
    expect(b.ingress("nginxlb")).toEqual(["192.168.172.161"]);
    expect(b.svc("nginxlb").metadata?.annotations).toEqual({ "metallb.io/ip-allocated-from-pool": "lb-ip-pool" });
    expect(b.condition("nginxlb")).toEqual({
      type: "lodestone.dev/IPAllocated",
      status: "True",
      reason: "Allocated",
      message: "allocated 192.168.172.161 from pool lb-ip-pool",
      lastTransitionTime: T0,
    });
    expect(b.events("nginxlb")).toEqual(['Normal IPAllocated: Assigned IP ["192.168.172.161"]']);
    const [event] = b.api.objects("Event");
    expect(event).toMatchObject({
      metadata: { namespace: "default" },
      involvedObject: { kind: "Service", namespace: "default", name: "nginxlb", uid: b.svc("nginxlb").metadata?.uid, apiVersion: "v1" },
      source: { component: "lodestone-controller" },
      count: 1,
      firstTimestamp: T0,
      lastTimestamp: T0,
    });
    expect(String(event?.metadata?.name)).toMatch(/^nginxlb\.[0-9a-f]+$/);
    // The event is written concurrently with the Service (another queue key).
    expect(b.writesTo("nginxlb")).toEqual(["patchServiceStatus", "createEvent", "patchServiceAnnotations"]);
  });

  it("nginxlb2 gets the lowest free address, 192.168.172.160", async () => {
    const b = await withExamplePool();
    b.putAll(exampleObjects("lb-service.yaml"));
    b.putAll(exampleObjects("lb-service2.yaml"));
    await b.settled();
    expect(b.ingress("nginxlb2")).toEqual(["192.168.172.160"]);
    expect(b.events("nginxlb2")).toEqual(['Normal IPAllocated: Assigned IP ["192.168.172.160"]']);
  });

  it("leaves the ClusterIP and NodePort Services of three-services.yaml untouched", async () => {
    const b = await withExamplePool();
    b.putAll(exampleObjects("three-services.yaml"));
    await b.settled();
    expect(b.ingress("nginxlb")).toEqual(["192.168.172.161"]);
    expect(b.writesTo("nginxcip")).toEqual([]);
    expect(b.writesTo("nginxnp")).toEqual([]);
    expect(b.svc("nginxnp").status).toBeUndefined();
  });

  it.each([
    {
      case: "an IP outside every pool",
      pools: exampleObjects("lb-ippool.yaml"),
      name: "outside",
      ip: "192.168.200.7",
      reason: "RequestedIPNotInAnyPool",
      message: '"192.168.200.7" is not allowed in config',
    },
    {
      case: "a .0 address its pool avoids (avoidBuggyIPs)",
      pools: [pool("careful", ["192.0.2.0/24"], { avoidBuggyIPs: true })],
      name: "zero",
      ip: "192.0.2.0",
      reason: "BuggyIP",
      message: '"192.0.2.0" is not allowed in config: it ends in .0 or .255 and its pool "careful" has avoidBuggyIPs set',
    },
  ])("says why a Service asking for $case stays pending", async ({ pools, name, ip, reason, message }) => {
    bench = new Bench();
    const b = bench;
    b.putAll(pools);
    await b.start();
    b.put("Service", service(name, { loadBalancerIP: ip }));
    await b.settled();
    expect(b.ingress(name)).toEqual([]);
    expect(b.condition(name)).toEqual({ type: "lodestone.dev/IPAllocated", status: "False", reason, message, lastTransitionTime: T0 });
    expect(b.svc(name).metadata?.annotations).toBeUndefined();
    expect(b.events(name)).toEqual([`Warning AllocationFailed: Failed to allocate IP for "default/${name}": ${message}`]);
  });
});

describe("restart", () => {
  it("keeps every IP of 1,000 Services, writing nothing to them", async () => {
    bench = new Bench();
    const b = bench;
    b.put("IPAddressPool", pool("big", ["198.18.0.0/20"]));
    await b.start();
    // Created in reverse key order: a fresh allocation in key order would hand out other IPs.
    const names = Array.from({ length: 1000 }, (_, i) => `svc-${String(i).padStart(4, "0")}`);
    for (const name of [...names].reverse()) b.put("Service", service(name));
    await b.settled();
    const before = new Map(names.map(n => [n, b.ingress(n)]));
    expect(before.get("svc-0999")).toEqual(["198.18.0.0"]);
    expect(before.get("svc-0000")).toEqual(["198.18.3.231"]);
    expect(new Set([...before.values()].map(ips => ips[0])).size).toBe(1000);
    await b.stop();

    const writesBefore = b.api.writes.length;
    await b.start();
    for (const n of names) expect(b.ingress(n), n).toEqual(before.get(n));
    const serviceWrites = b.api.writes.slice(writesBefore).filter(w => w.verb.startsWith("patchService") || w.verb === "createEvent");
    expect(serviceWrites).toEqual([]);
    expect(await b.metric("metallb_allocator_services_allocated_total", { pool: "big" })).toBe(1000);
  }, 120_000);

  it("touches no Service before a valid configuration has loaded", async () => {
    bench = new Bench();
    const b = bench;
    b.put("Service", service("held", { statusIPs: ["192.168.172.165"] }), { withStatus: true });
    b.put("IPAddressPool", pool("bad", ["192.168.172.160-192.168.172.150"]));
    await b.start();
    expect(b.writesTo("held")).toEqual([]);
    expect(b.api.get("ConfigurationState", NS, "controller")?.status).toMatchObject({ result: "Invalid" });
    b.put("IPAddressPool", pool("bad", ["192.168.172.160-192.168.172.169"]));
    await b.settled();
    expect(b.ingress("held")).toEqual(["192.168.172.165"]);
    expect(b.writesTo("held")).toEqual(["patchServiceStatus", "patchServiceAnnotations"]);
    expect(b.events("held")).toEqual([]);
  });
});

describe("a Service waiting while no valid configuration has loaded", () => {
  const overlap = 'IPAddressPool/overlapping: spec.addresses[0]: CIDR "192.168.172.164/30" in pool "overlapping" overlaps with already defined CIDR "192.168.172.160/29"';
  const message = `the configuration is invalid (ConfigurationState ${NS}/controller): ${overlap}`;

  it("carries IPAllocated=False naming the ConfigurationState problem, and one AllocationFailed event, until the configuration is fixed", async () => {
    bench = new Bench();
    const b = bench;
    b.putAll(exampleObjects("lb-ippool.yaml"));
    b.put("IPAddressPool", pool("overlapping", ["192.168.172.164/30"]));
    b.put("Service", service("held", { statusIPs: ["192.168.172.165"] }), { withStatus: true });
    b.put("Service", service("newsvc"));
    await b.start();
    expect(b.condition("newsvc")).toEqual({
      type: "lodestone.dev/IPAllocated",
      status: "False",
      reason: "ConfigurationError",
      message,
      lastTransitionTime: T0,
    });
    expect(b.ingress("newsvc")).toEqual([]);
    expect(b.events("newsvc")).toEqual([`Warning AllocationFailed: Failed to allocate IP for "default/newsvc": ${message}`]);
    // A Service that holds an IP is left alone: it is re-adopted once the configuration is valid.
    expect(b.writesTo("held")).toEqual([]);
    // Watch noise repeats nothing; a Service created meanwhile says the same.
    b.put("Service", { ...b.svc("newsvc"), metadata: { ...b.svc("newsvc").metadata, labels: { touched: "yes" } } });
    b.put("Service", service("later"));
    await b.settled();
    expect(b.events("newsvc")).toHaveLength(1);
    expect(b.condition("later")).toMatchObject({ status: "False", reason: "ConfigurationError", message });

    b.clock.advance(3000);
    b.api.remove("IPAddressPool", NS, "overlapping");
    await b.settled();
    expect(b.ingress("later")).toEqual(["192.168.172.160"]);
    expect(b.ingress("newsvc")).toEqual(["192.168.172.161"]);
    expect(b.condition("newsvc")).toEqual({
      type: "lodestone.dev/IPAllocated",
      status: "True",
      reason: "Allocated",
      message: "allocated 192.168.172.161 from pool lb-ip-pool",
      lastTransitionTime: "2026-11-22T01:00:03Z",
    });
    expect(b.events("newsvc")).toEqual([
      `Warning AllocationFailed: Failed to allocate IP for "default/newsvc": ${message}`,
      'Normal IPAllocated: Assigned IP ["192.168.172.161"]',
    ]);
    expect(b.ingress("held")).toEqual(["192.168.172.165"]);
  });

  it("takes the condition back from a Service that stops being a LoadBalancer meanwhile", async () => {
    bench = new Bench();
    const b = bench;
    b.put("IPAddressPool", pool("bad", ["192.168.172.160-192.168.172.150"]));
    b.put("Service", service("web"));
    await b.start();
    expect(b.condition("web")).toMatchObject({ status: "False", reason: "ConfigurationError" });
    b.put("Service", { ...b.svc("web"), spec: { ...(b.svc("web").spec as object), type: "ClusterIP" } });
    await b.settled();
    expect(b.condition("web")).toBeUndefined();
  });
});

describe("writes under API trouble", () => {
  it("retries a failing write with exponential backoff on the injected clock", async () => {
    const b = await withExamplePool();
    let failures = 3;
    b.api.beforeWrite = w => (w.verb === "patchServiceStatus" && failures-- > 0 ? new ApiError(500, "etcdserver: request timed out") : undefined);
    b.put("Service", service("flaky"));
    await b.settled();
    expect(b.writesTo("flaky")).toEqual(["patchServiceStatus (500)", "createEvent"]);
    expect(b.controller?.backingOff()).toEqual(["service:default/flaky"]);
    expect(b.clock.pending()).toEqual([100]);
    b.clock.advance(99);
    await b.settled();
    expect(b.writesTo("flaky")).toHaveLength(2);
    b.clock.advance(1);
    await b.settled();
    expect(b.clock.pending()).toEqual([200]);
    b.clock.advance(200);
    await b.settled();
    expect(b.clock.pending()).toEqual([400]);
    b.clock.advance(400);
    await b.settled();
    expect(b.writesTo("flaky")).toEqual([
      "patchServiceStatus (500)",
      "createEvent",
      "patchServiceStatus (500)",
      "patchServiceStatus (500)",
      "patchServiceStatus",
      "patchServiceAnnotations",
    ]);
    expect(b.ingress("flaky")).toEqual(["192.168.172.160"]);
    expect(b.controller?.backingOff()).toEqual([]);
    expect(await b.metric("metallb_k8s_client_update_errors_total")).toBe(3);
  });

  it("re-reads and re-applies on a 409, keeping the other writer's condition", async () => {
    const b = await withExamplePool();
    b.put("Service", service("contended"));
    let interfered = false;
    b.api.beforeWrite = w => {
      if (w.verb !== "patchServiceStatus" || interfered) return undefined;
      interfered = true;
      // Another controller writes its own condition between our read and our write.
      const current = b.svc("contended");
      b.api.put("Service", { ...current, status: { conditions: [{ type: "example.com/Ready", status: "True", reason: "Ok", message: "", lastTransitionTime: T0 }] } }, { withStatus: true });
      return undefined;
    };
    await b.settled();
    expect(b.writesTo("contended")).toEqual(["patchServiceStatus (409)", "createEvent", "patchServiceStatus", "patchServiceAnnotations"]);
    expect(b.api.reads).toBe(1);
    expect((b.svc("contended").status as { conditions: { type: string }[] }).conditions.map(c => c.type)).toEqual([
      "example.com/Ready",
      "lodestone.dev/IPAllocated",
      "lodestone.dev/Announced",
    ]);
    expect(b.ingress("contended")).toEqual(["192.168.172.160"]);
  });
});

describe("the Announced condition, from what the speakers report", () => {
  const announced = (b: Bench, name: string) =>
    ((b.svc(name).status as { conditions?: Record<string, unknown>[] } | undefined)?.conditions ?? []).find(c => c.type === "lodestone.dev/Announced");
  const slice = (ready: boolean): KubeObject => ({
    metadata: { name: "nginxlb-abcde", namespace: "default", labels: { "kubernetes.io/service-name": "nginxlb" } },
    endpoints: [{ addresses: ["10.1.0.1"], conditions: { ready }, nodeName: "node-b" }],
  });
  const report = (name: string, node: string, extra: Record<string, unknown>): KubeObject => ({
    metadata: { name, namespace: NS, labels: { "metallb.io/node": node, "metallb.io/service-name": "nginxlb", "metallb.io/service-namespace": "default" } },
    status: { node, serviceName: "nginxlb", serviceNamespace: "default", ...extra },
  });

  it("says who announces (ServiceL2Status, ServiceBGPStatus), why nobody may (no ready endpoint), or that nobody does yet", async () => {
    const b = await withExamplePool();
    b.put("Node", { metadata: { name: "node-a" } });
    b.put("Node", { metadata: { name: "node-b" } });
    b.put("EndpointSlice", slice(false));
    b.putAll(exampleObjects("lb-service.yaml"));
    await b.settled();
    expect(announced(b, "nginxlb")).toEqual({
      type: "lodestone.dev/Announced",
      status: "False",
      reason: "NoReadyEndpoint",
      message: "the service has no ready endpoint",
      lastTransitionTime: T0,
    });
    b.put("EndpointSlice", slice(true));
    await b.settled();
    expect(announced(b, "nginxlb")).toMatchObject({ status: "False", reason: "NotAnnounced", message: "no node announces the service yet" });

    b.clock.advance(1000);
    b.put("ServiceL2Status", report("l2-abcde", "node-a", { interfaces: [{ name: "eth0" }] }));
    await b.settled();
    expect(announced(b, "nginxlb")).toEqual({
      type: "lodestone.dev/Announced",
      status: "True",
      reason: "Announced",
      message: "announced by node node-a on eth0 (layer2)",
      lastTransitionTime: "2026-11-22T01:00:01Z",
    });
    // The announcing node's object goes (it stopped, or the survivors removed a dead node's): back to False.
    b.api.remove("ServiceL2Status", NS, "l2-abcde");
    b.put("ServiceBGPStatus", report("bgp-fghij", "node-b", { peers: ["r1", "r2"] }));
    b.put("ServiceBGPStatus", report("bgp-klmno", "node-a", { peers: ["r1"] }));
    await b.settled();
    expect(announced(b, "nginxlb")).toMatchObject({ status: "True", message: "announced by node node-a to peers r1, node node-b to peers r1,r2 (bgp)" });
    b.api.remove("ServiceBGPStatus", NS, "bgp-fghij");
    b.api.remove("ServiceBGPStatus", NS, "bgp-klmno");
    await b.settled();
    expect(announced(b, "nginxlb")).toMatchObject({ status: "False", reason: "NotAnnounced" });
    // Status objects of other namespaces are not the speakers' (the controller reads the Lodestone namespace only).
    b.put("ServiceL2Status", { ...report("l2-elsewhere", "node-a", { interfaces: [] }), metadata: { name: "l2-elsewhere", namespace: "default" } });
    await b.settled();
    expect(announced(b, "nginxlb")).toMatchObject({ status: "False", reason: "NotAnnounced" });
  });

  it("takes the condition away with the IP", async () => {
    const b = await withExamplePool();
    b.putAll(exampleObjects("lb-service.yaml"));
    b.put("ServiceL2Status", report("l2-abcde", "node-a", { interfaces: [{ name: "eth0" }] }));
    await b.settled();
    expect(announced(b, "nginxlb")).toMatchObject({ status: "True" });
    b.put("Service", { ...b.svc("nginxlb"), spec: { ...(b.svc("nginxlb").spec as object), type: "ClusterIP" } });
    await b.settled();
    expect(announced(b, "nginxlb")).toBeUndefined();
  });
});

describe("changes", () => {
  it("moves IPs when a pool is edited, with ClearAssignment and IPAllocated events", async () => {
    bench = new Bench();
    const b = bench;
    b.put("IPAddressPool", pool("p", ["192.168.172.160-192.168.172.169"]));
    await b.start();
    b.put("Service", service("mover"));
    await b.settled();
    expect(b.ingress("mover")).toEqual(["192.168.172.160"]);
    b.clock.advance(5000);
    b.put("IPAddressPool", pool("p", ["192.168.172.200-192.168.172.209"]));
    await b.settled();
    expect(b.ingress("mover")).toEqual(["192.168.172.200"]);
    expect(b.events("mover")).toEqual([
      'Normal IPAllocated: Assigned IP ["192.168.172.160"]',
      'Normal ClearAssignment: clearing ["192.168.172.160"]: "192.168.172.160" is not allowed in config',
      'Normal IPAllocated: Assigned IP ["192.168.172.200"]',
    ]);
    // Still allocated: the condition did not flip, so its transition time stays.
    expect(b.condition("mover")).toMatchObject({ message: "allocated 192.168.172.200 from pool p", lastTransitionTime: T0 });
  });

  it("frees the IP of a deleted Service and gives it to a pending one", async () => {
    bench = new Bench();
    const b = bench;
    b.put("IPAddressPool", pool("tiny", ["192.168.172.160/32"]));
    await b.start();
    b.put("Service", service("first"));
    b.put("Service", service("second"));
    await b.settled();
    expect(b.condition("second")).toMatchObject({ status: "False", reason: "PoolExhausted", message: 'no available IPs in pool "tiny"' });
    b.clock.advance(61_000);
    b.api.remove("Service", "default", "first");
    await b.settled();
    expect(b.ingress("second")).toEqual(["192.168.172.160"]);
    expect(b.condition("second")).toEqual({
      type: "lodestone.dev/IPAllocated",
      status: "True",
      reason: "Allocated",
      message: "allocated 192.168.172.160 from pool tiny",
      lastTransitionTime: "2026-11-22T01:01:01Z",
    });
  });

  it("removes ingress, annotation and condition when a Service stops being a LoadBalancer, and frees the IP", async () => {
    bench = new Bench();
    const b = bench;
    b.put("IPAddressPool", pool("tiny", ["192.168.172.160/32"]));
    await b.start();
    b.put("Service", service("changer"));
    b.put("Service", service("waiting"));
    await b.settled();
    const current = b.svc("changer");
    b.put("Service", { ...current, spec: { ...(current.spec as object), type: "ClusterIP" } });
    await b.settled();
    expect(b.svc("changer").status).toEqual({ loadBalancer: {} });
    expect(b.svc("changer").metadata?.annotations).toEqual({});
    expect(b.ingress("waiting")).toEqual(["192.168.172.160"]);
  });

  it("ignores Services of another loadBalancerClass", async () => {
    const b = await withExamplePool();
    b.put("Service", service("other", { loadBalancerClass: "example.com/lb" }));
    await b.settled();
    expect(b.writesTo("other")).toEqual([]);
  });

  it("warns about deprecated annotations once", async () => {
    const b = await withExamplePool();
    b.put("Service", service("old", { annotations: { "metallb.universe.tf/address-pool": "lb-ip-pool" } }));
    await b.settled();
    b.put("Service", service("old", { annotations: { "metallb.universe.tf/address-pool": "lb-ip-pool" }, ports: [81] }));
    await b.settled();
    expect(b.events("old")).toEqual([
      'Normal IPAllocated: Assigned IP ["192.168.172.160"]',
      "Warning deprecatedAnnotation: annotation metallb.universe.tf/address-pool is deprecated, use metallb.io/address-pool instead",
    ]);
  });
});

describe("pool status and metrics", () => {
  it("writes exact counters, capped at int64 max", async () => {
    bench = new Bench();
    const b = bench;
    b.put("IPAddressPool", pool("lb-ip-pool", ["192.168.172.160-192.168.172.169", "2001:db8::/64"]));
    await b.start();
    b.put("Service", service("a"));
    b.put("Service", service("b"));
    await b.settled();
    expect(b.api.get("IPAddressPool", NS, "lb-ip-pool")?.status).toEqual({
      assignedIPv4: 2n,
      assignedIPv6: 0n,
      availableIPv4: 8n,
      availableIPv6: INT64_MAX,
    });
    // At start-up (nothing assigned), then once for both Services (queued writes of one key coalesce).
    expect(b.api.done("patchPoolStatus").map(w => (w.body as { assignedIPv4: bigint }).assignedIPv4)).toEqual([0n, 2n]);
  });

  it("exports MetalLB's metric names with exact values", async () => {
    const b = await withExamplePool();
    b.putAll(exampleObjects("lb-service.yaml"));
    b.putAll(exampleObjects("lb-service2.yaml"));
    await b.settled();
    const pool = { pool: "lb-ip-pool" };
    expect(await b.metric("metallb_allocator_addresses_total", pool)).toBe(10);
    expect(await b.metric("metallb_allocator_ipv4_addresses_total", pool)).toBe(10);
    expect(await b.metric("metallb_allocator_ipv6_addresses_total", pool)).toBe(0);
    expect(await b.metric("metallb_allocator_addresses_in_use_total", pool)).toBe(2);
    expect(await b.metric("metallb_allocator_ipv4_addresses_in_use_total", pool)).toBe(2);
    expect(await b.metric("metallb_allocator_ipv6_addresses_in_use_total", pool)).toBe(0);
    expect(await b.metric("metallb_allocator_services_allocated_total", pool)).toBe(2);
    expect(await b.metric("metallb_k8s_client_config_loaded_bool")).toBe(1);
    expect(await b.metric("metallb_k8s_client_config_stale_bool")).toBe(0);
    expect(await b.metric("metallb_k8s_client_update_errors_total")).toBe(0);
    expect(await b.metric("metallb_k8s_client_updates_total")).toBeGreaterThanOrEqual(2);
  });
});

describe("configuration errors", () => {
  it("keeps the last valid configuration and reports the problem in ConfigurationState", async () => {
    const b = await withExamplePool();
    expect(b.api.get("ConfigurationState", NS, "controller")).toMatchObject({
      metadata: { labels: { "metallb.io/component-type": "controller" } },
      status: {
        result: "Valid",
        errorSummary: "",
        conditions: [
          { type: "configReconcilerValid", status: "True", reason: "Reconciled", message: "", lastTransitionTime: T0 },
          { type: "poolReconcilerValid", status: "True", reason: "Reconciled", message: "", lastTransitionTime: T0 },
        ],
      },
    });
    b.put("Service", service("kept"));
    await b.settled();
    b.clock.advance(2000);
    b.put("IPAddressPool", pool("overlapping", ["192.168.172.164/30"]));
    await b.settled();
    const summary = 'IPAddressPool/overlapping: spec.addresses[0]: CIDR "192.168.172.164/30" in pool "overlapping" overlaps with already defined CIDR "192.168.172.160/29"';
    expect(b.api.get("ConfigurationState", NS, "controller")?.status).toEqual({
      result: "Invalid",
      errorSummary: summary,
      conditions: [
        { type: "configReconcilerValid", status: "False", reason: "ConfigurationError", message: summary, lastTransitionTime: "2026-11-22T01:00:02Z" },
        { type: "poolReconcilerValid", status: "False", reason: "ConfigurationError", message: summary, lastTransitionTime: "2026-11-22T01:00:02Z" },
      ],
    });
    expect(await b.metric("metallb_k8s_client_config_stale_bool")).toBe(1);
    // The stale configuration still serves: a new Service gets an IP from lb-ip-pool.
    b.put("Service", service("new"));
    await b.settled();
    expect(b.ingress("kept")).toEqual(["192.168.172.160"]);
    expect(b.ingress("new")).toEqual(["192.168.172.161"]);
    b.api.remove("IPAddressPool", NS, "overlapping");
    await b.settled();
    expect(b.api.get("ConfigurationState", NS, "controller")?.status).toMatchObject({ result: "Valid", errorSummary: "" });
    expect(await b.metric("metallb_k8s_client_config_stale_bool")).toBe(0);
  });
});

describe("status.loadBalancer.ingress[].ipMode", () => {
  const raw = (b: Bench, name: string) => (b.svc(name).status as { loadBalancer?: { ingress?: unknown[] } }).loadBalancer?.ingress;
  const statusBodies = (b: Bench, name: string) => b.api.writes.filter(w => w.verb === "patchServiceStatus" && w.name === name).map(w => (w.body as { loadBalancer: unknown }).loadBalancer);

  it("is written as VIP where the API server serves it", async () => {
    bench = new Bench();
    bench.api.ingressIPMode = true;
    bench.putAll(exampleObjects("lb-ippool.yaml"));
    await bench.start();
    bench.putAll(exampleObjects("lb-service.yaml"));
    await bench.settled();
    expect(raw(bench, "nginxlb")).toEqual([{ ip: "192.168.172.161", ipMode: "VIP" }]);
    expect(statusBodies(bench, "nginxlb")).toEqual([{ ingress: [{ ip: "192.168.172.161", ipMode: "VIP" }] }]);
  });

  it("is never written where the API server does not serve it (Kubernetes before 1.29)", async () => {
    const b = await withExamplePool();
    b.putAll(exampleObjects("lb-service.yaml"));
    await b.settled();
    expect(raw(b, "nginxlb")).toEqual([{ ip: "192.168.172.161" }]);
    expect(statusBodies(b, "nginxlb")).toEqual([{ ingress: [{ ip: "192.168.172.161" }] }]);
  });

  it("is added to an IP written before (an upgraded cluster), without moving the IP", async () => {
    bench = new Bench();
    bench.api.ingressIPMode = true;
    bench.putAll(exampleObjects("lb-ippool.yaml"));
    bench.put("Service", service("old", { statusIPs: ["192.168.172.165"] }), { withStatus: true });
    await bench.start();
    expect(raw(bench, "old")).toEqual([{ ip: "192.168.172.165", ipMode: "VIP" }]);
  });

  it("stops being written when the server drops it (feature gate off), so the status converges", async () => {
    bench = new Bench();
    bench.api.ingressIPMode = true;
    bench.api.dropsIngressIPMode = true;
    bench.putAll(exampleObjects("lb-ippool.yaml"));
    await bench.start();
    bench.putAll(exampleObjects("lb-service.yaml"));
    await bench.settled();
    bench.putAll(exampleObjects("lb-service2.yaml"));
    await bench.settled();
    expect(raw(bench, "nginxlb")).toEqual([{ ip: "192.168.172.161" }]);
    // One write with ipMode (dropped), none after: the next Service is written without it, and nothing is rewritten.
    const bodies = [...statusBodies(bench, "nginxlb"), ...statusBodies(bench, "nginxlb2")];
    expect(bodies.filter(b => JSON.stringify(b).includes("ipMode"))).toHaveLength(1);
    expect(bodies).toHaveLength(2);
  });
});
