/**
 * speakerState's memo: a snapshot in which only what the speaker does not read changed costs no
 * recompute (at 10,000 Services, every decision made anew holds the main thread for hundreds of ms).
 */
import { describe, expect, it } from "vitest";
import type { KubeObject } from "../kube/controller-port";
import { SPEAKER_RESOURCES, type SpeakerResource } from "../kube/speaker-port";
import type { Snapshot } from "./cluster-cache";
import { SpeakerStateMemo, speakerState } from "./speaker-state";

const NS = "metallb-system";
const settings = { node: "node-a", namespace: NS };

const pool = (resourceVersion: string, spec: Record<string, unknown>, status?: Record<string, unknown>): KubeObject => ({
  apiVersion: "metallb.io/v1beta1",
  kind: "IPAddressPool",
  metadata: { name: "p1", namespace: NS, resourceVersion, generation: 1 },
  spec,
  ...(status ? { status } : {}),
});
const service = (name: string, ip: string): KubeObject => ({
  apiVersion: "v1",
  kind: "Service",
  metadata: { name, namespace: "shop", resourceVersion: "7" },
  spec: { type: "LoadBalancer", ports: [{ port: 80, protocol: "TCP" }] },
  status: { loadBalancer: { ingress: [{ ip }] } },
});
const services = [service("web", "192.0.2.10"), service("api", "192.0.2.11")];
const l2 = { apiVersion: "metallb.io/v1beta1", kind: "L2Advertisement", metadata: { name: "l2", namespace: NS, resourceVersion: "3" }, spec: {} };
const node = { metadata: { name: "node-a", labels: {} }, status: { conditions: [{ type: "Ready", status: "True" }] } };

function snapshot(ipPool: KubeObject): Snapshot {
  const empty = Object.fromEntries(SPEAKER_RESOURCES.map(r => [r, [] as KubeObject[]])) as Record<SpeakerResource, KubeObject[]>;
  return { ...empty, IPAddressPool: [ipPool], L2Advertisement: [l2], Node: [node], Service: services };
}

describe("speakerState's memo", () => {
  it("keeps the configuration and every decision when only a pool's status and resourceVersion changed", () => {
    const memo = new SpeakerStateMemo();
    const first = speakerState(snapshot(pool("10", { addresses: ["192.0.2.0/24"] })), settings, undefined, memo);
    expect(first.problems).toEqual([]);
    expect([...first.services.keys()]).toEqual(["shop/web", "shop/api"]);
    const decisions = [...memo.desired.values()].map(d => d.decision);
    expect(decisions).toHaveLength(2);

    // What the controller writes with each allocation: the pool's counts, and so a new resourceVersion.
    const second = speakerState(snapshot(pool("11", { addresses: ["192.0.2.0/24"] }, { assignedIPv4: 2, availableIPv4: 254 })), settings, first.config, memo);
    expect(second.config).toBe(first.config);
    expect([...memo.desired.values()].map(d => d.decision)).toEqual(decisions);
    for (const [i, d] of [...memo.desired.values()].entries()) expect(d.decision).toBe(decisions[i]);
  });

  it("parses again and decides again when the pool's spec changed", () => {
    const memo = new SpeakerStateMemo();
    const first = speakerState(snapshot(pool("10", { addresses: ["192.0.2.0/24"] })), settings, undefined, memo);
    const decision = memo.desired.get("shop/web")?.decision;
    const second = speakerState(snapshot(pool("12", { addresses: ["192.0.2.0/24"], autoAssign: false })), settings, first.config, memo);
    expect(second.config).not.toBe(first.config);
    expect(second.config?.pools.get("p1")?.autoAssign).toBe(false);
    expect(memo.desired.get("shop/web")?.decision).not.toBe(decision);
  });
});
