import { describe, expect, it } from "vitest";
import { parseConfig } from "./parse";
import { bfd, lines, NS, obj, peer } from "../../test/config/testdata/objects";

const b64 = (s: string): string => Buffer.from(s).toString("base64");
const basicAuth = (password?: string): { type: string; data: Record<string, string> } => ({ type: "kubernetes.io/basic-auth", data: password === undefined ? {} : { password: b64(password) } });

describe("BGPPeer checks", () => {
  const table: { name: string; objects: unknown[]; secrets?: Map<string, { type?: string; data?: Record<string, string> }>; expected: string[] }[] = [
    { name: "a plain valid peer", objects: [peer("p", {})], expected: [] },
    { name: "myASN missing", objects: [obj("BGPPeer", "p", { peerASN: 1, peerAddress: "192.0.2.1" })], expected: ["BGPPeer/p: spec.myASN: Required value"] },
    { name: "myASN 0", objects: [peer("p", { myASN: 0 })], expected: ["BGPPeer/p: spec.myASN: missing local ASN"] },
    { name: "myASN above 32 bits", objects: [peer("p", { myASN: 4294967296 })], expected: ["BGPPeer/p: spec.myASN: Invalid value: 4294967296: spec.myASN in body should be less than or equal to 4294967295"] },
    { name: "myASN negative", objects: [peer("p", { myASN: -1 })], expected: ["BGPPeer/p: spec.myASN: Invalid value: -1: spec.myASN in body should be greater than or equal to 0"] },
    { name: "myASN a string", objects: [peer("p", { myASN: "64500" })], expected: ['BGPPeer/p: spec.myASN: Invalid value: "string": spec.myASN in body must be of type integer: "string"'] },
    { name: "no peer ASN", objects: [peer("p", { peerASN: undefined })], expected: ["BGPPeer/p: spec.peerASN: missing peer ASN and dynamicASN"] },
    { name: "peer ASN and dynamicASN", objects: [peer("p", { dynamicASN: "external" })], expected: ["BGPPeer/p: spec.dynamicASN: both peer ASN and dynamicASN specified"] },
    { name: "dynamicASN internal alone", objects: [peer("p", { peerASN: undefined, dynamicASN: "internal" })], expected: [] },
    { name: "dynamicASN external with peerASN 0", objects: [peer("p", { peerASN: 0, dynamicASN: "external" })], expected: [] },
    { name: "dynamicASN empty (the CRD's enum refuses it)", objects: [peer("p", { peerASN: undefined, dynamicASN: "" })], expected: ['BGPPeer/p: spec.dynamicASN: Unsupported value: "": supported values: "internal", "external"', "BGPPeer/p: spec.peerASN: missing peer ASN and dynamicASN"] },
    { name: "dynamicASN not in the enum", objects: [peer("p", { peerASN: undefined, dynamicASN: "sideways" })], expected: ['BGPPeer/p: spec.dynamicASN: Unsupported value: "sideways": supported values: "internal", "external"'] },
    { name: "localASN", objects: [peer("p", { localASN: 65000 })], expected: [] },
    { name: "localASN at the 32-bit limit", objects: [peer("p", { localASN: 4294967295 })], expected: [] },
    { name: "localASN above 32 bits", objects: [peer("p", { localASN: 4294967296 })], expected: ["BGPPeer/p: spec.localASN: Invalid value: 4294967296: spec.localASN in body should be less than or equal to 4294967295"] },
    { name: "localASN 0", objects: [peer("p", { localASN: 0 })], expected: ["BGPPeer/p: spec.localASN: Invalid value: 0: spec.localASN in body should be greater than or equal to 1"] },
    { name: "eBGP multihop on an iBGP peer", objects: [peer("p", { peerASN: 64500, ebgpMultiHop: true })], expected: ["BGPPeer/p: spec.ebgpMultiHop: invalid ebgp-multihop parameter set for an ibgp peer"] },
    { name: "no address", objects: [peer("p", { peerAddress: undefined })], expected: ["BGPPeer/p: spec.peerAddress: peer has no Address or Interface specified"] },
    { name: "address and interface", objects: [peer("p", { interface: "eth0" })], expected: ["BGPPeer/p: spec.interface: peer has both Address and Interface specified"] },
    { name: "interface alone (unnumbered) is valid", objects: [peer("p", { peerAddress: undefined, interface: "eth0" })], expected: [] },
    { name: "interface and empty peerAddress", objects: [peer("p", { peerAddress: "", interface: "eth0" })], expected: [] },
    { name: "empty interface and no address", objects: [peer("p", { peerAddress: undefined, interface: "" })], expected: ["BGPPeer/p: spec.peerAddress: peer has no Address or Interface specified"] },
    {
      name: "interface name longer than 15 bytes",
      objects: [peer("p", { peerAddress: undefined, interface: "enp0s31f6-uplink" })],
      expected: ['BGPPeer/p: spec.interface: invalid interface name "enp0s31f6-uplink": a Linux link name is 1 to 15 bytes without "/", ":" or white space'],
    },
    { name: "interface name with a slash", objects: [peer("p", { peerAddress: undefined, interface: "eth/0" })], expected: ['BGPPeer/p: spec.interface: invalid interface name "eth/0": a Linux link name is 1 to 15 bytes without "/", ":" or white space'] },
    { name: "invalid peer address", objects: [peer("p", { peerAddress: "192.0.2" })], expected: ['BGPPeer/p: spec.peerAddress: invalid BGPPeer address "192.0.2"'] },
    { name: "invalid source address", objects: [peer("p", { sourceAddress: "nope" })], expected: ['BGPPeer/p: spec.sourceAddress: invalid source IP "nope"'] },
    { name: "invalid router ID", objects: [peer("p", { routerID: "1.2.3.4.5" })], expected: ['BGPPeer/p: spec.routerID: invalid router ID "1.2.3.4.5"'] },
    { name: "IPv6 router ID", objects: [peer("p", { routerID: "2001:db8::1" })], expected: ['BGPPeer/p: spec.routerID: invalid router ID "2001:db8::1": a BGP router ID is an IPv4 address'] },
    { name: "peerPort 0 in v1beta2", objects: [peer("p", { peerPort: 0 })], expected: ["BGPPeer/p: spec.peerPort: Invalid value: 0: spec.peerPort in body should be greater than or equal to 1"] },
    { name: "peerPort above 16384", objects: [peer("p", { peerPort: 16385 })], expected: ["BGPPeer/p: spec.peerPort: Invalid value: 16385: spec.peerPort in body should be less than or equal to 16384"] },
    { name: "hold time below 3s", objects: [peer("p", { holdTime: "2s" })], expected: ['BGPPeer/p: spec.holdTime: invalid hold time "2s": must be 0 or >=3s'] },
    { name: "hold time derived from a short keepalive", objects: [peer("p", { keepaliveTime: "500ms" })], expected: ['BGPPeer/p: spec.keepaliveTime: invalid hold time "1.5s": must be 0 or >=3s'] },
    { name: "keepalive above hold time", objects: [peer("p", { holdTime: "9s", keepaliveTime: "10s" })], expected: ['BGPPeer/p: spec.keepaliveTime: invalid keepaliveTime "10s", must be lower than holdTime "9s"'] },
    { name: "not a duration", objects: [peer("p", { holdTime: "ninety" })], expected: ['BGPPeer/p: spec.holdTime: invalid duration "ninety": expected a non-negative Go duration such as "90s" or "1m30s"'] },
    { name: "negative duration", objects: [peer("p", { keepaliveTime: "-1s" })], expected: ['BGPPeer/p: spec.keepaliveTime: invalid duration "-1s": expected a non-negative Go duration such as "90s" or "1m30s"'] },
    { name: "connectTime 0", objects: [peer("p", { connectTime: "0s" })], expected: ['BGPPeer/p: spec.connectTime: Invalid value: "0s": connectTime must be between 1 and 65535 seconds'] },
    { name: "connectTime too long", objects: [peer("p", { connectTime: "19h" })], expected: ['BGPPeer/p: spec.connectTime: Invalid value: "19h": connectTime must be between 1 and 65535 seconds'] },
    { name: "connectTime with a fraction", objects: [peer("p", { connectTime: "1500ms" })], expected: ['BGPPeer/p: spec.connectTime: Invalid value: "1500ms": connectTime must be a whole number of seconds'] },
    {
      name: "duplicate node selectors",
      objects: [peer("p", { nodeSelectors: [{ matchLabels: { rack: "a" } }, { matchLabels: { rack: "a" } }] })],
      expected: ['BGPPeer/p: spec.nodeSelectors[1]: duplicate definition of nodeSelectors "rack=a"'],
    },
    {
      name: "duplicate match expressions",
      objects: [peer("p", { nodeSelectors: [{ matchExpressions: [{ key: "k", operator: "Exists" }, { key: "k", operator: "Exists" }] }] })],
      expected: ['BGPPeer/p: spec.nodeSelectors[0].matchExpressions[1]: duplicate definition of match expressions "k"'],
    },
    {
      name: "duplicate match expression values",
      objects: [peer("p", { nodeSelectors: [{ matchExpressions: [{ key: "k", operator: "In", values: ["a", "a"] }] }] })],
      expected: ['BGPPeer/p: spec.nodeSelectors[0].matchExpressions[0].values[1]: duplicate definition of match expression value in label selector "a"'],
    },
    {
      name: "In without values, Exists with values, unknown operator",
      objects: [peer("p", { nodeSelectors: [{ matchExpressions: [{ key: "a", operator: "In" }, { key: "b", operator: "Exists", values: ["x"] }, { key: "c", operator: "Near" }] }] })],
      expected: [
        'BGPPeer/p: spec.nodeSelectors[0].matchExpressions[0].values: Required value: must be specified when operator is "In" or "NotIn" (operator is "In")',
        'BGPPeer/p: spec.nodeSelectors[0].matchExpressions[1].values: Forbidden: may not be specified when operator is "Exists" or "DoesNotExist" (operator is "Exists")',
        'BGPPeer/p: spec.nodeSelectors[0].matchExpressions[2].operator: Unsupported value: "Near": supported values: "In", "NotIn", "Exists", "DoesNotExist"',
      ],
    },
    {
      name: "v1beta1 match expression values need one item",
      objects: [obj("BGPPeer", "p", { myASN: 1, peerASN: 2, peerAddress: "192.0.2.1", nodeSelectors: [{ matchExpressions: [{ key: "a", operator: "Exists", values: [] }] }] }, "metallb.io/v1beta1")],
      expected: ["BGPPeer/p: spec.nodeSelectors[0].matchExpressions[0].values: Invalid value: 0: spec.nodeSelectors[0].matchExpressions[0].values in body should have at least 1 items"],
    },
    { name: "v1beta1 requires peerASN and peerAddress", objects: [obj("BGPPeer", "p", { myASN: 1 }, "metallb.io/v1beta1")], expected: ["BGPPeer/p: spec.peerASN: Required value", "BGPPeer/p: spec.peerAddress: Required value"] },
    { name: "v1beta1 allows peerPort 0 (default port)", objects: [obj("BGPPeer", "p", { myASN: 1, peerASN: 2, peerAddress: "192.0.2.1", peerPort: 0 }, "metallb.io/v1beta1")], expected: [] },
    { name: "password and passwordSecret", objects: [peer("p", { password: "x", passwordSecret: { name: "s" } })], expected: ["BGPPeer/p: spec.passwordSecret: can not have both password and passwordSecret set"] },
    { name: "password with a newline", objects: [peer("p", { password: "a\nb" })], expected: ["BGPPeer/p: spec.password: password contains invalid characters (newline)"] },
    { name: "secret not found (transient)", objects: [peer("p", { passwordSecret: { name: "s" } })], secrets: new Map(), expected: ['BGPPeer/p: spec.passwordSecret: secret "s" not found in namespace "metallb-system" (transient)'] },
    { name: "secret of the wrong type", objects: [peer("p", { passwordSecret: { name: "s" } })], secrets: new Map([["s", { type: "Opaque", data: { password: b64("x") } }]]), expected: ['BGPPeer/p: spec.passwordSecret: secret type mismatch on "metallb-system"/"s", type "kubernetes.io/basic-auth" is expected'] },
    { name: "secret without password", objects: [peer("p", { passwordSecret: { name: "s" } })], secrets: new Map([["s", basicAuth()]]), expected: ['BGPPeer/p: spec.passwordSecret: password not specified in the secret "metallb-system"/"s"'] },
    { name: "secret not base64", objects: [peer("p", { passwordSecret: { name: "s" } })], secrets: new Map([["s", { type: "kubernetes.io/basic-auth", data: { password: "!!" } }]]), expected: ['BGPPeer/p: spec.passwordSecret: password in the secret "metallb-system"/"s" is not valid base64'] },
    { name: "secret password with a newline", objects: [peer("p", { passwordSecret: { name: "s" } })], secrets: new Map([["s", basicAuth("a\r\nb")]]), expected: ["BGPPeer/p: spec.passwordSecret: password contains invalid characters (newline)"] },
    { name: "secret in another namespace", objects: [peer("p", { passwordSecret: { name: "s", namespace: "other" } })], expected: ['BGPPeer/p: spec.passwordSecret.namespace: passwordSecret must be in namespace "metallb-system", not "other"'] },
    { name: "unknown BFD profile (transient)", objects: [peer("p", { bfdProfile: "fast" })], expected: ['BGPPeer/p: spec.bfdProfile: referencing non existing bfd profile "fast" (transient)'] },
    { name: "vrf is valid", objects: [peer("p", { vrf: "red" })], expected: [] },
    { name: "vrf with white space", objects: [peer("p", { vrf: "red vrf" })], expected: ['BGPPeer/p: spec.vrf: invalid vrf name "red vrf": a Linux link name is 1 to 15 bytes without "/", ":" or white space'] },
    { name: "dualStackAddressFamily", objects: [peer("p", { dualStackAddressFamily: true })], expected: [] },
    { name: "dualStackAddressFamily not a bool", objects: [peer("p", { dualStackAddressFamily: "yes" })], expected: ['BGPPeer/p: spec.dualStackAddressFamily: Invalid value: "string": spec.dualStackAddressFamily in body must be of type boolean: "string"'] },
    { name: "dualStackAddressFamily false is fine", objects: [peer("p", { dualStackAddressFamily: false, vrf: "" })], expected: [] },
    { name: "duplicate name", objects: [peer("p", {}), peer("p", { peerAddress: "192.0.2.2" })], expected: ["BGPPeer/p: metadata.name: peer p already exists"] },
    // FRR-mode rules: peers whose node selectors can pick one node.
    { name: "same address on the same nodes", objects: [peer("a", {}), peer("b", {})], expected: ['BGPPeer/b: spec.peerAddress: duplicate BGPPeers selecting the same node: same peer address as BGPPeer "a"'] },
    {
      name: "same address on disjoint nodes is fine",
      objects: [peer("a", { nodeSelectors: [{ matchLabels: { rack: "1" } }] }), peer("b", { nodeSelectors: [{ matchLabels: { rack: "2" } }] })],
      expected: [],
    },
    {
      name: "different router IDs on overlapping nodes",
      objects: [peer("a", { routerID: "192.0.2.100" }), peer("b", { peerAddress: "192.0.2.2", routerID: "192.0.2.101", nodeSelectors: [{ matchExpressions: [{ key: "rack", operator: "NotIn", values: ["9"] }] }] })],
      expected: ['BGPPeer/b: spec.routerID: routerID "192.0.2.101" differs from routerID "192.0.2.100" of BGPPeer "a", which can select the same node: a node has one router ID'],
    },
    {
      name: "different myASN on overlapping nodes",
      objects: [peer("a", {}), peer("b", { peerAddress: "192.0.2.2", myASN: 64510 })],
      expected: ['BGPPeer/b: spec.myASN: myASN 64510 differs from myASN 64500 of BGPPeer "a", which can select the same node: a node has one local ASN'],
    },
    { name: "same address in two VRFs is fine", objects: [peer("a", { vrf: "red" }), peer("b", { vrf: "blue" })], expected: [] },
    { name: "same address, one in the default VRF", objects: [peer("a", {}), peer("b", { vrf: "red" })], expected: [] },
    { name: "same address in the same VRF", objects: [peer("a", { vrf: "red" }), peer("b", { vrf: "red" })], expected: ['BGPPeer/b: spec.peerAddress: duplicate BGPPeers selecting the same node: same peer address as BGPPeer "a"'] },
    {
      name: "same interface on the same nodes",
      objects: [peer("a", { peerAddress: undefined, interface: "eth1" }), peer("b", { peerAddress: undefined, interface: "eth1" })],
      expected: ['BGPPeer/b: spec.interface: duplicate BGPPeers selecting the same node: same interface as BGPPeer "a"'],
    },
    { name: "same interface in two VRFs is fine", objects: [peer("a", { peerAddress: undefined, interface: "eth1", vrf: "red" }), peer("b", { peerAddress: undefined, interface: "eth1" })], expected: [] },
    { name: "two unnumbered peers on two interfaces", objects: [peer("a", { peerAddress: undefined, interface: "eth1" }), peer("b", { peerAddress: undefined, interface: "eth2" })], expected: [] },
    { name: "different myASN in different VRFs is fine", objects: [peer("a", {}), peer("b", { peerAddress: "192.0.2.2", myASN: 64510, vrf: "red" })], expected: [] },
    {
      name: "different myASN in the same VRF",
      objects: [peer("a", { vrf: "red" }), peer("b", { peerAddress: "192.0.2.2", myASN: 64510, vrf: "red" })],
      expected: ['BGPPeer/b: spec.myASN: myASN 64510 differs from myASN 64500 of BGPPeer "a", which can select the same node: a node has one local ASN per VRF (both in VRF "red")'],
    },
    {
      name: "Exists and DoesNotExist never meet",
      objects: [peer("a", { nodeSelectors: [{ matchExpressions: [{ key: "edge", operator: "Exists" }] }] }), peer("b", { myASN: 64510, nodeSelectors: [{ matchExpressions: [{ key: "edge", operator: "DoesNotExist" }] }] })],
      expected: [],
    },
  ];
  for (const { name, objects, secrets, expected } of table) it(name, () => expect(lines(objects, secrets ? { secrets } : {})).toEqual(expected));

  it("with Nodes known, overlap is decided by the actual nodes", () => {
    const objects = [peer("a", { nodeSelectors: [{ matchLabels: { rack: "1" } }] }), peer("b", { myASN: 64510, peerAddress: "192.0.2.2", nodeSelectors: [{ matchLabels: { zone: "x" } }] })];
    expect(lines(objects, { nodes: [{ name: "n1", labels: { rack: "1" } }, { name: "n2", labels: { zone: "x" } }] })).toEqual([]);
    expect(lines(objects, { nodes: [{ name: "n1", labels: { rack: "1", zone: "x" } }] })).toEqual([
      'BGPPeer/b: spec.myASN: myASN 64510 differs from myASN 64500 of BGPPeer "a", which can select the same node: a node has one local ASN',
    ]);
    // Without Nodes the selectors could meet on some node, so the rule applies.
    expect(lines(objects)).toHaveLength(1);
  });

  it("disableMP is accepted with a deprecation warning; v1beta1 with one too", () => {
    const r = parseConfig({ namespace: NS, objects: [peer("p", { disableMP: true }), obj("BGPPeer", "q", { myASN: 64500, peerASN: 64502, peerAddress: "192.0.2.9" }, "metallb.io/v1beta1")] });
    expect(r.problems).toEqual([]);
    expect(r.warnings).toEqual([
      "BGPPeer/p: spec.disableMP: disableMP is deprecated and has no effect: Lodestone always opens one session that carries both IPv4 and IPv6 routes",
      "BGPPeer/q: metallb.io/v1beta1 BGPPeer is deprecated; use metallb.io/v1beta2",
    ]);
  });

  it("v1beta2-only fields in a v1beta1 peer are pruned with a warning", () => {
    const r = parseConfig({ namespace: NS, objects: [obj("BGPPeer", "q", { myASN: 64500, peerASN: 64502, peerAddress: "192.0.2.9", vrf: "red" }, "metallb.io/v1beta1")] });
    expect(r.problems).toEqual([]);
    expect(r.warnings).toContain("BGPPeer/q: spec.vrf: unknown field");
  });

  it("builds the peer with defaults, derived timers, the Secret's password and the BFD profile", () => {
    const r = parseConfig({
      namespace: NS,
      objects: [bfd("fast", { receiveInterval: 100 }), peer("p", { peerAddress: "2001:DB8::1", holdTime: "1m", passwordSecret: { name: "s" }, bfdProfile: "fast", enableGracefulRestart: true })],
      secrets: new Map([["s", basicAuth("hunter2")]]),
    });
    expect(r.problems).toEqual([]);
    expect(r.config?.peers).toEqual([
      {
        name: "p",
        myASN: 64500,
        peerASN: 64501,
        peerAddress: "2001:db8::1",
        peerPort: 179,
        holdTimeS: 60,
        keepaliveTimeS: 20,
        connectTimeS: 120,
        nodeSelectors: [],
        password: "hunter2",
        passwordSecret: { name: "s", namespace: NS },
        bfdProfile: "fast",
        ebgpMultiHop: false,
        enableGracefulRestart: true,
      },
    ]);
  });

  it("carries dynamicASN, localASN and dualStackAddressFamily into the peer", () => {
    const r = parseConfig({ namespace: NS, objects: [peer("p", { peerASN: undefined, dynamicASN: "external", localASN: 4200000001, dualStackAddressFamily: true })] });
    expect(r.problems).toEqual([]);
    expect(r.config?.peers[0]).toEqual(expect.objectContaining({ myASN: 64500, peerASN: 0, dynamicASN: "external", localASN: 4200000001, dualStackAddressFamily: true }));
    const plain = parseConfig({ namespace: NS, objects: [peer("q", { dualStackAddressFamily: false })] }).config?.peers[0];
    expect(plain && ["dynamicASN" in plain, "localASN" in plain, "dualStackAddressFamily" in plain]).toEqual([false, false, false]);
  });

  it("defaults: 90s hold, 30s keepalive; hold 0 disables keepalives", () => {
    const peers = parseConfig({ namespace: NS, objects: [peer("a", {}), peer("b", { peerAddress: "192.0.2.2", holdTime: "0s" })] }).config?.peers;
    expect(peers?.map(p => [p.holdTimeS, p.keepaliveTimeS])).toEqual([
      [90, 30],
      [0, 0],
    ]);
  });

  it("transient problems leave the config in place (admission lets them through)", () => {
    const r = parseConfig({ namespace: NS, objects: [peer("p", { bfdProfile: "later" })] });
    expect(r.problems.map(p => p.transient)).toEqual([true]);
    expect(r.config?.peers.map(p => p.name)).toEqual(["p"]);
  });

  it("without Secrets (admission) passwordSecret is kept unresolved", () => {
    const r = parseConfig({ namespace: NS, objects: [peer("p", { passwordSecret: { name: "s" } })] });
    expect(r.problems).toEqual([]);
    expect(r.config?.peers[0]?.password).toBeUndefined();
    expect(r.config?.peers[0]?.passwordSecret).toEqual({ name: "s", namespace: NS });
  });
});
