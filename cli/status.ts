/**
 * `lodestone status [-o json|yaml]`: the state of Lodestone in the cluster named by KUBECONFIG, in
 * one screen (or as data).
 *
 * Exit codes: 0 printed; 1 the cluster cannot be read (one line: the API server's own message, or
 * why it cannot be reached, or that no kubeconfig is set); 2 usage error.
 */
import { KubeConfig } from "@kubernetes/client-node";
import { K8s, kind, type GenericClass } from "kubernetes-fluent-client";
import { stringify } from "yaml";
import { BGPPeerKind, IPAddressPoolKind, ServiceBGPStatusKind, ServiceL2StatusKind } from "../kube/kinds";
import { lodestoneNamespace } from "../kube/settings";
import { describeApiError } from "./api-error";
import { flagsOrExit, lastString, readFlags, type FlagSpec } from "./args";
import type { CommandIO } from "./main";
import { statusModel, statusText, type ClusterSnapshot } from "./status-report";

export const STATUS_USAGE = `usage: lodestone status [-o json|yaml]
  reads the cluster named by KUBECONFIG (else ~/.kube/config); namespace: LODESTONE_NAMESPACE or metallb-system
  -o, --output FORMAT    json or yaml instead of the tables
  -h, --help             this help
exit 0 printed, 1 the cluster cannot be read, 2 usage error`;

export const STATUS_FLAGS: Record<string, FlagSpec> = { output: { type: "string", short: "o" } };

export interface StatusDeps {
  /** The kubeconfig as kubectl would find it; throws when the named file cannot be read. */
  loadKubeConfig: () => KubeConfig;
  readSnapshot: (namespace: string) => Promise<ClusterSnapshot>;
}

/** @kubernetes/client-node's stand-in when it finds no kubeconfig at all (config.js loadFromDefault). */
const isFallbackConfig = (kc: KubeConfig): boolean => {
  const cluster = kc.getCurrentCluster();
  return cluster?.name === "cluster" && cluster.server === "http://localhost:8080" && kc.getCurrentUser()?.name === "user";
};

/** The API server to talk to, or a one-line reason why there is none. */
export function apiServerOf(load: () => KubeConfig): { server: string } | { problem: string } {
  let kc: KubeConfig;
  try {
    kc = load();
  } catch (e) {
    return { problem: `cannot read the kubeconfig: ${e instanceof Error ? e.message : String(e)}` };
  }
  if (isFallbackConfig(kc)) return { problem: "no cluster to read: KUBECONFIG is not set and ~/.kube/config does not exist" };
  const cluster = kc.getCurrentCluster();
  if (!cluster) return { problem: `the kubeconfig's current context ${JSON.stringify(kc.getCurrentContext())} names no cluster` };
  return { server: cluster.server };
}

export async function statusCommand(args: string[], io: CommandIO, deps: StatusDeps = defaultDeps): Promise<number> {
  const values = flagsOrExit("status", STATUS_USAGE, readFlags(args, STATUS_FLAGS), io);
  if (typeof values === "number") return values;
  const output = lastString(values["output"]) ?? "text";
  if (output !== "text" && output !== "json" && output !== "yaml") {
    io.err(`lodestone status: unknown output format "${output}" (want json or yaml)`);
    io.err(STATUS_USAGE);
    return 2;
  }
  const api = apiServerOf(deps.loadKubeConfig);
  if ("problem" in api) {
    io.err(`lodestone status: ${api.problem}`);
    return 1;
  }
  let snapshot: ClusterSnapshot;
  try {
    snapshot = await deps.readSnapshot(lodestoneNamespace());
  } catch (err) {
    io.err(`lodestone status: ${describeApiError(err, api.server)}`);
    return 1;
  }
  const model = statusModel(snapshot);
  if (output === "json") io.out(JSON.stringify(model, null, 2));
  else if (output === "yaml") io.out(stringify(model).trimEnd());
  else for (const line of statusText(model)) io.out(line);
  return 0;
}

async function readSnapshot(ns: string): Promise<ClusterSnapshot> {
  const list = async (model: GenericClass) => (await K8s(model).InNamespace(ns).Get()).items;
  return {
    pools: await list(IPAddressPoolKind),
    services: (await K8s(kind.Service).Get()).items,
    l2Statuses: await list(ServiceL2StatusKind),
    bgpStatuses: await list(ServiceBGPStatusKind),
    peers: await list(BGPPeerKind),
  } as unknown as ClusterSnapshot;
}

const defaultDeps: StatusDeps = {
  loadKubeConfig: () => {
    const kc = new KubeConfig();
    kc.loadFromDefault();
    return kc;
  },
  readSnapshot,
};
