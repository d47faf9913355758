/**
 * AS_PATH and AS4_PATH values (RFC 4271 section 4.3, RFC 6793, RFC 5065 for the confederation
 * segment types): a run of segments, each a type, a count and that many 2- or 4-octet AS numbers.
 */
export const SegmentType = {
  AsSet: 1,
  AsSequence: 2,
  ConfedSequence: 3,
  ConfedSet: 4,
} as const;
export type SegmentTypeCode = (typeof SegmentType)[keyof typeof SegmentType];

export interface AsPathSegment {
  readonly type: SegmentTypeCode;
  readonly asns: readonly number[];
}

/**
 * Encodes segments with `width`-octet AS numbers. A segment longer than 255 is split; an empty
 * segment is left out (a zero-length segment is malformed on the wire).
 */
export function encodeAsPath(segments: readonly AsPathSegment[], width: 2 | 4): Buffer {
  const parts: Buffer[] = [];
  for (const seg of segments) {
    for (let start = 0; start < seg.asns.length; start += 255) {
      const chunk = seg.asns.slice(start, start + 255);
      const b = Buffer.alloc(2 + width * chunk.length);
      b[0] = seg.type;
      b[1] = chunk.length;
      chunk.forEach((asn, i) => (width === 2 ? b.writeUInt16BE(asn, 2 + 2 * i) : b.writeUInt32BE(asn, 2 + 4 * i)));
      parts.push(b);
    }
  }
  return Buffer.concat(parts);
}

/**
 * Decodes segments; undefined when malformed (RFC 7606 7.2: an unknown segment type, a zero
 * segment length, or a segment that overruns the attribute).
 */
export function decodeAsPath(buf: Buffer, width: 2 | 4): AsPathSegment[] | undefined {
  const out: AsPathSegment[] = [];
  let offset = 0;
  while (offset < buf.length) {
    if (offset + 2 > buf.length) return undefined;
    const type = buf[offset] as number;
    const count = buf[offset + 1] as number;
    if (type < 1 || type > 4 || count === 0) return undefined;
    const end = offset + 2 + count * width;
    if (end > buf.length) return undefined;
    const asns: number[] = [];
    for (let p = offset + 2; p < end; p += width) asns.push(width === 2 ? buf.readUInt16BE(p) : buf.readUInt32BE(p));
    out.push({ type: type as SegmentTypeCode, asns });
    offset = end;
  }
  return out;
}

export const needsFourOctets = (segments: readonly AsPathSegment[]): boolean => segments.some(s => s.asns.some(a => a > 0xffff));

/** Replaces every 4-octet-only AS number with AS_TRANS, for a peer that only speaks 2-octet AS. */
export const withAsTrans = (segments: readonly AsPathSegment[], asTrans: number): AsPathSegment[] =>
  segments.map(s => ({ type: s.type, asns: s.asns.map(a => (a > 0xffff ? asTrans : a)) }));
