import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ApiError, ConflictError, NotFoundError } from "./controller-port";
import { apiError, jsonWithInt64 } from "./kfc-api";

describe("jsonWithInt64", () => {
  it("writes bigints as exact integer literals and everything else as JSON.stringify does", () => {
    expect(jsonWithInt64({ status: { assignedIPv4: 2n ** 64n - 1n, availableIPv6: -3n, name: "p" } })).toBe(
      '{"status":{"assignedIPv4":18446744073709551615,"availableIPv6":-3,"name":"p"}}',
    );
  });
  it("keeps every int64 exact (property)", () => {
    fc.assert(fc.property(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), fc.string(), (n, s) => {
      expect(jsonWithInt64({ n, s })).toBe(`{"n":${n.toString()},"s":${JSON.stringify(s)}}`);
    }));
  });
});

describe("apiError", () => {
  it("uses the server's Status message and the status's error class", () => {
    const conflict = apiError(409, { kind: "Status", message: 'Operation cannot be fulfilled on services "a"' }, "PATCH /x: 409 Conflict");
    expect(conflict).toBeInstanceOf(ConflictError);
    expect(conflict.message).toBe('Operation cannot be fulfilled on services "a"');
    expect(apiError(404, { message: "not there" }, "GET /x: 404 Not Found")).toBeInstanceOf(NotFoundError);
    const forbidden = apiError(403, "forbidden text", "GET /x: 403 Forbidden");
    expect([forbidden.constructor, forbidden.status, forbidden.message]).toEqual([ApiError, 403, "GET /x: 403 Forbidden"]);
  });
  it("falls back when the message is not a string", () => {
    expect(apiError(500, { message: 7 }, "POST /y: 500 Internal Server Error").message).toBe("POST /y: 500 Internal Server Error");
    expect(apiError(500, null, "fallback").message).toBe("fallback");
  });
});
