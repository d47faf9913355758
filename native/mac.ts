/** Ethernet MAC addresses as text ("02:00:5e:10:00:01") and as 6-byte Buffers. */

/** Parses six colon- or dash-separated two-digit hex bytes; undefined for anything else. */
export function parseMac(text: string): Buffer | undefined {
  const parts = text.split(/[:-]/);
  if (parts.length !== 6 || !parts.every((part) => /^[0-9a-fA-F]{2}$/.test(part))) return undefined;
  if (text.includes(":") && text.includes("-")) return undefined;
  return Buffer.from(parts.map((part) => parseInt(part, 16)));
}

/** Lower-case colon-separated text of a 6-byte MAC. */
export function formatMac(mac: Uint8Array): string {
  if (mac.length !== 6) throw new Error(`a MAC address has 6 bytes, not ${mac.length}`);
  return Array.from(mac, (byte) => byte.toString(16).padStart(2, "0")).join(":");
}

/** The Ethernet multicast MAC of an IPv6 multicast group (RFC 2464 7): 33:33 and the group's last 32 bits.
 * For a solicited-node group ff02::1:ffXX:XXXX this is 33:33:ff:XX:XX:XX. */
export function ipv6MulticastMac(group: Uint8Array): Buffer {
  if (group.length !== 16) throw new Error(`an IPv6 address has 16 bytes, not ${group.length}`);
  return Buffer.from([0x33, 0x33, group[12] ?? 0, group[13] ?? 0, group[14] ?? 0, group[15] ?? 0]);
}

/** The MAC a node joins to hear Neighbor Solicitations for `address` (its solicited-node group). */
export function solicitedNodeMac(address: Uint8Array): Buffer {
  if (address.length !== 16) throw new Error(`an IPv6 address has 16 bytes, not ${address.length}`);
  return Buffer.from([0x33, 0x33, 0xff, address[13] ?? 0, address[14] ?? 0, address[15] ?? 0]);
}
