import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { cidrRange, formatCidr, parseCidr, rangesOverlap, type Cidr } from "../net/ip";
import { parseConfig } from "./parse";
import { checkPoolOverlaps, parseAddressBlock } from "./pools";
import type { Issue } from "./problems";
import type { Pool } from "./types";
import { reservedCidr } from "../net/special";
import { lines, NS, obj, pool } from "../../test/config/testdata/objects";

describe("IPAddressPool checks", () => {
  const table: { name: string; objects: unknown[]; expected: string[] }[] = [
    { name: "valid CIDR, range and IPv6", objects: [pool("p", ["192.0.2.0/28", "198.51.100.10 - 198.51.100.20", "2001:db8::/120"])], expected: [] },
    { name: "spec missing", objects: [obj("IPAddressPool", "p", undefined)], expected: ["IPAddressPool/p: spec: Required value"] },
    { name: "spec of the wrong type", objects: [obj("IPAddressPool", "p", "x")], expected: ['IPAddressPool/p: spec: Invalid value: "string": spec in body must be of type object: "string"', "IPAddressPool/p: spec.addresses: Required value"] },
    { name: "addresses missing", objects: [obj("IPAddressPool", "p", {})], expected: ["IPAddressPool/p: spec.addresses: Required value"] },
    { name: "addresses not a list", objects: [pool("p", "192.0.2.0/24")], expected: ['IPAddressPool/p: spec.addresses: Invalid value: "string": spec.addresses in body must be of type array: "string"'] },
    { name: "address not a string", objects: [pool("p", ["192.0.2.0/24", 7])], expected: ['IPAddressPool/p: spec.addresses[1]: Invalid value: "integer": spec.addresses[1] in body must be of type string: "integer"'] },
    { name: "no addresses", objects: [pool("p", [])], expected: ["IPAddressPool/p: spec.addresses: pool has no prefixes defined"] },
    { name: "missing name", objects: [{ apiVersion: "metallb.io/v1beta1", kind: "IPAddressPool", metadata: {}, spec: { addresses: ["192.0.2.0/24"] } }], expected: ["IPAddressPool/#1: metadata.name: missing pool name"] },
    { name: "duplicate name", objects: [pool("p", ["192.0.2.0/24"]), pool("p", ["198.51.100.0/24"])], expected: ['IPAddressPool/p: metadata.name: duplicate definition of pool "p"'] },
    { name: "invalid CIDR prefix", objects: [pool("pool1", ["10.0.0.0/33"])], expected: ['IPAddressPool/pool1: spec.addresses[0]: invalid CIDR "10.0.0.0/33"'] },
    { name: "invalid CIDR address", objects: [pool("p", ["192.0.2.256/24"])], expected: ['IPAddressPool/p: spec.addresses[0]: invalid CIDR "192.0.2.256/24"'] },
    { name: "bare address is not a CIDR", objects: [pool("p", ["192.0.2.1"])], expected: ['IPAddressPool/p: spec.addresses[0]: invalid CIDR "192.0.2.1"'] },
    { name: "invalid range start", objects: [pool("p", ["192.0.2.x-192.0.2.9"])], expected: ['IPAddressPool/p: spec.addresses[0]: invalid IP range "192.0.2.x-192.0.2.9": invalid start IP "192.0.2.x"'] },
    { name: "invalid range end", objects: [pool("p", ["192.0.2.1-192.0.2.9-192.0.2.10"])], expected: ['IPAddressPool/p: spec.addresses[0]: invalid IP range "192.0.2.1-192.0.2.9-192.0.2.10": invalid end IP "192.0.2.9-192.0.2.10"'] },
    { name: "range of mixed families", objects: [pool("p", ["192.0.2.1-2001:db8::1"])], expected: ['IPAddressPool/p: spec.addresses[0]: invalid IP range "192.0.2.1-2001:db8::1": start IP and end IP are not of the same IP family'] },
    { name: "reversed range", objects: [pool("p", ["192.0.2.9 - 192.0.2.1"])], expected: ['IPAddressPool/p: spec.addresses[0]: invalid IP range "192.0.2.9 - 192.0.2.1": start IP "192.0.2.9" is after the end IP "192.0.2.1"'] },
    { name: "overlap inside one pool", objects: [pool("p", ["192.0.2.0/24", "192.0.2.128/25"])], expected: ['IPAddressPool/p: spec.addresses[1]: CIDR "192.0.2.128/25" in pool "p" overlaps with already defined CIDR "192.0.2.0/24"'] },
    { name: "overlap between pools, range summarised", objects: [pool("a", ["192.0.2.0/28"]), pool("b", ["192.0.2.14-192.0.2.17"])], expected: ['IPAddressPool/b: spec.addresses[0]: CIDR "192.0.2.14/31" in pool "b" overlaps with already defined CIDR "192.0.2.0/28"'] },
    { name: "IPv6 overlap", objects: [pool("a", ["2001:db8::/64"]), pool("b", ["2001:db8::5/128"])], expected: ['IPAddressPool/b: spec.addresses[0]: CIDR "2001:db8::5/128" in pool "b" overlaps with already defined CIDR "2001:db8::/64"'] },
    { name: "autoAssign not a boolean", objects: [pool("p", ["192.0.2.0/24"], { autoAssign: "string" })], expected: ['IPAddressPool/p: spec.autoAssign: Invalid value: "string": spec.autoAssign in body must be of type boolean: "string"'] },
    { name: "avoidBuggyIPs not a boolean", objects: [pool("p", ["192.0.2.0/24"], { avoidBuggyIPs: 1 })], expected: ['IPAddressPool/p: spec.avoidBuggyIPs: Invalid value: "integer": spec.avoidBuggyIPs in body must be of type boolean: "integer"'] },
    { name: "priority not an integer", objects: [pool("p", ["192.0.2.0/24"], { serviceAllocation: { priority: 1.5 } })], expected: ['IPAddressPool/p: spec.serviceAllocation.priority: Invalid value: "number": spec.serviceAllocation.priority in body must be of type integer: "number"'] },
    { name: "duplicate namespace", objects: [pool("p", ["192.0.2.0/24"], { serviceAllocation: { namespaces: ["a", "b", "a"] } })], expected: ['IPAddressPool/p: spec.serviceAllocation.namespaces[2]: duplicate definition in namespaces field: "a"'] },
    {
      name: "duplicate namespace selectors",
      objects: [pool("p", ["192.0.2.0/24"], { serviceAllocation: { namespaceSelectors: [{ matchLabels: { team: "a" } }, { matchLabels: { team: "a" } }] } })],
      expected: ['IPAddressPool/p: spec.serviceAllocation.namespaceSelectors[1]: duplicate definition of namespaceSelectors "team=a"'],
    },
    {
      name: "duplicate service selectors (values in another order)",
      objects: [pool("p", ["192.0.2.0/24"], { serviceAllocation: { serviceSelectors: [{ matchExpressions: [{ key: "app", operator: "In", values: ["x", "y"] }] }, { matchExpressions: [{ key: "app", operator: "In", values: ["y", "x"] }] }] } })],
      expected: ['IPAddressPool/p: spec.serviceAllocation.serviceSelectors[1]: duplicate definition of serviceSelectors "app in (x,y)"'],
    },
    {
      name: "invalid selector in serviceAllocation",
      objects: [pool("p", ["192.0.2.0/24"], { serviceAllocation: { serviceSelectors: [{ matchLabels: { "bad key!": "v" } }] } })],
      expected: [`IPAddressPool/p: spec.serviceAllocation.serviceSelectors[0].matchLabels.bad key!: invalid label key "bad key!": must be an optional DNS subdomain prefix and "/", then 1-63 alphanumeric characters, '-', '_' or '.', starting and ending with an alphanumeric character`],
    },
  ];
  for (const { name, objects, expected } of table) it(name, () => expect(lines(objects)).toEqual(expected));

  it("builds the pool with its defaults, blocks and families", () => {
    const r = parseConfig({ namespace: NS, objects: [pool("p", ["192.0.2.10-192.0.2.20", "2001:db8::/126"], { autoAssign: false, serviceAllocation: { priority: 5, namespaces: ["web"] } })] });
    const p = r.config?.pools.get("p");
    expect(p?.autoAssign).toBe(false);
    expect(p?.avoidBuggyIPs).toBe(false);
    expect(p?.families).toEqual(["IPv4", "IPv6"]);
    expect(p?.blocks.map(b => b.text)).toEqual(["192.0.2.10-192.0.2.20", "2001:db8::/126"]);
    expect(p?.blocks[0]?.cidrs.map(c => c.prefix)).toEqual([31, 30, 30, 32]) // .10/31, .12/30, .16/30, .20/32;
    expect(p?.serviceAllocation).toEqual({ priority: 5, namespaces: ["web"], namespaceSelectors: [], serviceSelectors: [] });
  });

  it("pools without serviceAllocation have none; autoAssign defaults to true", () => {
    const p = parseConfig({ namespace: NS, objects: [pool("p", ["192.0.2.0/24"])] }).config?.pools.get("p");
    expect(p?.autoAssign).toBe(true);
    expect(p?.serviceAllocation).toBeUndefined();
  });

  it("parseAddressBlock keeps host bits out of a CIDR's base", () => {
    const block = parseAddressBlock("192.0.2.77/24");
    expect("cidrs" in block && block.cidrs[0]?.base).toBe(0xc0000200n);
  });

  it("finds exactly the overlaps a pairwise scan finds, naming the earliest earlier CIDR", () => {
    const cidr = fc.tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 24, max: 32 })).map(([host, prefix]) => parseCidr(`198.18.0.${host}/${prefix}`) as Cidr);
    const pools = fc.array(fc.array(cidr, { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 8 });
    fc.assert(
      fc.property(pools, cidrLists => {
        const got: string[] = [];
        const input = cidrLists.map((cidrs, i) => ({
          pool: { name: `p${i}`, labels: {}, blocks: cidrs.map(c => ({ text: formatCidr(c), range: cidrRange(c), cidrs: [c] })), autoAssign: true, avoidBuggyIPs: false, families: ["IPv4" as const] } satisfies Pool,
          report: (field: string, issue: Issue) => got.push(`p${i} ${field}: ${issue.message}`),
        }));
        checkPoolOverlaps(input);
        const expected: string[] = [];
        const earlier: Cidr[] = [];
        cidrLists.forEach((cidrs, i) =>
          cidrs.forEach((c, j) => {
            const clash = earlier.find(e => rangesOverlap(cidrRange(e), cidrRange(c)));
            if (clash) expected.push(`p${i} spec.addresses[${j}]: CIDR "${formatCidr(c)}" in pool "p${i}" overlaps with already defined CIDR "${formatCidr(clash)}"`);
            earlier.push(c);
          }),
        );
        expect(got).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });
});

describe("IPAddressPool and reserved addresses", () => {
  const serviceRange = [reservedCidr("10.96.0.0/12", "the cluster's Service range, ServiceCIDR kubernetes")];

  it("refuses a pool that holds only special addresses, naming what they are", () => {
    expect(lines([pool("lo", ["127.0.0.0/8", "::1/128"])])).toEqual([
      "IPAddressPool/lo: spec.addresses: every address of the pool is one that is never handed out (127.0.0.0/8 loopback; ::1/128 loopback): the pool could never serve a Service",
    ]);
    expect(lines([pool("mc", ["224.0.0.0-255.255.255.255"])])).toEqual([
      "IPAddressPool/mc: spec.addresses: every address of the pool is one that is never handed out (255.255.255.255/32 limited broadcast; 224.0.0.0/4 multicast; 240.0.0.0/4 reserved): the pool could never serve a Service",
    ]);
    expect(lines([pool("ll", ["fe80::/64", "ff02::/16"])])).toEqual([
      "IPAddressPool/ll: spec.addresses: every address of the pool is one that is never handed out (fe80::/10 link-local; ff00::/8 multicast): the pool could never serve a Service",
    ]);
  });

  it("refuses a pool inside the cluster's Service range only when that range is known", () => {
    expect(lines([pool("svc", ["10.96.0.0/24"])], { clusterReserved: serviceRange })).toEqual([
      "IPAddressPool/svc: spec.addresses: every address of the pool is one that is never handed out (10.96.0.0/12 the cluster's Service range, ServiceCIDR kubernetes): the pool could never serve a Service",
    ]);
    expect(lines([pool("svc", ["10.96.0.0/24"])])).toEqual([]);
  });

  it("admits a pool that overlaps special addresses with a warning per entry, and the pool carries the cluster's blocks", () => {
    const r = parseConfig({ namespace: NS, objects: [pool("wide", ["0.0.0.0/0", "::/0"])], clusterReserved: serviceRange });
    expect(r.problems).toEqual([]);
    expect(r.warnings).toEqual([
      'IPAddressPool/wide: spec.addresses[0]: "0.0.0.0/0" overlaps addresses that are never handed out (255.255.255.255/32 limited broadcast; 0.0.0.0/8 this network; 127.0.0.0/8 loopback; 169.254.0.0/16 link-local; 224.0.0.0/4 multicast; 240.0.0.0/4 reserved; 10.96.0.0/12 the cluster\'s Service range, ServiceCIDR kubernetes): they are skipped',
      'IPAddressPool/wide: spec.addresses[1]: "::/0" overlaps addresses that are never handed out (::/128 unspecified; ::1/128 loopback; fe80::/10 link-local; ff00::/8 multicast): they are skipped',
    ]);
    expect(r.config?.pools.get("wide")?.clusterReserved).toEqual(serviceRange);
    expect(parseConfig({ namespace: NS, objects: [pool("doc", ["192.0.2.0/24"])], clusterReserved: serviceRange }).config?.pools.get("doc")?.clusterReserved).toBeUndefined();
  });
});
