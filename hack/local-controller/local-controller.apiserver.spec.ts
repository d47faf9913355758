/**
 * `npm run controller` against the local API server: once it says "webhooks at", the webhooks it
 * registered answer. Pepr binds its admission routes (with /healthz) only after its store has loaded,
 * 0 to 3 s after start (node_modules/pepr/dist/lib.js, Controller constructor and StoreController);
 * before that its Express app answers `Cannot POST /validate/<path>` and the API server refuses
 * every metallb.io object (failurePolicy Fail). A caller that acts on the line must not see that.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { freePort } from "../../e2e/support/free-port";
import { join } from "node:path";
import { K8s } from "kubernetes-fluent-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startApiServer, type RunningApiServer } from "../kube-apiserver/server";
import { Spawned } from "../netns/process";
import { IPAddressPoolKind } from "../../kube/kinds";

const NS = "metallb-system";
let dir: string;
let api: RunningApiServer;
let controller: Spawned | undefined;
const savedKubeconfig = process.env.KUBECONFIG;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "lodestone-local-controller-"));
  api = await startApiServer({ dir: join(dir, "apiserver") });
  process.env.KUBECONFIG = api.kubeconfig;
}, 60_000);

afterAll(async () => {
  await controller?.kill();
  await api?.stop();
  if (savedKubeconfig === undefined) delete process.env.KUBECONFIG;
  else process.env.KUBECONFIG = savedKubeconfig;
  rmSync(dir, { recursive: true, force: true });
});

describe("the local controller", () => {
  it("announces its webhooks only once they answer: the first pool applied right after is admitted", async () => {
    controller = new Spawned(
      [process.execPath, "--import", "tsx", "hack/local-controller/main.ts", "--port", String(await freePort()), "--state", join(dir, "controller"), "--metrics-port", "0"],
      { env: { ...process.env, KUBECONFIG: api.kubeconfig, LOG_LEVEL: "warn", LODESTONE_NAMESPACE: NS } },
    );
    await controller.waitForLine(/webhooks at /, 120_000);
    const applied = await K8s(IPAddressPoolKind).Apply(
      { metadata: { name: "first", namespace: NS }, spec: { addresses: ["192.0.2.0/28"] } } as never,
      { force: true },
    );
    expect(applied.metadata?.name).toBe("first");
  }, 150_000);
});
