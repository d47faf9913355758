import { KubeConfig } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { RecordingDeployPort } from "../test/deploy/testing";
import { prepareCommand, type PrepareDeps } from "./prepare";

const kubeconfig = (): KubeConfig => {
  const kc = new KubeConfig();
  kc.loadFromOptions({ clusters: [{ name: "c", server: "https://192.0.2.10:6443" }], users: [{ name: "u", token: "t" }], contexts: [{ name: "x", cluster: "c", user: "u" }], currentContext: "x" });
  return kc;
};

async function run(args: string[], port: RecordingDeployPort): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const deps: PrepareDeps = { loadKubeConfig: kubeconfig, port: async () => port };
  const code = await prepareCommand(args, { out: l => out.push(l), err: l => err.push(l) }, deps);
  return { code, out, err };
}

describe("lodestone prepare", () => {
  it("prints what it applied, kubectl style, and the next step", async () => {
    const r = await run(["-n", "lb"], new RecordingDeployPort());
    expect(r.code).toBe(0);
    expect(r.err).toEqual([]);
    expect(r.out).toEqual([
      "namespace/lb applied",
      "role.rbac.authorization.k8s.io/lodestone-controller applied",
      "rolebinding.rbac.authorization.k8s.io/lodestone-controller applied",
      "secret/memberlist created (heartbeat key: 32 random bytes; kept from now on, never rotated by lodestone)",
      "role.rbac.authorization.k8s.io/lodestone-speaker-secrets created",
      "rolebinding.rbac.authorization.k8s.io/lodestone-speaker-secrets created",
      "next: npx pepr@1.1.4 deploy --yes   (docs/install.md)",
    ]);
  });

  it("exits 1 naming an existing heartbeat Secret the speakers would refuse", async () => {
    const port = new RecordingDeployPort();
    port.objects.set("/api/v1/namespaces/metallb-system/secrets/memberlist", { data: { secretkey: "c2hvcnQ=" } });
    const r = await run([], port);
    expect(r.code).toBe(1);
    expect(r.err).toEqual([
      "lodestone prepare: Secret metallb-system/memberlist: data.secretkey must decode to at least 16 bytes, got 5: the speakers will not start; delete it and run this again to create a new one",
    ]);
  });

  it("exits 1 with the API server's message when a write is refused", async () => {
    const port = new RecordingDeployPort();
    port.failOnce.set("/api/v1/namespaces/metallb-system", 'PATCH /api/v1/namespaces/metallb-system: namespaces "metallb-system" is forbidden');
    expect(await run([], port)).toEqual({ code: 1, out: [], err: ['lodestone prepare: PATCH /api/v1/namespaces/metallb-system: namespaces "metallb-system" is forbidden'] });
  });
});
