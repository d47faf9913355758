/**
 * Drives the admission table as the module process serves it (core/admission/review.ts) with
 * AdmissionRequests shaped exactly as kube-apiserver sends them (hack/kube-apiserver/recordings/08-admission.md,
 * sections 2a, 3a, 4a and 8a).
 */
import { beforeEach, describe, expect, it, vi } from "vitest";
import type { ConfigObject } from "../../core/admission/config-admission";
import { answerMutate, answerValidate, type AdmissionRequest } from "../../core/admission/review";
import { reservedCidr, type ReservedRange } from "../../core/net/special";
import type { ApiRequest } from "../../kube/api-request";

const existing: ConfigObject[] = [];
const clusterReserved: ReservedRange[] = [];
vi.mock("../../kube/existing-config", () => ({ listConfigObjects: async () => existing, readClusterReserved: async () => clusterReserved }));

const { ADMISSION_BINDINGS } = await import("./index");

type Operation = "CREATE" | "UPDATE" | "DELETE";

const noApi: ApiRequest = () => Promise.reject(new Error("the table's handlers read the cluster through existing-config only"));
const context = { api: noApi, lodestoneNamespace: "metallb-system" };

function admissionRequest(operation: Operation, object: ConfigObject | null, oldObject: ConfigObject | null = null): AdmissionRequest {
  const subject = (object ?? oldObject)!;
  const [group, version] = String(subject.apiVersion).includes("/") ? String(subject.apiVersion).split("/") : ["", String(subject.apiVersion)];
  const gvk = { group: group ?? "", version: version ?? "v1", kind: String(subject.kind) };
  return {
    uid: "0ceccc2f-4a22-4b19-81d4-48afa37e8781",
    kind: gvk,
    resource: { group: gvk.group, version: gvk.version, resource: `${gvk.kind.toLowerCase()}s` },
    requestKind: gvk,
    name: String(subject.metadata?.name),
    namespace: subject.metadata?.namespace,
    operation,
    userInfo: { username: "admin-token", uid: "admin-token-uid", groups: ["system:masters", "system:authenticated"] },
    object,
    oldObject,
    dryRun: false,
    options: { kind: `${operation[0]}${operation.slice(1).toLowerCase()}Options`, apiVersion: "meta.k8s.io/v1" },
  } as AdmissionRequest;
}

/** What the validating webhook answers: allowed, its warnings, and the message when it refuses. */
async function validate(operation: Operation, object: ConfigObject | null, oldObject: ConfigObject | null = null) {
  const { response } = await answerValidate(ADMISSION_BINDINGS, admissionRequest(operation, object, oldObject), context);
  expect(response.uid).toBe("0ceccc2f-4a22-4b19-81d4-48afa37e8781");
  return { allowed: response.allowed, warnings: response.warnings ?? [], ...(response.allowed ? {} : { message: response.status?.message }) };
}

const pool = (name: string, addresses: string[], namespace = "metallb-system"): ConfigObject => ({
  apiVersion: "metallb.io/v1beta1",
  kind: "IPAddressPool",
  metadata: { name, namespace },
  spec: { addresses },
});

beforeEach(() => {
  existing.length = 0;
  clusterReserved.length = 0;
});

describe("config webhooks", () => {
  it("approve the examples' pool", async () => {
    const res = await validate("CREATE", pool("lb-ip-pool", ["192.168.172.160-192.168.172.169"]));
    expect(res).toEqual({ allowed: true, warnings: [] });
  });

  it("refuse every kind outside the Lodestone namespace on CREATE", async () => {
    for (const [kind, apiVersion, spec] of [
      ["IPAddressPool", "metallb.io/v1beta1", { addresses: ["192.0.2.0/28"] }],
      ["L2Advertisement", "metallb.io/v1beta1", {}],
      ["BGPAdvertisement", "metallb.io/v1beta1", {}],
      ["BGPPeer", "metallb.io/v1beta2", { myASN: 64500, peerASN: 64501, peerAddress: "192.0.2.1" }],
      ["BFDProfile", "metallb.io/v1beta1", {}],
      ["Community", "metallb.io/v1beta1", { communities: [] }],
    ] as const) {
      const res = await validate("CREATE", { apiVersion, kind, metadata: { name: "x", namespace: "default" }, spec });
      expect(res).toMatchObject({ allowed: false, message: `${kind}/x: resource must be created in metallb-system namespace` });
    }
  });

  it("refuse a pool overlapping an existing one, naming both", async () => {
    existing.push(pool("first", ["192.0.2.0/28"]));
    const res = await validate("CREATE", pool("second", ["192.0.2.8/29"]));
    expect(res.allowed).toBe(false);
    expect(res.message).toContain('CIDR "192.0.2.8/29" in pool "second" overlaps with already defined CIDR "192.0.2.0/28"');
  });

  it("refuse a pool of special addresses only, and admit one that overlaps them with a warning", async () => {
    const refused = await validate("CREATE", pool("loopback", ["127.0.0.0/8"]));
    expect(refused).toMatchObject({
      allowed: false,
      message: "IPAddressPool/loopback: spec.addresses: every address of the pool is one that is never handed out (127.0.0.0/8 loopback): the pool could never serve a Service",
    });
    const wide = await validate("CREATE", pool("wide", ["0.0.0.0/0"]));
    expect(wide.allowed).toBe(true);
    expect(wide.warnings).toEqual([
      'IPAddressPool/wide: spec.addresses[0]: "0.0.0.0/0" overlaps addresses that are never handed out (255.255.255.255/32 limited broadcast; 0.0.0.0/8 this network; 127.0.0.0/8 loopback; 169.254.0.0/16 link-local; 224.0.0.0/4 multicast; 240.0.0.0/4 reserved): they are skipped',
    ]);
  });

  it("refuse an L2Advertisement whose gratuitous-interval annotation is out of bounds, and admit a good one", async () => {
    const l2 = (interval: string): ConfigObject => ({
      apiVersion: "metallb.io/v1beta1",
      kind: "L2Advertisement",
      metadata: { name: "aging", namespace: "metallb-system", annotations: { "lodestone.dev/gratuitous-interval": interval } },
      spec: {},
    });
    expect(await validate("CREATE", l2("500ms"))).toMatchObject({
      allowed: false,
      message: 'L2Advertisement/aging: metadata.annotations[lodestone.dev/gratuitous-interval]: invalid interval "500ms": must be a duration from 1s to 1h (such as 30s or 5m), or 0 for none',
    });
    expect(await validate("CREATE", l2("60s"))).toEqual({ allowed: true, warnings: [] });
  });

  it("refuse a pool inside the cluster's Service range read from the API", async () => {
    clusterReserved.push(reservedCidr("10.96.0.0/12", "the cluster's Service range, ServiceCIDR kubernetes"));
    const res = await validate("CREATE", pool("services", ["10.96.0.0/24"]));
    expect(res).toMatchObject({
      allowed: false,
      message:
        "IPAddressPool/services: spec.addresses: every address of the pool is one that is never handed out (10.96.0.0/12 the cluster's Service range, ServiceCIDR kubernetes): the pool could never serve a Service",
    });
  });

  it("judge an UPDATE without the object's old version", async () => {
    const old = pool("first", ["192.0.2.0/28"]);
    existing.push(old);
    const res = await validate("UPDATE", pool("first", ["192.0.2.0/27"]), old);
    expect(res).toEqual({ allowed: true, warnings: [] });
  });

  it("do not refuse a candidate for problems the cluster already had", async () => {
    existing.push(pool("a", ["192.0.2.0/28"]), pool("b", ["192.0.2.0/28"]));
    const res = await validate("CREATE", pool("c", ["198.51.100.0/28"]));
    expect(res).toEqual({ allowed: true, warnings: [] });
  });

  it("let a BGPPeer reference a BFDProfile that does not exist yet (order-dependent)", async () => {
    const res = await validate("CREATE", {
      apiVersion: "metallb.io/v1beta2",
      kind: "BGPPeer",
      metadata: { name: "router", namespace: "metallb-system" },
      spec: { myASN: 64500, peerASN: 64501, peerAddress: "192.0.2.1", bfdProfile: "later" },
    });
    expect(res).toEqual({ allowed: true, warnings: [] });
  });

  it("refuse deleting a BFDProfile while a BGPPeer uses it", async () => {
    const profile = { apiVersion: "metallb.io/v1beta1", kind: "BFDProfile", metadata: { name: "fast", namespace: "metallb-system" }, spec: {} };
    existing.push(profile, {
      apiVersion: "metallb.io/v1beta2",
      kind: "BGPPeer",
      metadata: { name: "router", namespace: "metallb-system" },
      spec: { myASN: 64500, peerASN: 64501, peerAddress: "192.0.2.1", bfdProfile: "fast" },
    });
    const res = await validate("DELETE", null, profile);
    expect(res).toMatchObject({ allowed: false, message: "failed to delete BFDProfile fast, used by BGPPeer router" });
    existing.splice(1, 1);
    expect(await validate("DELETE", null, profile)).toEqual({ allowed: true, warnings: [] });
  });
});

describe("service webhooks", () => {
  const service = (annotations: Record<string, string>, extra: Record<string, unknown> = {}): ConfigObject => ({
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: "nginxlb", namespace: "default", annotations },
    spec: { type: "LoadBalancer", clusterIP: "10.96.0.10", clusterIPs: ["10.96.0.10"], ipFamilies: ["IPv4"], ports: [{ port: 80, protocol: "TCP" }], ...extra },
  });

  it("copy deprecated annotations to their metallb.io keys (mutate), as a JSON Patch", () => {
    const { response } = answerMutate(ADMISSION_BINDINGS, admissionRequest("CREATE", service({ "metallb.universe.tf/address-pool": "lb-ip-pool" })));
    expect(response).toEqual({
      uid: "0ceccc2f-4a22-4b19-81d4-48afa37e8781",
      allowed: true,
      patchType: "JSONPatch",
      patch: Buffer.from('[{"op":"add","path":"/metadata/annotations/metallb.io~1address-pool","value":"lb-ip-pool"}]').toString("base64"),
    });
  });

  it("patch nothing where nothing is deprecated, or the new key is already set", () => {
    for (const annotations of [{}, { "metallb.io/address-pool": "a", "metallb.universe.tf/address-pool": "b" }] as Record<string, string>[]) {
      expect(answerMutate(ADMISSION_BINDINGS, admissionRequest("UPDATE", service(annotations), service(annotations))).response).toEqual({
        uid: "0ceccc2f-4a22-4b19-81d4-48afa37e8781",
        allowed: true,
      });
    }
  });

  it("never refuse a Service, and warn about its annotations", async () => {
    const res = await validate("CREATE", service({ "metallb.universe.tf/allow-shared-ip": "k", "metallb.io/loadBalancerIPs": "192.0.2.1,192.0.2.2" }));
    expect(res.allowed).toBe(true);
    expect(res.warnings).toEqual([
      "annotation metallb.universe.tf/allow-shared-ip is deprecated, use metallb.io/allow-shared-ip",
      expect.stringMatching(/^Service default\/nginxlb will get no load-balancer IP: /),
    ]);
  });

  it("stay silent for Services that are not Lodestone's", async () => {
    const res = await validate("CREATE", service({ "metallb.io/loadBalancerIPs": "bogus" }, { type: "ClusterIP" }));
    expect(res).toEqual({ allowed: true, warnings: [] });
  });
});

describe("BGPPeer updates", () => {
  it("refuse changing enableGracefulRestart, which the session cannot renegotiate", async () => {
    const old = {
      apiVersion: "metallb.io/v1beta2",
      kind: "BGPPeer",
      metadata: { name: "router", namespace: "metallb-system" },
      spec: { myASN: 64500, peerASN: 64501, peerAddress: "192.0.2.1" },
    };
    existing.push(old);
    const res = await validate("UPDATE", { ...old, spec: { ...old.spec, enableGracefulRestart: true } }, old);
    expect(res.allowed).toBe(false);
    expect(res.message).toMatch(/^BGPPeer\/router: spec\.enableGracefulRestart: /);
  });
});
