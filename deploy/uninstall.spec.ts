import { describe, expect, it } from "vitest";
import { allCRDs } from "../crds";
import type { Manifest } from "./deploy-port";
import { installPlan } from "./install";
import { prepare } from "./prerequisites";
import { RecordingDeployPort } from "../test/deploy/testing";
import { keptLines, uninstall, uninstallRefs } from "./uninstall";
import { objectPath, refOf } from "./deploy-port";

describe("uninstall", () => {
  it("deletes the webhook registrations first, then the controller, then the speaker", () => {
    const order = uninstallRefs("metallb-system").map(r => `${r.kind}/${r.name}`);
    expect(order.slice(0, 4)).toEqual(["MutatingWebhookConfiguration/pepr-lodestone", "ValidatingWebhookConfiguration/pepr-lodestone", "Deployment/pepr-lodestone-watcher", "Deployment/pepr-lodestone"]);
    expect(order.indexOf("DaemonSet/lodestone-speaker")).toBeGreaterThan(order.indexOf("Deployment/pepr-lodestone"));
  });

  it("removes every speaker object the controller applies and the installer's Secret access, and keeps the users' objects", async () => {
    const port = new RecordingDeployPort();
    await prepare(port, "metallb-system", () => Buffer.alloc(32, 1));
    const plan = installPlan({ namespace: "metallb-system", image: "speaker:1" });
    for (const m of [plan.namespace, ...plan.crds, ...plan.speaker]) await port.apply(m);
    const pool: Manifest = { apiVersion: "metallb.io/v1beta1", kind: "IPAddressPool", metadata: { name: "p", namespace: "metallb-system" } };
    port.objects.set("/apis/metallb.io/v1beta1/namespaces/metallb-system/ipaddresspools/p", pool);

    const lines = await uninstall(port, "metallb-system");
    for (const m of plan.speaker) expect(port.objects.has(objectPath(refOf(m))), objectPath(refOf(m))).toBe(false);
    expect([...port.objects.keys()].sort()).toEqual(
      [
        "/api/v1/namespaces/metallb-system",
        "/api/v1/namespaces/metallb-system/secrets/memberlist",
        "/apis/metallb.io/v1beta1/namespaces/metallb-system/ipaddresspools/p",
        ...allCRDs.map(c => `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${(c as { metadata: { name: string } }).metadata.name}`),
      ].sort(),
    );
    expect(lines).toContain("daemonset.apps/lodestone-speaker deleted");
    expect(lines).toContain("role.rbac.authorization.k8s.io/lodestone-speaker-secrets deleted");
    expect(lines).toContain("role.rbac.authorization.k8s.io/lodestone-controller deleted");
    expect(lines[0]).toBe("mutatingwebhookconfiguration.admissionregistration.k8s.io/pepr-lodestone not found");
    expect(lines).toHaveLength(uninstallRefs("metallb-system").length);
  });

  it("says what it keeps", () => {
    expect(keptLines("lb")).toEqual([
      "kept: the metallb.io CRDs and every object of theirs (pools, advertisements, peers, statuses)",
      "kept: namespace lb and Secret lb/memberlist (the heartbeat key)",
      "kept: the Services and their IPs (nothing clears them once the controller is gone)",
    ]);
  });
});
