import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isDateTime, validateSchema } from "./schema";

describe("isDateTime (kube-openapi strfmt's date-time grammar)", () => {
  it.each(["2026-11-22T00:00:00Z", "2026-11-22t00:00:00z", "2026-11-22T23:59:59.123456789+02:00", "2024-02-29T12:00:00-07:30"])("accepts %s", (text) => {
    expect(isDateTime(text)).toBe(true);
  });

  it.each(["yesterday", "", "2026", "2026-11-22", "2026-11-22T00:00:00", "2026-11-22 00:00:00Z", "2026-11-22T24:00:00Z", "2026-11-22T00:60:00Z", "2026-11-22T00:00:60Z", "2026-13-01T00:00:00Z", "2023-02-29T00:00:00Z", "2026-11-31T00:00:00Z", "26-11-22T00:00:00Z", "2026-11-22T00:00:00+0200"])(
    "refuses %j",
    (text) => {
      expect(isDateTime(text)).toBe(false);
    },
  );

  it("accepts every instant as JavaScript writes it (toISOString) and never throws on other text", () => {
    fc.assert(fc.property(fc.date({ min: new Date("0001-01-01T00:00:00Z"), max: new Date("9999-12-31T23:59:59Z"), noInvalidDate: true }), (d) => isDateTime(d.toISOString())));
    fc.assert(fc.property(fc.string(), (text) => typeof isDateTime(text) === "boolean"));
  });
});

describe("validateSchema", () => {
  const labels = { type: "object", additionalProperties: { type: "string" } };

  it("checks a map key named like an Object.prototype member against additionalProperties", () => {
    expect(validateSchema({ constructor: 1, toString: "x" }, labels, undefined, "matchLabels", false)).toEqual([
      { reason: "FieldValueTypeInvalid", message: 'Invalid value: "integer": matchLabels.constructor in body must be of type string: "integer"', field: "matchLabels.constructor" },
    ]);
  });

  it("checks format date-time only on strings, with the API server's message", () => {
    const schema = { type: "string", format: "date-time" };
    expect(validateSchema("2026-12-06T04:00:00Z", schema, undefined, "since", false)).toEqual([]);
    expect(validateSchema("now", schema, undefined, "since", false)).toEqual([
      { reason: "FieldValueInvalid", message: 'Invalid value: "now": since in body must be of type date-time: "now"', field: "since" },
    ]);
  });
});
