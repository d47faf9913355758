import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { bgpAnnouncedMessage, bgpNodeAssignedMessage, mergeSessions, peerStatus } from "./bgp-status";
import { bgpNodeView } from "./bgp-node";

const mine = { node: "node-a", state: "Established" as const, since: "2026-11-22T01:00:00Z", prefixesAdvertised: 2 };
const other = { node: "node-b", state: "Idle", since: "2026-11-22T00:00:00Z", lastError: "hold timer expired", prefixesAdvertised: 0 };

describe("BGP status texts", () => {
  it("names the node and the peers", () => {
    expect(bgpAnnouncedMessage("node-a", ["r1", "r2"])).toBe("announced by node node-a to peers r1,r2 (bgp)");
    expect(bgpAnnouncedMessage("node-a", [])).toBe("announced by node node-a (bgp)");
    expect(bgpNodeAssignedMessage("node-a")).toBe("announcing from node node-a with protocol bgp");
  });
});

describe("mergeSessions", () => {
  it("adds, replaces and removes only this node's entry, sorted by node", () => {
    expect(mergeSessions({ status: { sessions: [other] } }, "node-a", mine)).toEqual([mine, other]);
    expect(mergeSessions({ status: { sessions: [other, { ...mine, state: "Active" }] } }, "node-a", mine)).toEqual([mine, other]);
    expect(mergeSessions({ status: { sessions: [mine, other] } }, "node-a", undefined)).toEqual([other]);
    expect(mergeSessions({}, "node-a", mine)).toEqual([mine]);
  });

  it("says nothing changes when the entry is already there, or absent and not wanted", () => {
    expect(mergeSessions({ status: { sessions: [other, { prefixesAdvertised: 2, since: mine.since, state: "Established", node: "node-a" }] } }, "node-a", mine)).toBeUndefined();
    expect(mergeSessions({ status: { sessions: [other] } }, "node-a", undefined)).toBeUndefined();
  });

  it("keeps every other node's entry whatever the object holds", () => {
    fc.assert(
      fc.property(fc.anything(), fc.boolean(), (sessions, withEntry) => {
        const result = mergeSessions({ status: { sessions } }, "node-a", withEntry ? mine : undefined);
        const others = Array.isArray(sessions) ? sessions.filter(s => typeof s === "object" && s !== null && !Array.isArray(s) && typeof (s as { node?: unknown }).node === "string" && (s as { node?: unknown }).node !== "node-a") : [];
        if (result === undefined) return;
        expect(result.filter(e => e.node !== "node-a")).toHaveLength(others.length);
        expect(result.filter(e => e.node === "node-a")).toEqual(withEntry ? [mine] : []);
      }),
    );
  });
});

describe("bgpNodeView", () => {
  it("takes the labels and the InternalIP and ExternalIP addresses, in order, once", () => {
    const node = {
      metadata: { name: "node-a", labels: { zone: "z1" } },
      status: {
        addresses: [
          { type: "Hostname", address: "node-a" },
          { type: "InternalIP", address: "192.0.2.100" },
          { type: "InternalIP", address: "2001:db8::100" },
          { type: "ExternalIP", address: "192.0.2.100" },
          { type: "ExternalIP", address: "203.0.113.5" },
        ],
      },
    };
    expect(bgpNodeView([node], "node-a")).toEqual({ labels: { zone: "z1" }, addresses: ["192.0.2.100", "2001:db8::100", "203.0.113.5"] });
    expect(bgpNodeView([node], "node-b")).toBeUndefined();
  });

  it("never throws on a malformed Node and returns only strings", () => {
    fc.assert(
      fc.property(fc.record({ metadata: fc.constant({ name: "n" }), status: fc.anything() }), node => {
        const v = bgpNodeView([node], "n");
        expect(v?.addresses.every(a => typeof a === "string")).toBe(true);
      }),
    );
  });
});

describe("peerStatus", () => {
  it("derives the Established and Sessions columns from the sessions", () => {
    const sessions = [
      { node: "node-a", state: "Established" as const },
      { node: "node-b", state: "Active" as const, lastError: "connect ECONNREFUSED" },
      { node: "node-c", state: "Established" as const },
    ];
    expect(peerStatus(sessions)).toEqual({ sessions, established: "2/3", summary: "node-a=Established,node-b=Active,node-c=Established" });
  });

  it("shows 0/0 and an empty summary when no node holds a session", () => {
    expect(peerStatus([])).toEqual({ sessions: [], established: "0/0", summary: "" });
  });
});
