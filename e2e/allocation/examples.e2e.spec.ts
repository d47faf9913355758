/**
 * The articles' examples (examples/), applied with kubectl exactly as users copy them, with
 * the results the articles show: EXTERNAL-IPs, the pool annotation, the events, and Lodestone's
 * condition saying why. Then what users do next: a Service asking for an IP outside every pool,
 * a pool edit, and a controller restart.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyYaml, kubectl, kubectlOk, LODESTONE_NAMESPACE as NS } from "../support/cluster";
import { restartController } from "../support/restart";

const examples = join(__dirname, "..", "..", "examples");
const example = (file: string) => readFileSync(join(examples, file), "utf8");
const A = "lodestone-e2e-examples";
const B = "lodestone-e2e-examples-b";

interface Condition {
  type: string;
  status: string;
  reason: string;
  message: string;
}
interface ServiceJson {
  metadata: { annotations?: Record<string, string> };
  status?: { loadBalancer?: { ingress?: { ip: string }[] }; conditions?: Condition[] };
}

async function service(ns: string, name: string): Promise<ServiceJson> {
  return JSON.parse(await kubectlOk(["get", "svc", name, "-n", ns, "-o", "json"])) as ServiceJson;
}

/** Waits (by watching, through kubectl wait) until the Service's first ingress IP is `ip`. */
async function waitForIP(ns: string, name: string, ip: string): Promise<void> {
  await kubectlOk(["wait", "-n", ns, `svc/${name}`, `--for=jsonpath={.status.loadBalancer.ingress[0].ip}=${ip}`, "--timeout=30s"]);
}

async function waitForCondition(ns: string, name: string, status: string, reason: string): Promise<Condition> {
  await kubectlOk([
    "wait",
    "-n",
    ns,
    `svc/${name}`,
    `--for=jsonpath={.status.conditions[?(@.type=="lodestone.dev/IPAllocated")].reason}=${reason}`,
    "--timeout=30s",
  ]);
  const condition = (await service(ns, name)).status?.conditions?.find(c => c.type === "lodestone.dev/IPAllocated");
  expect(condition?.status).toBe(status);
  return condition!;
}

async function events(ns: string, name: string): Promise<{ reason: string; type: string; message: string }[]> {
  const list = JSON.parse(
    await kubectlOk(["get", "events", "-n", ns, "--field-selector", `involvedObject.name=${name},involvedObject.kind=Service`, "-o", "json"]),
  ) as { items: { reason: string; type: string; message: string }[] };
  return list.items.map(({ reason, type, message }) => ({ reason, type, message }));
}

beforeAll(async () => {
  for (const ns of [A, B]) await kubectlOk(["apply", "-f", "-"], `apiVersion: v1\nkind: Namespace\nmetadata: {name: ${ns}}\n`);
  await kubectlOk(["apply", "-f", join(examples, "lb-ippool.yaml")]);
  await kubectlOk(["apply", "-n", A, "-f", join(examples, "deploy-nginx.yaml")]);
});

afterAll(async () => {
  for (const ns of [A, B]) await kubectl(["delete", "namespace", ns, "--wait=false"]);
  await kubectl(["delete", "-f", join(examples, "lb-ippool.yaml"), "--ignore-not-found"]);
});

describe("the articles' examples", () => {
  it("lb-service.yaml: nginxlb gets the IP it asks for, with the pool annotation, the event and the condition", async () => {
    await kubectlOk(["apply", "-n", A, "-f", "-"], example("lb-service.yaml"));
    await waitForIP(A, "nginxlb", "192.168.172.161");
    const svc = await service(A, "nginxlb");
    expect(svc.status?.loadBalancer?.ingress).toEqual([{ ip: "192.168.172.161" }]);
    expect(svc.metadata.annotations?.["metallb.io/ip-allocated-from-pool"]).toBe("lb-ip-pool");
    const condition = await waitForCondition(A, "nginxlb", "True", "Allocated");
    expect(condition.message).toBe("allocated 192.168.172.161 from pool lb-ip-pool");
    expect(await events(A, "nginxlb")).toContainEqual({ reason: "IPAllocated", type: "Normal", message: 'Assigned IP ["192.168.172.161"]' });
  });

  it("lb-service2.yaml: nginxlb2 gets the lowest free address, 192.168.172.160", async () => {
    await kubectlOk(["apply", "-n", A, "-f", "-"], example("lb-service2.yaml"));
    await waitForIP(A, "nginxlb2", "192.168.172.160");
  });

  it("kubectl get svc shows the EXTERNAL-IPs", async () => {
    const out = await kubectlOk(["get", "svc", "-n", A, "nginxlb", "nginxlb2"]);
    expect(out).toMatch(/^nginxlb\s+LoadBalancer\s+\S+\s+192\.168\.172\.161\s+80:\d+\/TCP/m);
    expect(out).toMatch(/^nginxlb2\s+LoadBalancer\s+\S+\s+192\.168\.172\.160\s+8080:\d+\/TCP/m);
  });

  it("three-services.yaml: only the LoadBalancer Service gets an external IP", async () => {
    await kubectlOk(["delete", "svc", "nginxlb", "-n", A]);
    await kubectlOk(["apply", "-n", B, "-f", "-"], example("three-services.yaml"));
    await waitForIP(B, "nginxlb", "192.168.172.161");
    for (const name of ["nginxcip", "nginxnp"]) {
      const svc = await service(B, name);
      expect(svc.status?.loadBalancer?.ingress ?? []).toEqual([]);
      expect(svc.metadata.annotations?.["metallb.io/ip-allocated-from-pool"]).toBeUndefined();
    }
  });

  it("a Service asking for an IP outside every pool stays pending, and says why", async () => {
    await applyYaml(`apiVersion: v1
kind: Service
metadata: {name: outside, namespace: ${A}}
spec:
  type: LoadBalancer
  loadBalancerIP: 192.168.173.5
  ports: [{port: 80, protocol: TCP}]
  selector: {app: nginx}
`);
    const condition = await waitForCondition(A, "outside", "False", "RequestedIPNotInAnyPool");
    expect(condition.message).toContain('"192.168.173.5" is not allowed in config');
    expect((await service(A, "outside")).status?.loadBalancer?.ingress ?? []).toEqual([]);
    expect((await events(A, "outside")).some(e => e.reason === "AllocationFailed" && e.type === "Warning")).toBe(true);
    expect(await kubectlOk(["get", "svc", "outside", "-n", A])).toMatch(/^outside\s+LoadBalancer\s+\S+\s+<pending>\s+/m);
  });
});

describe("after the examples", () => {
  it("a controller restart keeps every IP", async () => {
    const before = JSON.parse(await kubectlOk(["get", "svc", "-A", "-o", "json"])) as { items: ServiceJson[] };
    await restartController();
    // A Service created after the restart proves the new controller is working; then compare all.
    await applyYaml(`apiVersion: v1
kind: Service
metadata: {name: after-restart, namespace: ${A}}
spec: {type: LoadBalancer, ports: [{port: 81, protocol: TCP}], selector: {app: nginx}}
`);
    await waitForIP(A, "after-restart", "192.168.172.162");
    const after = JSON.parse(await kubectlOk(["get", "svc", "-A", "-o", "json"])) as { items: ServiceJson[] };
    const ips = (l: { items: (ServiceJson & { metadata: { name?: string; namespace?: string } })[] }) =>
      Object.fromEntries(l.items.map(s => [`${s.metadata.namespace}/${s.metadata.name}`, s.status?.loadBalancer?.ingress ?? []]));
    const was = ips(before as never);
    const now = ips(after as never);
    for (const [key, ingress] of Object.entries(was)) expect(now[key], key).toEqual(ingress);
  });

  it("editing the pool moves the Services to addresses of the new range", async () => {
    await kubectlOk(["delete", "svc", "after-restart", "-n", A]);
    await kubectlOk(
      ["apply", "-f", "-"],
      `apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: {name: lb-ip-pool, namespace: ${NS}}
spec:
  addresses: [192.168.172.200-192.168.172.209]
`,
    );
    await waitForIP(A, "nginxlb2", "192.168.172.200");
    const svc = await service(A, "nginxlb2");
    expect(svc.metadata.annotations?.["metallb.io/ip-allocated-from-pool"]).toBe("lb-ip-pool");
  });
});
