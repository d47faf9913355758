/**
 * Minimal decoding of Kubernetes' protobuf wire format for the kinds kubectl's typed-client generators
 * send (`kubectl create namespace|configmap|secret`): the `k8s\0` envelope, runtime.Unknown, ObjectMeta
 * (name, generateName, namespace, labels, annotations) and the Namespace/ConfigMap/Secret bodies.
 * Anything else is answered with 415, as before.
 */
import type { Json, JsonObject } from "./status";

interface Field {
  no: number;
  wire: number;
  bytes?: Buffer;
  varint?: number;
}

function fields(buf: Buffer): Field[] {
  const out: Field[] = [];
  let i = 0;
  const varint = (): number => {
    let v = 0;
    let mul = 1;
    for (;;) {
      const b = buf[i++];
      if (b === undefined) throw new Error("truncated varint");
      v += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) return v;
      mul *= 128;
    }
  };
  while (i < buf.length) {
    const key = varint();
    const no = Math.floor(key / 8);
    const wire = key & 7;
    if (wire === 0) out.push({ no, wire, varint: varint() });
    else if (wire === 2) {
      const len = varint();
      if (i + len > buf.length) throw new Error("truncated field");
      out.push({ no, wire, bytes: buf.subarray(i, i + len) });
      i += len;
    } else if (wire === 1) i += 8;
    else if (wire === 5) i += 4;
    else throw new Error(`unsupported wire type ${wire}`);
  }
  return out;
}

const text = (f: Field | undefined): string | undefined => f?.bytes?.toString("utf8");

function map(fs: Field[], no: number, asBase64: boolean): JsonObject | undefined {
  const entries = fs.filter((f) => f.no === no && f.bytes);
  if (entries.length === 0) return undefined;
  const out: JsonObject = {};
  for (const e of entries) {
    const kv = fields(e.bytes as Buffer);
    const k = text(kv.find((x) => x.no === 1)) ?? "";
    const v = kv.find((x) => x.no === 2)?.bytes ?? Buffer.alloc(0);
    out[k] = asBase64 ? v.toString("base64") : v.toString("utf8");
  }
  return out;
}

function objectMeta(buf: Buffer): JsonObject {
  const fs = fields(buf);
  const md: JsonObject = {};
  const put = (k: string, v: Json | undefined): void => {
    if (v !== undefined && v !== "") md[k] = v;
  };
  put("name", text(fs.find((f) => f.no === 1)));
  put("generateName", text(fs.find((f) => f.no === 2)));
  put("namespace", text(fs.find((f) => f.no === 3)));
  put("labels", map(fs, 11, false));
  put("annotations", map(fs, 12, false));
  return md;
}

/** Decodes a protobuf request body for the supported kinds; undefined when the kind is not supported. */
export function decodeProtobuf(raw: Buffer, kind: string): JsonObject | undefined {
  if (raw.length < 4 || raw.subarray(0, 4).toString("latin1") !== "k8s\u0000") return undefined;
  const unknown = fields(raw.subarray(4));
  const typeMeta = fields(unknown.find((f) => f.no === 1)?.bytes ?? Buffer.alloc(0));
  const apiVersion = text(typeMeta.find((f) => f.no === 1)) ?? "";
  const gotKind = text(typeMeta.find((f) => f.no === 2)) ?? "";
  if (gotKind !== kind) return undefined;
  const body = fields(unknown.find((f) => f.no === 2)?.bytes ?? Buffer.alloc(0));
  const metaBytes = body.find((f) => f.no === 1)?.bytes;
  const o: JsonObject = { apiVersion, kind, metadata: metaBytes ? objectMeta(metaBytes) : {} };
  switch (kind) {
    case "Namespace":
      return o;
    case "ConfigMap": {
      const data = map(body, 2, false);
      const binary = map(body, 3, true);
      if (data) o.data = data;
      if (binary) o.binaryData = binary;
      return o;
    }
    case "Secret": {
      const data = map(body, 2, true);
      if (data) o.data = data;
      const type = text(body.find((f) => f.no === 3));
      if (type) o.type = type;
      return o;
    }
    default:
      return undefined;
  }
}
