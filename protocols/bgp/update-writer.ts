/**
 * A batch of Adj-RIB-Out changes as wire bytes, ready for one socket write: exactly what
 * packDistinctUpdates followed by encodeUpdate gives, byte for byte, message for message.
 *
 * Why a second way to the same bytes: a session's first table is written by code V8 has not
 * optimised yet (a speaker starts, its sessions come up, each sends its whole table once), and in
 * the interpreter every pass over the prefixes and every call per prefix costs: the general path
 * makes six passes (group, sort check, cut, measure, encode, concatenate) and took about 25 ms of
 * CPU for 10,000 routes in a fresh process. The batches a speaker sends are nearly always of one
 * shape: IPv4 service routes with one set of attributes and one next hop (a table, or routes added),
 * or IPv4 withdrawals. Those are written here in two tight loops: one reads each prefix into typed
 * arrays (sorted natively if out of order), the other writes the messages from them, straight into one
 * buffer. Any other batch, or one found not to fit the shape part way, goes the general way. Why two
 * ways to the same bytes: docs/adr/0006-bgp-updates-in-one-pass.md.
 */
import type { Cidr } from "../../core/net/ip";
import { encodeAttributes, type CodecContext } from "./codec/attributes";
import { HEADER_LENGTH, MAX_MESSAGE_LENGTH, MessageType, writeHeader } from "./codec/header";
import { writeIPv4Prefix } from "./codec/prefix";
import { encodeUpdate, UPDATE_FIXED_LENGTH } from "./codec/update";
import { packDistinctUpdates, type Route, type RouteAttributes } from "./update-packer";

export interface EncodedUpdates {
  /** The messages, back to back. */
  readonly bytes: Buffer;
  /** How many UPDATE messages `bytes` holds. */
  readonly messages: number;
}

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
 * IPv4 routes with one IPv4 next hop and one set of attributes (equal in value: the first route's
 * objects are compared by identity first, and a route's own objects are compared by value): one run
 * of classic-NLRI UPDATEs, in address order. undefined for any other batch, and for one that is out of
 * order with prefixes of several lengths.
 */
export function writeRouteRun(routes: readonly Route[], ctx: CodecContext): EncodedUpdates | undefined {
  const first = routes[0];
  if (!first || first.prefix.family !== "IPv4" || first.nextHop.family !== "IPv4") return undefined;
  const { attributes, nextHop } = first;
  const attrs = encodeAttributes({ ...attributes, nextHop }, ctx);
  if (MAX_MESSAGE_LENGTH - UPDATE_FIXED_LENGTH - attrs.length < MAX_IPV4_PREFIX) return undefined;
  const run = new PrefixRun(routes.length);
  let equalAttributes: RouteAttributes | undefined; // the last other object found equal to `attributes`
  for (let i = 0; i < routes.length; i++) {
    const r = routes[i] as Route;
    const p = r.prefix;
    if (p.family !== "IPv4") return undefined;
    if (r.nextHop !== nextHop && (r.nextHop.family !== "IPv4" || r.nextHop.value !== nextHop.value)) return undefined;
    if (r.attributes !== attributes && r.attributes !== equalAttributes) {
      if (!encodeAttributes({ ...r.attributes, nextHop }, ctx).equals(attrs)) return undefined;
      equalAttributes = r.attributes;
    }
    run.set(i, Number(p.base), p.prefix);
  }
  return run.sort() ? writeRun(run, attrs) : undefined;
}

/** IPv4 withdrawals: withdraw-only UPDATEs, in address order. undefined for any other batch, and for
 * one that is out of order with prefixes of several lengths. */
export function writeWithdrawalRun(withdrawals: readonly Cidr[]): EncodedUpdates | undefined {
  if (withdrawals.length === 0) return undefined;
  const run = new PrefixRun(withdrawals.length);
  for (let i = 0; i < withdrawals.length; i++) {
    const p = withdrawals[i] as Cidr;
    if (p.family !== "IPv4") return undefined;
    run.set(i, Number(p.base), p.prefix);
  }
  return run.sort() ? writeRun(run, undefined) : undefined;
}

/**
 * IPv4 prefixes as two typed arrays, so that nothing is allocated per prefix and the order can be
 * restored natively. An address is kept with its top bit flipped, as a signed 32-bit integer: V8 keeps
 * those unboxed (an address above 2^31 as a plain number is a heap object in unoptimised code), and
 * their signed order is the addresses' unsigned order.
 */
class PrefixRun {
  readonly addresses: Int32Array;
  readonly lengths: Uint8Array;
  #ordered = true;
  #oneLength = true;

  constructor(count: number) {
    this.addresses = new Int32Array(count);
    this.lengths = new Uint8Array(count);
  }

  set(i: number, address: number, length: number): void {
    const flipped = (address ^ 0x80000000) | 0;
    this.addresses[i] = flipped;
    this.lengths[i] = length;
    if (i === 0) return;
    const before = this.addresses[i - 1] as number;
    if (flipped < before || (flipped === before && length < (this.lengths[i - 1] as number))) this.#ordered = false;
    if (length !== this.lengths[0]) this.#oneLength = false;
  }

  /** Puts the prefixes in the packer's order (address, then length); false if that needs a general sort. */
  sort(): boolean {
    if (this.#ordered) return true;
    if (!this.#oneLength) return false;
    this.addresses.sort();
    return true;
  }
}

/**
 * The messages for a run of IPv4 prefixes in order: announced with `attrs` (classic NLRI), or withdrawn
 * when there are none. Cut where the packer cuts: a message takes prefixes while they fit in 4096
 * octets. undefined if a prefix comes twice (not a batch of distinct prefixes).
 */
function writeRun(run: PrefixRun, attrs: Buffer | undefined): EncodedUpdates | undefined {
  const { addresses, lengths } = run;
  const attrLength = attrs?.length ?? 0;
  const room = MAX_MESSAGE_LENGTH - UPDATE_FIXED_LENGTH - attrLength;
  const out = Buffer.allocUnsafe(worstCase(addresses.length, room, UPDATE_FIXED_LENGTH + attrLength));
  let start = -1; // where the open message starts
  let prefixes = 0; // where its prefixes start
  let end = 0;
  let messages = 0;
  for (let i = 0; i < addresses.length; i++) {
    const address = (addresses[i] as number) ^ 0x80000000;
    const length = lengths[i] as number;
    if (i > 0 && addresses[i] === addresses[i - 1] && length === lengths[i - 1]) return undefined;
    const octets = (length + 7) >> 3;
    if (start < 0 || end - prefixes + 1 + octets > room) {
      if (start >= 0) end = closeMessage(out, start, prefixes, end, attrs === undefined);
      start = end;
      // The header is written on closing, when the length is known; the withdrawn routes length is 0 for an announcement.
      out.writeUInt16BE(0, start + HEADER_LENGTH);
      if (attrs) {
        out.writeUInt16BE(attrLength, start + HEADER_LENGTH + 2);
        attrs.copy(out, start + UPDATE_FIXED_LENGTH);
        prefixes = end = start + UPDATE_FIXED_LENGTH + attrLength;
      } else prefixes = end = start + HEADER_LENGTH + 2;
      messages++;
    }
    end = writeIPv4Prefix(out, end, address, length);
  }
  end = closeMessage(out, start, prefixes, end, attrs === undefined);
  return { bytes: out.subarray(0, end), messages };
}

/** Octets `count` prefixes can take at most, cut into messages of `room` octets of prefixes and `overhead` octets besides. */
function worstCase(count: number, room: number, overhead: number): number {
  const bytes = count * MAX_IPV4_PREFIX;
  // A message is closed only when the next prefix does not fit: it holds more than room - 5 octets of them.
  const messages = Math.floor(bytes / (room - MAX_IPV4_PREFIX + 1)) + 1;
  return bytes + messages * overhead;
}

/**
 * Ends the message at `start` whose prefixes run from `prefixes` to `end`: a withdraw-only message gets
 * its withdrawn routes length and a zero attribute length after them. Returns where the message ends.
 */
function closeMessage(out: Buffer, start: number, prefixes: number, end: number, withdrawOnly: boolean): number {
  if (withdrawOnly) {
    out.writeUInt16BE(end - prefixes, prefixes - 2);
    out.writeUInt16BE(0, end);
    end += 2;
  }
  writeHeader(out, start, end - start, MessageType.Update);
  return end;
}
