/** Which Services the controller handles and which pools they may use, through the recording fake. */
import { afterEach, describe, expect, it } from "vitest";
import { Bench, pool, service } from "../test/controller/testing";

let bench: Bench;
afterEach(async () => {
  await bench?.stop();
});

async function started(pools: ReturnType<typeof pool>[], opts: { lbClass?: string } = {}): Promise<Bench> {
  bench = new Bench();
  for (const p of pools) bench.put("IPAddressPool", p);
  await bench.start(opts);
  return bench;
}

describe("which Services", () => {
  it("handles Services in kube-system too", async () => {
    const b = await started([pool("p", ["192.168.172.160/30"])]);
    b.put("Service", service("dns-lb", { namespace: "kube-system" }));
    await b.settled();
    expect(b.ingress("dns-lb", "kube-system")).toEqual(["192.168.172.160"]);
  });

  it("with lbClass, handles only Services of exactly that class", async () => {
    const b = await started([pool("p", ["192.168.172.160/30"])], { lbClass: "lodestone.dev/lb" });
    b.put("Service", service("classless"));
    b.put("Service", service("mine", { loadBalancerClass: "lodestone.dev/lb" }));
    await b.settled();
    expect(b.writesTo("classless")).toEqual([]);
    expect(b.ingress("mine")).toEqual(["192.168.172.160"]);
  });

  it("waits for the first pool before touching Services that already hold IPs", async () => {
    bench = new Bench();
    const b = bench;
    b.put("Service", service("held", { statusIPs: ["192.168.172.162"] }), { withStatus: true });
    await b.start();
    expect(b.writesTo("held")).toEqual([]);
    b.put("IPAddressPool", pool("p", ["192.168.172.160/30"]));
    await b.settled();
    expect(b.ingress("held")).toEqual(["192.168.172.162"]);
    expect(b.events("held")).toEqual([]);
  });

  it("ignores a replayed older version of a Service", async () => {
    const b = await started([pool("p", ["192.168.172.160/30"])]);
    const old = b.put("Service", service("web"));
    await b.settled();
    const writes = b.api.writes.length;
    // The replay of an old list entry must not make the controller think the status is gone.
    (b.api as unknown as { emit: (r: string, p: string, o: unknown) => void }).emit("Service", "MODIFIED", old);
    await b.settled();
    expect(b.api.writes.length).toBe(writes);
  });
});

describe("which pools", () => {
  it("follows namespace labels: a pool for labelled namespaces, re-allocated when the label goes", async () => {
    const b = await started([
      pool("team", ["192.168.172.160/30"], { serviceAllocation: { priority: 1, namespaceSelectors: [{ matchLabels: { team: "blue" } }] } }),
      pool("general", ["192.168.172.200/30"]),
    ]);
    b.put("Namespace", { apiVersion: "v1", kind: "Namespace", metadata: { name: "blue", labels: { team: "blue" } } });
    b.put("Service", service("web", { namespace: "blue" }));
    b.put("Service", service("web", { namespace: "default" }));
    await b.settled();
    expect(b.ingress("web", "blue")).toEqual(["192.168.172.160"]);
    expect(b.ingress("web", "default")).toEqual(["192.168.172.200"]);
    b.put("Namespace", { apiVersion: "v1", kind: "Namespace", metadata: { name: "blue", labels: {} } });
    await b.settled();
    expect(b.ingress("web", "blue")).toEqual(["192.168.172.201"]);
    expect(b.svc("web", "blue").metadata?.annotations).toEqual({ "metallb.io/ip-allocated-from-pool": "general" });
    expect(b.condition("web", "blue")).toMatchObject({ status: "True", message: "allocated 192.168.172.201 from pool general" });
  });

  it("lets two Services with one sharing key and different ports share an IP, and names the holder on a conflict", async () => {
    const b = await started([pool("p", ["192.168.172.160/32"])]);
    const shared = { "metallb.io/allow-shared-ip": "k" };
    b.put("Service", service("http", { annotations: shared, ports: [80] }));
    b.put("Service", service("dns", { annotations: shared, ports: [53] }));
    b.put("Service", service("clash", { annotations: shared, ports: [80], loadBalancerIP: "192.168.172.160" }));
    await b.settled();
    expect(b.ingress("http")).toEqual(["192.168.172.160"]);
    expect(b.ingress("dns")).toEqual(["192.168.172.160"]);
    expect(b.condition("clash")).toMatchObject({ status: "False", reason: "SharingConflict", message: 'port tcp/80 is already in use on "192.168.172.160" by "default/http"' });
  });

  it("clears Services when their pool is deleted", async () => {
    const b = await started([pool("p", ["192.168.172.160/30"]), pool("q", ["192.168.172.200/30"])]);
    b.put("Service", service("web", { annotations: { "metallb.io/address-pool": "p" } }));
    await b.settled();
    b.api.remove("IPAddressPool", "metallb-system", "p");
    await b.settled();
    expect(b.ingress("web")).toEqual([]);
    expect(b.svc("web").metadata?.annotations).toEqual({ "metallb.io/address-pool": "p" });
    expect(b.condition("web")).toMatchObject({ status: "False", reason: "UnknownPool", message: 'unknown pool "p"' });
    expect(b.events("web").slice(1)).toEqual([
      'Normal ClearAssignment: clearing ["192.168.172.160"]: "192.168.172.160" is not allowed in config',
      'Warning AllocationFailed: Failed to allocate IP for "default/web": unknown pool "p"',
    ]);
  });

  it("adds the second family's IP when a PreferDualStack Service's pool gains it", async () => {
    const b = await started([pool("p", ["192.168.172.160/30"])]);
    b.put("Service", service("dual", { clusterIPs: ["10.96.0.5", "fd00::5"], policy: "PreferDualStack" }));
    await b.settled();
    expect(b.ingress("dual")).toEqual(["192.168.172.160"]);
    b.put("IPAddressPool", pool("p", ["192.168.172.160/30", "2001:db8::/126"]));
    await b.settled();
    expect(b.ingress("dual")).toEqual(["192.168.172.160", "2001:db8::"]);
    expect(b.events("dual")).toEqual(['Normal IPAllocated: Assigned IP ["192.168.172.160"]', 'Normal IPAllocated: Assigned additional IP ["2001:db8::"]']);
    expect(b.condition("dual")).toMatchObject({ message: "allocated 192.168.172.160, 2001:db8:: from pool p" });
  });

  it("rewrites the pool annotation when a Service's addresses move to a renamed pool, without moving the IP", async () => {
    const b = await started([pool("old", ["192.168.172.160/30"])]);
    b.put("Service", service("web"));
    await b.settled();
    // The new pool overlaps the old one: invalid (stale) until the old one goes.
    b.put("IPAddressPool", pool("new", ["192.168.172.160/30"]));
    await b.settled();
    expect(b.svc("web").metadata?.annotations).toEqual({ "metallb.io/ip-allocated-from-pool": "old" });
    b.api.remove("IPAddressPool", "metallb-system", "old");
    await b.settled();
    expect(b.ingress("web")).toEqual(["192.168.172.160"]);
    expect(b.svc("web").metadata?.annotations).toEqual({ "metallb.io/ip-allocated-from-pool": "new" });
    expect(b.condition("web")).toMatchObject({ message: "allocated 192.168.172.160 from pool new" });
    expect(b.events("web")).toEqual(['Normal IPAllocated: Assigned IP ["192.168.172.160"]']);
  });
});
