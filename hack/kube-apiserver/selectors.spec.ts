/** Label/field selector parsing (recordings/02-crud.md 3a/3e) with property tests: any input parses or fails cleanly. */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { matchesFields, matchesLabels, parseFieldSelector, parseLabelSelector, SelectorError } from "./selectors";

describe("label selectors", () => {
  const cases: [string, Record<string, string>, boolean][] = [
    ["app=rec-demo,tier in (edge,core)", { app: "rec-demo", tier: "edge" }, true],
    ["app=rec-demo,tier in (edge,core)", { app: "rec-demo", tier: "db" }, false],
    ["app==web", { app: "web" }, true],
    ["app!=web", {}, true],
    ["app!=web", { app: "web" }, false],
    ["tier notin (edge)", { tier: "core" }, true],
    ["tier notin (edge)", {}, true],
    ["app", { app: "" }, true],
    ["!app", { app: "x" }, false],
    ["kubernetes.io/service-name=eps-svc", { "kubernetes.io/service-name": "eps-svc" }, true],
    ["n>3", { n: "4" }, true],
    ["a=in,b notin (in,notin)", { a: "in", b: "x" }, true],
    ["a=in,b notin (in,notin)", { a: "in", b: "notin" }, false],
    ["in=a,notin", { in: "a", notin: "" }, true],
    ["!in", { in: "a" }, false],
    ["notin in (in)", { notin: "in" }, true],
    ["", { anything: "x" }, true],
  ];
  for (const [sel, labels, want] of cases) {
    it(`${JSON.stringify(sel)} on ${JSON.stringify(labels)} is ${want}`, () => {
      expect(matchesLabels(parseLabelSelector(sel), labels)).toBe(want);
    });
  }

  it("02-crud §3e: app=== is rejected with the recorded message", () => {
    expect(() => parseLabelSelector("app===")).toThrow(new SelectorError("unable to parse requirement: found '=', expected: identifier"));
  });

  it("never throws anything but SelectorError, whatever the input", () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom("a", "b", "=", "!", ",", "(", ")", " ", "in", "notin", "/", ".", "-", ">", "1") }), (s) => {
        try {
          parseLabelSelector(s);
        } catch (e) {
          expect(e).toBeInstanceOf(SelectorError);
        }
      }),
    );
  });

  it("k=v selectors built from valid keys and values match exactly the labels they name", () => {
    const key = fc.stringMatching(/^[a-z][a-z0-9]{0,10}$/);
    const value = fc.stringMatching(/^[a-z0-9]{1,10}$/);
    fc.assert(
      fc.property(fc.dictionary(key, value, { minKeys: 1 }), fc.dictionary(key, value), (want, other) => {
        const sel = Object.entries(want)
          .map(([k, v]) => `${k}=${v}`)
          .join(",");
        expect(matchesLabels(parseLabelSelector(sel), { ...other, ...want })).toBe(true);
        const labels = { ...other, ...want };
        const [k0] = Object.keys(want);
        if (k0 !== undefined) delete labels[k0];
        expect(matchesLabels(parseLabelSelector(sel), labels)).toBe(false);
      }),
    );
  });
});

describe("field selectors", () => {
  it("parses =, == and != and matches", () => {
    const reqs = parseFieldSelector("metadata.name=lb1,metadata.namespace==rec,type!=Warning");
    expect(reqs).toEqual([
      { field: "metadata.name", value: "lb1", negate: false },
      { field: "metadata.namespace", value: "rec", negate: false },
      { field: "type", value: "Warning", negate: true },
    ]);
    expect(matchesFields(reqs, { "metadata.name": "lb1", "metadata.namespace": "rec", type: "Normal" })).toBe(true);
    expect(matchesFields(reqs, { "metadata.name": "lb1", "metadata.namespace": "rec", type: "Warning" })).toBe(false);
  });

  it("kubectl describe's escaped selector (involvedObject.*) parses", () => {
    expect(parseFieldSelector("involvedObject.name=ev-svc,involvedObject.kind=Service").map((r) => r.field)).toEqual(["involvedObject.name", "involvedObject.kind"]);
  });

  it("never throws anything but SelectorError", () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        try {
          parseFieldSelector(s);
        } catch (e) {
          expect(e).toBeInstanceOf(SelectorError);
        }
      }),
    );
  });
});
