import { describe, expect, it } from "vitest";
import { matchesSelector } from "./node-selector";

describe("matchesSelector", () => {
  const labels = { zone: "a", ssd: "" };
  it.each([
    [{ matchLabels: {}, matchExpressions: [] }, true],
    [{ matchLabels: { zone: "a" }, matchExpressions: [] }, true],
    [{ matchLabels: { zone: "b" }, matchExpressions: [] }, false],
    [{ matchLabels: {}, matchExpressions: [{ key: "zone", operator: "In" as const, values: ["a", "b"] }] }, true],
    [{ matchLabels: {}, matchExpressions: [{ key: "zone", operator: "NotIn" as const, values: ["a"] }] }, false],
    [{ matchLabels: {}, matchExpressions: [{ key: "rack", operator: "NotIn" as const, values: ["a"] }] }, true],
    [{ matchLabels: {}, matchExpressions: [{ key: "ssd", operator: "Exists" as const, values: [] }] }, true],
    [{ matchLabels: {}, matchExpressions: [{ key: "ssd", operator: "DoesNotExist" as const, values: [] }] }, false],
    [{ matchLabels: {}, matchExpressions: [{ key: "toString", operator: "Exists" as const, values: [] }] }, false],
  ])("%j -> %s", (selector, expected) => {
    expect(matchesSelector(selector, labels)).toBe(expected);
  });
});
