/**
 * What runs on the lab's nodes and client: the backends (the VIPs on lo, an HTTP server answering with
 * the node's name), one speaker per node namespace, and the client in the router namespace.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT, type Bed, type Spawned } from "../netns";
import type { LabService } from "./examples";
import { logTo, type ControlPlane } from "./infra";
import { parseProbeLine, type ProbeSample } from "./failover";

export const LODESTONE_NAMESPACE = "metallb-system";

/** Adds every pool address to lo on each node (as kube-proxy makes the node accept LoadBalancer IPs;
 * the bed's arp_ignore=1/arp_announce=2 keep the kernel from answering ARP for them) and starts the
 * backend, listening on every Service port. */
export async function startBackends(bed: Bed, addresses: readonly string[], services: readonly LabService[], dir: string): Promise<{ ready: Promise<void> }> {
  const ports = [...new Set(services.flatMap((s) => s.ports.map((p) => p.port)))].sort((a, b) => a - b);
  const backends: Spawned[] = [];
  for (const node of bed.nodes) {
    await node.ns.ip(addresses.map((a) => `addr add ${a}/32 dev lo`));
    const backend = node.ns.runNode("hack/lab/backend.ts", [node.ns.role, ports.join(",")]);
    logTo(backend, join(dir, `backend-${node.ns.role}.log`));
    backends.push(backend);
  }
  return settledLater(Promise.all(backends.map((b) => b.waitForLine(/^listening /, 90_000))).then(() => undefined));
}

/** Wraps a readiness promise awaited by a later step, so a failure before then is not unhandled. */
function settledLater<T>(ready: Promise<T>): { ready: Promise<T> } {
  ready.catch(() => undefined);
  return { ready };
}

/** One speaker process per node namespace, with fixed heartbeat peers (there are no speaker Pods). */
export function startSpeakers(bed: Bed, plane: ControlPlane, dir: string): { speakers: Map<string, Spawned>; ready: Promise<void> } {
  if (!existsSync(join(REPO_ROOT, "speaker", "main.ts"))) throw new Error("speaker/main.ts is missing: the speaker's entry point has not landed");
  const peers = bed.nodes.map((n) => `${n.ns.role}=${n.ipv4}`).join(",");
  const speakers = new Map<string, Spawned>();
  for (const node of bed.nodes) {
    const env = { ...process.env, KUBECONFIG: plane.kubeconfig, NODE_NAME: node.ns.role, LODESTONE_NAMESPACE, POD_IP: node.ipv4, LODESTONE_SPEAKER_PEERS: peers };
    const speaker = node.ns.runNode("speaker/main.ts", [], env);
    logTo(speaker, join(dir, `speaker-${node.ns.role}.log`));
    speakers.set(node.ns.role, speaker);
  }
  // Three cold tsx start-ups next to the controller's on two cores take most of a minute.
  return { speakers, ...settledLater(Promise.all([...speakers].map(([, s]) => s.waitForLine(/running on node /, 90_000))).then(() => undefined)) };
}

/** The client process (hack/lab/client.ts) in the router namespace. */
export class Client {
  #ids = 0;

  private constructor(readonly process: Spawned) {}

  static start(bed: Bed, dir: string): { client: Client; ready: Promise<void> } {
    const spawned = bed.router.runNode("hack/lab/client.ts");
    logTo(spawned, join(dir, "client.log"));
    return { client: new Client(spawned), ...settledLater(spawned.waitForLine("ready", 90_000).then(() => undefined)) };
  }

  /** GET `url`: `200 hello from node2 (...)` or `error ...`. */
  async get(url: string): Promise<string> {
    const id = String(++this.#ids);
    const reply = this.process.waitForNewLine(new RegExp(`^get ${id} `), 5_000);
    this.process.send(`get ${id} ${url}`);
    return (await reply).slice(`get ${id} `.length);
  }

  /** Starts probing; returns a reader of the samples seen since. */
  probe(host: string, port: number, everyMs: number, timeoutMs: number): () => ProbeSample[] {
    const from = this.process.stdoutLines.length;
    this.process.send(`probe ${host} ${port} ${everyMs} ${timeoutMs}`);
    return () => this.process.stdoutLines.slice(from).map(parseProbeLine).filter((s): s is ProbeSample => s !== undefined);
  }

  async stopProbe(): Promise<void> {
    const done = this.process.waitForNewLine(/^stopped$/, 5_000);
    this.process.send("stop");
    await done;
  }
}

/** The node name in a backend's answer (`200 hello from node2 (...)`). */
export function answeringNode(reply: string): string | undefined {
  return /^200 hello from (\S+) /.exec(reply)?.[1];
}
