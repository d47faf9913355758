/**
 * Drives the real kubectl on PATH (1.32 here; hack/setup.sh installs 1.33 where there is none) against the
 * test server: apply (client-side and --server-side), get (EXTERNAL-IP and CRD printer columns), describe with events, edit via KUBE_EDITOR,
 * patch (merge/json/strategic, --subresource=status), delete, wait --for=condition and --for=delete.
 */
import { execFile } from "node:child_process";
import { chmodSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "./testkit";

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

let srv: TestServer;

function kubectl(args: string[], input?: string, env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(
      "kubectl",
      args,
      { env: { ...process.env, KUBECONFIG: srv.kubeconfig, HOME: srv.dir, ...env }, timeout: 30_000 },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
    if (input !== undefined) child.stdin?.end(input);
  });
}

const SERVICE = `apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: default
  labels: {app: web}
spec:
  type: LoadBalancer
  selector: {app: web}
  ports:
  - name: http
    port: 80
    targetPort: 8080
`;

const CRD = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: ipaddresspools.metallb.io
spec:
  group: metallb.io
  names: {plural: ipaddresspools, singular: ipaddresspool, kind: IPAddressPool, listKind: IPAddressPoolList}
  scope: Namespaced
  versions:
  - name: v1beta1
    served: true
    storage: true
    subresources: {status: {}}
    additionalPrinterColumns:
    - {name: Auto Assign, type: boolean, jsonPath: .spec.autoAssign}
    - {name: Addresses, type: string, jsonPath: .spec.addresses}
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            required: [addresses]
            properties:
              addresses: {type: array, items: {type: string}}
              autoAssign: {type: boolean, default: true}
          status:
            type: object
            properties:
              ready: {type: boolean}
              conditions:
                type: array
                items:
                  type: object
                  properties:
                    type: {type: string}
                    status: {type: string}
`;

const POOL = `apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: {name: pool-a, namespace: default}
spec:
  addresses: ["192.0.2.0/28"]
`;

describe("kubectl on PATH against the test apiserver", () => {
  beforeAll(async () => {
    srv = await startTestServer();
  });
  afterAll(async () => {
    await srv.close();
  });

  it("apply -f creates a Service, a second apply is unchanged", async () => {
    expect(await kubectl(["apply", "-f", "-"], SERVICE)).toMatchObject({ code: 0, stdout: "service/web created\n" });
    expect(await kubectl(["apply", "-f", "-"], SERVICE)).toMatchObject({ code: 0, stdout: "service/web unchanged\n" });
  });

  it("get svc shows <pending>, then the ingress IP written through patch --subresource=status", async () => {
    const before = await kubectl(["get", "svc", "web", "--no-headers"]);
    expect(before.stdout).toMatch(/^web\s+LoadBalancer\s+10\.96\.\d+\.\d+\s+<pending>\s+80:3\d{4}\/TCP\s+\d+s\n$/);
    const patched = await kubectl(["patch", "svc", "web", "--subresource=status", "--type=merge", "-p", '{"status":{"loadBalancer":{"ingress":[{"ip":"192.0.2.1"}]}}}']);
    expect(patched).toMatchObject({ code: 0, stdout: "service/web patched\n" });
    const after = await kubectl(["get", "svc", "web", "--no-headers"]);
    expect(after.stdout).toMatch(/^web\s+LoadBalancer\s+\S+\s+192\.0\.2\.1\s+80:/);
  });

  it("apply --server-side migrates the client-side apply ownership and re-applies", async () => {
    const r = await kubectl(["apply", "--server-side", "-f", "-"], SERVICE);
    expect(r).toMatchObject({ code: 0, stdout: "service/web serverside-applied\n", stderr: "" });
    const mf = await kubectl(["get", "svc", "web", "--show-managed-fields", "-o", "jsonpath={range .metadata.managedFields[*]}{.manager}/{.operation} {end}"]);
    // kubectl-patch/Update is the status write of the previous test (a separate status entry).
    expect(mf.stdout.trim().split(" ").sort()).toEqual(["kubectl-last-applied/Apply", "kubectl-patch/Update", "kubectl/Apply"]);
  });

  it("describe svc lists the Service's events", async () => {
    const uid = (await kubectl(["get", "svc", "web", "-o", "jsonpath={.metadata.uid}"])).stdout;
    const event = `apiVersion: v1
kind: Event
metadata: {name: web.17a, namespace: default}
involvedObject: {kind: Service, name: web, namespace: default, uid: ${uid}, apiVersion: v1}
reason: IPAllocated
message: 'Assigned IP ["192.0.2.1"]'
type: Normal
source: {component: lodestone-controller}
count: 1
`;
    expect((await kubectl(["create", "-f", "-"], event)).code).toBe(0);
    const d = await kubectl(["describe", "svc", "web"]);
    expect(d.code).toBe(0);
    expect(d.stdout).toMatch(/Events:\n\s+Type\s+Reason\s+Age\s+From\s+Message\n.*\n\s+Normal\s+IPAllocated\s+\S+\s+lodestone-controller\s+Assigned IP \["192\.0\.2\.1"\]/);
  });

  it("patch with merge, json and strategic types", async () => {
    expect((await kubectl(["patch", "svc", "web", "--type=merge", "-p", '{"metadata":{"labels":{"tier":"edge"}}}'])).code).toBe(0);
    expect((await kubectl(["patch", "svc", "web", "--type=json", "-p", '[{"op":"replace","path":"/spec/sessionAffinity","value":"ClientIP"}]'])).code).toBe(0);
    expect((await kubectl(["patch", "svc", "web", "--type=strategic", "-p", '{"spec":{"ports":[{"port":80,"targetPort":9090}]}}'])).code).toBe(0);
    const r = await kubectl(["get", "svc", "web", "-o", "jsonpath={.metadata.labels.tier} {.spec.sessionAffinity} {.spec.ports[0].name} {.spec.ports[0].targetPort}"]);
    expect(r.stdout).toBe("edge ClientIP http 9090");
  });

  it("edit through KUBE_EDITOR", async () => {
    const editor = join(srv.dir, "editor.sh");
    writeFileSync(editor, "#!/bin/sh\nsed -i 's/tier: edge/tier: core/' \"$1\"\n");
    chmodSync(editor, 0o755);
    const r = await kubectl(["edit", "svc", "web"], undefined, { KUBE_EDITOR: editor });
    expect(r).toMatchObject({ code: 0, stdout: "service/web edited\n" });
    expect((await kubectl(["get", "svc", "web", "-o", "jsonpath={.metadata.labels.tier}"])).stdout).toBe("core");
  });

  it("CRD apply, wait for Established, CR apply, printer columns, status patch and wait --for=condition", async () => {
    expect((await kubectl(["apply", "-f", "-"], CRD)).stdout).toBe("customresourcedefinition.apiextensions.k8s.io/ipaddresspools.metallb.io created\n");
    expect((await kubectl(["wait", "--for=condition=Established", "crd/ipaddresspools.metallb.io", "--timeout=10s"])).code).toBe(0);
    expect((await kubectl(["apply", "-f", "-"], POOL)).stdout).toBe("ipaddresspool.metallb.io/pool-a created\n");
    const get = await kubectl(["get", "ipaddresspools"]);
    expect(get.stdout).toBe('NAME     AUTO ASSIGN   ADDRESSES\npool-a   true          ["192.0.2.0/28"]\n');
    const waiter = kubectl(["wait", "--for=condition=Ready", "ipaddresspool/pool-a", "--timeout=10s"]);
    const patched = await kubectl(["patch", "ipaddresspool", "pool-a", "--subresource=status", "--type=merge", "-p", '{"status":{"conditions":[{"type":"Ready","status":"True"}]}}']);
    expect(patched.code).toBe(0);
    expect(await waiter).toMatchObject({ code: 0, stdout: "ipaddresspool.metallb.io/pool-a condition met\n" });
    // Changing a value the client-side apply owns conflicts, as documented for kubectl; --force-conflicts takes it over.
    const conflicted = await kubectl(["apply", "--server-side", "-f", "-"], POOL.replace("192.0.2.0/28", "192.0.2.16/28"));
    expect(conflicted.stderr).toMatch(/^error: Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using metallb.io\/v1beta1: .spec.addresses\n/);
    expect((await kubectl(["apply", "--server-side", "--force-conflicts", "-f", "-"], POOL.replace("192.0.2.0/28", "192.0.2.16/28"))).code).toBe(0);
    expect((await kubectl(["get", "ipaddresspool", "pool-a", "-o", "jsonpath={.spec.addresses[0]} {.metadata.generation}"])).stdout).toBe("192.0.2.16/28 2");
  });

  it("schema errors come back as kubectl prints them", async () => {
    const r = await kubectl(["apply", "-f", "-"], POOL.replace('addresses: ["192.0.2.0/28"]', "autoAssign: false"));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('The IPAddressPool "pool-a" is invalid: spec.addresses: Required value');
  });

  it("typed-client generators that send protobuf: create namespace, configmap, secret", async () => {
    expect(await kubectl(["create", "namespace", "rec2"])).toMatchObject({ code: 0, stdout: "namespace/rec2 created\n" });
    expect((await kubectl(["-n", "rec2", "create", "configmap", "cm1", "--from-literal=a=b"])).code).toBe(0);
    expect((await kubectl(["-n", "rec2", "create", "secret", "generic", "s1", "--from-literal=x=y"])).code).toBe(0);
    expect((await kubectl(["-n", "rec2", "get", "cm", "cm1", "-o", "jsonpath={.data.a}"])).stdout).toBe("b");
    expect((await kubectl(["-n", "rec2", "get", "secret", "s1", "-o", "jsonpath={.data.x} {.type}"])).stdout).toBe("eQ== Opaque");
  });

  it("delete and wait --for=delete", async () => {
    const waiter = kubectl(["wait", "--for=delete", "svc/web", "--timeout=10s"]);
    expect(await kubectl(["delete", "svc", "web"])).toMatchObject({ code: 0, stdout: 'service "web" deleted\n' });
    expect((await waiter).code).toBe(0);
    expect((await kubectl(["get", "svc", "web"])).stderr).toBe('Error from server (NotFound): services "web" not found\n');
  });
});
