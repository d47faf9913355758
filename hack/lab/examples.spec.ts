import { describe, expect, it } from "vitest";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { EXAMPLE_FILES, examplesDir, labExamples } from "./examples";

// A copy of the examples' shape, so the test does not depend on where the shared examples live.
function fixtureDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "lab-examples-"));
  writeFileSync(join(dir, "lb-ippool.yaml"), "apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata:\n  name: lb-ip-pool\n  namespace: metallb-system\nspec:\n  addresses:\n    - 192.168.172.160-192.168.172.169\n---\napiVersion: metallb.io/v1beta1\nkind: L2Advertisement\nmetadata:\n  name: l2adver\n  namespace: metallb-system\nspec:\n  ipAddressPools:\n    - lb-ip-pool\n");
  writeFileSync(join(dir, "lb-service.yaml"), "apiVersion: v1\nkind: Service\nmetadata:\n  name: nginxlb\nspec:\n  type: LoadBalancer\n  loadBalancerIP: 192.168.172.161\n  ports:\n  - port: 80\n    targetPort: 80\n    protocol: TCP\n    name: http\n");
  writeFileSync(join(dir, "lb-service2.yaml"), "apiVersion: v1\nkind: Service\nmetadata:\n  name: nginxlb2\nspec:\n  type: LoadBalancer\n  ports:\n  - port: 8080\n    targetPort: 80\n    protocol: TCP\n    name: http\n");
  return dir;
}

describe("labExamples", () => {
  it("translates the L2 examples and reads the pool and the LoadBalancer Services", () => {
    const { files, applied } = labExamples(fixtureDir(), "192.0.2", undefined);
    expect([...files.keys()]).toEqual([...EXAMPLE_FILES]);
    expect(files.get("lb-ippool.yaml")).toContain("    - 192.0.2.160-192.0.2.169\n---\n");
    expect(files.get("lb-ippool.yaml")).toContain("kind: L2Advertisement");
    expect(files.get("lb-service.yaml")).toContain("  loadBalancerIP: 192.0.2.161\n");
    expect(applied.pool).toBe("lb-ip-pool");
    expect(applied.poolAddresses).toEqual(Array.from({ length: 10 }, (_, i) => `192.0.2.${160 + i}`));
    expect(applied.services).toEqual([
      { name: "nginxlb", namespace: "default", ports: [{ name: "http", port: 80, protocol: "TCP" }], requestedIP: "192.0.2.161" },
      { name: "nginxlb2", namespace: "default", ports: [{ name: "http", port: 8080, protocol: "TCP" }] },
    ]);
  });

  it("with BGP, replaces the L2Advertisement by a BGPPeer, BFDProfile and BGPAdvertisement of the same pool", () => {
    const bgp = { namespace: "metallb-system", nodeAsn: 64500, routerAsn: 64501, routerAddress: "192.0.2.1", bfd: { receiveIntervalMs: 100, transmitIntervalMs: 100, detectMultiplier: 3 } };
    const { files } = labExamples(fixtureDir(), "198.51.100", bgp);
    const list = { items: parseAllDocuments(files.get("lb-ippool.yaml") ?? "").map((d) => d.toJS() as { kind: string; metadata: { name: string }; spec: Record<string, unknown> }) };
    expect(list.items.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(["IPAddressPool/lb-ip-pool", "BFDProfile/lab-fast", "BGPPeer/lab-router", "BGPAdvertisement/lab-bgp"]);
    expect(list.items[0]?.spec).toEqual({ addresses: ["198.51.100.160-198.51.100.169"] });
    expect(list.items[2]?.spec).toEqual({ myASN: 64500, peerASN: 64501, peerAddress: "192.0.2.1", holdTime: "9s", bfdProfile: "lab-fast" });
    expect(list.items[3]?.spec).toEqual({ ipAddressPools: ["lb-ip-pool"] });
  });

  it("says where it looked when an example is missing", () => {
    const dir = mkdtempSync(join(tmpdir(), "lab-examples-"));
    expect(() => labExamples(dir, "192.0.2", undefined)).toThrow(`example ${join(dir, "lb-ippool.yaml")} not found (set LODESTONE_EXAMPLES to the examples directory)`);
    expect(examplesDir({ LODESTONE_EXAMPLES: dir })).toBe(dir);
  });
});
