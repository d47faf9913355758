/**
 * A batch of Adj-RIB-Out changes as wire bytes, ready for one socket write: exactly what
 * packDistinctUpdates followed by encodeUpdate gives, byte for byte, message for message.
 *
 * Why a second way to the same bytes: a session's first table is written by code V8 has not
 * optimised yet (a speaker starts, its sessions come up, each sends its whole table once), and in
 * the interpreter every pass over the prefixes and every call per prefix costs: the general path
 * makes six passes (group, sort check, cut, measure, encode, concatenate) and took about 25 ms of
 * CPU for 10,000 routes in a fresh process. The batches a speaker sends are nearly always of one
 * shape: IPv4 service routes sharing one attributes object and one next hop, in address order (a
 * table, or routes added), or IPv4 withdrawals in order. Those are written here in one pass over the
 * prefixes, straight into the message buffer, with no per-prefix call. Any other batch, or one that
 * turns out not to fit the shape part way, goes the general way.
 */
import type { Cidr } from "../net/ip";
import { encodeAttributes, type CodecContext } from "./codec/attributes";
import { HEADER_LENGTH, MAX_MESSAGE_LENGTH, MessageType } from "./codec/header";
import { encodeUpdate, UPDATE_FIXED_LENGTH } from "./codec/update";
import { packDistinctUpdates, type Route } from "./update-packer";

export interface EncodedUpdates {
  /** The messages, back to back. */
  readonly bytes: Buffer;
  /** How many UPDATE messages `bytes` holds. */
  readonly messages: number;
}

const MARKER_LENGTH = 16;
/** The most octets one IPv4 prefix takes: its length octet and four address octets. */
const MAX_IPV4_PREFIX = 5;

/** The UPDATEs that announce `routes` and withdraw `withdrawals` (distinct prefixes, as packDistinctUpdates takes them). */
export function encodeUpdates(routes: readonly Route[], withdrawals: readonly Cidr[], ctx: CodecContext): EncodedUpdates {
  const fast = withdrawals.length === 0 ? writeRouteRun(routes, ctx) : routes.length === 0 ? writeWithdrawalRun(withdrawals) : undefined;
  if (fast) return fast;
  const updates = packDistinctUpdates(routes, withdrawals, ctx);
  return { bytes: Buffer.concat(updates.map(u => encodeUpdate(u, ctx))), messages: updates.length };
}

/**
 * IPv4 routes with an IPv4 next hop, all sharing the first route's attributes and next hop objects,
 * in strictly increasing address order: one run of classic-NLRI UPDATEs. undefined for any other batch.
 */
export function writeRouteRun(routes: readonly Route[], ctx: CodecContext): EncodedUpdates | undefined {
  const first = routes[0];
  if (!first || first.prefix.family !== "IPv4" || first.nextHop.family !== "IPv4") return undefined;
  const { attributes, nextHop } = first;
  const attrs = encodeAttributes({ ...attributes, nextHop }, ctx);
  const room = MAX_MESSAGE_LENGTH - UPDATE_FIXED_LENGTH - attrs.length;
  if (room < MAX_IPV4_PREFIX) return undefined;
  const out = Buffer.allocUnsafe(worstCase(routes.length, room, UPDATE_FIXED_LENGTH + attrs.length));
  let start = -1; // where the open message starts
  let nlri = 0; // where its NLRI starts
  let end = 0;
  let messages = 0;
  let previous = -1;
  for (let i = 0; i < routes.length; i++) {
    const r = routes[i] as Route;
    const p = r.prefix;
    if (r.attributes !== attributes || r.nextHop !== nextHop || p.family !== "IPv4") return undefined;
    const v = Number(p.base);
    // The packer's order: by address, then length. Out of order (or repeated): the general path sorts.
    const key = v * 64 + p.prefix;
    if (key <= previous) return undefined;
    previous = key;
    const octets = (p.prefix + 7) >> 3;
    if (start < 0 || end - nlri + 1 + octets > room) {
      if (start >= 0) closeMessage(out, start, end);
      start = end;
      openMessage(out, start);
      out.writeUInt16BE(attrs.length, start + HEADER_LENGTH + 2);
      attrs.copy(out, start + UPDATE_FIXED_LENGTH);
      nlri = end = start + UPDATE_FIXED_LENGTH + attrs.length;
      messages++;
    }
    end = writeIPv4Prefix(out, end, v, p.prefix, octets);
  }
  closeMessage(out, start, end);
  return { bytes: out.subarray(0, end), messages };
}

/** IPv4 withdrawals in strictly increasing address order: withdraw-only UPDATEs. undefined for any other batch. */
export function writeWithdrawalRun(withdrawals: readonly Cidr[]): EncodedUpdates | undefined {
  if (withdrawals.length === 0) return undefined;
  const room = MAX_MESSAGE_LENGTH - UPDATE_FIXED_LENGTH;
  const out = Buffer.allocUnsafe(worstCase(withdrawals.length, room, UPDATE_FIXED_LENGTH));
  let start = -1;
  let withdrawn = 0; // where the open message's withdrawn routes start
  let end = 0;
  let messages = 0;
  let previous = -1;
  for (let i = 0; i < withdrawals.length; i++) {
    const p = withdrawals[i] as Cidr;
    if (p.family !== "IPv4") return undefined;
    const v = Number(p.base);
    const key = v * 64 + p.prefix;
    if (key <= previous) return undefined;
    previous = key;
    const octets = (p.prefix + 7) >> 3;
    if (start < 0 || end - withdrawn + 1 + octets > room) {
      if (start >= 0) end = closeWithdrawals(out, start, withdrawn, end);
      start = end;
      openMessage(out, start);
      withdrawn = end = start + HEADER_LENGTH + 2;
      messages++;
    }
    end = writeIPv4Prefix(out, end, v, p.prefix, octets);
  }
  end = closeWithdrawals(out, start, withdrawn, end);
  return { bytes: out.subarray(0, end), messages };
}

/** Octets `count` prefixes can take at most, cut into messages of `room` octets of prefixes and `overhead` octets besides. */
function worstCase(count: number, room: number, overhead: number): number {
  const bytes = count * MAX_IPV4_PREFIX;
  // A message is closed only when the next prefix does not fit: it holds more than room - 5 octets of them.
  const messages = Math.floor(bytes / (room - MAX_IPV4_PREFIX + 1)) + 1;
  return bytes + messages * overhead;
}

/** Marker, type and an empty withdrawn-routes length at `start`; the message length is written on closing. */
function openMessage(out: Buffer, start: number): void {
  out.fill(0xff, start, start + MARKER_LENGTH);
  out[start + MARKER_LENGTH + 2] = MessageType.Update;
  out.writeUInt16BE(0, start + HEADER_LENGTH);
}

/** The message from `start` ends at `end`. */
function closeMessage(out: Buffer, start: number, end: number): void {
  out.writeUInt16BE(end - start, start + MARKER_LENGTH);
}

/** A withdraw-only message: its withdrawn routes run from `withdrawn` to `end`; a zero attribute length follows them. Returns the message's end. */
function closeWithdrawals(out: Buffer, start: number, withdrawn: number, end: number): number {
  out.writeUInt16BE(end - withdrawn, withdrawn - 2);
  out.writeUInt16BE(0, end);
  closeMessage(out, start, end + 2);
  return end + 2;
}

/** One prefix (RFC 4271 4.3: its length, then just enough octets) at `at`; the offset after it. */
function writeIPv4Prefix(out: Buffer, at: number, address: number, length: number, octets: number): number {
  out[at] = length;
  if (octets === 4) {
    out[at + 1] = address >>> 24;
    out[at + 2] = (address >>> 16) & 0xff;
    out[at + 3] = (address >>> 8) & 0xff;
    out[at + 4] = address & 0xff;
    return at + 5;
  }
  for (let i = 0; i < octets; i++) out[at + 1 + i] = (address >>> (24 - 8 * i)) & 0xff;
  return at + 1 + octets;
}
