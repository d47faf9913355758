/**
 * The lab's infrastructure steps: the network-namespace bed, the local API server in the host
 * namespace bridged into every node namespace over the node's eth0 (hack/netns/api-bridge.ts), and
 * Lodestone's controller with its webhooks. Each function registers its own undo with the Cleanup.
 */
import { appendFileSync } from "node:fs";
import { join } from "node:path";
import { Bed, ROUTER_IPV4, Spawned, run, type Host } from "../netns";
import { ApiBridge } from "../netns/api-bridge";
import { startApiServer } from "../kube-apiserver/server";
import { startLocalController } from "../../e2e/support/local-controller";
import type { Cleanup } from "./cleanup";
import { kubectlBinary, kubectlFor, type Kubectl } from "./kubectl";
import { until, type Note } from "./steps";

export async function createBed(cleanup: Cleanup, note: Note): Promise<Bed> {
  const bed = await Bed.create({ nodes: 3, ipv6: true });
  cleanup.add("network namespaces", () => bed.destroy());
  note(`router/client ${bed.router.name}: br0 192.0.2.1/24 2001:db8::1/64`);
  for (const n of bed.nodes) note(`${n.ns.role.padEnd(6)} ${n.ns.name}: eth0 ${n.ipv4}/24 ${n.ipv6}/64 ${n.mac}`);
  return bed;
}

/** Copies a spawned process's output into a log file in the lab directory, for the user to read. */
export function logTo(spawned: Spawned, file: string): void {
  const write = (chunk: Buffer | string): void => appendFileSync(file, chunk);
  spawned.child.stdout?.on("data", write);
  spawned.child.stderr?.on("data", write);
}

export interface ControlPlane {
  readonly url: string;
  readonly kubeconfig: string;
  readonly kubectl: Kubectl;
}

export async function startControlPlane(bed: Bed, dir: string, cleanup: Cleanup, note: Note, onRequest?: (method: string, url: string) => void): Promise<ControlPlane> {
  const api = await startApiServer({ dir: join(dir, "apiserver"), ...(onRequest ? { onRequest } : {}) });
  cleanup.add("API server", () => api.stop());
  const port = new URL(api.url).port;
  // Over each node's eth0 and the router, as a real node reaches its API server: a node whose link goes
  // down loses the API too (hack/netns/api-bridge.ts).
  const bridge = await ApiBridge.start(bed, api.url, dir);
  cleanup.add("API bridge (socat)", () => bridge.close());
  // The whole chain, from where the speakers will run: node ns -> socat -> eth0 -> router socat -> unix socket -> socat -> API server.
  await Promise.all(
    bed.nodes.map((node) =>
      until(() => run(["ip", "netns", "exec", node.ns.name, kubectlBinary(), "--kubeconfig", api.kubeconfig, "get", "--raw", "/version"], { timeoutMs: 5_000 }).then(() => true), `API server from ${node.ns.role}`, 10_000, 50),
    ),
  );
  note(`${api.url} (host namespace), bridged to 127.0.0.1:${port} in ${bed.nodes.map((n) => n.ns.role).join(", ")} through ${ROUTER_IPV4}:${port} over each node's eth0`);
  note(`KUBECONFIG=${api.kubeconfig}`);
  const kubectl = kubectlFor(api.kubeconfig);
  const client = /Client Version: (?:version\.Info\{.*GitVersion:"([^"]+)"|(\S+))/.exec(await kubectl(["version", "--client"]))?.slice(1).find(Boolean);
  note(`kubectl: ${kubectlBinary()} (${client ?? "version unknown"})`);
  return { url: api.url, kubeconfig: api.kubeconfig, kubectl };
}

export async function startController(dir: string, plane: ControlPlane, cleanup: Cleanup, note: Note): Promise<void> {
  const controller = await startLocalController({ stateDir: dir, kubeconfig: plane.kubeconfig, timeoutMs: 60_000 }).catch((error: unknown) => {
    // It may have started before failing its health check: stop whatever its PID file names.
    cleanup.add("controller", () => import("../../e2e/support/local-controller").then((m) => m.stopLocalController(dir)));
    throw error;
  });
  cleanup.trackPid(controller.pid());
  cleanup.add("controller", async () => {
    await controller.stop();
    cleanup.untrackPid(controller.pid());
  });
  note(`pid ${controller.pid()}, log ${join(dir, "controller.log")}`);
}

/** Node names and addresses, as the lab's Node objects carry them. */
export const labNodes = (bed: Bed): { name: string; ipv4: string; ipv6: string; host: Host }[] =>
  bed.nodes.map((host) => ({ name: host.ns.role, ipv4: host.ipv4, ipv6: host.ipv6, host }));
