/**
 * A minimal MRT writer (RFC 6396 TABLE_DUMP_V2: one PEER_INDEX_TABLE, then RIB_IPV4_UNICAST records),
 * the bulk input `gobgp mrt inject global` reads, so the bench can load gobgpd as fast as it allows.
 */
import { encodeAttributes } from "../../codec/attributes";
import { parseIP, type IPAddress } from "../../../net/ip";

/** An MRT TABLE_DUMP_V2 file (RFC 6396) with `count` /32s from `first`, all with `nextHop` and an empty AS path. */
export function mrtTableDump(first: string, count: number, nextHop: string, peerAs: number): Buffer {
  const record = (subtype: number, body: Buffer) => {
    const h = Buffer.alloc(12);
    h.writeUInt32BE(Math.floor(Date.now() / 1000), 0);
    h.writeUInt16BE(13, 4);
    h.writeUInt16BE(subtype, 6);
    h.writeUInt32BE(body.length, 8);
    return Buffer.concat([h, body]);
  };
  const peerIndex = Buffer.alloc(4 + 2 + 2 + 1 + 4 + 4 + 4);
  let o = peerIndex.writeUInt32BE(0xc0000201, 0); // collector id
  o = peerIndex.writeUInt16BE(0, o); // no view name
  o = peerIndex.writeUInt16BE(1, o); // one peer
  o = peerIndex.writeUInt8(0x02, o); // IPv4 peer, 4-octet AS
  o = peerIndex.writeUInt32BE(0xc0000201, o);
  o = peerIndex.writeUInt32BE(0xc0000201, o);
  peerIndex.writeUInt32BE(peerAs, o);
  const attrs = encodeAttributes({ origin: 0, asPath: [], nextHop: parseIP(nextHop) as IPAddress }, { fourOctetAs: true });
  const base = Number((parseIP(first) as IPAddress).value);
  const records = [record(1, peerIndex)];
  for (let i = 0; i < count; i++) {
    const body = Buffer.alloc(4 + 1 + 4 + 2 + 2 + 4 + 2 + attrs.length);
    let p = body.writeUInt32BE(i, 0);
    p = body.writeUInt8(32, p);
    p = body.writeUInt32BE((base + i) >>> 0, p);
    p = body.writeUInt16BE(1, p);
    p = body.writeUInt16BE(0, p);
    p = body.writeUInt32BE(0, p);
    p = body.writeUInt16BE(attrs.length, p);
    attrs.copy(body, p);
    records.push(record(2, body));
  }
  return Buffer.concat(records);
}

