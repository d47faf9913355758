/**
 * BFD control packets (RFC 5880 section 4.1), 24 octets without authentication. Decoding applies
 * the reception checks of section 6.8.6 that need no session state; a packet that fails one is
 * dropped with a named reason (never an exception).
 */

export const BFD_VERSION = 1;
export const CONTROL_LENGTH = 24;
/** UDP destination ports (RFC 5881 4, RFC 5883 5). */
export const SINGLE_HOP_PORT = 3784;
export const MULTI_HOP_PORT = 4784;

export const BfdState = { AdminDown: 0, Down: 1, Init: 2, Up: 3 } as const;
export type BfdStateCode = (typeof BfdState)[keyof typeof BfdState];
export const stateName = (s: BfdStateCode): string => ["AdminDown", "Down", "Init", "Up"][s] as string;

/** Diagnostic codes (RFC 5880 4.1). */
export const Diag = {
  None: 0,
  ControlDetectionTimeExpired: 1,
  EchoFunctionFailed: 2,
  NeighborSignaledSessionDown: 3,
  ForwardingPlaneReset: 4,
  PathDown: 5,
  ConcatenatedPathDown: 6,
  AdministrativelyDown: 7,
  ReverseConcatenatedPathDown: 8,
} as const;

const DIAG_NAMES = [
  "no diagnostic",
  "control detection time expired",
  "echo function failed",
  "neighbor signaled session down",
  "forwarding plane reset",
  "path down",
  "concatenated path down",
  "administratively down",
  "reverse concatenated path down",
];
/** "control detection time expired (diag 1)". */
export const describeDiag = (diag: number): string => `${DIAG_NAMES[diag] ?? "unknown diagnostic"} (diag ${diag})`;

export interface ControlPacket {
  readonly diag: number;
  readonly state: BfdStateCode;
  readonly poll: boolean;
  readonly final: boolean;
  readonly controlPlaneIndependent: boolean;
  readonly demand: boolean;
  readonly detectMult: number;
  readonly myDiscriminator: number;
  readonly yourDiscriminator: number;
  /** Microseconds, as on the wire. */
  readonly desiredMinTxUs: number;
  readonly requiredMinRxUs: number;
  readonly requiredMinEchoRxUs: number;
}

export type DropReason =
  | "short-packet"
  | "bad-version"
  | "bad-length"
  | "zero-detect-mult"
  | "multipoint"
  | "zero-my-discriminator"
  | "zero-your-discriminator"
  | "authentication-unsupported";

export type DecodedPacket = { readonly ok: true; readonly packet: ControlPacket } | { readonly ok: false; readonly reason: DropReason };

export function encodeControl(p: ControlPacket): Buffer {
  const b = Buffer.alloc(CONTROL_LENGTH);
  b[0] = (BFD_VERSION << 5) | (p.diag & 0x1f);
  b[1] = (p.state << 6) | (p.poll ? 0x20 : 0) | (p.final ? 0x10 : 0) | (p.controlPlaneIndependent ? 0x08 : 0) | (p.demand ? 0x02 : 0);
  b[2] = p.detectMult;
  b[3] = CONTROL_LENGTH;
  b.writeUInt32BE(p.myDiscriminator >>> 0, 4);
  b.writeUInt32BE(p.yourDiscriminator >>> 0, 8);
  b.writeUInt32BE(p.desiredMinTxUs >>> 0, 12);
  b.writeUInt32BE(p.requiredMinRxUs >>> 0, 16);
  b.writeUInt32BE(p.requiredMinEchoRxUs >>> 0, 20);
  return b;
}

export function decodeControl(b: Buffer): DecodedPacket {
  const drop = (reason: DropReason): DecodedPacket => ({ ok: false, reason });
  if (b.length < CONTROL_LENGTH) return drop("short-packet");
  const b0 = b[0] as number;
  const b1 = b[1] as number;
  if (b0 >> 5 !== BFD_VERSION) return drop("bad-version");
  const length = b[3] as number;
  if (length < CONTROL_LENGTH || length > b.length) return drop("bad-length");
  // We configure no authentication, so an authenticated packet cannot be checked (6.8.6).
  if (b1 & 0x04) return drop("authentication-unsupported");
  const detectMult = b[2] as number;
  if (detectMult === 0) return drop("zero-detect-mult");
  if (b1 & 0x01) return drop("multipoint");
  const myDiscriminator = b.readUInt32BE(4);
  if (myDiscriminator === 0) return drop("zero-my-discriminator");
  const yourDiscriminator = b.readUInt32BE(8);
  const state = (b1 >> 6) as BfdStateCode;
  if (yourDiscriminator === 0 && state !== BfdState.Down && state !== BfdState.AdminDown) return drop("zero-your-discriminator");
  return {
    ok: true,
    packet: {
      diag: b0 & 0x1f,
      state,
      poll: (b1 & 0x20) !== 0,
      final: (b1 & 0x10) !== 0,
      controlPlaneIndependent: (b1 & 0x08) !== 0,
      demand: (b1 & 0x02) !== 0,
      detectMult,
      myDiscriminator,
      yourDiscriminator,
      desiredMinTxUs: b.readUInt32BE(12),
      requiredMinRxUs: b.readUInt32BE(16),
      requiredMinEchoRxUs: b.readUInt32BE(20),
    },
  };
}
