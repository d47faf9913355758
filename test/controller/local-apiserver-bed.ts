/**
 * The bed of the controller's *.apiserver.spec.ts files: the local API server (hack/kube-apiserver)
 * in a fresh temporary folder, KUBECONFIG pointed at it for kubernetes-fluent-client (and restored
 * after), the cluster bootstrapped (the namespace and the CRDs), and the controller started on the
 * real KFC port when a test asks; the controller, the server and the folder go in afterAll.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Registry } from "prom-client";
import { afterAll, beforeAll } from "vitest";
import { startApiServer, type ApiServerOptions, type RunningApiServer } from "../../hack/kube-apiserver/server";
import { bootstrapCluster } from "../../hack/local-controller/bootstrap";
import { startController, type RunningController } from "../../controller/main";
import { RestControllerPort } from "../../kube/rest-controller-port";
import { NS } from "./testing";

export interface LocalApiServerBed {
  /** The controller of namespace NS on the KFC port with a fresh registry; stopped in afterAll. */
  startController(): Promise<RunningController>;
}

/** Registers the bed's beforeAll and afterAll in the calling spec file. */
export function localApiServerBed(options: { readonly tmpPrefix: string } & Pick<ApiServerOptions, "loadBalancerIPMode">): LocalApiServerBed {
  let dir = "";
  let api: RunningApiServer | undefined;
  let controller: RunningController | undefined;
  const savedKubeconfig = process.env.KUBECONFIG;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), options.tmpPrefix));
    api = await startApiServer({ dir, ...(options.loadBalancerIPMode !== undefined ? { loadBalancerIPMode: options.loadBalancerIPMode } : {}) });
    process.env.KUBECONFIG = api.kubeconfig;
    await bootstrapCluster(NS);
  }, 60_000);

  afterAll(async () => {
    await controller?.stop();
    await api?.stop();
    if (savedKubeconfig === undefined) delete process.env.KUBECONFIG;
    else process.env.KUBECONFIG = savedKubeconfig;
    if (dir !== "") rmSync(dir, { recursive: true, force: true });
  });

  return {
    async startController() {
      controller = await startController({ namespace: NS, port: new RestControllerPort(), registry: new Registry() });
      return controller;
    },
  };
}

/** Re-reads until check passes (the controller works asynchronously over the watch). */
export async function eventually<T>(read: () => Promise<T>, check: (v: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (check(value)) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms; last value: ${JSON.stringify(value)}`);
    await new Promise(r => setTimeout(r, 50));
  }
}
