/**
 * The speaker-to-speaker heartbeat: one small UDP datagram, authenticated with HMAC-SHA256 under a
 * key shared through a Kubernetes Secret. Layout (big-endian):
 *
 *   0  "LSHB"            magic
 *   4  version (1)
 *   5  flags             bit 0: leaving (graceful shutdown in progress); bit 1: standby (announcing
 *                        nothing yet: start-up grace, or no majority under that policy); bit 2: blind
 *                        (its view of the cluster is not current, always with standby: it is no
 *                        candidate now); other bits ignored (a speaker that predates a bit treats its
 *                        sender as it did before)
 *   6  incarnation u64   identifies one run of the speaker (restarts start a new one)
 *  14  sequence u32      increases by one per heartbeat within an incarnation
 *  18  sentAt u64        sender's wall clock, ms since the epoch (bounds replays)
 *  26  name length u8, node name (UTF-8, 1..253 bytes)
 *      ack count u8, then per ack: length u8, node name
 *      HMAC-SHA256 over every byte before it (32 bytes)
 *
 * Acks name the leaving speakers whose addresses the sender has taken over, which is how a leaving
 * speaker knows it may stop answering (see handover.ts). The MAC is checked before anything past the
 * fixed header is parsed, so unauthenticated bytes never reach the parser.
 */
import { createHmac, timingSafeEqual } from "node:crypto";

const MAGIC = Buffer.from("LSHB", "ascii");
const VERSION = 1;
const FLAG_LEAVING = 0x01;
const FLAG_STANDBY = 0x02;
const FLAG_BLIND = 0x04;
const MAC_LENGTH = 32;
const FIXED_LENGTH = 26;
const MAX_NAME_BYTES = 253;
/** Acks beyond this many are left out (a rolling update drains one or two speakers at a time). */
export const MAX_ACKS = 16;
export const MIN_KEY_BYTES = 16;

export interface Heartbeat {
  readonly node: string;
  readonly incarnation: bigint;
  readonly sequence: number;
  readonly sentAtMs: number;
  readonly leaving: boolean;
  /** The sender announces nothing now (start-up grace, or no majority): peers holding an IP it would win keep it until it does (liveness.ts). Absent: false. */
  readonly standby?: boolean;
  /** The sender's watches of the API are down (watch-supervisor.ts): it cannot know every IP, so peers elect without it (liveness.ts). Absent: false. */
  readonly blind?: boolean;
  readonly acks: readonly string[];
}

export type HeartbeatRejectReason = "truncated" | "bad-magic" | "bad-version" | "bad-mac" | "bad-structure";

export type HeartbeatDecode =
  | { readonly kind: "ok"; readonly heartbeat: Heartbeat }
  | { readonly kind: "reject"; readonly reason: HeartbeatRejectReason };

export function checkKey(key: Buffer): void {
  if (key.length < MIN_KEY_BYTES) throw new Error(`heartbeat key must be at least ${MIN_KEY_BYTES} bytes, got ${key.length}`);
}

function nameBytes(name: string): Buffer {
  const b = Buffer.from(name, "utf8");
  if (b.length < 1 || b.length > MAX_NAME_BYTES) throw new Error(`node name must be 1..${MAX_NAME_BYTES} bytes: ${JSON.stringify(name)}`);
  return b;
}

export function encodeHeartbeat(hb: Heartbeat, key: Buffer): Buffer {
  checkKey(key);
  const body = encodeHeartbeatBody(hb);
  return Buffer.concat([body, createHmac("sha256", key).update(body).digest()]);
}

/**
 * Everything but the MAC. The heartbeat's sending thread (native/heartbeat_thread.c) takes this as its
 * template: it writes the sequence at offset 14 and the send time at 18 before each send, then the MAC.
 */
export function encodeHeartbeatBody(hb: Heartbeat): Buffer {
  const head = Buffer.alloc(FIXED_LENGTH);
  MAGIC.copy(head, 0);
  head[4] = VERSION;
  head[5] = (hb.leaving ? FLAG_LEAVING : 0) | (hb.standby ? FLAG_STANDBY : 0) | (hb.blind ? FLAG_BLIND : 0);
  head.writeBigUInt64BE(hb.incarnation, 6);
  head.writeUInt32BE(hb.sequence >>> 0, 14);
  head.writeBigUInt64BE(BigInt(Math.max(0, Math.floor(hb.sentAtMs))), 18);
  const parts: Buffer[] = [head];
  const name = nameBytes(hb.node);
  parts.push(Buffer.from([name.length]), name);
  const acks = [...new Set(hb.acks)].sort().slice(0, MAX_ACKS);
  parts.push(Buffer.from([acks.length]));
  for (const a of acks) {
    const b = nameBytes(a);
    parts.push(Buffer.from([b.length]), b);
  }
  return Buffer.concat(parts);
}

/** Whether `mac` is HMAC-SHA256 of `body` under one of `keys`. */
export type MacCheck = (body: Buffer, mac: Buffer, keys: readonly Buffer[]) => boolean;

/** node:crypto's (the speaker checks with the addon's, native/hmac.c: the same answer, a fraction of the CPU). */
export const checkMac: MacCheck = (body, mac, keys) => keys.some(k => timingSafeEqual(createHmac("sha256", k).update(body).digest(), mac));

/** Verifies and decodes; `keys` are tried in turn (the current key and, during a rotation, the previous one). */
export function decodeHeartbeat(packet: Buffer, keys: readonly Buffer[], authentic: MacCheck = checkMac): HeartbeatDecode {
  const reject = (reason: HeartbeatRejectReason): HeartbeatDecode => ({ kind: "reject", reason });
  if (packet.length < FIXED_LENGTH + 2 + MAC_LENGTH) return reject("truncated");
  if (!packet.subarray(0, 4).equals(MAGIC)) return reject("bad-magic");
  if (packet[4] !== VERSION) return reject("bad-version");
  const body = packet.subarray(0, packet.length - MAC_LENGTH);
  if (!authentic(body, packet.subarray(packet.length - MAC_LENGTH), keys)) return reject("bad-mac");
  let at = FIXED_LENGTH;
  const readName = (): string | undefined => {
    const len = body[at] ?? 0;
    if (len < 1 || at + 1 + len > body.length) return undefined;
    const name = body.subarray(at + 1, at + 1 + len).toString("utf8");
    at += 1 + len;
    return name;
  };
  const node = readName();
  if (node === undefined || at >= body.length) return reject("bad-structure");
  const count = body[at++] ?? 0;
  const acks: string[] = [];
  for (let i = 0; i < count; i++) {
    const a = readName();
    if (a === undefined) return reject("bad-structure");
    acks.push(a);
  }
  if (at !== body.length) return reject("bad-structure");
  return {
    kind: "ok",
    heartbeat: {
      node,
      incarnation: body.readBigUInt64BE(6),
      sequence: body.readUInt32BE(14),
      sentAtMs: Number(body.readBigUInt64BE(18)),
      leaving: ((body[5] ?? 0) & FLAG_LEAVING) !== 0,
      ...(((body[5] ?? 0) & FLAG_STANDBY) !== 0 ? { standby: true } : {}),
      ...(((body[5] ?? 0) & FLAG_BLIND) !== 0 ? { blind: true } : {}),
      acks,
    },
  };
}
