/**
 * Property tests: whatever the input, the converter returns and says something - resources or
 * problems, never both, never neither for a broken input, never an exception.
 */
import fc from "fast-check";
import { parse, stringify } from "yaml";
import { describe, expect, it } from "vitest";
import { convertLegacyConfigMap, type LegacyConversion } from "./convert";
import { FULL_V012 } from "../../../test/config/legacy/full-v012.fixture";

const DNS1123 = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** The invariants every result keeps. */
function checkShape(result: LegacyConversion): void {
  if (result.problems.length > 0) expect(result.objects).toEqual([]);
  for (const p of result.problems) {
    expect(p.kind).toBe("ConfigMap");
    expect(p.message.length).toBeGreaterThan(0);
    expect(p.message).not.toMatch(/internal error/);
    expect(p.transient).toBe(false);
  }
  for (const o of result.objects) {
    expect(Object.keys(o)).toEqual(["apiVersion", "kind", "metadata", "spec"]);
    expect(o.metadata.name).toMatch(DNS1123);
    expect(o.metadata.namespace).toBe(result.namespace);
  }
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Every path to a value inside a JSON tree, root included. */
function paths(value: Json, prefix: (string | number)[] = []): (string | number)[][] {
  const out = [prefix];
  if (Array.isArray(value)) value.forEach((v, i) => out.push(...paths(v, [...prefix, i])));
  else if (value !== null && typeof value === "object") for (const [k, v] of Object.entries(value)) out.push(...paths(v, [...prefix, k]));
  return out;
}

type Mutation = { op: "delete" | "replace" | "rename"; at: number; value: Json; key: string };

function mutate(root: Json, m: Mutation): Json {
  const copy = structuredClone(root);
  const all = paths(copy).filter(p => p.length > 0);
  const path = all[m.at % Math.max(1, all.length)];
  if (!path) return m.value;
  let parent: Json = copy;
  for (const step of path.slice(0, -1)) parent = (parent as Record<string | number, Json>)[step] as Json;
  const last = path[path.length - 1] as string | number;
  const container = parent as Record<string | number, Json>;
  if (m.op === "replace") container[last] = m.value;
  else if (Array.isArray(parent)) parent.splice(last as number, 1);
  else if (m.op === "rename") {
    const v = container[last] as Json;
    delete container[last];
    container[m.key] = v;
  } else delete container[last];
  return copy;
}

const mutation: fc.Arbitrary<Mutation> = fc.record({
  op: fc.constantFrom("delete", "replace", "rename"),
  at: fc.nat(),
  value: fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json>,
  key: fc.string({ maxLength: 12 }),
});

describe("convertLegacyConfigMap properties", () => {
  it("never throws on any text", () => {
    fc.assert(fc.property(fc.string({ unit: "grapheme-ascii" }), text => checkShape(convertLegacyConfigMap(text))), { numRuns: 500 });
  });

  it("never throws on random YAML values", () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), value => checkShape(convertLegacyConfigMap(stringify(value)))),
      { numRuns: 500 },
    );
  });

  it("never throws on random ConfigMap-like objects", () => {
    fc.assert(fc.property(fc.anything(), fc.anything(), (metadata, config) => checkShape(convertLegacyConfigMap({ kind: "ConfigMap", metadata, data: { config } }))));
    fc.assert(fc.property(fc.anything(), value => checkShape(convertLegacyConfigMap(value))));
  });

  it("always answers a mutated valid configuration with resources or problems", () => {
    const valid = parse(FULL_V012) as Json;
    expect(convertLegacyConfigMap(stringify(valid)).problems).toEqual([]);
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 3 }), ms => {
        const mutated = ms.reduce(mutate, valid);
        const result = convertLegacyConfigMap(stringify(mutated));
        checkShape(result);
        expect(result.objects.length > 0 || result.problems.length > 0 || isEmptyConfig(mutated)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it("converts generated valid configurations completely and deterministically", () => {
    const poolArb = fc.record({
      protocol: fc.constantFrom("layer2", "bgp"),
      ads: fc.uniqueArray(fc.integer({ min: 24, max: 32 }), { maxLength: 3 }),
      autoAssign: fc.option(fc.boolean(), { nil: undefined }),
    });
    const peerArb = fc.record({ myASN: fc.integer({ min: 1, max: 4294967295 }), peerASN: fc.integer({ min: 1, max: 4294967295 }), hold: fc.constantFrom(undefined, "0", "3s", "90s", "4m") });
    fc.assert(
      fc.property(fc.array(poolArb, { maxLength: 6 }), fc.array(peerArb, { maxLength: 4 }), (pools, peers) => {
        const config = {
          "address-pools": pools.map((p, i) => ({
            name: `pool-${i}`,
            protocol: p.protocol,
            addresses: [`198.18.${i}.0/24`, `198.19.${i}.10-198.19.${i}.20`],
            ...(p.autoAssign === undefined ? {} : { "auto-assign": p.autoAssign }),
            ...(p.protocol === "bgp" && p.ads.length > 0 ? { "bgp-advertisements": p.ads.map(len => ({ "aggregation-length": len === 24 ? 32 : len >= 30 ? len : 32, localpref: len })) } : {}),
          })),
          peers: peers.map((p, i) => ({ "peer-address": `192.0.2.${i + 1}`, "my-asn": p.myASN, "peer-asn": p.peerASN, ...(p.hold ? { "hold-time": p.hold } : {}) })),
        };
        const text = stringify(config);
        const result = convertLegacyConfigMap(text);
        checkShape(result);
        expect(result.problems).toEqual([]);
        const count = (kind: string) => result.objects.filter(o => o.kind === kind).length;
        expect(count("IPAddressPool")).toBe(pools.length);
        expect(count("L2Advertisement")).toBe(pools.filter(p => p.protocol === "layer2").length);
        expect(count("BGPAdvertisement")).toBe(pools.filter(p => p.protocol === "bgp").reduce((n, p) => n + Math.max(1, p.ads.length), 0));
        expect(count("BGPPeer")).toBe(peers.length);
        expect(convertLegacyConfigMap(text)).toEqual(result);
      }),
    );
  });
});

function isEmptyConfig(value: Json): boolean {
  if (value === null) return true;
  if (typeof value !== "object" || Array.isArray(value)) return false;
  return Object.entries(value).every(([k, v]) => ["peers", "bgp-communities", "address-pools", "bfd-profiles"].includes(k) && (v === null || (Array.isArray(v) && v.length === 0) || (typeof v === "object" && Object.keys(v).length === 0)));
}
