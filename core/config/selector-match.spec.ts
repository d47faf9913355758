/** matchesSelector over one label set: every operator, matchLabels and both together (the allocator's serviceAllocation selectors use it). */
import { describe, expect, it } from "vitest";
import { matchesSelector } from "./selector";

describe("matchesSelector", () => {
  const labels = { tier: "gold", team: "a" };
  it.each([
    [{ matchLabels: {}, matchExpressions: [] }, true],
    [{ matchLabels: { tier: "gold" }, matchExpressions: [] }, true],
    [{ matchLabels: { tier: "silver" }, matchExpressions: [] }, false],
    [{ matchLabels: {}, matchExpressions: [{ key: "team", operator: "In" as const, values: ["a", "b"] }] }, true],
    [{ matchLabels: {}, matchExpressions: [{ key: "team", operator: "In" as const, values: ["b"] }] }, false],
    [{ matchLabels: {}, matchExpressions: [{ key: "team", operator: "NotIn" as const, values: ["b"] }] }, true],
    [{ matchLabels: {}, matchExpressions: [{ key: "zone", operator: "NotIn" as const, values: ["b"] }] }, true],
    [{ matchLabels: {}, matchExpressions: [{ key: "team", operator: "NotIn" as const, values: ["a"] }] }, false],
    [{ matchLabels: {}, matchExpressions: [{ key: "team", operator: "Exists" as const, values: [] }] }, true],
    [{ matchLabels: {}, matchExpressions: [{ key: "zone", operator: "Exists" as const, values: [] }] }, false],
    [{ matchLabels: {}, matchExpressions: [{ key: "zone", operator: "DoesNotExist" as const, values: [] }] }, true],
    [{ matchLabels: { tier: "gold" }, matchExpressions: [{ key: "team", operator: "DoesNotExist" as const, values: [] }] }, false],
  ])("%j -> %s", (selector, expected) => {
    expect(matchesSelector(selector, labels)).toBe(expected);
  });
});
