import { KubeConfig } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { RecordingDeployPort } from "../test/deploy/testing";
import { uninstallCommand } from "./uninstall";

const kubeconfig = (): KubeConfig => {
  const kc = new KubeConfig();
  kc.loadFromOptions({ clusters: [{ name: "c", server: "https://192.0.2.10:6443" }], users: [{ name: "u", token: "t" }], contexts: [{ name: "x", cluster: "c", user: "u" }], currentContext: "x" });
  return kc;
};

describe("lodestone uninstall", () => {
  it("prints one line per object, then what it kept", async () => {
    const port = new RecordingDeployPort();
    port.objects.set("/apis/apps/v1/namespaces/metallb-system/daemonsets/lodestone-speaker", {});
    const out: string[] = [];
    const code = await uninstallCommand([], { out: l => out.push(l), err: () => {} }, { loadKubeConfig: kubeconfig, port: async () => port });
    expect(code).toBe(0);
    expect(out.filter(l => l.endsWith(" deleted"))).toEqual(["daemonset.apps/lodestone-speaker deleted"]);
    expect(out.slice(-3)).toEqual([
      "kept: the metallb.io CRDs and every object of theirs (pools, advertisements, peers, statuses)",
      "kept: namespace metallb-system and Secret metallb-system/memberlist (the heartbeat key)",
      "kept: the Services and their IPs (nothing clears them once the controller is gone)",
    ]);
  });
});
