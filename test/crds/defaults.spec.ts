import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { crdFor } from "../../crds/index";
import { applyDefaults as defaultInPlace, prune as pruneInPlace } from "../../hack/kube-apiserver/schema";
import type { Json, JsonObject } from "../../hack/kube-apiserver/status";

// The local API server's defaulting and pruning (in place, as it decodes a write), on copies.
const applyDefaults = (schema: unknown, value: unknown): unknown => defaultInPlace(structuredClone(value) as Json, schema as JsonObject);
function prune(schema: unknown, value: unknown): { value: unknown; removed: string[] } {
  const copy = structuredClone(value) as Json;
  return { value: copy, removed: pruneInPlace(copy, schema as JsonObject) };
}

const schemaOf = (kind: string, version?: string) => {
  const crd = crdFor(kind);
  const v = version ? crd.spec.versions.find((x) => x.name === version) : crd.spec.versions[0];
  if (!v) throw new Error(`no ${kind} ${version ?? ""}`);
  return v.schema.openAPIV3Schema;
};

describe("applyDefaults", () => {
  it("fills in a pool's defaults as the recorded API server did (hack/kube-apiserver/recordings/07-crd.md 4)", () => {
    const sent = { apiVersion: "metallb.io/v1beta1", kind: "IPAddressPool", metadata: { name: "pool-a" }, spec: { addresses: ["192.168.10.0/24"] } };
    expect(applyDefaults(schemaOf("IPAddressPool"), sent)).toEqual({ ...sent, spec: { addresses: ["192.168.10.0/24"], autoAssign: true, avoidBuggyIPs: false } });
  });

  it("keeps values that are set and fills only the defaults the schema has", () => {
    const peer = { spec: { myASN: 1, peerPort: 1179 } };
    expect(applyDefaults(schemaOf("BGPPeer", "v1beta2"), peer)).toEqual({ spec: { myASN: 1, peerPort: 1179, disableMP: false, dualStackAddressFamily: false } });
    expect(applyDefaults(schemaOf("BGPAdvertisement"), { spec: {} })).toEqual({ spec: { aggregationLength: 32, aggregationLengthV6: 128 } });
    expect(applyDefaults(schemaOf("BGPPeer", "v1beta1"), { spec: { myASN: 1 } })).toEqual({ spec: { myASN: 1 } });
  });

  it("does not create a missing spec, and never changes its input", () => {
    fc.assert(
      fc.property(fc.anything(), (spec) => {
        const input = { spec };
        const before = JSON.stringify(input);
        const out = applyDefaults(schemaOf("IPAddressPool"), input) as { spec: unknown };
        expect(JSON.stringify(input)).toBe(before);
        if (spec === null || typeof spec !== "object" || Array.isArray(spec)) expect(out.spec).toEqual(spec);
      }),
    );
  });
});

describe("prune", () => {
  it("drops unknown fields and names them as the recorded API server warned (hack/kube-apiserver/recordings/07-crd.md 5e)", () => {
    const sent = { apiVersion: "metallb.io/v1beta1", kind: "IPAddressPool", metadata: { name: "unknown-field", labels: { a: "b" } }, spec: { addresses: ["10.1.0.0/30"], bogus: 1 }, bogusTop: true };
    expect(prune(schemaOf("IPAddressPool"), sent)).toEqual({
      value: { apiVersion: "metallb.io/v1beta1", kind: "IPAddressPool", metadata: { name: "unknown-field", labels: { a: "b" } }, spec: { addresses: ["10.1.0.0/30"] } },
      removed: ["bogusTop", "spec.bogus"],
    });
  });

  it("prunes inside lists, keeps map entries, and empties the field-less status structs", () => {
    const sent = {
      spec: { nodeSelectors: [{ matchLabels: { zone: "a" }, matchFields: [] }], preferredNodeSelectors: [{ weight: 1, preference: {}, extra: 1 }] },
      status: { anything: 1 },
    };
    expect(prune(schemaOf("L2Advertisement"), sent)).toEqual({
      value: { spec: { nodeSelectors: [{ matchLabels: { zone: "a" } }], preferredNodeSelectors: [{ weight: 1, preference: {} }] }, status: {} },
      removed: ["spec.nodeSelectors[0].matchFields", "spec.preferredNodeSelectors[0].extra", "status.anything"],
    });
  });

  it("leaves a valid object as it is", () => {
    fc.assert(
      fc.property(fc.array(fc.string()), fc.boolean(), (addresses, autoAssign) => {
        const pool = { apiVersion: "metallb.io/v1beta1", kind: "IPAddressPool", metadata: { name: "p" }, spec: { addresses, autoAssign } };
        expect(prune(schemaOf("IPAddressPool"), pool)).toEqual({ value: pool, removed: [] });
      }),
    );
  });
});
