import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseConfig, type ParseResult } from "./parse";
import { CONFIG_KINDS } from "./objects";
import { bfd, bgpAdv, communities, l2, NS, peer, pool } from "../../test/config/testdata/objects";

/** What every answer must satisfy, whatever the input. */
function checkAnswer(r: ParseResult): void {
  const blocking = r.problems.filter(p => !p.transient);
  expect(r.config !== undefined).toBe(blocking.length === 0);
  for (const p of r.problems) {
    expect(p.message.length).toBeGreaterThan(0);
    expect(p.kind.length).toBeGreaterThan(0);
    expect(p.code).not.toBe("internal");
    // Messages quote user text cut short: a huge value cannot produce a huge message.
    expect(p.message.length).toBeLessThan(2000);
  }
  for (const w of r.warnings) expect(w.length).toBeGreaterThan(0);
}

const nastyKey = fc.oneof(fc.string(), fc.constantFrom("__proto__", "constructor", "prototype", "toString", "hasOwnProperty", "spec", "metadata"));
const anyValue = fc.anything({ key: nastyKey, maxDepth: 3, withNullPrototype: true, withBigInt: true, withMap: true, withSet: true, withDate: true, withTypedArray: true, withSparseArray: true });

const FIELDS = [
  "addresses", "autoAssign", "avoidBuggyIPs", "serviceAllocation", "priority", "namespaces", "namespaceSelectors", "serviceSelectors",
  "ipAddressPools", "ipAddressPoolSelectors", "nodeSelectors", "interfaces", "preferredNodeSelectors", "weight", "preference",
  "aggregationLength", "aggregationLengthV6", "localPref", "communities", "peers", "name", "value",
  "myASN", "peerASN", "dynamicASN", "localASN", "peerAddress", "interface", "sourceAddress", "peerPort", "holdTime", "keepaliveTime",
  "connectTime", "routerID", "password", "passwordSecret", "bfdProfile", "enableGracefulRestart", "ebgpMultiHop", "vrf", "disableMP",
  "dualStackAddressFamily", "receiveInterval", "transmitInterval", "detectMultiplier", "echoInterval", "echoMode", "passiveMode", "minimumTtl",
  "matchLabels", "matchExpressions", "key", "operator", "values",
];
const fieldValue: fc.Arbitrary<unknown> = fc.letrec(tie => ({
  value: fc.oneof(
    { depthSize: "small" },
    fc.string(),
    fc.constantFrom("192.0.2.0/24", "2001:db8::/64", "192.0.2.1-192.0.2.9", "65535:65281", "large:1:2:3", "90s", "In", "Exists", "internal", "a"),
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie("value"), { maxLength: 3 }),
    fc.dictionary(fc.oneof(fc.constantFrom(...FIELDS), nastyKey), tie("value"), { maxKeys: 4 }),
  ),
})).value;
const spec = fc.dictionary(fc.constantFrom(...FIELDS), fieldValue, { maxKeys: 8 });
const configObject = fc.record({
  apiVersion: fc.constantFrom("metallb.io/v1beta1", "metallb.io/v1beta2", "metallb.io/v9"),
  kind: fc.constantFrom(...CONFIG_KINDS),
  metadata: fc.record({ name: fc.oneof(fc.constantFrom("a", "b", ""), fc.string(), fieldValue), namespace: fc.constantFrom(NS, "other", undefined), labels: fieldValue }, { requiredKeys: [] }),
  spec,
});

const VALID = [
  pool("v4", ["192.0.2.0/28", "192.0.2.96-192.0.2.127"], { serviceAllocation: { priority: 1, namespaces: ["a"], serviceSelectors: [{ matchLabels: { app: "x" } }] } }),
  pool("v6", ["2001:db8::/120"]),
  l2("l2", { ipAddressPools: ["v4"], nodeSelectors: [{ matchExpressions: [{ key: "rack", operator: "In", values: ["1", "2"] }] }] }),
  bgpAdv("adv", { aggregationLength: 28, localPref: 100, communities: ["no-export", "1:2"], peers: ["p"] }),
  peer("p", { holdTime: "30s", bfdProfile: "fast", nodeSelectors: [{ matchLabels: { rack: "1" } }] }),
  bfd("fast", { receiveInterval: 100, detectMultiplier: 5 }),
  communities("c", [{ name: "no-export", value: "65535:65281" }]),
];

/** Sets the value at a random path of a deep copy of `root` (a random walk down the object). */
function mutate(root: unknown, steps: number[], value: unknown): unknown {
  const copy: unknown = structuredClone(root);
  let node: unknown = copy;
  for (const step of steps) {
    if (typeof node !== "object" || node === null) break;
    const keys = Object.keys(node);
    if (keys.length === 0) break;
    const key = keys[step % keys.length] as string;
    const child = (node as Record<string, unknown>)[key];
    if (typeof child !== "object" || child === null || step % 3 === 0) {
      (node as Record<string, unknown>)[key] = value;
      return copy;
    }
    node = child;
  }
  return copy;
}

describe("parseConfig on arbitrary input", () => {
  it("accepts the valid reference configuration", () => {
    const r = parseConfig({ namespace: NS, objects: VALID });
    expect(r.problems).toEqual([]);
    expect(r.config?.peers.map(p => p.name)).toEqual(["p"]);
  });

  it("never throws on anything at all", () => {
    fc.assert(
      fc.property(fc.array(anyValue, { maxLength: 5 }), objects => {
        checkAnswer(parseConfig({ namespace: NS, objects }));
      }),
      { numRuns: 300 },
    );
  });

  it("never throws on config objects with random fields and values", () => {
    fc.assert(
      fc.property(fc.array(configObject, { maxLength: 6 }), fc.option(fc.array(fc.record({ name: fc.string(), labels: fc.dictionary(fc.string(), fc.string()) }), { maxLength: 3 }), { nil: undefined }), (objects, nodes) => {
        checkAnswer(parseConfig({ namespace: NS, objects, ...(nodes ? { nodes } : {}), secrets: new Map([["s", { type: "kubernetes.io/basic-auth", data: { password: "aGk=" } }]]) }));
      }),
      { numRuns: 500 },
    );
  });

  it("never throws on mutations of a valid configuration", () => {
    fc.assert(
      fc.property(fc.nat(VALID.length - 1), fc.array(fc.nat(), { minLength: 1, maxLength: 6 }), fc.oneof(fieldValue, anyValue), (index, steps, value) => {
        const objects = VALID.map((o, i) => (i === index ? mutate(o, steps, value) : o));
        checkAnswer(parseConfig({ namespace: NS, objects }));
      }),
      { numRuns: 500 },
    );
  });

  it("answers huge strings with short messages", () => {
    const huge = "9".repeat(1_000_000);
    const r = parseConfig({ namespace: NS, objects: [pool("p", [huge]), peer("q", { peerAddress: huge, holdTime: huge })] });
    checkAnswer(r);
    expect(r.problems.map(p => p.message.length).every(n => n < 400)).toBe(true);
  });

  it("does not let __proto__ keys pollute prototypes or leak into labels", () => {
    const text = '{"apiVersion":"metallb.io/v1beta1","kind":"IPAddressPool","metadata":{"name":"p","labels":{"__proto__":{"polluted":"yes"}}},"spec":{"__proto__":{"addresses":["192.0.2.0/24"]}}}';
    const r = parseConfig({ namespace: NS, objects: [JSON.parse(text)] });
    expect(({} as Record<string, unknown>)["polluted"]).toBeUndefined();
    expect(r.problems.map(p => `${p.field}: ${p.message}`)).toEqual([
      'metadata.labels.__proto__: Invalid value: "object": metadata.labels.__proto__ in body must be of type string: "object"',
      "spec.addresses: Required value",
    ]);
  });

  it("reads only own properties: an inherited spec does not count", () => {
    const inherited = Object.create({ spec: { addresses: ["192.0.2.0/24"] } }) as Record<string, unknown>;
    Object.assign(inherited, { apiVersion: "metallb.io/v1beta1", kind: "IPAddressPool", metadata: { name: "p" } });
    expect(parseConfig({ namespace: NS, objects: [inherited] }).problems.map(p => `${p.field}: ${p.message}`)).toEqual(["spec: Required value"]);
  });
});
