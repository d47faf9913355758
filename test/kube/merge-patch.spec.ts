import { describe, expect, it } from "vitest";
import { mergePatch } from "./merge-patch";

describe("mergePatch (RFC 7386)", () => {
  it("merges objects, replaces lists, deletes with null", () => {
    const target = { a: { b: 1, c: [1, 2] }, d: "x", e: { f: 1 } };
    expect(mergePatch(target, { a: { c: [3] }, d: null, e: { g: 2n } })).toEqual({ a: { b: 1, c: [3] }, e: { f: 1, g: 2n } });
    expect(target).toEqual({ a: { b: 1, c: [1, 2] }, d: "x", e: { f: 1 } });
  });
  it("replaces a non-object target and accepts a scalar patch", () => {
    expect(mergePatch("x", { a: { b: null, c: 1 } })).toEqual({ a: { c: 1 } });
    expect(mergePatch({ a: 1 }, [1])).toEqual([1]);
  });
});
