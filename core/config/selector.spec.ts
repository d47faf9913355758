import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Issue } from "./problems";
import { isValidLabelKey, isValidLabelValue, matchesSelector, parseLabelSelector, selectorListsCanIntersect, selectorsCanIntersect, selectorString } from "./selector";
import type { LabelSelector } from "./types";

function parse(raw: unknown): { selector?: LabelSelector; problems: string[] } {
  const problems: string[] = [];
  const selector = parseLabelSelector(raw, "sel", (field: string, issue: Issue) => problems.push(`${field}: ${issue.message}`));
  return selector ? { selector, problems } : { problems };
}
const sel = (raw: unknown): LabelSelector => {
  const { selector, problems } = parse(raw);
  if (!selector) throw new Error(problems.join("; "));
  return selector;
};

describe("label keys and values", () => {
  it.each([
    ["app", true],
    ["app.kubernetes.io/name", true],
    ["example.com/a_b-c.d", true],
    ["", false],
    ["/a", false],
    ["Example.com/a", false],
    ["a".repeat(63), true],
    ["a".repeat(64), false],
    ["-a", false],
    ["a/b/c", false],
  ])("key %j valid: %s", (key, valid) => expect(isValidLabelKey(key)).toBe(valid));

  it.each([
    ["", true],
    ["v1.2_x-y", true],
    ["a".repeat(64), false],
    ["a b", false],
    ["x-", false],
  ])("value %j valid: %s", (value, valid) => expect(isValidLabelValue(value)).toBe(valid));
});

describe("parseLabelSelector", () => {
  it("parses matchLabels and matchExpressions", () => {
    expect(parse({ matchLabels: { a: "1" }, matchExpressions: [{ key: "b", operator: "NotIn", values: ["x"] }] })).toEqual({
      selector: { matchLabels: { a: "1" }, matchExpressions: [{ key: "b", operator: "NotIn", values: ["x"] }] },
      problems: [],
    });
  });

  it("reports every problem with its field", () => {
    expect(parse({ matchLabels: "x", matchExpressions: [{ operator: "In", values: [1] }] }).problems).toEqual([
      'sel.matchLabels: Invalid value: "string": sel.matchLabels in body must be of type object: "string"',
      "sel.matchExpressions[0].key: Required value",
      'sel.matchExpressions[0].values[0]: Invalid value: "integer": sel.matchExpressions[0].values[0] in body must be of type string: "integer"',
      'sel.matchExpressions[0].values: Required value: must be specified when operator is "In" or "NotIn" (operator is "In")',
    ]);
    expect(parse(7).problems).toEqual(['sel: Invalid value: "integer": sel in body must be of type object: "integer"']);
  });

  it("prints a canonical text", () => {
    expect(selectorString(sel({ matchLabels: { z: "1", a: "2" }, matchExpressions: [{ key: "k", operator: "DoesNotExist" }, { key: "c", operator: "In", values: ["y", "x"] }] }))).toBe("a=2,z=1,!k,c in (x,y)");
    expect(selectorString(sel({}))).toBe("<all>");
  });

  it("never throws and answers a selector or problems", () => {
    fc.assert(
      fc.property(fc.anything({ key: fc.oneof(fc.string(), fc.constantFrom("matchLabels", "matchExpressions", "key", "operator", "values", "__proto__")) }), raw => {
        const r = parse(raw);
        expect(r.selector !== undefined || r.problems.length > 0).toBe(true);
        if (r.selector) expect(r.problems).toEqual([]);
      }),
    );
  });
});

describe("matching", () => {
  it.each([
    [{ matchLabels: { a: "1" } }, { a: "1", b: "2" }, true],
    [{ matchLabels: { a: "1" } }, { a: "2" }, false],
    [{ matchExpressions: [{ key: "a", operator: "In", values: ["1", "2"] }] }, { a: "2" }, true],
    [{ matchExpressions: [{ key: "a", operator: "In", values: ["1"] }] }, {}, false],
    [{ matchExpressions: [{ key: "a", operator: "NotIn", values: ["1"] }] }, {}, true],
    [{ matchExpressions: [{ key: "a", operator: "NotIn", values: ["1"] }] }, { a: "1" }, false],
    [{ matchExpressions: [{ key: "a", operator: "Exists" }] }, { a: "" }, true],
    [{ matchExpressions: [{ key: "a", operator: "DoesNotExist" }] }, { a: "" }, false],
    [{}, {}, true],
    [{ matchLabels: { constructor: "x" } }, {}, false],
  ])("%j matches %j: %s", (raw, labels, expected) => expect(matchesSelector(sel(raw), labels)).toBe(expected));
});

describe("whether two selectors can select one object", () => {
  it.each([
    [{ matchLabels: { a: "1" } }, { matchLabels: { a: "2" } }, false],
    [{ matchLabels: { a: "1" } }, { matchLabels: { b: "2" } }, true],
    [{ matchLabels: { a: "1" } }, { matchExpressions: [{ key: "a", operator: "NotIn", values: ["1"] }] }, false],
    [{ matchExpressions: [{ key: "a", operator: "In", values: ["1", "2"] }] }, { matchExpressions: [{ key: "a", operator: "NotIn", values: ["1"] }] }, true],
    [{ matchExpressions: [{ key: "a", operator: "Exists" }] }, { matchExpressions: [{ key: "a", operator: "DoesNotExist" }] }, false],
    [{ matchExpressions: [{ key: "a", operator: "NotIn", values: ["1"] }] }, { matchExpressions: [{ key: "a", operator: "DoesNotExist" }] }, true],
    [{ matchLabels: { a: "1" } }, { matchExpressions: [{ key: "a", operator: "DoesNotExist" }] }, false],
    [{}, { matchLabels: { a: "1" } }, true],
  ])("%j and %j: %s", (a, b, expected) => expect(selectorsCanIntersect(sel(a), sel(b))).toBe(expected));

  it("empty lists select everything", () => {
    expect(selectorListsCanIntersect([], [sel({ matchLabels: { a: "1" } })])).toBe(true);
    expect(selectorListsCanIntersect([sel({ matchLabels: { a: "1" } })], [sel({ matchLabels: { a: "2" } }), sel({ matchLabels: { a: "3" } })])).toBe(false);
  });

  // Soundness: whenever some label set matches both, the answer must be "can intersect".
  const key = fc.constantFrom("a", "b", "c");
  const value = fc.constantFrom("1", "2", "3");
  const requirement = fc.oneof(
    fc.record({ key, operator: fc.constantFrom("In", "NotIn"), values: fc.uniqueArray(value, { minLength: 1, maxLength: 3 }) }),
    fc.record({ key, operator: fc.constantFrom("Exists", "DoesNotExist") }),
  );
  const selector = fc.record({ matchLabels: fc.dictionary(key, value, { maxKeys: 2 }), matchExpressions: fc.uniqueArray(requirement, { maxLength: 3, selector: r => JSON.stringify(r) }) });
  const labels = fc.dictionary(fc.constantFrom("a", "b", "c", "d"), fc.constantFrom("1", "2", "3", "4"));

  it("is exact on small label universes", () => {
    fc.assert(
      fc.property(selector, selector, fc.array(labels, { maxLength: 30 }), (ra, rb, samples) => {
        const pa = parse(ra).selector;
        const pb = parse(rb).selector;
        fc.pre(pa !== undefined && pb !== undefined); // the generator can repeat an expression, which is invalid
        const a = pa as LabelSelector;
        const b = pb as LabelSelector;
        if (samples.some(l => matchesSelector(a, l) && matchesSelector(b, l))) expect(selectorsCanIntersect(a, b)).toBe(true);
        // And when it says yes, a witness exists among the values in play (or "4", one outside every list).
        if (selectorsCanIntersect(a, b)) {
          const universe: Record<string, string | undefined>[] = [{}];
          for (const k of ["a", "b", "c"]) {
            const next: Record<string, string | undefined>[] = [];
            for (const partial of universe) for (const v of [undefined, "1", "2", "3", "4"]) next.push({ ...partial, [k]: v });
            universe.splice(0, universe.length, ...next);
          }
          const witness = universe.map(u => Object.fromEntries(Object.entries(u).filter((e): e is [string, string] => e[1] !== undefined))).some(l => matchesSelector(a, l) && matchesSelector(b, l));
          expect(witness).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });
});
