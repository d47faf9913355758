import { describe, expect, it } from "vitest";
import { decodeBgpMessage, encodeBgpMessage } from "./message";
import { decodeOpenBody, encodeOpen, type OpenMessage } from "./open";
import { decodeHeader } from "./header";

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ""), "hex");
const ctx = { fourOctetAs: true };
const MARKER = "ffffffffffffffffffffffffffffffff";

describe("OPEN", () => {
  const open: OpenMessage = {
    version: 4,
    myAs: 23456,
    holdTimeS: 90,
    bgpId: 0xc0000201, // 192.0.2.1
    capabilities: [
      { type: "multiprotocol", afi: 1, safi: 1 },
      { type: "multiprotocol", afi: 2, safi: 1 },
      { type: "route-refresh" },
      { type: "four-octet-as", asn: 4200000001 },
      { type: "graceful-restart", flags: 0x8, restartTimeS: 120, families: [{ afi: 1, safi: 1, forwardingPreserved: true }] },
      { type: "unknown", code: 70, value: Buffer.from([]) },
    ],
  };
  const wire = hex(`${MARKER} 003d 01  04 5ba0 005a c0000201 20
    02 1e  01 04 0001 00 01  01 04 0002 00 01  02 00  41 04 fa56ea01  40 06 8078 0001 01 80  46 00`);

  it("encodes to exact bytes", () => {
    expect(encodeOpen(open).toString("hex")).toBe(wire.toString("hex"));
  });

  it("decodes what it encodes", () => {
    const m = decodeBgpMessage(wire, ctx);
    expect(m).toEqual({ ok: true, value: { type: "open", open } });
    if (m.ok) expect(encodeBgpMessage(m.value, ctx).equals(wire)).toBe(true);
  });

  it("merges capabilities spread over several parameters", () => {
    const body = hex("04 fde8 00b4 c0000202 0c  02 06 01040001 0001  02 02 0200");
    const r = decodeOpenBody(body);
    expect(r.ok && r.value.capabilities).toEqual([{ type: "multiprotocol", afi: 1, safi: 1 }, { type: "route-refresh" }]);
  });

  it("refuses another BGP version with the largest one supported as data", () => {
    const r = decodeOpenBody(hex("03 fde8 00b4 c0000202 00"));
    expect(r).toEqual({ ok: false, error: expect.objectContaining({ code: 2, subcode: 1, data: Buffer.from([0, 4]), action: "session-reset", message: "unsupported BGP version 3" }) });
  });

  it("refuses an unknown optional parameter type with Unsupported Optional Parameter", () => {
    const r = decodeOpenBody(hex("04 fde8 00b4 c0000202 03 01 01 00"));
    expect(r.ok ? undefined : [r.error.code, r.error.subcode, r.error.message]).toEqual([2, 4, "unsupported optional parameter type 1"]);
  });

  it("reports a malformed known capability with subcode 0", () => {
    const r = decodeOpenBody(hex("04 fde8 00b4 c0000202 05 02 03 41 01 00"));
    expect(r.ok ? undefined : [r.error.code, r.error.subcode, r.error.message]).toEqual([2, 0, "4-octet AS capability length 1, want 4"]);
  });

  it("reports an optional parameters length that disagrees with the message", () => {
    const r = decodeOpenBody(hex("04 fde8 00b4 c0000202 05 02 00"));
    expect(r.ok ? undefined : r.error.message).toBe("optional parameters length 5 does not match the message");
  });
});

describe("header", () => {
  it("refuses a broken marker with Connection Not Synchronized", () => {
    const r = decodeHeader(hex("ffffffffffffffffffffffffffff00ff 0013 04"));
    expect(r.ok ? undefined : [r.error.code, r.error.subcode]).toEqual([1, 1]);
  });
  it("refuses a KEEPALIVE longer than 19 with the length as data", () => {
    const r = decodeHeader(hex(`${MARKER} 0014 04`));
    expect(r.ok ? undefined : [r.error.code, r.error.subcode, r.error.data.toString("hex")]).toEqual([1, 2, "0014"]);
  });
  it("refuses a length over 4096", () => {
    const r = decodeHeader(hex(`${MARKER} 1001 02`));
    expect(r.ok ? undefined : [r.error.subcode, r.error.message]).toEqual([2, "bad length 4097 for message type 2"]);
  });
  it("refuses an unknown type with the type as data", () => {
    const r = decodeHeader(hex(`${MARKER} 0013 06`));
    expect(r.ok ? undefined : [r.error.code, r.error.subcode, r.error.data.toString("hex")]).toEqual([1, 3, "06"]);
  });
  it("accepts a KEEPALIVE", () => {
    expect(decodeBgpMessage(hex(`${MARKER} 0013 04`), ctx)).toEqual({ ok: true, value: { type: "keepalive" } });
  });
});

describe("NOTIFICATION and ROUTE-REFRESH", () => {
  it("round-trips a NOTIFICATION with data", () => {
    const wire = hex(`${MARKER} 0017 03 0202 fde8`);
    const m = { type: "notification", notification: { code: 2, subcode: 2, data: hex("fde8") } } as const;
    expect(encodeBgpMessage(m, ctx).equals(wire)).toBe(true);
    expect(decodeBgpMessage(wire, ctx)).toEqual({ ok: true, value: m });
  });
  it("round-trips a ROUTE-REFRESH for IPv6 unicast", () => {
    const wire = hex(`${MARKER} 0017 05 0002 00 01`);
    const m = { type: "route-refresh", routeRefresh: { afi: 2, subtype: 0, safi: 1 } } as const;
    expect(encodeBgpMessage(m, ctx).equals(wire)).toBe(true);
    expect(decodeBgpMessage(wire, ctx)).toEqual({ ok: true, value: m });
  });
  it("refuses a ROUTE-REFRESH of the wrong length with code 7 subcode 1 and the message as data", () => {
    const r = decodeBgpMessage(hex(`${MARKER} 0018 05 0001 00 01 00`), ctx);
    expect(r.ok ? undefined : [r.error.code, r.error.subcode, r.error.data.toString("hex")]).toEqual([7, 1, "0001000100"]);
  });
  it("refuses a header length that disagrees with the buffer", () => {
    const r = decodeBgpMessage(hex(`${MARKER} 0017 05 0001 00`), ctx);
    expect(r.ok ? undefined : r.error.message).toBe("header says 23 octets, message has 22");
  });
});
