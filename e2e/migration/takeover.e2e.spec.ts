/**
 * Migration from MetalLB (issue 7, acceptance 3): MetalLB's controller and speakers are gone, its CRs
 * (the examples' IPAddressPool and L2Advertisement) and the Services it served are still there,
 * with the IPs it gave them in status.loadBalancer.ingress and the annotations MetalLB users have
 * (old `metallb.universe.tf/*` ones included). Lodestone's controller starts on that and takes over
 * without changing any Service's IP; a new Service gets a free address.
 *
 * A Service whose IP is in no pool any more (its pool was deleted while MetalLB was down) is treated
 * as MetalLB's controller treats it: the assignment is cleared (a ClearAssignment event) and the
 * Service gets a fresh address from the pools, the lowest free one.
 */
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { kubectl, kubectlOk } from "../support/cluster";
import { withoutLodestone } from "../support/without-lodestone";

const examples = join(__dirname, "..", "..", "examples");
const M = "lodestone-e2e-migration";

interface ServiceJson {
  metadata: { name: string; namespace: string; annotations?: Record<string, string> };
  spec: { type?: string };
  status?: { loadBalancer?: { ingress?: { ip: string }[] }; conditions?: { type: string; status: string; reason: string; message: string }[] };
}

/** A LoadBalancer Service as a MetalLB user wrote it; `ports` as "80" or "80,443". */
function serviceYaml(name: string, ports: string, annotations: Readonly<Record<string, string>> = {}, loadBalancerIP?: string): string {
  const notes = Object.entries(annotations).map(([k, v]) => `    ${k}: "${v}"`);
  return `apiVersion: v1
kind: Service
metadata:
  name: ${name}
  namespace: ${M}
${notes.length ? `  annotations:\n${notes.join("\n")}\n` : ""}spec:
  type: LoadBalancer
${loadBalancerIP ? `  loadBalancerIP: ${loadBalancerIP}\n` : ""}  ports: [${ports.split(",").map(p => `{name: p${p}, port: ${p}, targetPort: 80, protocol: TCP}`).join(", ")}]
  selector: {app: nginx}
`;
}

interface LeftService {
  readonly name: string;
  readonly ports: string;
  /** The IP MetalLB wrote into status.loadBalancer.ingress. */
  readonly ip: string;
  readonly loadBalancerIP?: string;
  readonly annotations: Readonly<Record<string, string>>;
}

/** What MetalLB left on each Service before Lodestone started: the status IP and the annotations. */
const LEFT_BY_METALLB: readonly LeftService[] = [
  // lb-service.yaml: asked for .161 in spec.loadBalancerIP; MetalLB 0.14 wrote the metallb.io pool annotation.
  { name: "nginxlb", ports: "80", ip: "192.168.172.161", loadBalancerIP: "192.168.172.161", annotations: { "metallb.io/ip-allocated-from-pool": "lb-ip-pool" } },
  // lb-service2.yaml: the lowest free address, from a MetalLB old enough to write the universe.tf pool annotation.
  { name: "nginxlb2", ports: "8080", ip: "192.168.172.160", annotations: { "metallb.universe.tf/ip-allocated-from-pool": "lb-ip-pool" } },
  // Pool chosen by the pre-0.13 annotation; .162 stays free (the hole the next allocations fill).
  { name: "legacy-pool", ports: "80", ip: "192.168.172.163", annotations: { "metallb.universe.tf/address-pool": "lb-ip-pool", "metallb.io/ip-allocated-from-pool": "lb-ip-pool" } },
  // Two Services sharing one IP through the old annotations (different ports, same sharing key).
  ...["80", "443"].map(port => ({
    name: `shared-${port}`,
    ports: port,
    ip: "192.168.172.164",
    annotations: {
      "metallb.universe.tf/allow-shared-ip": "web",
      "metallb.universe.tf/loadBalancerIPs": "192.168.172.164",
      "metallb.io/ip-allocated-from-pool": "lb-ip-pool",
    },
  })),
];
/** Its pool ("old-pool", 203.0.113.96/28) was deleted while MetalLB was down. */
const ORPHAN: LeftService = { name: "orphan", ports: "80", ip: "203.0.113.99", annotations: { "metallb.io/ip-allocated-from-pool": "old-pool" } };

async function service(name: string): Promise<ServiceJson> {
  return JSON.parse(await kubectlOk(["get", "svc", name, "-n", M, "-o", "json"])) as ServiceJson;
}

const ingressOf = (svc: ServiceJson): string[] => (svc.status?.loadBalancer?.ingress ?? []).map(i => i.ip);

/** Waits (kubectl wait watches) until Lodestone's condition on the Service has `reason`. */
async function waitForReason(name: string, reason: string): Promise<void> {
  await kubectlOk(["wait", "-n", M, `svc/${name}`, `--for=jsonpath={.status.conditions[?(@.type=="lodestone.dev/IPAllocated")].reason}=${reason}`, "--timeout=60s"]);
}

async function events(name: string): Promise<{ reason: string; type: string; message: string }[]> {
  const list = JSON.parse(
    await kubectlOk(["get", "events", "-n", M, "--field-selector", `involvedObject.name=${name},involvedObject.kind=Service`, "-o", "json"]),
  ) as { items: { reason: string; type: string; message: string }[] };
  return list.items.map(({ reason, type, message }) => ({ reason, type, message }));
}

/** The other suites delete their namespaces without waiting: their LoadBalancer Services must be gone
 * before the takeover, or they would compete for the pool's free addresses. */
async function waitForOtherLoadBalancersGone(): Promise<void> {
  const all = JSON.parse(await kubectlOk(["get", "svc", "-A", "-o", "json"])) as { items: ServiceJson[] };
  for (const s of all.items.filter(s => s.spec.type === "LoadBalancer" && s.metadata.namespace !== M)) {
    await kubectlOk(["wait", "--for=delete", `svc/${s.metadata.name}`, "-n", s.metadata.namespace, "--timeout=60s"]);
  }
}

beforeAll(async () => {
  await waitForOtherLoadBalancersGone();
  await withoutLodestone(async () => {
    await kubectlOk(["apply", "-f", "-"], `apiVersion: v1\nkind: Namespace\nmetadata: {name: ${M}}\n`);
    await kubectlOk(["apply", "-f", join(examples, "lb-ippool.yaml")]);
    for (const s of [...LEFT_BY_METALLB, ORPHAN]) {
      await kubectlOk(["apply", "-f", "-"], serviceYaml(s.name, s.ports, s.annotations, s.loadBalancerIP));
      const status = JSON.stringify({ status: { loadBalancer: { ingress: [{ ip: s.ip }] } } });
      await kubectlOk(["patch", "svc", s.name, "-n", M, "--subresource=status", "--type=merge", "-p", status]);
    }
    // Nothing has touched them yet: this is the state Lodestone starts on.
    for (const s of [...LEFT_BY_METALLB, ORPHAN]) expect(ingressOf(await service(s.name))).toEqual([s.ip]);
  });
}, 240_000);

afterAll(async () => {
  await kubectl(["delete", "namespace", M, "--wait=false"]);
  await kubectl(["delete", "-f", join(examples, "lb-ippool.yaml"), "--ignore-not-found"]);
});

describe("taking over from MetalLB", () => {
  it("keeps every IP MetalLB gave, and marks each Service as allocated from the examples' pool", async () => {
    for (const s of LEFT_BY_METALLB) {
      await waitForReason(s.name, "Allocated");
      const svc = await service(s.name);
      expect(ingressOf(svc), s.name).toEqual([s.ip]);
      expect(svc.metadata.annotations?.["metallb.io/ip-allocated-from-pool"], s.name).toBe("lb-ip-pool");
      const condition = svc.status?.conditions?.find(c => c.type === "lodestone.dev/IPAllocated");
      expect(condition, s.name).toMatchObject({ status: "True", reason: "Allocated", message: `allocated ${s.ip} from pool lb-ip-pool` });
    }
  });

  it("raises no allocation events on the Services it kept, only the deprecation warnings MetalLB raises", async () => {
    for (const s of LEFT_BY_METALLB) {
      const seen = await events(s.name);
      expect(seen.filter(e => ["IPAllocated", "ClearAssignment", "AllocationFailed"].includes(e.reason)), s.name).toEqual([]);
    }
    expect(await events("shared-443")).toEqual(
      expect.arrayContaining([
        { reason: "deprecatedAnnotation", type: "Warning", message: "annotation metallb.universe.tf/allow-shared-ip is deprecated, use metallb.io/allow-shared-ip instead" },
        { reason: "deprecatedAnnotation", type: "Warning", message: "annotation metallb.universe.tf/loadBalancerIPs is deprecated, use metallb.io/loadBalancerIPs instead" },
      ]),
    );
  });

  it("a Service whose IP is in no pool any more is cleared and gets the lowest free address, as MetalLB does", async () => {
    await waitForReason(ORPHAN.name, "Allocated");
    const svc = await service(ORPHAN.name);
    expect(ingressOf(svc)).toEqual(["192.168.172.162"]);
    expect(svc.metadata.annotations?.["metallb.io/ip-allocated-from-pool"]).toBe("lb-ip-pool");
    expect(await events(ORPHAN.name)).toEqual(
      expect.arrayContaining([
        { reason: "ClearAssignment", type: "Normal", message: 'clearing ["203.0.113.99"]: "203.0.113.99" is not allowed in config' },
        { reason: "IPAllocated", type: "Normal", message: 'Assigned IP ["192.168.172.162"]' },
      ]),
    );
  });

  it("a new Service gets a free address, none of the taken ones", async () => {
    await kubectlOk(["apply", "-f", "-"], serviceYaml("after-takeover", "80"));
    await waitForReason("after-takeover", "Allocated");
    expect(ingressOf(await service("after-takeover"))).toEqual(["192.168.172.165"]);
  });

  it("kubectl get svc shows the same EXTERNAL-IPs as before the takeover", async () => {
    const out = await kubectlOk(["get", "svc", "-n", M]);
    for (const s of LEFT_BY_METALLB) expect(out).toMatch(new RegExp(`^${s.name}\\s+LoadBalancer\\s+\\S+\\s+${s.ip.replace(/\./g, "\\.")}\\s+${s.ports}:\\d+/TCP`, "m"));
  });
});

