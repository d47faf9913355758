/**
 * Why a received frame was not used. Codecs never throw on input from the wire: they return one of
 * these, and the responder counts it by reason (a flood of one reason points at the cause).
 *
 * "drop" is a malformed frame (truncated, impossible field values, bad checksum). "ignore" is a
 * well-formed frame that is simply not ours to handle (another protocol, an ARP reply, a DAD probe).
 */
export const malformedReasons = [
  "ethernet-truncated",
  "arp-truncated",
  "arp-unsupported-hardware",
  "arp-unsupported-protocol",
  "arp-bad-operation",
  "ipv6-truncated",
  "ipv6-bad-version",
  "ipv6-bad-payload-length",
  "icmpv6-truncated",
  "icmpv6-bad-checksum",
  "ndp-bad-hop-limit",
  "ndp-bad-code",
  "ndp-multicast-target",
  "ndp-bad-option-length",
  "ndp-dad-with-source-option",
  "ndp-dad-bad-destination",
] as const;
export type MalformedReason = (typeof malformedReasons)[number];

export const ignoreReasons = [
  "not-arp-or-ipv6",
  "vlan-tagged",
  "arp-reply",
  "arp-not-for-us",
  "arp-gratuitous",
  "not-icmpv6",
  "not-neighbor-solicitation",
  "ndp-dad",
  "ndp-no-source-option",
  "not-owned",
  "interface-not-allowed",
] as const;
export type IgnoreReason = (typeof ignoreReasons)[number];

export interface Dropped {
  readonly kind: "drop";
  readonly reason: MalformedReason;
}

export interface Ignored {
  readonly kind: "ignore";
  readonly reason: IgnoreReason;
}

/*
 * One frozen object per reason, built once: the responder returns these on its per-frame path, where
 * allocating a fresh object for every refused frame would be garbage at the rate frames arrive.
 */
const droppedByReason = Object.fromEntries(malformedReasons.map(reason => [reason, Object.freeze({ kind: "drop", reason })])) as Record<MalformedReason, Dropped>;
const ignoredByReason = Object.fromEntries(ignoreReasons.map(reason => [reason, Object.freeze({ kind: "ignore", reason })])) as Record<IgnoreReason, Ignored>;

export const drop = (reason: MalformedReason): Dropped => droppedByReason[reason];
export const ignore = (reason: IgnoreReason): Ignored => ignoredByReason[reason];

/** Whether a reason names a malformed frame (drop) rather than a well-formed one not for us (ignore). */
export const isMalformedReason = (reason: MalformedReason | IgnoreReason): reason is MalformedReason => reason in droppedByReason;

/** The shared Dropped or Ignored object for `reason`. */
export const refusal = (reason: MalformedReason | IgnoreReason): Dropped | Ignored =>
  isMalformedReason(reason) ? droppedByReason[reason] : ignoredByReason[reason];
