import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { admissionRequestOf, answerMutate, answerValidate, pointerToken, type AdmissionBinding, type AdmissionRequest } from "./review";

const UID = "b16161dc-8342-45e4-94fe-76baade27b44";
const pool = (operation: AdmissionRequest["operation"] = "CREATE"): AdmissionRequest => ({
  uid: UID,
  kind: { group: "metallb.io", version: "v1beta1", kind: "IPAddressPool" },
  name: "pool-a",
  namespace: "metallb-system",
  operation,
  object: { metadata: { name: "pool-a" } },
});

type Ctx = { calls: string[] };
const binding = (over: Partial<AdmissionBinding<Ctx>>): AdmissionBinding<Ctx> => ({ group: "metallb.io", kind: "IPAddressPool", operations: ["CREATE", "UPDATE"], ...over });

describe("answerValidate", () => {
  it("allows what no binding takes, as Pepr's runtime answered", async () => {
    const other = binding({ kind: "BGPPeer", validate: () => ({ allowed: false, message: "never" }) });
    expect(await answerValidate([other], pool(), { calls: [] })).toEqual({
      apiVersion: "admission.k8s.io/v1",
      kind: "AdmissionReview",
      response: { uid: UID, allowed: true, status: { code: 200, message: "no in-scope validations -- allowed!" } },
    });
  });

  it("matches group, kind and operation, and hands the handler the context", async () => {
    const ctx = { calls: [] as string[] };
    const record = (name: string) => (r: AdmissionRequest, c: Ctx) => (c.calls.push(`${name} ${r.operation}`), { allowed: true });
    const bindings = [
      binding({ validate: record("create-update") }),
      binding({ operations: ["DELETE"], validate: record("delete") }),
      binding({ group: "", validate: record("core group") }),
    ];
    await answerValidate(bindings, pool("UPDATE"), ctx);
    await answerValidate(bindings, pool("DELETE"), ctx);
    expect(ctx.calls).toEqual(["create-update UPDATE", "delete DELETE"]);
  });

  it("refuses as MetalLB's webhooks do (403 Forbidden), every refusal's message joined, and keeps every warning", async () => {
    const bindings = [
      binding({ validate: () => ({ allowed: false, message: 'CIDR "192.0.2.8/29" overlaps', warnings: ["w1"] }) }),
      binding({ validate: () => ({ allowed: true, warnings: ["w2"] }) }),
      binding({ validate: () => ({ allowed: false, message: "second" }) }),
    ];
    expect((await answerValidate(bindings, pool(), { calls: [] })).response).toEqual({
      uid: UID,
      allowed: false,
      status: { code: 403, reason: "Forbidden", message: 'CIDR "192.0.2.8/29" overlaps; second' },
      warnings: ["w1", "w2"],
    });
  });

  it("allows with an empty message and no warnings field when there are none", async () => {
    expect((await answerValidate([binding({ validate: () => ({ allowed: true, warnings: [] }) })], pool(), { calls: [] })).response).toEqual({
      uid: UID,
      allowed: true,
      status: { code: 200, message: "" },
    });
  });

  it("refuses, naming the object and the reason, when a handler fails (the config webhook fails closed)", async () => {
    const failing = binding({
      validate: () => Promise.reject(new Error("GET /apis/metallb.io/v1beta1/namespaces/metallb-system/ipaddresspools: connect ECONNREFUSED")),
    });
    expect((await answerValidate([failing], pool(), { calls: [] })).response).toEqual({
      uid: UID,
      allowed: false,
      status: {
        code: 500,
        reason: "InternalError",
        message:
          "Lodestone could not review IPAddressPool metallb-system/pool-a: GET /apis/metallb.io/v1beta1/namespaces/metallb-system/ipaddresspools: connect ECONNREFUSED",
      },
    });
  });
});

describe("answerMutate", () => {
  const service: AdmissionRequest = { uid: UID, kind: { group: "", version: "v1", kind: "Service" }, name: "web", namespace: "default", operation: "CREATE", object: {} };
  const add = (key: string, value: string) => ({ op: "add" as const, path: `/metadata/annotations/${pointerToken(key)}`, value });

  it("sends the bindings' additions as one base64 JSON Patch", () => {
    const bindings = [binding({ group: "", kind: "Service", mutate: () => [add("metallb.io/address-pool", "lb-ip-pool")] }), binding({ group: "", kind: "Service", mutate: () => [add("a~b", "x")] })];
    const { response } = answerMutate(bindings, service);
    expect(response).toMatchObject({ uid: UID, allowed: true, patchType: "JSONPatch" });
    expect(JSON.parse(Buffer.from(response.patch!, "base64").toString("utf8"))).toEqual([
      { op: "add", path: "/metadata/annotations/metallb.io~1address-pool", value: "lb-ip-pool" },
      { op: "add", path: "/metadata/annotations/a~0b", value: "x" },
    ]);
  });

  it("patches nothing on DELETE, and allows", () => {
    const mutate = (): never => {
      throw new Error("not called on DELETE");
    };
    expect(answerMutate([binding({ group: "", kind: "Service", operations: ["DELETE"], mutate })], { ...service, operation: "DELETE" }).response).toEqual({ uid: UID, allowed: true });
  });

  it("allows the object unchanged, with a warning, when a mutation fails", () => {
    const mutate = (): never => {
      throw new Error("annotations is not an object");
    };
    expect(answerMutate([binding({ group: "", kind: "Service", mutate })], service).response).toEqual({
      uid: UID,
      allowed: true,
      warnings: ["Lodestone could not mutate Service default/web: annotations is not an object"],
    });
  });
});

describe("admissionRequestOf", () => {
  it("takes kube-apiserver's AdmissionReview (08-admission.md 2a) and names what is missing otherwise", () => {
    const request = { uid: UID, kind: { group: "", version: "v1", kind: "Service" }, operation: "CREATE", name: "wh-allow", namespace: "rec", object: {} };
    expect(admissionRequestOf({ apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", request })).toBe(request);
    expect(admissionRequestOf(null)).toBe("the body is not an AdmissionReview");
    expect(admissionRequestOf({ apiVersion: "admission.k8s.io/v1" })).toBe("the AdmissionReview has no request");
    expect(admissionRequestOf({ request: { ...request, uid: "" } })).toBe("request.uid is missing");
    expect(admissionRequestOf({ request: { ...request, kind: { kind: "Service" } } })).toBe("request.kind is missing");
    expect(admissionRequestOf({ request: { ...request, operation: "PATCH" } })).toBe("request.operation is not CREATE, UPDATE, DELETE or CONNECT");
    expect(admissionRequestOf({ request: { ...request, name: 7 } })).toBe("request.name is not a string");
  });

  it("never throws on any JSON, and what it accepts has the fields the answer reads", () => {
    const requestish = fc.record(
      {
        uid: fc.oneof(fc.string(), fc.integer()),
        kind: fc.oneof(fc.record({ group: fc.string(), version: fc.string(), kind: fc.string() }), fc.jsonValue()),
        operation: fc.oneof(fc.constantFrom("CREATE", "UPDATE", "DELETE", "CONNECT"), fc.string()),
        name: fc.oneof(fc.string(), fc.jsonValue()),
        namespace: fc.oneof(fc.string(), fc.jsonValue()),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), fc.record({ request: fc.oneof(requestish, fc.jsonValue()) })), body => {
        const r = admissionRequestOf(body);
        if (typeof r === "string") return;
        expect(typeof r.uid).toBe("string");
        expect(typeof r.kind.group).toBe("string");
        expect(typeof r.kind.kind).toBe("string");
        expect(["CREATE", "UPDATE", "DELETE", "CONNECT"]).toContain(r.operation);
      }),
      { numRuns: 2000 },
    );
  });
});
