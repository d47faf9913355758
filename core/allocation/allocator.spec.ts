import { describe, expect, it } from "vitest";
import { formatIP } from "../net/ip";
import { parseAllDocuments } from "yaml";
import { Allocator } from "./allocator";
import { runSteps, type Step } from "../../test/allocation/allocator.steps";
import { parseServiceRequest } from "./service-request";
import { makePool, requestOf, selector, type ServiceOptions } from "../../test/allocation/testing";

const examplePool = makePool("lb-ip-pool", ["192.168.172.160-192.168.172.169"]);
const v4 = (name: string, addresses: string[], o = {}) => makePool(name, addresses, o);
const dual = ["10.96.0.10", "fd00::10"];
const dualV6First = ["fd00::10", "10.96.0.10"];

const cases: Array<[string, Step[]]> = [
  ["the articles' examples: requested .161, then the lowest free .160", [
    { pools: [examplePool] },
    { svc: "nginxlb", with: { loadBalancerIP: "192.168.172.161", selector: { app: "nginx" } }, expect: { ips: ["192.168.172.161"], pool: "lb-ip-pool" } },
    { svc: "nginxlb2", with: { ports: ["tcp/8080"], selector: { app: "nginx" } }, expect: { ips: ["192.168.172.160"], pool: "lb-ip-pool" } },
    { svc: "outside", with: { loadBalancerIP: "192.168.1.1" }, expect: { error: '"192.168.1.1" is not allowed in config', reason: "NotAllowedInConfig" } },
  ]],
  ["nothing is allocated before a pool exists; then pending services get IPs in key order", [
    { svc: "b", expect: { error: "no IPAddressPool is configured", reason: "NoPools" } },
    { svc: "a", expect: { error: "no IPAddressPool is configured", reason: "NoPools" } },
    { pools: [v4("p", ["192.0.2.0/31"])] },
    { reprocess: { "default/a": ["192.0.2.0"], "default/b": ["192.0.2.1"] } },
    { reprocess: {} },
  ]],
  ["pool exhaustion; deletion frees an IP for a pending service", [
    { pools: [v4("p", ["192.0.2.0/31"])] },
    { svc: "a", expect: ["192.0.2.0"] },
    { svc: "b", expect: ["192.0.2.1"] },
    { svc: "c", expect: { error: 'no available IPs in pool "p"', reason: "PoolExhausted" } },
    { del: "a", freed: true },
    { del: "never-seen", freed: false },
    { reprocess: { "default/c": ["192.0.2.0"] } },
    { pools: [v4("p", ["192.0.2.0/31"]), v4("q", ["198.51.100.0/32"])] },
    { svc: "d", expect: ["198.51.100.0"] },
    { svc: "e", expect: { error: "no available IPs", reason: "NoAvailableIPs" } },
  ]],
  ["an update keeps the held IP; a type change (release) frees it", [
    { pools: [v4("p", ["192.0.2.0/30"])] },
    { svc: "a", expect: ["192.0.2.0"] },
    { svc: "a", with: { ports: ["tcp/443"] }, expect: { ips: ["192.0.2.0"], pool: "p" } },
    { del: "a" },
    { svc: "b", expect: ["192.0.2.0"] },
  ]],
  ["avoidBuggyIPs skips .0 and .255 and refuses requesting them", [
    { pools: [v4("p", ["192.0.2.255-192.0.3.1"], { avoidBuggyIPs: true })] },
    { svc: "a", expect: ["192.0.3.1"] },
    { svc: "b", expect: { error: 'no available IPs in pool "p"' } },
    { svc: "c", with: { loadBalancerIP: "192.0.3.0" }, expect: {
      error: '"192.0.3.0" is not allowed in config: it ends in .0 or .255 and its pool "p" has avoidBuggyIPs set', reason: "BuggyIP" } },
  ]],
  ["a pool that turns avoidBuggyIPs on clears a held .0 address, and asking for it again is refused as BuggyIP", [
    { pools: [v4("p", ["192.0.2.0/31"])] },
    { svc: "a", with: { loadBalancerIP: "192.0.2.0" }, expect: ["192.0.2.0"] },
    { pools: [v4("p", ["192.0.2.0/31"], { avoidBuggyIPs: true })], cleared: {
      "default/a": '"192.0.2.0" is not allowed in config: it ends in .0 or .255 and its pool "p" has avoidBuggyIPs set' } },
    { svc: "a", with: { loadBalancerIP: "192.0.2.0" }, expect: {
      error: '"192.0.2.0" is not allowed in config: it ends in .0 or .255 and its pool "p" has avoidBuggyIPs set', reason: "BuggyIP" } },
    { svc: "b", expect: ["192.0.2.1"] },
  ]],
  ["autoAssign false: only by pool annotation or requested IP", [
    { pools: [v4("manual", ["192.0.2.0/30"], { autoAssign: false })] },
    { svc: "a", expect: { error: "no pool has autoAssign enabled: request a pool (metallb.io/address-pool) or an IP (spec.loadBalancerIP, metallb.io/loadBalancerIPs)", reason: "NoPoolForService" } },
    { svc: "b", with: { annotations: { "metallb.io/address-pool": "manual" } }, expect: { ips: ["192.0.2.0"], pool: "manual" } },
    { svc: "c", with: { loadBalancerIP: "192.0.2.3" }, expect: { ips: ["192.0.2.3"], pool: "manual" } },
  ]],
  ["requested pool and IP errors", [
    { pools: [v4("p", ["192.0.2.0/30"]), v4("q", ["198.51.100.0/30"])] },
    { svc: "a", with: { annotations: { "metallb.io/address-pool": "nope" } }, expect: { error: 'unknown pool "nope"', reason: "UnknownPool" } },
    { svc: "b", with: { loadBalancerIP: "198.51.100.1", annotations: { "metallb.io/address-pool": "p" } },
      expect: { error: 'requested IP "198.51.100.1" is not in the requested pool "p"', reason: "NotInRequestedPool" } },
    { svc: "c", with: { annotations: { "metallb.io/address-pool": "q" } }, expect: { ips: ["198.51.100.0"], pool: "q" } },
    { svc: "v6", with: { clusterIPs: ["fd00::1"], annotations: { "metallb.io/address-pool": "q" } },
      expect: { error: 'pool "q" has no IPv6 addresses', reason: "NoPoolForFamily" } },
    { svc: "c", with: { annotations: { "metallb.io/address-pool": "p" } },
      expect: { ips: ["192.0.2.0"], pool: "p", cleared: 'requested IP "198.51.100.0" is not in the requested pool "p"' } },
    { svc: "d", with: { loadBalancerIP: "2001:db8::1" }, expect: {
      error: 'requested IP "2001:db8::1" is IPv6 but the service\'s IP families are [IPv4]', reason: "FamilyMismatch" } },
    { svc: "e", with: { loadBalancerIP: "192.0.2.1", annotations: { "metallb.io/loadBalancerIPs": "192.0.2.1" } }, expect: {
      error: "spec.loadBalancerIP and the metallb.io/loadBalancerIPs annotation cannot both be set", reason: "InvalidRequest" } },
  ]],
  ["a changed requested IP moves the service", [
    { pools: [v4("p", ["192.0.2.0/29"])] },
    { svc: "a", with: { loadBalancerIP: "192.0.2.5" }, expect: ["192.0.2.5"] },
    { svc: "a", with: { loadBalancerIP: "192.0.2.6" }, expect: { ips: ["192.0.2.6"], cleared: "the requested IPs changed" } },
    { svc: "b", with: { loadBalancerIP: "192.0.2.5" }, expect: ["192.0.2.5"] },
  ]],
  ["serviceAllocation priority: lower first, 0 after prioritised, general pools last, ties by name", [
    { pools: [
      v4("general", ["192.0.2.0/32"]),
      v4("zero", ["192.0.2.1/32"], { serviceAllocation: { priority: 0 } }),
      v4("p20", ["192.0.2.2/32"], { serviceAllocation: { priority: 20 } }),
      v4("p10b", ["192.0.2.3/32"], { serviceAllocation: { priority: 10 } }),
      v4("p10a", ["192.0.2.4/32"], { serviceAllocation: { priority: 10 } }),
    ] },
    { svc: "s1", expect: { ips: ["192.0.2.4"], pool: "p10a" } },
    { svc: "s2", expect: { ips: ["192.0.2.3"], pool: "p10b" } },
    { svc: "s3", expect: { ips: ["192.0.2.2"], pool: "p20" } },
    { svc: "s4", expect: { ips: ["192.0.2.1"], pool: "zero" } },
    { svc: "s5", expect: { ips: ["192.0.2.0"], pool: "general" } },
    { svc: "s6", expect: { error: "no available IPs", reason: "NoAvailableIPs" } },
  ]],
  ["serviceAllocation by namespace, namespace labels, service labels and their combination", [
    { pools: [
      v4("team-a", ["192.0.2.0/30"], { serviceAllocation: { priority: 1, namespaces: ["a"] } }),
      v4("labelled", ["192.0.2.8/30"], { serviceAllocation: { priority: 2, namespaceSelectors: [selector({ tier: "gold" })] } }),
      v4("web-in-b", ["192.0.2.16/30"], { serviceAllocation: { priority: 3, namespaces: ["b"], serviceSelectors: [selector({ role: "web" })] } }),
    ] },
    { svc: "a/x", expect: { ips: ["192.0.2.0"], pool: "team-a" } },
    { svc: "b/db", expect: { error: 'no pool with autoAssign admits service "b/db" (every pool\'s serviceAllocation excludes it)', reason: "NoPoolForService" } },
    { svc: "b/web", with: { labels: { role: "web" } }, expect: { ips: ["192.0.2.16"], pool: "web-in-b" } },
    { namespaces: { c: { tier: "gold" }, b: {} } },
    { svc: "c/x", expect: { ips: ["192.0.2.8"], pool: "labelled" } },
    { svc: "a/y", with: { loadBalancerIP: "192.0.2.9" }, expect: {
      error: 'pool "labelled" not compatible for ip assignment: its serviceAllocation does not select service "a/y"', reason: "PoolNotCompatible" } },
    { namespaces: { c: { tier: "silver" } }, cleared: {
      "c/x": 'pool "labelled" not compatible for ip assignment: its serviceAllocation does not select service "c/x"' } },
    { reprocess: { "a/y": { error: 'pool "labelled" not compatible for ip assignment: its serviceAllocation does not select service "a/y"' },
      "b/db": { reason: "NoPoolForService" }, "c/x": { reason: "NoPoolForService" } } },
  ]],
  ["a pool with serviceAllocation {} admits everyone and goes before general pools", [
    { pools: [v4("general", ["192.0.2.0/32"]), v4("open", ["192.0.2.1/32"], { serviceAllocation: {} })] },
    { svc: "any/x", expect: { ips: ["192.0.2.1"], pool: "open" } },
  ]],
  ["sharing: same key and disjoint ports share; every conflict names the other service", [
    { pools: [v4("p", ["192.0.2.0/30"])] },
    { svc: "a", with: { annotations: { "metallb.io/allow-shared-ip": "k" }, ports: ["tcp/80"] }, expect: ["192.0.2.0"] },
    { svc: "b", with: { loadBalancerIP: "192.0.2.0", annotations: { "metallb.io/allow-shared-ip": "k" }, ports: ["tcp/443", "udp/80"] }, expect: ["192.0.2.0"] },
    { svc: "c", with: { loadBalancerIP: "192.0.2.0", annotations: { "metallb.io/allow-shared-ip": "k" }, ports: ["tcp/443"] },
      expect: { error: 'port tcp/443 is already in use on "192.0.2.0" by "default/b"', reason: "SharingConflict" } },
    { svc: "d", with: { loadBalancerIP: "192.0.2.0", annotations: { "metallb.io/allow-shared-ip": "other" }, ports: ["tcp/1"] },
      expect: { error: '"192.0.2.0" is already in use by "default/a" with sharing key "k", not "other"' } },
    { svc: "e", with: { loadBalancerIP: "192.0.2.0", ports: ["tcp/2"] },
      expect: { error: '"192.0.2.0" is already in use by "default/a" and this service has no metallb.io/allow-shared-ip key' } },
    { svc: "f", with: { loadBalancerIP: "192.0.2.0", etpLocal: true, annotations: { "metallb.io/allow-shared-ip": "k" }, ports: ["tcp/3"] },
      expect: { error: '"192.0.2.0" is already in use by "default/a" with backend key "", not "app=f" (services sharing an IP must both use externalTrafficPolicy Cluster, or Local with the same selector)' } },
    { svc: "g", with: { annotations: { "metallb.io/allow-shared-ip": "k" }, ports: ["tcp/8080"] }, expect: ["192.0.2.0"] },
    { svc: "h", with: { annotations: { "metallb.io/allow-shared-ip": "k" }, ports: ["tcp/80"] }, expect: ["192.0.2.1"] },
    { holds: { "default/a": ["192.0.2.0"], "default/b": ["192.0.2.0"], "default/g": ["192.0.2.0"], "default/h": ["192.0.2.1"] } },
  ]],
  ["sharing: a service that does not allow sharing blocks its IP", [
    { pools: [v4("p", ["192.0.2.0/30"])] },
    { svc: "a", expect: ["192.0.2.0"] },
    { svc: "b", with: { loadBalancerIP: "192.0.2.0", annotations: { "metallb.io/allow-shared-ip": "k" }, ports: ["tcp/1"] },
      expect: { error: '"192.0.2.0" is already in use by "default/a", which does not allow sharing' } },
  ]],
  ["sharing: Local services share only with the same selector", [
    { pools: [v4("p", ["192.0.2.0/30"])] },
    { svc: "a", with: { etpLocal: true, selector: { app: "x" }, annotations: { "metallb.io/allow-shared-ip": "k" }, ports: ["tcp/80"] }, expect: ["192.0.2.0"] },
    { svc: "b", with: { etpLocal: true, selector: { app: "x" }, annotations: { "metallb.io/allow-shared-ip": "k" }, ports: ["udp/53"] }, expect: ["192.0.2.0"] },
    { svc: "c", with: { etpLocal: true, selector: { app: "y" }, annotations: { "metallb.io/allow-shared-ip": "k" }, ports: ["udp/54"] }, expect: ["192.0.2.1"] },
  ]],
  ["sharing key change: alone is fine; while shared it is refused and the service re-allocates", [
    { pools: [v4("p", ["192.0.2.0/30"])] },
    { svc: "a", with: { annotations: { "metallb.io/allow-shared-ip": "k" }, ports: ["tcp/80"] }, expect: ["192.0.2.0"] },
    { svc: "a", with: { annotations: { "metallb.io/allow-shared-ip": "k2" }, ports: ["tcp/80"] }, expect: { ips: ["192.0.2.0"] } },
    { svc: "b", with: { loadBalancerIP: "192.0.2.0", annotations: { "metallb.io/allow-shared-ip": "k2" }, ports: ["tcp/81"] }, expect: ["192.0.2.0"] },
    { svc: "b", with: { loadBalancerIP: "192.0.2.0", annotations: { "metallb.io/allow-shared-ip": "k3" }, ports: ["tcp/81"] },
      expect: { error: 'can\'t change sharing key for "default/b", address also in use by "default/a"', reason: "SharingConflict",
        cleared: 'can\'t change sharing key for "default/b", address also in use by "default/a"' } },
    { svc: "a", with: { annotations: { "metallb.io/allow-shared-ip": "k4" }, ports: ["tcp/80"] }, expect: { ips: ["192.0.2.0"] } },
  ]],
  ["re-evaluation when sharing conditions change: a pending service fits after an ETP change", [
    { pools: [v4("p", ["192.0.2.0/32"])] },
    { svc: "a", with: { annotations: { "metallb.io/allow-shared-ip": "k" }, ports: ["tcp/80"] }, expect: ["192.0.2.0"] },
    { svc: "b", with: { etpLocal: true, annotations: { "metallb.io/allow-shared-ip": "k" }, ports: ["tcp/81"] },
      expect: { error: 'no available IPs in pool "p"' } },
    { svc: "b", with: { annotations: { "metallb.io/allow-shared-ip": "k" }, ports: ["tcp/81"] }, expect: ["192.0.2.0"] },
  ]],
  ["an IPv6 /64 pool", [
    { pools: [makePool("v6", ["2001:db8:1::/64"])] },
    { svc: "a", with: { clusterIPs: ["fd00::1"] }, expect: ["2001:db8:1::"] },
    { svc: "b", with: { clusterIPs: ["fd00::2"] }, expect: ["2001:db8:1::1"] },
    { svc: "c", with: { clusterIPs: ["fd00::3"], loadBalancerIP: "2001:db8:1::ffff:ffff:ffff:ffff" }, expect: ["2001:db8:1:0:ffff:ffff:ffff:ffff"] },
    { svc: "d", expect: { error: "no pool that admits this service has IPv4 addresses", reason: "NoPoolForFamily" } },
  ]],
  ["RequireDualStack: one pool with both families", [
    { pools: [v4("only4", ["192.0.2.0/30"]), makePool("only6", ["2001:db8::/126"])] },
    { svc: "a", with: { clusterIPs: dual, policy: "RequireDualStack" }, expect: {
      error: "RequireDualStack: no pool that admits this service has both IPv4 and IPv6 addresses", reason: "NoPoolForFamily" } },
    { svc: "b", with: { policy: "RequireDualStack" }, expect: {
      error: "not enough clusterips: RequireDualStack needs an IPv4 and an IPv6 ClusterIP, the service has 1", reason: "NotEnoughClusterIPs" } },
    { pools: [v4("only4", ["192.0.2.0/30"]), makePool("both", ["2001:db8::/126", "198.51.100.0/30"])] },
    { reprocess: { "default/a": { ips: ["198.51.100.0", "2001:db8::"], pool: "both" } } },
    { svc: "c", with: { clusterIPs: dualV6First, policy: "RequireDualStack" }, expect: ["2001:db8::1", "198.51.100.1"] },
    { svc: "d", with: { clusterIPs: dual, policy: "RequireDualStack", annotations: { "metallb.io/loadBalancerIPs": "2001:db8::3,198.51.100.3" } },
      expect: ["198.51.100.3", "2001:db8::3"] },
    { svc: "e", with: { clusterIPs: dual, policy: "RequireDualStack", loadBalancerIP: "198.51.100.2" },
      expect: { error: "RequireDualStack needs one requested IPv4 and one requested IPv6 address, got 1 requested IP", reason: "FamilyMismatch" } },
    { svc: "f", with: { clusterIPs: dual, policy: "RequireDualStack", annotations: { "metallb.io/loadBalancerIPs": "192.0.2.1,2001:db8::2" } },
      expect: { error: 'requested IPs "192.0.2.1" (pool "only4") and "2001:db8::2" (pool "both") must come from one pool', reason: "DifferentPools" } },
  ]],
  ["PreferDualStack: dual-stack pool preferred, else the primary family; gains the second family later without jumping pools", [
    { pools: [v4("a4", ["192.0.2.0/30"]), makePool("z6", ["2001:db8::/126"])] },
    { svc: "s", with: { clusterIPs: dualV6First, policy: "PreferDualStack" }, expect: { ips: ["2001:db8::"], pool: "z6" } },
    { svc: "t", with: { clusterIPs: dual, policy: "PreferDualStack" }, expect: { ips: ["192.0.2.0"], pool: "a4" } },
    { pools: [v4("a4", ["192.0.2.0/30"]), makePool("z6", ["2001:db8::/126"]), makePool("both", ["198.51.100.0/30", "2001:db8:1::/126"])] },
    { reprocess: {} },
    { svc: "u", with: { clusterIPs: dual, policy: "PreferDualStack" }, expect: { ips: ["198.51.100.0", "2001:db8:1::"], pool: "both" } },
    { pools: [v4("a4", ["192.0.2.0/30", "2001:db8:2::/127"]), makePool("z6", ["2001:db8::/126"]), makePool("both", ["198.51.100.0/30", "2001:db8:1::/126"])] },
    { reprocess: { "default/t": { ips: ["192.0.2.0", "2001:db8:2::"], pool: "a4", additional: ["2001:db8:2::"] } } },
    { svc: "v", with: { clusterIPs: dual, policy: "PreferDualStack", annotations: { "metallb.io/address-pool": "a4" } }, expect: { ips: ["192.0.2.1", "2001:db8:2::1"] } },
    { svc: "w", with: { clusterIPs: dual, policy: "PreferDualStack", annotations: { "metallb.io/address-pool": "a4" } }, expect: { ips: ["192.0.2.2"], pool: "a4" } },
    { svc: "w", with: { clusterIPs: dual, policy: "PreferDualStack", annotations: { "metallb.io/address-pool": "a4" } },
      expect: { ips: ["192.0.2.2"], additionalFailure: 'no available IPv6 address in pool "a4" for the second IP of this PreferDualStack service' } },
  ]],
  ["PreferDualStack: a dual-stack pool becoming single-stack clears both IPs; switching to RequireDualStack", [
    { pools: [makePool("both", ["198.51.100.0/30", "2001:db8:1::/126"])] },
    { svc: "s", with: { clusterIPs: dual, policy: "PreferDualStack" }, expect: ["198.51.100.0", "2001:db8:1::"] },
    { svc: "s", with: { clusterIPs: dual, policy: "RequireDualStack" }, expect: { ips: ["198.51.100.0", "2001:db8:1::"] } },
    { svc: "s", with: { clusterIPs: dual, policy: "PreferDualStack" }, expect: { ips: ["198.51.100.0", "2001:db8:1::"] } },
    { pools: [makePool("both", ["198.51.100.0/30"])], cleared: { "default/s": '"2001:db8:1::" is not allowed in config' } },
    { reprocess: { "default/s": { ips: ["198.51.100.0"], pool: "both" } } },
    { svc: "s", with: { clusterIPs: dual, policy: "RequireDualStack" }, expect: {
      error: "RequireDualStack: no pool that admits this service has both IPv4 and IPv6 addresses", cleared: "the held IPs no longer match the service's IP families" } },
  ]],
  ["a pool edit that moves IPs; removing all pools", [
    { pools: [v4("p", ["192.0.2.0/30"])] },
    { svc: "a", expect: ["192.0.2.0"] },
    { svc: "b", expect: ["192.0.2.1"] },
    { pools: [v4("p", ["192.0.2.1-192.0.2.2"])], cleared: { "default/a": '"192.0.2.0" is not allowed in config' } },
    { reprocess: { "default/a": ["192.0.2.2"] } },
    { holds: { "default/b": ["192.0.2.1"] } },
    { pools: [], cleared: { "default/a": '"192.0.2.2" is not allowed in config', "default/b": '"192.0.2.1" is not allowed in config' } },
    { reprocess: { "default/a": { error: "no IPAddressPool is configured" }, "default/b": { error: "no IPAddressPool is configured" } } },
  ]],
  ["a renamed pool keeps the IPs and reports the new pool name", [
    { pools: [v4("old", ["192.0.2.0/30"])] },
    { svc: "a", expect: { ips: ["192.0.2.0"], pool: "old" } },
    { svc: "b", with: { annotations: { "metallb.io/address-pool": "old" } }, expect: { ips: ["192.0.2.1"], pool: "old" } },
    { pools: [v4("new", ["192.0.2.0/30"])], repooled: ["default/a"], cleared: { "default/b": 'unknown pool "old"' } },
    { reprocess: { "default/b": { error: 'unknown pool "old"', reason: "UnknownPool" } } },
  ]],
  ["a deleted pool re-allocates its services elsewhere", [
    { pools: [v4("first", ["192.0.2.0/32"], { serviceAllocation: { priority: 1 } }), v4("second", ["198.51.100.0/30"])] },
    { svc: "a", expect: { ips: ["192.0.2.0"], pool: "first" } },
    { pools: [v4("second", ["198.51.100.0/30"])], cleared: { "default/a": '"192.0.2.0" is not allowed in config' } },
    { reprocess: { "default/a": { ips: ["198.51.100.0"], pool: "second" } } },
  ]],
];

describe("Allocator (step tables)", () => {
  it.each(cases)("%s", (_name, steps) => {
    runSteps(steps);
  });
});

describe("Allocator dual-stack matrix (policy x family order x pools)", () => {
  const poolSets: Record<string, ReturnType<typeof makePool>[]> = {
    "v4 only": [v4("p4", ["192.0.2.0/30"])],
    "v6 only": [makePool("p6", ["2001:db8::/126"])],
    "one dual pool": [makePool("pd", ["198.51.100.0/30", "2001:db8:1::/126"])],
    "two single pools": [v4("p4", ["192.0.2.0/30"]), makePool("p6", ["2001:db8::/126"])],
  };
  const noV4 = "no pool that admits this service has IPv4 addresses";
  const noV6 = "no pool that admits this service has IPv6 addresses";
  const noDual = "RequireDualStack: no pool that admits this service has both IPv4 and IPv6 addresses";
  const services: Record<string, { clusterIPs: string[]; policy: "SingleStack" | "PreferDualStack" | "RequireDualStack" }> = {
    "SingleStack IPv4": { clusterIPs: ["10.96.0.1"], policy: "SingleStack" },
    "SingleStack IPv6": { clusterIPs: ["fd00::1"], policy: "SingleStack" },
    "PreferDualStack IPv4 first": { clusterIPs: dual, policy: "PreferDualStack" },
    "PreferDualStack IPv6 first": { clusterIPs: dualV6First, policy: "PreferDualStack" },
    "PreferDualStack, one ClusterIP": { clusterIPs: ["fd00::1"], policy: "PreferDualStack" },
    "RequireDualStack IPv4 first": { clusterIPs: dual, policy: "RequireDualStack" },
    "RequireDualStack IPv6 first": { clusterIPs: dualV6First, policy: "RequireDualStack" },
  };
  const expected: Record<string, Record<string, string[] | string>> = {
    "SingleStack IPv4": { "v4 only": ["192.0.2.0"], "v6 only": noV4, "one dual pool": ["198.51.100.0"], "two single pools": ["192.0.2.0"] },
    "SingleStack IPv6": { "v4 only": noV6, "v6 only": ["2001:db8::"], "one dual pool": ["2001:db8:1::"], "two single pools": ["2001:db8::"] },
    "PreferDualStack IPv4 first": { "v4 only": ["192.0.2.0"], "v6 only": noV4, "one dual pool": ["198.51.100.0", "2001:db8:1::"], "two single pools": ["192.0.2.0"] },
    "PreferDualStack IPv6 first": { "v4 only": noV6, "v6 only": ["2001:db8::"], "one dual pool": ["2001:db8:1::", "198.51.100.0"], "two single pools": ["2001:db8::"] },
    "PreferDualStack, one ClusterIP": { "v4 only": noV6, "v6 only": ["2001:db8::"], "one dual pool": ["2001:db8:1::"], "two single pools": ["2001:db8::"] },
    "RequireDualStack IPv4 first": { "v4 only": noDual, "v6 only": noDual, "one dual pool": ["198.51.100.0", "2001:db8:1::"], "two single pools": noDual },
    "RequireDualStack IPv6 first": { "v4 only": noDual, "v6 only": noDual, "one dual pool": ["2001:db8:1::", "198.51.100.0"], "two single pools": noDual },
  };
  const rows = Object.entries(expected).flatMap(([svc, byPools]) => Object.entries(byPools).map(([pools, want]) => [svc, pools, want] as const));
  it.each(rows)("%s with %s", (svc, pools, want) => {
    runSteps([
      { pools: poolSets[pools] ?? [] },
      { svc: "s", with: services[svc], expect: typeof want === "string" ? { error: want, reason: "NoPoolForFamily" } : want },
    ]);
  });
});

describe("the articles' manifests, as written", () => {
  it("gives only the LoadBalancer Service of three-services.yaml an IP, 192.168.172.161", () => {
    const manifests = parseAllDocuments(`
apiVersion: v1
kind: Service
metadata: {name: nginxcip}
spec: {type: ClusterIP, clusterIP: 10.96.0.20, ports: [{protocol: TCP, port: 8020, targetPort: 80}], selector: {app: nginx}}
---
apiVersion: v1
kind: Service
metadata: {name: nginxnp}
spec: {type: NodePort, clusterIP: 10.96.0.21, ports: [{protocol: TCP, port: 8040, targetPort: 80, nodePort: 32232}], selector: {app: nginx}}
---
apiVersion: v1
kind: Service
metadata: {name: nginxlb}
spec: {type: LoadBalancer, clusterIP: 10.96.0.22, loadBalancerIP: 192.168.172.161, ports: [{protocol: TCP, port: 8090, targetPort: 80}], selector: {app: nginx}}
`).map(d => d.toJSON() as unknown);
    const a = new Allocator();
    a.setPools([examplePool]);
    const outcomes = manifests.map(m => {
      const parsed = parseServiceRequest(m);
      if (!parsed.handled) return parsed.reason;
      const r = a.allocate(parsed.request);
      return r.ok ? `${r.ips.map(formatIP).join(",")} from ${r.pool}` : r.message;
    });
    expect(outcomes).toEqual(["NotLoadBalancer", "NotLoadBalancer", "192.168.172.161 from lb-ip-pool"]);
  });
});

describe("Allocator counters and metrics", () => {
  it("counts assigned and available per family, shared IPs once", () => {
    const a = runSteps([
      { pools: [makePool("d", ["192.0.2.0/24", "2001:db8::/64"], { avoidBuggyIPs: true })] },
      { svc: "x", with: { clusterIPs: dual, policy: "RequireDualStack", annotations: { "metallb.io/allow-shared-ip": "k" } }, expect: ["192.0.2.1", "2001:db8::"] },
      { svc: "y", with: { clusterIPs: dual, policy: "RequireDualStack", annotations: { "metallb.io/allow-shared-ip": "k" }, ports: ["tcp/81"] }, expect: ["192.0.2.1", "2001:db8::"] },
      { svc: "z", expect: ["192.0.2.2"] },
    ]);
    expect(a.poolCounters("d")).toEqual({ assignedIPv4: 2n, assignedIPv6: 1n, availableIPv4: 252n, availableIPv6: (1n << 64n) - 1n });
    expect(a.poolCounters("missing")).toBeUndefined();
    expect(a.metrics()).toEqual([{
      pool: "d",
      addressesTotal: { IPv4: 254n, IPv6: 1n << 64n },
      addressesInUse: { IPv4: 2n, IPv6: 1n },
      servicesAllocated: 3,
    }]);
    expect(a.holdersOf({ family: "IPv4", value: 0xc0000201n })).toEqual(["default/x", "default/y"]);
    expect(a.pending()).toEqual([]);
  });
});

describe("Allocator restore", () => {
  it("re-adopts 1,000 services' IPs after a restart, identical, before allocating new ones", () => {
    const pools = [makePool("p", ["198.18.0.0/22", "2001:db8::/64"]), makePool("q", ["203.0.113.0/24"], { serviceAllocation: { namespaces: ["q"], priority: 1 } })];
    const live = new Allocator();
    live.setPools(pools);
    const services: Array<{ name: string; ns: string; o: ServiceOptions }> = [];
    for (let i = 0; i < 1000; i++) {
      const ns = i % 7 === 0 ? "q" : "default";
      const o: ServiceOptions = {
        namespace: ns,
        clusterIPs: i % 5 === 0 ? dual : ["10.96.0.1"],
        policy: i % 5 === 0 ? ("RequireDualStack" as const) : ("SingleStack" as const),
        annotations: i % 3 === 0 ? { "metallb.io/allow-shared-ip": `k${i % 4}` } : ({} as Record<string, string>),
        ports: [`tcp/${i % 9}`],
      };
      services.push({ name: `s${i}`, ns, o });
      live.allocate(requestOf(`s${i}`, o));
    }
    // Free a few so that new services would take low addresses if restore did not adopt first.
    for (const i of [3, 10, 500]) live.release(`default/s${i}`);
    const released = new Set(["default/s3", "default/s10", "default/s500"]);
    const before = new Map(services.map(s => [`${s.ns}/${s.name}`, live.assignment(`${s.ns}/${s.name}`)?.ips.map(formatIP)]));
    for (const key of released) {
      expect(before.get(key)).toBeUndefined();
      before.delete(key);
    }
    services.splice(0, services.length, ...services.filter(s => !released.has(`${s.ns}/${s.name}`)));
    const restarted = new Allocator();
    restarted.setPools(pools);
    // The restarted controller sees the services in another order, plus three new ones.
    const requests = [...services].reverse().map(s => requestOf(s.name, { ...s.o, statusIPs: before.get(`${s.ns}/${s.name}`) ?? [] }));
    requests.unshift(requestOf("aaa-new"), requestOf("aab-new"));
    const results = restarted.restore(requests);
    for (const [key, ips] of before) {
      expect(restarted.assignment(key)?.ips.map(formatIP), key).toEqual(ips);
      if (ips) expect(results.get(key), key).toMatchObject({ ok: true, restored: true, changed: false });
    }
    expect(results.get("default/aaa-new")).toMatchObject({ ok: true, changed: true });
    expect(restarted.metrics()).toEqual(live.metrics().map(m => m.pool === "p"
      ? { ...m, addressesInUse: { ...m.addressesInUse, IPv4: m.addressesInUse.IPv4 + 2n }, servicesAllocated: m.servicesAllocated + 2 }
      : m));
  });

  it("re-allocates a status IP that is no longer valid, after adopting the valid ones", () => {
    const a = new Allocator();
    a.setPools([makePool("p", ["192.0.2.0/30"])]);
    const results = a.restore([
      requestOf("a", { statusIPs: ["198.51.100.9"] }),
      requestOf("b", { statusIPs: ["192.0.2.0"] }),
      requestOf("c", { statusIPs: ["192.0.2.0"] }),
    ]);
    expect(results.get("default/b")).toEqual({ ok: true, ips: [{ family: "IPv4", value: 0xc0000200n }], pool: "p", changed: false, restored: true });
    expect(results.get("default/a")).toMatchObject({ ok: true, cleared: '"198.51.100.9" is not allowed in config', changed: true });
    expect(a.assignment("default/a")?.ips.map(formatIP)).toEqual(["192.0.2.1"]);
    expect(results.get("default/c")).toMatchObject({ ok: true, cleared: '"192.0.2.0" is already in use by "default/b" and this service has no metallb.io/allow-shared-ip key' });
    expect(a.assignment("default/c")?.ips.map(formatIP)).toEqual(["192.0.2.2"]);
  });
});
