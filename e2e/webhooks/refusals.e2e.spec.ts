/**
 * Every admission refusal of MetalLB's webhooks (https://github.com/metallb/metallb/blob/main/api/v1beta1/*_webhook.go, and its e2e
 * `webhookstests`), through the
 * real kubectl, with the exact message a user reads. Checks that CEL rules in the CRDs cover are in
 * crds/*.spec.ts instead: on a real API server those answer before any webhook is called.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyYaml, kubectl, kubectlOk, LODESTONE_NAMESPACE as NS } from "../support/cluster";

const denied = (webhookMessage: string) =>
  `admission webhook "config.lodestone.dev" denied the request: ${webhookMessage}`;

/** kubectl's one-line error for a refused write; the prefix names the operation and the source. */
function refusal(stderr: string): string {
  const line = stderr.trim().split("\n").at(-1) ?? "";
  const afterSource = line.lastIndexOf('"STDIN": ');
  return afterSource >= 0 ? line.slice(afterSource + '"STDIN": '.length) : line.replace(/^Error from server(?: \([A-Za-z]+\))?: /, "");
}

const created: string[] = [];
async function create(yaml: string) {
  const run = await applyYaml(yaml);
  if (run.code === 0) created.push(yaml);
  return run;
}

beforeAll(async () => {
  await kubectlOk(["apply", "-f", "-"], "apiVersion: v1\nkind: Namespace\nmetadata: {name: lodestone-e2e-webhooks}\n");
});

afterAll(async () => {
  for (const yaml of created.reverse()) await kubectl(["delete", "-f", "-", "--ignore-not-found", "--wait=false"], yaml);
  await kubectl(["delete", "namespace", "lodestone-e2e-webhooks", "--wait=false"]);
});

describe("admission of metallb.io configuration", () => {
  it("refuses a pool that overlaps another pool, naming both CIDRs", async () => {
    expect((await create(pool("wh-first", "198.51.100.0/28"))).code).toBe(0);
    const run = await create(pool("wh-second", "198.51.100.8-198.51.100.20"));
    expect(run.code).toBe(1);
    expect(refusal(run.stderr)).toBe(
      denied('IPAddressPool/wh-second: spec.addresses[0]: CIDR "198.51.100.8/29" in pool "wh-second" overlaps with already defined CIDR "198.51.100.0/28"'),
    );
  });

  it("refuses an aggregation length longer than an IPv4 address", async () => {
    const run = await create(`apiVersion: metallb.io/v1beta1
kind: BGPAdvertisement
metadata: {name: wh-agg, namespace: ${NS}}
spec: {aggregationLength: 33}
`);
    expect(refusal(run.stderr)).toBe(denied("BGPAdvertisement/wh-agg: spec.aggregationLength: invalid aggregation length 33 for IPv4"));
  });

  it("refuses a BGPPeer whose address is not an IP", async () => {
    const run = await create(peer("wh-badip", "192.0.2.300", 64501));
    expect(refusal(run.stderr)).toBe(denied('BGPPeer/wh-badip: spec.peerAddress: invalid BGPPeer address "192.0.2.300"'));
  });

  it("refuses two peers with the same address on the same nodes, and allows them on disjoint nodes", async () => {
    expect((await create(peer("wh-p1", "192.0.2.1", 64501, "rack: a"))).code).toBe(0);
    const same = await create(peer("wh-p2", "192.0.2.1", 64502, "rack: a"));
    expect(refusal(same.stderr)).toBe(
      denied('BGPPeer/wh-p2: spec.peerAddress: duplicate BGPPeers selecting the same node: same peer address as BGPPeer "wh-p1"'),
    );
    expect((await create(peer("wh-p3", "192.0.2.1", 64502, "rack: b"))).code).toBe(0);
  });

  it("refuses invalid community values on create and on update", async () => {
    const legacy = await create(community("wh-c1", "legacy", "99999999:1"));
    expect(refusal(legacy.stderr)).toBe(
      denied('Community/wh-c1: spec.communities[0].value: invalid community value "99999999:1": each part of AA:NN must be a 16-bit unsigned number'),
    );
    expect((await create(community("wh-c2", "fine", "64500:1"))).code).toBe(0);
    const large = await applyYaml(community("wh-c2", "fine", "lar:1:2:3"));
    expect(refusal(large.stderr)).toBe(
      denied('Community/wh-c2: spec.communities[0].value: invalid community value "lar:1:2:3": expected AA:NN or large:AA:NN:NN'),
    );
  });

  it("refuses a community alias name defined twice", async () => {
    expect((await create(community("wh-c3", "twice", "64500:3"))).code).toBe(0);
    const run = await create(community("wh-c4", "twice", "64500:4"));
    expect(refusal(run.stderr)).toBe(denied('Community/wh-c4: spec.communities[0].name: duplicate definition of community "twice"'));
  });

  it("refuses deleting a BFDProfile while a BGPPeer uses it", async () => {
    expect((await create(`apiVersion: metallb.io/v1beta1
kind: BFDProfile
metadata: {name: wh-fast, namespace: ${NS}}
spec: {receiveInterval: 100, transmitInterval: 100}
`)).code).toBe(0);
    expect((await create(peer("wh-bfd", "192.0.2.9", 64509, undefined, "wh-fast"))).code).toBe(0);
    const run = await kubectl(["delete", "bfdprofile", "wh-fast", "-n", NS]);
    expect(run.code).toBe(1);
    expect(refusal(run.stderr)).toBe(denied("failed to delete BFDProfile wh-fast, used by BGPPeer wh-bfd"));
    await kubectlOk(["delete", "bgppeer", "wh-bfd", "-n", NS]);
    await kubectlOk(["delete", "bfdprofile", "wh-fast", "-n", NS]);
  });

  it.each([
    ["IPAddressPool", "metallb.io/v1beta1", "{addresses: [203.0.113.0/30]}"],
    ["L2Advertisement", "metallb.io/v1beta1", "{}"],
    ["BGPAdvertisement", "metallb.io/v1beta1", "{}"],
    ["BGPPeer", "metallb.io/v1beta2", "{myASN: 64500, peerASN: 64501, peerAddress: 192.0.2.77}"],
    ["BFDProfile", "metallb.io/v1beta1", "{}"],
    ["Community", "metallb.io/v1beta1", "{communities: []}"],
  ])("refuses a %s outside the Lodestone namespace", async (kind, apiVersion, spec) => {
    const run = await create(`apiVersion: ${apiVersion}
kind: ${kind}
metadata: {name: wh-elsewhere, namespace: lodestone-e2e-webhooks}
spec: ${spec}
`);
    expect(run.code).toBe(1);
    expect(refusal(run.stderr)).toBe(denied(`${kind}/wh-elsewhere: resource must be created in ${NS} namespace`));
  });
});

function pool(name: string, address: string): string {
  return `apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: {name: ${name}, namespace: ${NS}}
spec: {addresses: ["${address}"]}
`;
}

function peer(name: string, address: string, peerASN: number, nodeLabel?: string, bfdProfile?: string): string {
  return `apiVersion: metallb.io/v1beta2
kind: BGPPeer
metadata: {name: ${name}, namespace: ${NS}}
spec:
  myASN: 64500
  peerASN: ${peerASN}
  peerAddress: "${address}"
${nodeLabel ? `  nodeSelectors: [{matchLabels: {${nodeLabel}}}]\n` : ""}${bfdProfile ? `  bfdProfile: ${bfdProfile}\n` : ""}`;
}

function community(name: string, alias: string, value: string): string {
  return `apiVersion: metallb.io/v1beta1
kind: Community
metadata: {name: ${name}, namespace: ${NS}}
spec: {communities: [{name: ${alias}, value: "${value}"}]}
`;
}
