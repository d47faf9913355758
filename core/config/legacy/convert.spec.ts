import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { parseConfig } from "../parse";
import { formatProblem } from "../types";
import { convertLegacyConfigMap } from "./convert";
import { FULL_V012 } from "../../../test/config/legacy/full-v012.fixture";

const problemsOf = (config: string): string[] => convertLegacyConfigMap(config).problems.map(formatProblem);

describe("convertLegacyConfigMap: the article's v0.7 ConfigMap", () => {
  it("becomes IPAddressPool metallb and its L2Advertisement", () => {
    const configMap: unknown = parse(readFileSync(join(__dirname, "..", "..", "..", "examples", "legacy-configmap-v0.7.yaml"), "utf8"));
    expect(convertLegacyConfigMap(configMap)).toEqual({
      namespace: "metallb-system",
      problems: [],
      objects: [
        {
          apiVersion: "metallb.io/v1beta1",
          kind: "IPAddressPool",
          metadata: { name: "metallb", namespace: "metallb-system" },
          spec: { addresses: ["10.0.11.10-10.0.11.254"] },
        },
        {
          apiVersion: "metallb.io/v1beta1",
          kind: "L2Advertisement",
          metadata: { name: "metallb", namespace: "metallb-system" },
          spec: { ipAddressPools: ["metallb"] },
        },
      ],
    });
  });
});


describe("convertLegacyConfigMap: every legacy field", () => {
  it("maps a full v0.12 configuration field by field", () => {
    const ns = "lb";
    const meta = (name: string) => ({ name, namespace: ns });
    const result = convertLegacyConfigMap({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "config", namespace: ns }, data: { config: FULL_V012 } });
    expect(result.problems).toEqual([]);
    expect(result.namespace).toBe(ns);
    expect(result.objects).toEqual([
      {
        apiVersion: "metallb.io/v1beta1",
        kind: "IPAddressPool",
        metadata: meta("bgp-pool"),
        spec: { addresses: ["198.51.100.0/24", "203.0.113.10 - 203.0.113.20"], autoAssign: false, avoidBuggyIPs: true },
      },
      { apiVersion: "metallb.io/v1beta1", kind: "IPAddressPool", metadata: meta("plain"), spec: { addresses: ["2001:db8:1::/120"] } },
      { apiVersion: "metallb.io/v1beta1", kind: "IPAddressPool", metadata: meta("l2"), spec: { addresses: ["192.0.2.128/25"], autoAssign: true } },
      { apiVersion: "metallb.io/v1beta1", kind: "L2Advertisement", metadata: meta("l2"), spec: { ipAddressPools: ["l2"] } },
      // "1:2" reads as a community value, so it is inlined below and left out of the Community.
      { apiVersion: "metallb.io/v1beta1", kind: "Community", metadata: meta("legacy-communities"), spec: { communities: [{ name: "no-export", value: "65535:65281" }] } },
      {
        apiVersion: "metallb.io/v1beta1",
        kind: "BGPAdvertisement",
        metadata: meta("bgp-pool"),
        spec: { ipAddressPools: ["bgp-pool"], aggregationLength: 32, localPref: 100, communities: ["64512:1", "no-export", "3:4"] },
      },
      {
        apiVersion: "metallb.io/v1beta1",
        kind: "BGPAdvertisement",
        metadata: meta("bgp-pool-2"),
        spec: { ipAddressPools: ["bgp-pool"], aggregationLength: 30, aggregationLengthV6: 120 },
      },
      { apiVersion: "metallb.io/v1beta1", kind: "BGPAdvertisement", metadata: meta("plain"), spec: { ipAddressPools: ["plain"] } },
      {
        apiVersion: "metallb.io/v1beta1",
        kind: "BFDProfile",
        metadata: meta("fast"),
        spec: { receiveInterval: 100, transmitInterval: 100, detectMultiplier: 3, echoInterval: 50, minimumTtl: 254, echoMode: false, passiveMode: true },
      },
      { apiVersion: "metallb.io/v1beta1", kind: "BFDProfile", metadata: meta("slow"), spec: {} },
      {
        apiVersion: "metallb.io/v1beta2",
        kind: "BGPPeer",
        metadata: meta("peer-192.0.2.1"),
        spec: {
          myASN: 64500,
          peerASN: 64501,
          peerAddress: "192.0.2.1",
          peerPort: 1179,
          sourceAddress: "192.0.2.2",
          routerID: "192.0.2.100",
          holdTime: "120s",
          keepaliveTime: "40s",
          password: "yes",
          bfdProfile: "fast",
          ebgpMultiHop: true,
          nodeSelectors: [
            { matchLabels: { rack: "a" }, matchExpressions: [{ key: "kubernetes.io/hostname", operator: "In", values: ["n1", "n2"] }] },
            { matchExpressions: [{ key: "spine", operator: "Exists" }] },
          ],
        },
      },
      // A keepalive alone kept the legacy 90 s hold time; a BGPPeer would derive 3 x keepalive instead.
      {
        apiVersion: "metallb.io/v1beta2",
        kind: "BGPPeer",
        metadata: meta("peer-2001-db8--1"),
        spec: {
          myASN: 64500,
          peerASN: 64500,
          peerAddress: "2001:db8::1",
          routerID: "192.0.2.100",
          holdTime: "90s",
          keepaliveTime: "10s",
          nodeSelectors: [{ matchLabels: { rack: "b" } }],
        },
      },
      // A second session to the same address (from other nodes) gets the next free name.
      {
        apiVersion: "metallb.io/v1beta2",
        kind: "BGPPeer",
        metadata: meta("peer-2001-db8--1-2"),
        spec: { myASN: 64500, peerASN: 64500, peerAddress: "2001:db8::1", routerID: "192.0.2.100", holdTime: "0s", nodeSelectors: [{ matchLabels: { rack: "c" } }] },
      },
    ]);
  });

  it("gives resources that parseConfig accepts, meaning the same pools", () => {
    for (const input of [FULL_V012, readFileSync(join(__dirname, "..", "..", "..", "examples", "legacy-configmap-v0.7.yaml"), "utf8")]) {
      const converted = convertLegacyConfigMap(typeof input === "string" && input.includes("kind: ConfigMap") ? parse(input) : input);
      const parsed = parseConfig({ namespace: converted.namespace, objects: JSON.parse(JSON.stringify(converted.objects)) as unknown[] });
      expect(parsed.problems).toEqual([]);
      expect(parsed.warnings).toEqual([]);
      expect([...(parsed.config?.pools.keys() ?? [])]).toEqual(converted.objects.filter(o => o.kind === "IPAddressPool").map(o => o.metadata.name));
    }
    const full = parseConfig({ namespace: "metallb-system", objects: convertLegacyConfigMap(FULL_V012).objects });
    expect(full.config?.bgpAdvertisements.find(a => a.name === "bgp-pool")?.communities).toEqual([
      { kind: "standard", value: 64512 * 65536 + 1 },
      { kind: "standard", value: 65535 * 65536 + 65281 },
      { kind: "standard", value: 3 * 65536 + 4 },
    ]);
    expect(full.config?.peers.map(p => [p.name, p.holdTimeS, p.keepaliveTimeS])).toEqual([
      ["peer-192.0.2.1", 120, 40],
      ["peer-2001-db8--1", 90, 10],
      ["peer-2001-db8--1-2", 0, 0],
    ]);
  });

  it("uses the ConfigMap's name in problems, and metallb-system without a namespace", () => {
    const result = convertLegacyConfigMap({ kind: "ConfigMap", metadata: { name: "old" }, data: { config: "address-pools:\n- protocol: layer2\n  addresses: [192.0.2.0/24]\n" } });
    expect(result.namespace).toBe("metallb-system");
    expect(result.objects).toEqual([]);
    expect(result.problems).toEqual([{ kind: "ConfigMap", name: "old", field: "address-pools[0].name", message: "missing pool name", transient: false }]);
  });

  it("reads YAML 1.1 booleans and integer forms as go-yaml v2 did, and scalars as text in string fields", () => {
    const result = convertLegacyConfigMap(
      "address-pools:\n- name: a\n  protocol: layer2\n  addresses: [192.0.2.0/24]\n  auto-assign: off\n  avoid-buggy-ips: Y\n" +
        "peers:\n- {peer-address: 192.0.2.1, peer-asn: 0xFBF5, my-asn: 64_500, password: 12345}\n",
    );
    expect(result.problems).toEqual([]);
    expect(result.objects.map(o => o.spec)).toEqual([
      { addresses: ["192.0.2.0/24"], autoAssign: false, avoidBuggyIPs: true },
      { ipAddressPools: ["a"] },
      { myASN: 64500, peerASN: 64501, peerAddress: "192.0.2.1", password: "12345" },
    ]);
  });

  it("converts an empty configuration to nothing", () => {
    expect(convertLegacyConfigMap("")).toEqual({ namespace: "metallb-system", objects: [], problems: [] });
    expect(convertLegacyConfigMap("# nothing\n")).toEqual({ namespace: "metallb-system", objects: [], problems: [] });
  });

  it("resolves YAML anchors and aliases", () => {
    const result = convertLegacyConfigMap("address-pools:\n- name: a\n  protocol: layer2\n  addresses: &addrs [192.0.2.0/25]\n- name: b\n  protocol: bgp\n  addresses: [192.0.2.128/25]\n");
    expect(result.objects.map(o => `${o.kind}/${o.metadata.name}`)).toEqual(["IPAddressPool/a", "IPAddressPool/b", "L2Advertisement/a", "BGPAdvertisement/b"]);
  });
});

describe("convertLegacyConfigMap: the legacy parser's errors", () => {
  const pool = (extra: string) => `address-pools:\n- name: p\n  protocol: bgp\n  addresses: [198.51.100.0/24]\n${extra}`;
  const peer = (fields: string) => `peers:\n- {peer-address: 192.0.2.1, peer-asn: 64501, my-asn: 64500${fields}}\n`;
  const cases: [string, string, string[]][] = [
    // The ConfigMap's YAML and its shape.
    ["a YAML syntax error", "address-pools: [\n", ["ConfigMap/config: could not parse config: line 2, column 1: Flow sequence in block collection must be sufficiently indented and end with a ]"]],
    ["a duplicate key", "peers: []\npeers: []\n", ["ConfigMap/config: could not parse config: line 2, column 1: Map keys must be unique"]],
    ["several documents", "peers: []\n---\npeers: []\n", ["ConfigMap/config: could not parse config: it holds several YAML documents; MetalLB read only one"]],
    ["a list at the top", "- a\n", ["ConfigMap/config: want a mapping, got a list"]],
    ["an unknown key", "adress-pools: []\n", ["ConfigMap/config: adress-pools: unknown field (expected one of: peers, bgp-communities, address-pools, bfd-profiles)"]],
    ["a list that is not", "address-pools: 192.0.2.0/24\n", ["ConfigMap/config: address-pools: want a list, got \"192.0.2.0/24\""]],
    // Pools.
    ["a pool without name", "address-pools:\n- protocol: layer2\n  addresses: [192.0.2.0/24]\n", ["ConfigMap/config: address-pools[0].name: missing pool name"]],
    ["a pool without protocol", "address-pools:\n- name: p\n  addresses: [192.0.2.0/24]\n", ["ConfigMap/config: address-pools[0].protocol: address pool is missing the protocol field"]],
    ["an unknown protocol", "address-pools:\n- name: p\n  protocol: l2\n  addresses: [192.0.2.0/24]\n", ['ConfigMap/config: address-pools[0].protocol: unknown protocol "l2" (want bgp or layer2)']],
    [
      "bgp-advertisements in a layer2 pool",
      "address-pools:\n- name: p\n  protocol: layer2\n  addresses: [192.0.2.0/24]\n  bgp-advertisements: [{localpref: 1}]\n",
      ["ConfigMap/config: address-pools[0].bgp-advertisements: cannot have bgp-advertisements configuration element in a layer2 address pool"],
    ],
    ["a pool without addresses", "address-pools:\n- name: p\n  protocol: layer2\n", ["ConfigMap/config: address-pools[0].addresses: pool has no prefixes defined"]],
    [
      "a misspelt pool field",
      "address-pools:\n- name: p\n  protocol: layer2\n  addresses: [192.0.2.0/24]\n  autoassign: false\n",
      ["ConfigMap/config: address-pools[0].autoassign: unknown field (expected one of: name, protocol, addresses, avoid-buggy-ips, auto-assign, bgp-advertisements)"],
    ],
    [
      "a boolean that is not",
      "address-pools:\n- name: p\n  protocol: layer2\n  addresses: [192.0.2.0/24]\n  auto-assign: \"false\"\n",
      ['ConfigMap/config: address-pools[0].auto-assign: want a boolean, got "false"'],
    ],
    [
      "bad addresses",
      "address-pools:\n- name: p\n  protocol: layer2\n  addresses: [192.0.2.0/33, 192.0.2.300-192.0.2.4, 192.0.2.1-x, 192.0.2.9-192.0.2.1, 192.0.2.1-2001:db8::1]\n",
      [
        'ConfigMap/config: address-pools[0].addresses[0]: invalid CIDR "192.0.2.0/33"',
        'ConfigMap/config: address-pools[0].addresses[1]: invalid IP range "192.0.2.300-192.0.2.4": invalid start IP "192.0.2.300"',
        'ConfigMap/config: address-pools[0].addresses[2]: invalid IP range "192.0.2.1-x": invalid end IP "x"',
        'ConfigMap/config: address-pools[0].addresses[3]: invalid IP range "192.0.2.9-192.0.2.1": start IP 192.0.2.9 is after the end IP 192.0.2.1',
        'ConfigMap/config: address-pools[0].addresses[4]: invalid IP range "192.0.2.1-2001:db8::1": start and end are of different IP families',
      ],
    ],
    [
      "overlapping addresses",
      "address-pools:\n- name: a\n  protocol: layer2\n  addresses: [192.0.2.0/24]\n- name: b\n  protocol: layer2\n  addresses: [192.0.2.200-192.0.2.210]\n",
      ['ConfigMap/config: address-pools[1].addresses[0]: "192.0.2.200-192.0.2.210" overlaps "192.0.2.0/24" of pool "a" (address-pools[0].addresses[0])'],
    ],
    [
      "a duplicate pool",
      "address-pools:\n- name: a\n  protocol: layer2\n  addresses: [192.0.2.0/25]\n- name: a\n  protocol: layer2\n  addresses: [192.0.2.128/25]\n",
      ['ConfigMap/config: address-pools[1].name: duplicate definition of pool "a" (first at address-pools[0])'],
    ],
    [
      "a pool name Kubernetes refuses",
      "address-pools:\n- name: My_Pool\n  protocol: layer2\n  addresses: [192.0.2.0/24]\n",
      ['ConfigMap/config: address-pools[0].name: "My_Pool" cannot be a Kubernetes object name (lowercase letters, digits, \'-\' and \'.\', starting and ending with a letter or digit)'],
    ],
    // BGP advertisements and communities.
    ["an aggregation length above 32", pool("  bgp-advertisements: [{aggregation-length: 33}]\n"), ['ConfigMap/config: address-pools[0].bgp-advertisements[0].aggregation-length: want an integer between 1 and 32, got "33"']],
    ["an IPv6 aggregation length above 128", pool("  bgp-advertisements: [{aggregation-length-v6: 129}]\n"), ['ConfigMap/config: address-pools[0].bgp-advertisements[0].aggregation-length-v6: want an integer between 0 and 128, got "129"']],
    [
      "an aggregation length shorter than the pool's prefix",
      pool("  bgp-advertisements: [{aggregation-length: 16}]\n"),
      ['ConfigMap/config: address-pools[0].bgp-advertisements[0].aggregation-length: invalid aggregation length 16: prefix 198.51.100.0/24 of "198.51.100.0/24" in this pool is more specific than the aggregation length'],
    ],
    ["a negative localpref", pool("  bgp-advertisements: [{localpref: -1}]\n"), ['ConfigMap/config: address-pools[0].bgp-advertisements[0].localpref: want an integer between 0 and 4294967295, got "-1"']],
    [
      "invalid and duplicate communities",
      "bgp-communities: {ne: 65535:65281}\n" + pool("  bgp-advertisements: [{communities: [65536:1, 'large:1:2:3', ne, 65535:65281]}]\n"),
      [
        'ConfigMap/config: address-pools[0].bgp-advertisements[0].communities[0]: invalid community "65536:1": want AA:NN, two numbers from 0 to 65535',
        'ConfigMap/config: address-pools[0].bgp-advertisements[0].communities[1]: invalid community "large:1:2:3": want AA:NN, two numbers from 0 to 65535',
        'ConfigMap/config: address-pools[0].bgp-advertisements[0].communities[3]: duplicate community "65535:65281" (the same value as communities[2])',
      ],
    ],
    ["an invalid community alias", "bgp-communities: {ne: no-export}\n", ['ConfigMap/config: bgp-communities.ne: invalid community "no-export": want AA:NN, two numbers from 0 to 65535']],
    [
      "duplicate advertisements",
      pool("  bgp-advertisements: [{localpref: 10, communities: ['1:1', '2:2']}, {aggregation-length: 32, localpref: 10, communities: ['2:2', '1:1']}]\n"),
      ["ConfigMap/config: address-pools[0].bgp-advertisements[1]: duplicate definition of bgp-advertisements: the same as bgp-advertisements[0]"],
    ],
    // Peers.
    ["a peer without ASNs", "peers:\n- peer-address: 192.0.2.1\n", ["ConfigMap/config: peers[0].my-asn: missing local ASN", "ConfigMap/config: peers[0].peer-asn: missing peer ASN"]],
    ["a quoted ASN", 'peers:\n- {peer-address: 192.0.2.1, peer-asn: "64501", my-asn: 4294967296}\n', [
      'ConfigMap/config: peers[0].my-asn: want an integer between 0 and 4294967295, got "4294967296"',
      'ConfigMap/config: peers[0].peer-asn: want an integer between 0 and 4294967295, got "64501"',
    ]],
    ["eBGP multi-hop on an iBGP peer", "peers:\n- {peer-address: 192.0.2.1, peer-asn: 64500, my-asn: 64500, ebgp-multihop: true}\n", ["ConfigMap/config: peers[0].ebgp-multihop: invalid ebgp-multihop parameter set for an ibgp peer"]],
    ["bad peer addresses", peer(", peer-address: 192.0.2, router-id: x, source-address: 10.0.0.01").replace("peer-address: 192.0.2.1, ", ""), [
      'ConfigMap/config: peers[0].peer-address: invalid peer IP "192.0.2"',
      'ConfigMap/config: peers[0].source-address: invalid source IP "10.0.0.01"',
      'ConfigMap/config: peers[0].router-id: invalid router ID "x"',
    ]],
    ["a hold time under 3 s", peer(", hold-time: 2.9s"), ['ConfigMap/config: peers[0].hold-time: invalid hold time "2.9s": must be 0 or >=3s']],
    ["a hold time without unit", peer(", hold-time: 90"), ['ConfigMap/config: peers[0].hold-time: invalid hold time "90": missing unit (ns, us, ms, s, m or h)']],
    ["a keepalive above the hold time", peer(", hold-time: 30s, keepalive-time: 31s"), ['ConfigMap/config: peers[0].keepalive-time: invalid keepalive time "31s": longer than the hold time 30s']],
    ["a keepalive above the default hold time", peer(", keepalive-time: 2m"), ['ConfigMap/config: peers[0].keepalive-time: invalid keepalive time "2m": longer than the hold time 90s']],
    ["an invalid keepalive", peer(", keepalive-time: soon"), ['ConfigMap/config: peers[0].keepalive-time: invalid keepalive time "soon": not a duration (want e.g. 90s, 1m30s)']],
    ["a port a BGPPeer cannot take", peer(", peer-port: 20000"), ["ConfigMap/config: peers[0].peer-port: port 20000 cannot be converted: a metallb.io BGPPeer accepts ports 1 to 16384"]],
    ["a missing BFD profile", peer(", bfd-profile: fast"), ['ConfigMap/config: peers[0].bfd-profile: peer references bfd profile "fast", which is not defined in bfd-profiles']],
    ["a duplicate peer", peer("") + "- {peer-address: 192.0.2.1, peer-asn: 64501, my-asn: 64500, peer-port: 179, hold-time: 90s}\n", ["ConfigMap/config: peers[1]: duplicate peer: the same session as peers[0]"]],
    [
      "bad node selectors",
      peer(", node-selectors: [{match-labels: {'a b': c, rack: '-x'}, match-expressions: [{key: k, operator: in, values: [x]}, {key: k, operator: In}, {key: k, operator: Exists, values: [x]}]}]"),
      [
        'ConfigMap/config: peers[0].node-selectors[0].match-labels.a b: invalid label key "a b": want at most 63 letters, digits, \'-\', \'_\' or \'.\', starting and ending with a letter or digit, after an optional DNS subdomain prefix and \'/\'',
        'ConfigMap/config: peers[0].node-selectors[0].match-labels.rack: invalid label value "-x": want at most 63 letters, digits, \'-\', \'_\' or \'.\', starting and ending with a letter or digit',
        'ConfigMap/config: peers[0].node-selectors[0].match-expressions[0].operator: invalid operator "in" (want In, NotIn, Exists, DoesNotExist)',
        "ConfigMap/config: peers[0].node-selectors[0].match-expressions[1].values: operator In needs at least one value",
        "ConfigMap/config: peers[0].node-selectors[0].match-expressions[2].values: operator Exists takes no values",
      ],
    ],
    // BFD profiles.
    ["a BFD profile without name", "bfd-profiles:\n- receive-interval: 100\n", ["ConfigMap/config: bfd-profiles[0].name: missing bfd profile name"]],
    ["a duplicate BFD profile", "bfd-profiles:\n- name: a\n- name: a\n", ['ConfigMap/config: bfd-profiles[1].name: duplicate bfd profile name "a" (first defined at bfd-profiles[0])']],
    ["BFD values out of range", "bfd-profiles:\n- {name: a, receive-interval: 9, transmit-interval: 60001, detect-multiplier: 1, echo-interval: 5, minimum-ttl: 255, echo-mode: 1}\n", [
      'ConfigMap/config: bfd-profiles[0].receive-interval: want an integer between 10 and 60000, got "9"',
      'ConfigMap/config: bfd-profiles[0].transmit-interval: want an integer between 10 and 60000, got "60001"',
      'ConfigMap/config: bfd-profiles[0].detect-multiplier: want an integer between 2 and 255, got "1"',
      'ConfigMap/config: bfd-profiles[0].echo-interval: want an integer between 10 and 60000, got "5"',
      'ConfigMap/config: bfd-profiles[0].minimum-ttl: want an integer between 1 and 254, got "255"',
      'ConfigMap/config: bfd-profiles[0].echo-mode: want a boolean, got "1"',
    ]],
  ];

  it.each(cases)("reports %s", (_what, config, expected) => {
    expect(problemsOf(config)).toEqual(expected);
    expect(convertLegacyConfigMap(config).objects).toEqual([]);
  });

  it("reports a ConfigMap without data.config, another kind, and non-objects", () => {
    const lines = (input: unknown) => convertLegacyConfigMap(input).problems.map(formatProblem);
    expect(lines({ kind: "ConfigMap", metadata: { name: "config", namespace: "x" }, data: {} })).toEqual([
      "ConfigMap/config: data.config: missing: the legacy configuration is the text under the ConfigMap's data.config key",
    ]);
    expect(lines({ kind: "Secret", metadata: { name: "s" } })).toEqual(['ConfigMap/s: kind: want a ConfigMap, got "Secret"']);
    expect(lines(42)).toEqual(["ConfigMap/config: want a ConfigMap object or the text of its config key"]);
  });

  it("refuses alias bombs and endless nesting instead of expanding them", () => {
    const levels = ["a: &a [x, x, x, x, x, x, x, x, x, x]"];
    for (let i = 1; i < 9; i++) levels.push(`l${i}: &l${i} [${Array(10).fill(i === 1 ? "*a" : `*l${i - 1}`).join(", ")}]`);
    const bomb = levels.join("\n") + "\npeers: *l8\n";
    const message = "ConfigMap/config: could not parse config: more than 64 levels of nesting or 100000 values (after expanding aliases)";
    expect(problemsOf(bomb)).toEqual([message]);
    expect(problemsOf("peers: " + "[".repeat(100) + "]".repeat(100) + "\n")).toEqual([message]);
  });

  it("cuts long user text short in messages", () => {
    const long = "x".repeat(500);
    expect(problemsOf(peer(`, router-id: ${long}`))).toEqual([`ConfigMap/config: peers[0].router-id: invalid router ID "${"x".repeat(120)}..."`]);
  });
});
