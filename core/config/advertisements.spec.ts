import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseConfig } from "./parse";
import { bfd, bgpAdv, communities, l2, lines, NS, obj, peer, pool } from "../../test/config/testdata/objects";

const v4 = pool("v4", ["192.0.2.0/28"]);
const v6 = pool("v6", ["2001:db8::/120"]);

describe("BGPAdvertisement checks", () => {
  const table: { name: string; objects: unknown[]; expected: string[] }[] = [
    { name: "a valid advertisement", objects: [v4, bgpAdv("a", { aggregationLength: 28, localPref: 100, communities: ["65535:65281", "large:1:2:3"] })], expected: [] },
    { name: "duplicate pools", objects: [v4, bgpAdv("a", { ipAddressPools: ["v4", "v4"] })], expected: ['BGPAdvertisement/a: spec.ipAddressPools[1]: duplicate definition of ipAddressPools "v4"'] },
    { name: "duplicate communities", objects: [bgpAdv("a", { communities: ["1:1", "1:1"] })], expected: ['BGPAdvertisement/a: spec.communities[1]: duplicate definition of community "1:1"'] },
    { name: "duplicate peers", objects: [bgpAdv("a", { peers: ["x", "x"] })], expected: ['BGPAdvertisement/a: spec.peers[1]: duplicate definition of peers "x"'] },
    { name: "duplicate pool selectors", objects: [bgpAdv("a", { ipAddressPoolSelectors: [{ matchLabels: { a: "b" } }, { matchLabels: { a: "b" } }] })], expected: ['BGPAdvertisement/a: spec.ipAddressPoolSelectors[1]: duplicate definition of ipAddressPoolSelectors "a=b"'] },
    { name: "duplicate node selectors", objects: [bgpAdv("a", { nodeSelectors: [{}, {}] })], expected: ['BGPAdvertisement/a: spec.nodeSelectors[1]: duplicate definition of nodeSelectors "<all>"'] },
    { name: "duplicate service selectors", objects: [bgpAdv("a", { serviceSelectors: [{ matchLabels: { a: "b" } }, { matchLabels: { a: "b" } }] })], expected: ['BGPAdvertisement/a: spec.serviceSelectors[1]: duplicate definition of serviceSelectors "a=b"'] },
    { name: "serviceSelectors with aggregationLength", objects: [bgpAdv("a", { aggregationLength: 24, serviceSelectors: [{ matchLabels: { a: "b" } }] })], expected: ["BGPAdvertisement/a: spec.serviceSelectors: serviceSelectors and aggregationLength are mutually exclusive, both cannot be set in a"] },
    { name: "serviceSelectors with aggregationLengthV6", objects: [bgpAdv("a", { aggregationLengthV6: 64, serviceSelectors: [{ matchLabels: { a: "b" } }] })], expected: ["BGPAdvertisement/a: spec.serviceSelectors: serviceSelectors and aggregationLengthV6 are mutually exclusive, both cannot be set in a"] },
    { name: "serviceSelectors with the default lengths written out", objects: [bgpAdv("a", { aggregationLength: 32, aggregationLengthV6: 128, serviceSelectors: [{ matchLabels: { a: "b" } }] })], expected: [] },
    { name: "aggregationLength 0", objects: [bgpAdv("a", { aggregationLength: 0 })], expected: ["BGPAdvertisement/a: spec.aggregationLength: Invalid value: 0: spec.aggregationLength in body should be greater than or equal to 1"] },
    { name: "aggregationLength above 32", objects: [bgpAdv("a", { aggregationLength: 33 })], expected: ["BGPAdvertisement/a: spec.aggregationLength: invalid aggregation length 33 for IPv4"] },
    { name: "aggregationLengthV6 negative", objects: [bgpAdv("a", { aggregationLengthV6: -1 })], expected: ["BGPAdvertisement/a: spec.aggregationLengthV6: Invalid value: -1: spec.aggregationLengthV6 in body should be greater than or equal to 0"] },
    { name: "aggregationLengthV6 above 128", objects: [bgpAdv("a", { aggregationLengthV6: 129 })], expected: ["BGPAdvertisement/a: spec.aggregationLengthV6: invalid aggregation length 129 for IPv6"] },
    { name: "localPref above 32 bits", objects: [bgpAdv("a", { localPref: 4294967296 })], expected: ["BGPAdvertisement/a: spec.localPref: Invalid value: 4294967296: spec.localPref in body should be less than or equal to 4294967295"] },
    { name: "community value out of range", objects: [bgpAdv("a", { communities: ["65536:1"] })], expected: ['BGPAdvertisement/a: spec.communities[0]: invalid community value "65536:1": each part of AA:NN must be a 16-bit unsigned number'] },
    { name: "large community value out of range", objects: [bgpAdv("a", { communities: ["large:1:2:4294967296"] })], expected: ['BGPAdvertisement/a: spec.communities[0]: invalid community value "large:1:2:4294967296": each part of large:AA:NN:NN must be a 32-bit unsigned number'] },
    { name: "unknown alias (transient)", objects: [bgpAdv("a", { communities: ["no-export"] })], expected: ['BGPAdvertisement/a: spec.communities[0]: invalid community "no-export": not AA:NN, large:AA:NN:NN or the name of a Community alias (transient)'] },
    { name: "known alias", objects: [communities("c", [{ name: "no-export", value: "65535:65281" }]), bgpAdv("a", { communities: ["no-export"] })], expected: [] },
    {
      name: "aggregation shorter than the pool's prefix",
      objects: [v4, bgpAdv("a", { aggregationLength: 24 })],
      expected: ['BGPAdvertisement/a: spec.aggregationLength: invalid aggregation length 24: prefix 28 in this pool is more specific than the aggregation length for addresses 192.0.2.0/28 (pool "v4")'],
    },
    {
      name: "aggregation against a range uses the shortest summarised mask",
      objects: [pool("r", ["192.0.2.0-192.0.2.17"]), bgpAdv("a", { aggregationLength: 27 })],
      expected: ['BGPAdvertisement/a: spec.aggregationLength: invalid aggregation length 27: prefix 28 in this pool is more specific than the aggregation length for addresses 192.0.2.0-192.0.2.17 (pool "r")'],
    },
    {
      name: "IPv6 aggregation shorter than the pool's prefix",
      objects: [v6, bgpAdv("a", { aggregationLengthV6: 64 })],
      expected: ['BGPAdvertisement/a: spec.aggregationLengthV6: invalid aggregation length 64: prefix 120 in this pool is more specific than the aggregation length for addresses 2001:db8::/120 (pool "v6")'],
    },
    {
      name: "LOCAL_PREF conflict",
      objects: [v4, bgpAdv("a", { localPref: 100 }), bgpAdv("b", { localPref: 200 })],
      expected: ['BGPAdvertisement/b: spec.localPref: invalid local preference 200: local preference 100 was already set for the same type of BGP update by BGPAdvertisement "a" for pool "v4". Check existing BGP advertisements with common pools and aggregation lengths'],
    },
    { name: "LOCAL_PREF differs with different aggregation", objects: [v4, bgpAdv("a", { localPref: 100 }), bgpAdv("b", { localPref: 200, aggregationLength: 30 })], expected: [] },
    {
      name: "LOCAL_PREF conflict in a dual-stack pool where only IPv4 aggregation differs",
      objects: [pool("ds", ["192.0.2.0/28", "2001:db8::/120"]), bgpAdv("a", { localPref: 100 }), bgpAdv("b", { localPref: 200, aggregationLength: 30 })],
      expected: ['BGPAdvertisement/b: spec.localPref: invalid local preference 200: local preference 100 was already set for the same type of BGP update by BGPAdvertisement "a" for pool "ds". Check existing BGP advertisements with common pools and aggregation lengths'],
    },
    { name: "LOCAL_PREF differs for disjoint peers", objects: [v4, bgpAdv("a", { localPref: 100, peers: ["x"] }), bgpAdv("b", { localPref: 200, peers: ["y"] })], expected: [] },
    {
      name: "LOCAL_PREF differs for disjoint nodes",
      objects: [v4, bgpAdv("a", { localPref: 100, nodeSelectors: [{ matchLabels: { rack: "1" } }] }), bgpAdv("b", { localPref: 200, nodeSelectors: [{ matchLabels: { rack: "2" } }] })],
      expected: [],
    },
    { name: "LOCAL_PREF not compared with serviceSelectors", objects: [v4, bgpAdv("a", { localPref: 100 }), bgpAdv("b", { localPref: 200, serviceSelectors: [{ matchLabels: { a: "b" } }] })], expected: [] },
    { name: "LOCAL_PREF differs on different pools", objects: [v4, v6, bgpAdv("a", { localPref: 100, ipAddressPools: ["v4"] }), bgpAdv("b", { localPref: 200, ipAddressPools: ["v6"] })], expected: [] },
    { name: "duplicate name", objects: [bgpAdv("a"), bgpAdv("a")], expected: ['BGPAdvertisement/a: metadata.name: duplicate definition of bgpadvertisements "a"'] },
  ];
  for (const { name, objects, expected } of table) it(name, () => expect(lines(objects)).toEqual(expected));

  it("resolves pools by name and selector, aliases, and defaults", () => {
    const r = parseConfig({
      namespace: NS,
      objects: [
        { ...v4, metadata: { name: "v4", labels: { tier: "gold" } } },
        v6,
        pool("other", ["198.51.100.0/24"]),
        communities("c", [{ name: "no-export", value: "65535:65281" }]),
        bgpAdv("a", { ipAddressPools: ["v6"], ipAddressPoolSelectors: [{ matchLabels: { tier: "gold" } }], communities: ["no-export", "large:1:2:3"] }),
        bgpAdv("all"),
      ],
    });
    expect(r.problems).toEqual([]);
    expect(r.config?.bgpAdvertisements).toEqual([
      {
        name: "a",
        pools: ["v4", "v6"],
        aggregationLength: 32,
        aggregationLengthV6: 128,
        localPref: 0,
        communities: [
          { kind: "standard", value: 65535 * 65536 + 65281 },
          { kind: "large", globalAdmin: 1, localData1: 2, localData2: 3 },
        ],
        peers: [],
        nodeSelectors: [],
        serviceSelectors: [],
      },
      { name: "all", pools: ["v4", "v6", "other"], aggregationLength: 32, aggregationLengthV6: 128, localPref: 0, communities: [], peers: [], nodeSelectors: [], serviceSelectors: [] },
    ]);
  });

  it("warns about pools and peers that do not exist", () => {
    const r = parseConfig({ namespace: NS, objects: [bgpAdv("a", { ipAddressPools: ["ghost"], peers: ["nobody"] })] });
    expect(r.problems).toEqual([]);
    expect(r.warnings).toEqual([
      'BGPAdvertisement/a: spec.ipAddressPools: pool "ghost" does not exist (yet): the advertisement does not apply to it',
      'BGPAdvertisement/a: spec.peers: BGPPeer "nobody" does not exist (yet)',
    ]);
  });
});

describe("L2Advertisement checks", () => {
  const table: { name: string; objects: unknown[]; expected: string[] }[] = [
    { name: "valid", objects: [v4, l2("a", { ipAddressPools: ["v4"], interfaces: ["eth0"], nodeSelectors: [{ matchLabels: { a: "b" } }] })], expected: [] },
    { name: "duplicate pools", objects: [l2("a", { ipAddressPools: ["v4", "v4"] })], expected: ['L2Advertisement/a: spec.ipAddressPools[1]: duplicate definition of ipAddressPools "v4"'] },
    { name: "duplicate pool selectors", objects: [l2("a", { ipAddressPoolSelectors: [{ matchLabels: { a: "b" } }, { matchLabels: { a: "b" } }] })], expected: ['L2Advertisement/a: spec.ipAddressPoolSelectors[1]: duplicate definition of ipAddressPoolSelectors "a=b"'] },
    { name: "duplicate node selectors", objects: [l2("a", { nodeSelectors: [{ matchLabels: { a: "b" } }, { matchLabels: { a: "b" } }] })], expected: ['L2Advertisement/a: spec.nodeSelectors[1]: duplicate definition of nodeSelectors "a=b"'] },
    { name: "duplicate service selectors", objects: [l2("a", { serviceSelectors: [{ matchLabels: { a: "b" } }, { matchLabels: { a: "b" } }] })], expected: ['L2Advertisement/a: spec.serviceSelectors[1]: duplicate definition of serviceSelectors "a=b"'] },
    { name: "invalid label value", objects: [l2("a", { nodeSelectors: [{ matchLabels: { a: "-x" } }] })], expected: [`L2Advertisement/a: spec.nodeSelectors[0].matchLabels.a: invalid label value "-x": must be empty or 1-63 alphanumeric characters, '-', '_' or '.', starting and ending with an alphanumeric character`] },
    { name: "preferred weight 0", objects: [l2("a", { preferredNodeSelectors: [{ weight: 0, preference: {} }] })], expected: ["L2Advertisement/a: spec.preferredNodeSelectors[0].weight: Invalid value: 0: spec.preferredNodeSelectors[0].weight in body should be greater than or equal to 1"] },
    { name: "preferred weight 101", objects: [l2("a", { preferredNodeSelectors: [{ weight: 101, preference: {} }] })], expected: ["L2Advertisement/a: spec.preferredNodeSelectors[0].weight: Invalid value: 101: spec.preferredNodeSelectors[0].weight in body should be less than or equal to 100"] },
    { name: "preferred without weight", objects: [l2("a", { preferredNodeSelectors: [{ preference: {} }] })], expected: ["L2Advertisement/a: spec.preferredNodeSelectors[0].weight: Required value"] },
    { name: "preferred without preference", objects: [l2("a", { preferredNodeSelectors: [{ weight: 5 }] })], expected: ["L2Advertisement/a: spec.preferredNodeSelectors[0].preference: Required value"] },
    { name: "duplicate name", objects: [l2("a"), l2("a")], expected: ['L2Advertisement/a: metadata.name: duplicate definition of l2advertisements "a"'] },
  ];
  for (const { name, objects, expected } of table) it(name, () => expect(lines(objects)).toEqual(expected));

  describe("annotation lodestone.dev/gratuitous-interval", () => {
    const annotated = (value: unknown) => {
      const o = l2("a", { ipAddressPools: ["v4"] });
      (o.metadata as Record<string, unknown>).annotations = { "lodestone.dev/gratuitous-interval": value };
      return o;
    };
    const intervalOf = (value: string): number | undefined => parseConfig({ namespace: NS, objects: [v4, annotated(value)] }).config?.l2Advertisements[0]?.gratuitousIntervalMs;
    const field = "L2Advertisement/a: metadata.annotations[lodestone.dev/gratuitous-interval]";

    it("reads Go durations within 1s..1h as milliseconds; 0 and absence mean none", () => {
      expect(intervalOf("60s")).toBe(60_000);
      expect(intervalOf("1s")).toBe(1000);
      expect(intervalOf("1h")).toBe(3_600_000);
      expect(intervalOf("2m30s")).toBe(150_000);
      expect(intervalOf("1.5s")).toBe(1500);
      expect(intervalOf("0")).toBeUndefined();
      expect(intervalOf("0s")).toBeUndefined();
      expect(parseConfig({ namespace: NS, objects: [v4, l2("a")] }).config?.l2Advertisements[0]).not.toHaveProperty("gratuitousIntervalMs");
    });

    const bad: [string, unknown, string][] = [
      ["below 1s", "500ms", `${field}: invalid interval "500ms": must be a duration from 1s to 1h (such as 30s or 5m), or 0 for none`],
      ["above 1h", "61m", `${field}: invalid interval "61m": must be a duration from 1s to 1h (such as 30s or 5m), or 0 for none`],
      ["negative", "-30s", `${field}: invalid interval "-30s": must be a duration from 1s to 1h (such as 30s or 5m), or 0 for none`],
      ["a bare number (MetalLB's flag takes seconds; a duration needs its unit)", "60", `${field}: invalid interval "60": must be a duration from 1s to 1h (such as 30s or 5m), or 0 for none`],
      ["not a duration", "often", `${field}: invalid interval "often": must be a duration from 1s to 1h (such as 30s or 5m), or 0 for none`],
      ["not a string", 60, 'L2Advertisement/a: metadata.annotations.lodestone.dev/gratuitous-interval: Invalid value: "integer": metadata.annotations.lodestone.dev/gratuitous-interval in body must be of type string: "integer"'],
    ];
    for (const [name, value, message] of bad) it(`refuses ${name}, naming the object and the annotation`, () => expect(lines([v4, annotated(value)])).toEqual([message]));

    it("any text either gives an interval within 1s..1h, or none with 0, or exactly one problem naming the annotation (property)", () => {
      const text = fc.oneof(fc.string(), fc.tuple(fc.float({ min: -5000, max: 5000, noNaN: true }), fc.constantFrom("ns", "us", "ms", "s", "m", "h", "")).map(([n, u]) => `${n}${u}`));
      fc.assert(
        fc.property(text, value => {
          const r = parseConfig({ namespace: NS, objects: [v4, annotated(value)] });
          const ms = r.config?.l2Advertisements[0]?.gratuitousIntervalMs;
          if (r.problems.length === 0) expect(ms === undefined || (ms >= 1000 && ms <= 3_600_000)).toBe(true);
          else expect(r.problems.map(p => p.field)).toEqual(["metadata.annotations[lodestone.dev/gratuitous-interval]"]);
        }),
        { numRuns: 500 },
      );
    });
  });

  it("applies to every pool when it names none", () => {
    const r = parseConfig({ namespace: NS, objects: [v4, v6, l2("a", { interfaces: ["eth0", "eth0"], preferredNodeSelectors: [{ weight: 7, preference: { matchLabels: { a: "b" } } }] })] });
    expect(r.config?.l2Advertisements).toEqual([
      { name: "a", pools: ["v4", "v6"], nodeSelectors: [], interfaces: ["eth0"], serviceSelectors: [], preferredNodeSelectors: [{ weight: 7, preference: { matchLabels: { a: "b" }, matchExpressions: [] } }] },
    ]);
  });
});

describe("BFDProfile and Community checks", () => {
  const table: { name: string; objects: unknown[]; expected: string[] }[] = [
    { name: "valid profile", objects: [bfd("b", { receiveInterval: 10, transmitInterval: 60000, detectMultiplier: 2, echoInterval: 10, minimumTtl: 254, passiveMode: true })], expected: [] },
    { name: "receiveInterval below 10", objects: [bfd("b", { receiveInterval: 9 })], expected: ["BFDProfile/b: spec.receiveInterval: Invalid value: 9: spec.receiveInterval in body should be greater than or equal to 10"] },
    { name: "transmitInterval above 60000", objects: [bfd("b", { transmitInterval: 60001 })], expected: ["BFDProfile/b: spec.transmitInterval: Invalid value: 60001: spec.transmitInterval in body should be less than or equal to 60000"] },
    { name: "echoInterval below 10", objects: [bfd("b", { echoInterval: 1 })], expected: ["BFDProfile/b: spec.echoInterval: Invalid value: 1: spec.echoInterval in body should be greater than or equal to 10"] },
    { name: "detectMultiplier 1", objects: [bfd("b", { detectMultiplier: 1 })], expected: ["BFDProfile/b: spec.detectMultiplier: Invalid value: 1: spec.detectMultiplier in body should be greater than or equal to 2"] },
    { name: "detectMultiplier 256", objects: [bfd("b", { detectMultiplier: 256 })], expected: ["BFDProfile/b: spec.detectMultiplier: Invalid value: 256: spec.detectMultiplier in body should be less than or equal to 255"] },
    { name: "minimumTtl 0", objects: [bfd("b", { minimumTtl: 0 })], expected: ["BFDProfile/b: spec.minimumTtl: Invalid value: 0: spec.minimumTtl in body should be greater than or equal to 1"] },
    { name: "minimumTtl 255", objects: [bfd("b", { minimumTtl: 255 })], expected: ["BFDProfile/b: spec.minimumTtl: Invalid value: 255: spec.minimumTtl in body should be less than or equal to 254"] },
    { name: "echo mode with echoInterval 10 and 60000", objects: [bfd("b", { echoMode: true, echoInterval: 10 }), bfd("c", { echoMode: true, echoInterval: 60000 })], expected: [] },
    { name: "echoInterval above 60000", objects: [bfd("b", { echoMode: true, echoInterval: 60001 })], expected: ["BFDProfile/b: spec.echoInterval: Invalid value: 60001: spec.echoInterval in body should be less than or equal to 60000"] },
    { name: "echoMode not a boolean", objects: [bfd("b", { echoMode: "yes" })], expected: ['BFDProfile/b: spec.echoMode: Invalid value: "string": spec.echoMode in body must be of type boolean: "string"'] },
    { name: "missing name", objects: [{ apiVersion: "metallb.io/v1beta1", kind: "BFDProfile", spec: {} }], expected: ["BFDProfile/#1: metadata.name: missing bfd profile name"] },
    { name: "duplicate name", objects: [bfd("b"), bfd("b")], expected: ["BFDProfile/b: metadata.name: found duplicate bfd profile name b"] },
    {
      name: "echo mode on a peer that receives an IPv6 pool",
      objects: [bfd("echo", { echoMode: true }), peer("p", { bfdProfile: "echo" }), v6, bgpAdv("a")],
      expected: ['BGPPeer/p: spec.bfdProfile: pool "v6" has bgpadvertisement "a" which references peer "p" which has bfd echo enabled, which is not possible'],
    },
    {
      name: "echo mode on a peer whose advertisements carry IPv4 pools only",
      objects: [bfd("echo", { echoMode: true }), peer("p", { bfdProfile: "echo" }), peer("q", { peerAddress: "192.0.2.2" }), v4, v6, bgpAdv("a", { ipAddressPools: ["v4"] }), bgpAdv("b", { ipAddressPools: ["v6"], peers: ["q"] })],
      expected: [],
    },
    { name: "community alias value invalid", objects: [communities("c", [{ name: "x", value: "1:2:3" }])], expected: ['Community/c: spec.communities[0].value: invalid community value "1:2:3": expected AA:NN or large:AA:NN:NN'] },
    { name: "community alias value out of range", objects: [communities("c", [{ name: "x", value: "1:70000" }])], expected: ['Community/c: spec.communities[0].value: invalid community value "1:70000": each part of AA:NN must be a 16-bit unsigned number'] },
    {
      name: "alias names unique across Community objects",
      objects: [communities("c1", [{ name: "x", value: "1:2" }]), communities("c2", [{ name: "x", value: "1:3" }])],
      expected: ['Community/c2: spec.communities[0].name: duplicate definition of community "x"'],
    },
    { name: "two Community objects of one name", objects: [communities("c", []), communities("c", [])], expected: ['Community/c: metadata.name: duplicate definition of Community "c"'] },
    { name: "alias with an empty name", objects: [communities("c", [{ name: "", value: "1:2" }])], expected: ["Community/c: spec.communities[0].name: Required value"] },
    { name: "alias without a value", objects: [communities("c", [{ name: "x", value: undefined }])], expected: ["Community/c: spec.communities[0].value: Required value"] },
  ];
  for (const { name, objects, expected } of table) it(name, () => expect(lines(objects)).toEqual(expected));

  it("accepts echo mode on an ebgpMultiHop peer, as MetalLB does, and warns that the multihop session runs without echo", () => {
    const r = parseConfig({ namespace: NS, objects: [bfd("echo", { echoMode: true }), peer("p", { bfdProfile: "echo", ebgpMultiHop: true })] });
    expect(r.problems).toEqual([]);
    expect(r.warnings).toEqual(['BGPPeer/p: bfd profile "echo" has echoMode, which a multihop session (ebgpMultiHop) does not use (RFC 5883 3): BFD to this peer runs without echo, as with FRR']);
    expect(r.config?.bfdProfiles.get("echo")).toMatchObject({ echoMode: true, echoIntervalMs: 50 });
  });

  it("fills the documented BFD defaults", () => {
    const r = parseConfig({ namespace: NS, objects: [bfd("b")] });
    expect(r.config?.bfdProfiles.get("b")).toEqual({ name: "b", receiveIntervalMs: 300, transmitIntervalMs: 300, detectMultiplier: 3, echoIntervalMs: 50, echoMode: false, passiveMode: false });
  });
});

describe("object envelope", () => {
  const table: { name: string; objects: unknown[]; expected: string[] }[] = [
    { name: "wrong namespace", objects: [{ ...v4, metadata: { name: "v4", namespace: "default" } }], expected: ["IPAddressPool/v4: metadata.namespace: resource must be created in metallb-system namespace"] },
    { name: "no namespace is fine", objects: [{ ...v4, metadata: { name: "v4" } }], expected: [] },
    { name: "unserved version", objects: [obj("IPAddressPool", "p", { addresses: ["192.0.2.0/24"] }, "metallb.io/v1alpha1")], expected: ['IPAddressPool/p: apiVersion: apiVersion "metallb.io/v1alpha1" is not served for IPAddressPool'] },
    { name: "name of the wrong type", objects: [{ ...v4, metadata: { name: 5 } }], expected: ['IPAddressPool/#1: metadata.name: Invalid value: "integer": metadata.name in body must be of type string: "integer"'] },
    { name: "labels of the wrong type", objects: [{ ...v4, metadata: { name: "v4", labels: { a: 1 } } }], expected: ['IPAddressPool/v4: metadata.labels.a: Invalid value: "integer": metadata.labels.a in body must be of type string: "integer"'] },
    { name: "missing name of another kind", objects: [{ apiVersion: "metallb.io/v1beta1", kind: "L2Advertisement" }], expected: ["L2Advertisement/#1: metadata.name: Required value: every object needs metadata.name"] },
    { name: "metadata not an object", objects: [{ ...v4, metadata: "v4" }], expected: ['IPAddressPool/#1: metadata: Invalid value: "string": metadata in body must be of type object: "string"', "IPAddressPool/#1: metadata.name: missing pool name"] },
    { name: "other kinds are ignored", objects: [{ apiVersion: "v1", kind: "Service", metadata: { name: "x" } }, "text", null, 42, { apiVersion: "metallb.io/v1beta1", kind: "ServiceL2Status" }], expected: [] },
  ];
  for (const { name, objects, expected } of table) it(name, () => expect(lines(objects)).toEqual(expected));

  it("warns that the removed AddressPool kind is ignored", () => {
    const r = parseConfig({ namespace: NS, objects: [obj("AddressPool", "old", { protocol: "layer2", addresses: ["192.0.2.0/24"] })] });
    expect(r.problems).toEqual([]);
    expect(r.warnings).toEqual(["AddressPool/old: the AddressPool kind was removed in MetalLB 0.14 and is ignored: use an IPAddressPool with an L2Advertisement or a BGPAdvertisement"]);
  });

  it("warns about unknown fields (the API server would prune them), naming the closest known field", () => {
    const r = parseConfig({ namespace: NS, objects: [pool("p", ["192.0.2.0/24"], { autoAsign: false })] });
    expect(r.warnings).toEqual(["IPAddressPool/p: spec.autoAsign: unknown field (did you mean spec.autoAssign?)"]);
    expect(r.unknownFields).toEqual([{ kind: "IPAddressPool", name: "p", field: "spec.autoAsign", message: "unknown field (did you mean spec.autoAssign?)", transient: false, code: "schema.unknown-field" }]);
    expect(r.problems).toEqual([]);
    const nested = parseConfig({ namespace: NS, objects: [{ ...pool("p", ["192.0.2.0/24"], { serviceAllocation: { priorty: 1 } }), extra: 1 }] });
    expect(nested.warnings).toEqual(["IPAddressPool/p: extra: unknown field", "IPAddressPool/p: spec.serviceAllocation.priorty: unknown field (did you mean spec.serviceAllocation.priority?)"]);
    expect(nested.unknownFields.map(u => u.field)).toEqual(["extra", "spec.serviceAllocation.priorty"]);
  });

  it("names a known field whatever its letter case, and none that is far from the typo", () => {
    const r = parseConfig({ namespace: NS, objects: [pool("p", ["192.0.2.0/24"], { autoassign: false, avoidbuggyips: true, colour: "red" })] });
    expect(r.warnings).toEqual([
      "IPAddressPool/p: spec.autoassign: unknown field (did you mean spec.autoAssign?)",
      "IPAddressPool/p: spec.avoidbuggyips: unknown field (did you mean spec.avoidBuggyIPs?)",
      "IPAddressPool/p: spec.colour: unknown field",
    ]);
  });
});
