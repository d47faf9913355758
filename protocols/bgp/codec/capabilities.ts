/**
 * Capabilities carried in the OPEN message (RFC 5492): multiprotocol (RFC 4760), route refresh
 * (RFC 2918), extended next hop encoding (RFC 8950), graceful restart (RFC 4724) and 4-octet AS
 * numbers (RFC 6793). Anything else is
 * kept as raw bytes so it can be logged or re-encoded unchanged.
 */
import { bgpError, ErrorCode, fail, ok, OpenSubcode, type Decoded } from "./errors";

export const CapabilityCode = {
  Multiprotocol: 1,
  RouteRefresh: 2,
  ExtendedNextHop: 5,
  GracefulRestart: 64,
  FourOctetAS: 65,
} as const;

export const Afi = { IPv4: 1, IPv6: 2 } as const;
export const Safi = { Unicast: 1 } as const;

export interface AfiSafi {
  readonly afi: number;
  readonly safi: number;
}

export interface GracefulRestartFamily extends AfiSafi {
  /** "Forwarding state has been preserved" (the F bit). */
  readonly forwardingPreserved: boolean;
}

/** RFC 8950 4: routes of (afi, safi) may carry a next hop of `nextHopAfi` (IPv4 routes via IPv6). */
export interface ExtendedNextHopFamily extends AfiSafi {
  readonly nextHopAfi: number;
}

export type Capability =
  | { readonly type: "multiprotocol"; readonly afi: number; readonly safi: number }
  | { readonly type: "route-refresh" }
  | { readonly type: "extended-next-hop"; readonly families: readonly ExtendedNextHopFamily[] }
  | { readonly type: "four-octet-as"; readonly asn: number }
  | {
      readonly type: "graceful-restart";
      /** The 4 high bits of the first octet; 0x8 is Restart State (R), 0x4 Notification (N, RFC 8538). */
      readonly flags: number;
      /** 12 bits, seconds. */
      readonly restartTimeS: number;
      readonly families: readonly GracefulRestartFamily[];
    }
  | { readonly type: "unknown"; readonly code: number; readonly value: Buffer };

export function encodeCapability(cap: Capability): Buffer {
  const tlv = (code: number, value: Buffer): Buffer => Buffer.concat([Buffer.from([code, value.length]), value]);
  switch (cap.type) {
    case "multiprotocol": {
      const v = Buffer.alloc(4);
      v.writeUInt16BE(cap.afi, 0);
      v[3] = cap.safi;
      return tlv(CapabilityCode.Multiprotocol, v);
    }
    case "route-refresh":
      return tlv(CapabilityCode.RouteRefresh, Buffer.alloc(0));
    case "extended-next-hop": {
      // Each entry: NLRI AFI (2 octets), NLRI SAFI (2 octets, unlike elsewhere), next hop AFI (2 octets).
      const v = Buffer.alloc(6 * cap.families.length);
      cap.families.forEach((f, i) => {
        v.writeUInt16BE(f.afi, 6 * i);
        v.writeUInt16BE(f.safi, 6 * i + 2);
        v.writeUInt16BE(f.nextHopAfi, 6 * i + 4);
      });
      return tlv(CapabilityCode.ExtendedNextHop, v);
    }
    case "four-octet-as": {
      const v = Buffer.alloc(4);
      v.writeUInt32BE(cap.asn);
      return tlv(CapabilityCode.FourOctetAS, v);
    }
    case "graceful-restart": {
      const v = Buffer.alloc(2 + 4 * cap.families.length);
      v.writeUInt16BE(((cap.flags & 0xf) << 12) | (cap.restartTimeS & 0xfff), 0);
      cap.families.forEach((f, i) => {
        v.writeUInt16BE(f.afi, 2 + 4 * i);
        v[4 + 4 * i] = f.safi;
        v[5 + 4 * i] = f.forwardingPreserved ? 0x80 : 0;
      });
      return tlv(CapabilityCode.GracefulRestart, v);
    }
    case "unknown":
      return tlv(cap.code, cap.value);
  }
}

/** Decodes the value of one Capabilities optional parameter (a run of code/length/value). */
export function decodeCapabilities(buf: Buffer): Decoded<Capability[]> {
  const out: Capability[] = [];
  let offset = 0;
  while (offset < buf.length) {
    if (offset + 2 > buf.length) return fail(malformed("capability header truncated"));
    const code = buf[offset] as number;
    const length = buf[offset + 1] as number;
    const value = buf.subarray(offset + 2, offset + 2 + length);
    if (value.length !== length) return fail(malformed(`capability ${code} truncated`));
    const cap = decodeCapability(code, value);
    if (!cap.ok) return cap;
    out.push(cap.value);
    offset += 2 + length;
  }
  return ok(out);
}

function decodeCapability(code: number, v: Buffer): Decoded<Capability> {
  switch (code) {
    case CapabilityCode.Multiprotocol:
      if (v.length !== 4) return fail(malformed(`multiprotocol capability length ${v.length}, want 4`));
      return ok({ type: "multiprotocol", afi: v.readUInt16BE(0), safi: v[3] as number });
    case CapabilityCode.RouteRefresh:
      if (v.length !== 0) return fail(malformed(`route refresh capability length ${v.length}, want 0`));
      return ok({ type: "route-refresh" });
    case CapabilityCode.ExtendedNextHop: {
      if (v.length % 6 !== 0) return fail(malformed(`extended next hop capability length ${v.length}, want a multiple of 6`));
      const families: ExtendedNextHopFamily[] = [];
      for (let i = 0; i < v.length; i += 6) families.push({ afi: v.readUInt16BE(i), safi: v.readUInt16BE(i + 2), nextHopAfi: v.readUInt16BE(i + 4) });
      return ok({ type: "extended-next-hop", families });
    }
    case CapabilityCode.FourOctetAS:
      if (v.length !== 4) return fail(malformed(`4-octet AS capability length ${v.length}, want 4`));
      return ok({ type: "four-octet-as", asn: v.readUInt32BE(0) });
    case CapabilityCode.GracefulRestart: {
      if (v.length < 2 || (v.length - 2) % 4 !== 0) return fail(malformed(`graceful restart capability length ${v.length}`));
      const head = v.readUInt16BE(0);
      const families: GracefulRestartFamily[] = [];
      for (let i = 2; i < v.length; i += 4) {
        families.push({ afi: v.readUInt16BE(i), safi: v[i + 2] as number, forwardingPreserved: ((v[i + 3] as number) & 0x80) !== 0 });
      }
      return ok({ type: "graceful-restart", flags: head >> 12, restartTimeS: head & 0xfff, families });
    }
    default:
      return ok({ type: "unknown", code, value: Buffer.from(v) });
  }
}

// RFC 4271 6.2: a recognised but malformed optional parameter is an OPEN error with subcode 0.
const malformed = (message: string) => bgpError(ErrorCode.OpenMessage, OpenSubcode.Unspecific, message);
