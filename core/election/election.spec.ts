import { describe, expect, it } from "vitest";
import fc from "fast-check";
import type { LabelSelector } from "../config/types";
import { elect, electedOwner, EXCLUDE_LB_LABEL, rendezvousHash, type ElectionInput, type ElectionNode } from "./election";

const sel = (matchLabels: Record<string, string>): LabelSelector => ({ matchLabels, matchExpressions: [] });
const node = (name: string, labels: Record<string, string> = {}, networkUnavailable = false): ElectionNode => ({ name, labels, networkUnavailable });
const NODES = ["node-a", "node-b", "node-c", "node-d"].map(n => node(n));

const input = (over: Partial<ElectionInput> = {}): ElectionInput => ({
  firstIP: "192.0.2.10",
  nodes: NODES,
  liveSpeakers: new Set(NODES.map(n => n.name)),
  advertisements: [{ nodeSelectors: [] }],
  externalTrafficPolicy: "Cluster",
  endpointNodes: new Set(["node-a"]),
  anyReadyEndpoint: true,
  ...over,
});

describe("elect", () => {
  it("orders by sha256(node#ip) ascending (hashes checked with sha256sum)", () => {
    expect(rendezvousHash("node-d", "192.0.2.10")).toBe("1e377524e6a504eb800c63f4de322b58b66f804f8da7b72f8fe52e9d89594adc");
    expect(elect(input()).ordered).toEqual(["node-d", "node-c", "node-b", "node-a"]);
    expect(elect(input({ firstIP: "2001:db8::10" })).ordered).toEqual(["node-b", "node-a", "node-c", "node-d"]);
  });

  it("filters candidates and says why", () => {
    const nodes = [
      node("node-a"),
      node("node-b", { zone: "x" }),
      node("node-c", {}, true),
      node("node-d", { [EXCLUDE_LB_LABEL]: "" }),
      node("node-e", { zone: "x" }),
    ];
    const r = elect(input({ nodes, liveSpeakers: new Set(["node-a", "node-b", "node-c", "node-d"]), advertisements: [{ nodeSelectors: [sel({ zone: "x" })] }, { nodeSelectors: [sel({ zone: "y" })] }] }));
    expect(r.ordered).toEqual(["node-b"]);
    expect(r.excluded).toEqual([
      { node: "node-a", reason: "node-selector" },
      { node: "node-c", reason: "node-selector" },
      { node: "node-d", reason: "node-selector" },
      { node: "node-e", reason: "no-live-speaker" },
    ]);
    const all = elect(input({ nodes }));
    expect(all.excluded).toEqual([
      { node: "node-c", reason: "network-unavailable" },
      { node: "node-d", reason: "exclude-from-external-load-balancers" },
      { node: "node-e", reason: "no-live-speaker" },
    ]);
    expect(elect(input({ nodes, ignoreExcludeLB: true })).ordered).toContain("node-d");
  });

  it("limits ETP Local to nodes with a ready endpoint", () => {
    const r = elect(input({ externalTrafficPolicy: "Local", endpointNodes: new Set(["node-a", "node-b"]) }));
    expect(r.ordered).toEqual(["node-b", "node-a"]);
    expect(r.excluded.map(e => e.reason)).toEqual(["no-local-endpoint", "no-local-endpoint"]);
  });

  it("announces nothing without an advertisement or a ready endpoint", () => {
    expect(elect(input({ advertisements: [] }))).toEqual({ ordered: [], excluded: [], pending: "no-advertisement" });
    expect(elect(input({ anyReadyEndpoint: false }))).toEqual({ ordered: [], excluded: [], pending: "no-ready-endpoint" });
  });

  it("puts preferred nodes first, summing weights across advertisements, hash breaking ties", () => {
    const nodes = [node("node-a", { ssd: "1", rack: "1" }), node("node-b", { ssd: "1" }), node("node-c", { rack: "1" }), node("node-d")];
    const advertisements = [
      { nodeSelectors: [], preferredNodeSelectors: [{ weight: 10, preference: sel({ ssd: "1" }) }] },
      { nodeSelectors: [], preferredNodeSelectors: [{ weight: 5, preference: sel({ rack: "1" }) }] },
    ];
    expect(elect(input({ nodes, advertisements })).ordered).toEqual(["node-a", "node-b", "node-c", "node-d"]);
    const tie = [{ nodeSelectors: [], preferredNodeSelectors: [{ weight: 10, preference: sel({ ssd: "1" }) }] }];
    expect(elect(input({ nodes, advertisements: tie })).ordered).toEqual(["node-b", "node-a", "node-d", "node-c"]);
  });

  const names = fc.uniqueArray(fc.stringMatching(/^[a-z][a-z0-9-]{0,12}$/), { minLength: 1, maxLength: 12 });
  const ip = fc.oneof(fc.ipV4(), fc.constantFrom("2001:db8::10", "2001:db8::1:2"));

  it("removing a non-owner never moves the IP; adding a node moves it only to the newcomer", () => {
    fc.assert(
      fc.property(names, ip, fc.nat(), fc.string({ minLength: 1, maxLength: 8 }), (ns, firstIP, pick, extra) => {
        const base = input({ firstIP, nodes: ns.map(n => node(n)), liveSpeakers: new Set(ns) });
        const owner = electedOwner(base);
        const victim = ns[pick % ns.length] ?? "";
        if (victim !== owner) {
          const without = new Set(ns.filter(n => n !== victim));
          expect(electedOwner({ ...base, liveSpeakers: without })).toBe(owner);
        }
        if (!ns.includes(extra)) {
          const grown = electedOwner({ ...base, nodes: [...base.nodes, node(extra)], liveSpeakers: new Set([...ns, extra]) });
          expect([owner, extra]).toContain(grown);
        }
      }),
    );
  });

  it("gives every speaker the same list whatever order it sees the nodes in", () => {
    fc.assert(
      fc.property(names, ip, fc.array(fc.nat()), (ns, firstIP, swaps) => {
        const shuffled = [...ns];
        for (const [i, s] of swaps.entries()) {
          const a = i % shuffled.length;
          const b = s % shuffled.length;
          [shuffled[a], shuffled[b]] = [shuffled[b] ?? "", shuffled[a] ?? ""];
        }
        const one = elect(input({ firstIP, nodes: ns.map(n => node(n)), liveSpeakers: new Set(ns) }));
        const two = elect(input({ firstIP, nodes: shuffled.map(n => node(n)), liveSpeakers: new Set(shuffled) }));
        expect(two).toEqual(one);
        expect([...one.ordered].sort()).toEqual([...ns].sort());
      }),
    );
  });
});
