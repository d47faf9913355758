/** Patch engines (recordings/03-patch.md): recorded orderings plus properties over arbitrary JSON. */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { jsonPatch, mergePatch, PatchError, strategicMergePatch } from "./patch";
import type { Json } from "./status";

const keys = (p: string): string | undefined => ({ "spec.ports": "port", "metadata.finalizers": "" })[p];

describe("patches", () => {
  it("§3b $patch: delete removes one list element", () => {
    const out = strategicMergePatch({ spec: { ports: [{ port: 80 }, { port: 53 }] } }, { spec: { ports: [{ port: 53, $patch: "delete" }] } }, keys);
    expect(out).toEqual({ spec: { ports: [{ port: 80 }] } });
  });

  it("§3c $setElementOrder reorders the list", () => {
    const out = strategicMergePatch({ spec: { ports: [{ port: 80 }, { port: 443 }] } }, { spec: { "$setElementOrder/ports": [{ port: 443 }, { port: 80 }] } }, keys);
    expect(out).toEqual({ spec: { ports: [{ port: 443 }, { port: 80 }] } });
  });

  it("$retainKeys and $deleteFromPrimitiveList", () => {
    expect(strategicMergePatch({ spec: { a: 1, b: 2 } }, { spec: { $retainKeys: ["b"], b: 3 } }, keys)).toEqual({ spec: { b: 3 } });
    expect(strategicMergePatch({ metadata: { finalizers: ["x", "y"] } }, { metadata: { "$deleteFromPrimitiveList/finalizers": ["x"] } }, keys)).toEqual({ metadata: { finalizers: ["y"] } });
  });

  it("§1a merge patch replaces lists and deletes with null", () => {
    expect(mergePatch({ a: { b: 1, c: 2 }, l: [1, 2] }, { a: { b: null }, l: [3] })).toEqual({ a: { c: 2 }, l: [3] });
  });

  const json = fc.jsonValue() as fc.Arbitrary<Json>;
  it("merge patch: an empty patch is the identity, and patching with the target itself is idempotent", () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), json), (doc) => {
        expect(mergePatch(doc, {})).toEqual(doc);
        const once = mergePatch(doc, doc);
        expect(mergePatch(once, doc)).toEqual(once);
      }),
    );
  });

  it("JSON patch: arbitrary operations either apply or fail with PatchError, never anything else", () => {
    const op = fc.record({ op: fc.constantFrom("add", "remove", "replace", "move", "copy", "test", "bogus"), path: fc.constantFrom("", "/a", "/a/0", "/a/-", "/b/c", "/x~1y"), from: fc.constantFrom("/a", "/b"), value: json });
    fc.assert(
      fc.property(json, fc.array(op, { maxLength: 5 }), (doc, ops) => {
        try {
          jsonPatch(doc, ops as unknown as Json[]);
        } catch (e) {
          expect(e).toBeInstanceOf(PatchError);
        }
      }),
    );
  });

  it("strategic merge patch never throws on arbitrary patches", () => {
    fc.assert(fc.property(json, json, (doc, patch) => void strategicMergePatch(doc, patch, keys)));
  });
});
