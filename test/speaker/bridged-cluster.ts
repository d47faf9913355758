/**
 * The bed of the speaker's API-outage tests: node namespaces (hack/netns) that reach the local API
 * server (hack/kube-apiserver) only over their eth0 (hack/netns/api-bridge.ts), so that a test can
 * cut that path; the cluster bootstrapped with the Node objects, the heartbeat Secret and an
 * application namespace; the controller (hack/local-controller, Pepr included) in one node's
 * namespace, a speaker in every node's, an IPAddressPool and an L2Advertisement. KUBECONFIG points
 * at the server for kubernetes-fluent-client until stop() restores it.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { K8s, kind } from "kubernetes-fluent-client";
import { startApiServer, type RunningApiServer } from "../../hack/kube-apiserver/server";
import { heartbeatSecret, nodeObject, type LabNode } from "../../hack/lab/objects";
import { bootstrapCluster } from "../../hack/local-controller/bootstrap";
import { ApiBridge } from "../../hack/netns/api-bridge";
import { Bed, Spawned, type Host } from "../../hack/netns";
import { IPAddressPoolKind, L2AdvertisementKind } from "../../kube/kinds";

export const NS = "metallb-system";
export const APP_NS = "shop";
/** The speakers' metrics port (with /readyz), on each node's own stack. */
export const METRICS_PORT = 7472;

export interface BridgedClusterOptions {
  readonly nodes: number;
  /** The folder name's prefix under the system's temporary folder. */
  readonly tmpPrefix: string;
  /** The webhook port in the host namespace (distinct per spec file: spec files run in parallel). */
  readonly webhookPort: number;
  /** The index of the node whose namespace runs the controller. */
  readonly controllerNode: number;
  /** The IPAddressPool's one range, "first-last". */
  readonly poolRange: string;
  /** Added to every speaker's environment. */
  readonly speakerEnv?: (nodes: readonly Host[]) => NodeJS.ProcessEnv;
}

export interface BridgedCluster {
  readonly bed: Bed;
  readonly nodes: readonly Host[];
  readonly api: RunningApiServer;
  readonly bridge: ApiBridge;
  readonly controller: Spawned;
  /** One a node, in the order of `nodes`. */
  readonly speakers: readonly Spawned[];
  /** Stops all and removes the folder; also what start() does itself when it fails half way. */
  stop(): Promise<void>;
}

export const labNode = (h: Host): LabNode => ({ name: h.ns.role, ipv4: h.ipv4, ipv6: h.ipv6 });

export async function startBridgedCluster(options: BridgedClusterOptions): Promise<BridgedCluster> {
  const undo: (() => Promise<unknown> | unknown)[] = [];
  const stop = async (): Promise<void> => {
    let first: unknown;
    for (const step of undo.splice(0).reverse()) {
      try {
        await step();
      } catch (e) {
        first ??= e;
      }
    }
    if (first !== undefined) throw first;
  };
  try {
    const dir = mkdtempSync(join(tmpdir(), options.tmpPrefix));
    undo.push(() => rmSync(dir, { recursive: true, force: true }));
    const bed = await Bed.create({ nodes: options.nodes });
    undo.push(() => bed.destroy());
    const nodes = bed.nodes;
    const api = await startApiServer({ dir: join(dir, "apiserver") });
    undo.push(() => api.stop());
    const savedKubeconfig = process.env.KUBECONFIG;
    process.env.KUBECONFIG = api.kubeconfig;
    undo.push(() => {
      if (savedKubeconfig === undefined) delete process.env.KUBECONFIG;
      else process.env.KUBECONFIG = savedKubeconfig;
    });
    await bootstrapCluster(NS);
    await K8s(kind.Namespace).Apply({ metadata: { name: APP_NS } }, { force: true });
    for (const h of nodes) await K8s(kind.Node).Apply(nodeObject(labNode(h)) as never, { force: true });
    await K8s(kind.Secret).Apply(heartbeatSecret(NS, Buffer.from("0123456789abcdef0123456789abcdef")) as never, { force: true });
    const bridge = await ApiBridge.start(bed, api.url, dir);
    undo.push(() => bridge.close());
    const controllerHost = nodes[options.controllerNode];
    if (controllerHost === undefined) throw new Error(`controllerNode ${options.controllerNode}: the bed has ${nodes.length} nodes`);
    // Webhooks: the API server calls 127.0.0.1:webhookPort in the host namespace; a unix socket carries
    // that into the controller's node namespace without crossing eth0, so admission keeps working
    // while a test cuts that path.
    const webhookSocket = join(dir, "webhook.sock");
    const webhookHost = new Spawned(["socat", `TCP-LISTEN:${options.webhookPort},bind=127.0.0.1,reuseaddr,fork`, `UNIX-CONNECT:${webhookSocket}`]);
    undo.push(() => webhookHost.kill(500));
    controllerHost.ns.spawn(["socat", `UNIX-LISTEN:${webhookSocket},fork,mode=600`, `TCP:127.0.0.1:${options.webhookPort}`]);
    const env = { ...process.env, KUBECONFIG: api.kubeconfig, LOG_LEVEL: "warn" };
    const controller = controllerHost.ns.runNode("hack/local-controller/main.ts", ["--port", String(options.webhookPort), "--state", join(dir, "controller"), "--metrics-port", "0"], env);
    undo.push(() => controller.kill());
    await controller.waitForLine(/webhooks at /, 90_000);
    const speakers: Spawned[] = [];
    undo.push(async () => {
      for (const s of speakers) await s.kill();
    });
    const speakerEnv = options.speakerEnv?.(nodes) ?? {};
    for (const h of nodes) {
      speakers.push(
        h.ns.runNode("speaker/main.ts", ["--metrics-port", String(METRICS_PORT)], { ...env, LOG_LEVEL: "info", NODE_NAME: h.ns.role, LODESTONE_NAMESPACE: NS, POD_IP: h.ipv4, ...speakerEnv }),
      );
    }
    await Promise.all(speakers.map(s => s.waitForLine(/running on node /, 90_000)));
    await K8s(IPAddressPoolKind).Apply({ metadata: { name: "lan", namespace: NS }, spec: { addresses: [options.poolRange] } } as never, { force: true });
    await K8s(L2AdvertisementKind).Apply({ metadata: { name: "l2", namespace: NS }, spec: {} } as never, { force: true });
    return { bed, nodes, api, bridge, controller, speakers, stop };
  } catch (e) {
    await stop().catch(() => undefined);
    throw e;
  }
}

/** Probes until it gives a value (a probe that throws counts as none); throws after timeoutMs. */
export async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const got = await probe().catch(() => undefined);
    if (got !== undefined) return got;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise(r => setTimeout(r, everyMs));
  }
}

/** The IP of a LoadBalancer Service in APP_NS, once allocated. */
export async function ingressIP(name: string): Promise<string | undefined> {
  const svc = await K8s(kind.Service).InNamespace(APP_NS).Get(name);
  return svc.status?.loadBalancer?.ingress?.[0]?.ip ?? undefined;
}
