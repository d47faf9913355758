/**
 * OPEN message body (RFC 4271 section 4.2). Only the Capabilities optional parameter (type 2,
 * RFC 5492) exists in practice; any other parameter type is refused as RFC 4271 6.2 says.
 * Semantic checks that need configuration (peer AS, hold time, identifier) live in
 * ../open-checks.ts; this file only parses.
 */
import { decodeCapabilities, encodeCapability, type Capability } from "./capabilities";
import { bgpError, ErrorCode, fail, ok, OpenSubcode, type Decoded } from "./errors";
import { encodeMessage, MessageType } from "./header";

export const BGP_VERSION = 4;
/** RFC 6793: the 2-octet stand-in for an AS number that does not fit in 16 bits. */
export const AS_TRANS = 23456;
const CAPABILITIES_PARAMETER = 2;

export interface OpenMessage {
  readonly version: number;
  /** The 2-octet My Autonomous System field (AS_TRANS for 4-octet ASNs). */
  readonly myAs: number;
  readonly holdTimeS: number;
  /** BGP Identifier as an unsigned 32-bit number. */
  readonly bgpId: number;
  readonly capabilities: readonly Capability[];
}

export function encodeOpenBody(open: OpenMessage): Buffer {
  // Capabilities go into as few parameters as fit in the 1-octet parameter length.
  const params: Buffer[] = [];
  let current: Buffer[] = [];
  let currentLength = 0;
  const flush = () => {
    if (current.length === 0) return;
    params.push(Buffer.concat([Buffer.from([CAPABILITIES_PARAMETER, currentLength]), ...current]));
    current = [];
    currentLength = 0;
  };
  for (const cap of open.capabilities) {
    const encoded = encodeCapability(cap);
    if (currentLength + encoded.length > 255) flush();
    current.push(encoded);
    currentLength += encoded.length;
  }
  flush();
  const optional = Buffer.concat(params);
  if (optional.length > 255) throw new RangeError(`OPEN optional parameters of ${optional.length} octets exceed 255`);
  const fixed = Buffer.alloc(10);
  fixed[0] = open.version;
  fixed.writeUInt16BE(open.myAs, 1);
  fixed.writeUInt16BE(open.holdTimeS, 3);
  fixed.writeUInt32BE(open.bgpId >>> 0, 5);
  fixed[9] = optional.length;
  return Buffer.concat([fixed, optional]);
}

export const encodeOpen = (open: OpenMessage): Buffer => encodeMessage(MessageType.Open, encodeOpenBody(open));

/** Decodes an OPEN body (the message without its 19-octet header). */
export function decodeOpenBody(body: Buffer): Decoded<OpenMessage> {
  if (body.length < 10) return fail(bgpError(ErrorCode.OpenMessage, OpenSubcode.Unspecific, `OPEN body of ${body.length} octets is too short`));
  const version = body[0] as number;
  if (version !== BGP_VERSION) {
    // The data is the largest version we support.
    return fail(bgpError(ErrorCode.OpenMessage, OpenSubcode.UnsupportedVersionNumber, `unsupported BGP version ${version}`, Buffer.from([0, BGP_VERSION])));
  }
  const optLength = body[9] as number;
  if (10 + optLength !== body.length) {
    return fail(bgpError(ErrorCode.OpenMessage, OpenSubcode.Unspecific, `optional parameters length ${optLength} does not match the message`));
  }
  const capabilities: Capability[] = [];
  let offset = 10;
  while (offset < body.length) {
    if (offset + 2 > body.length) return fail(bgpError(ErrorCode.OpenMessage, OpenSubcode.Unspecific, "optional parameter header truncated"));
    const type = body[offset] as number;
    const length = body[offset + 1] as number;
    const value = body.subarray(offset + 2, offset + 2 + length);
    if (value.length !== length) return fail(bgpError(ErrorCode.OpenMessage, OpenSubcode.Unspecific, `optional parameter ${type} truncated`));
    if (type !== CAPABILITIES_PARAMETER) {
      return fail(bgpError(ErrorCode.OpenMessage, OpenSubcode.UnsupportedOptionalParameter, `unsupported optional parameter type ${type}`));
    }
    const caps = decodeCapabilities(value);
    if (!caps.ok) return caps;
    capabilities.push(...caps.value);
    offset += 2 + length;
  }
  return ok({
    version,
    myAs: body.readUInt16BE(1),
    holdTimeS: body.readUInt16BE(3),
    bgpId: body.readUInt32BE(5),
    capabilities,
  });
}
