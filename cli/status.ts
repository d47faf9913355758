/**
 * `lodestone status`: the state of Lodestone in the cluster named by KUBECONFIG, in one screen.
 */
import { K8s, kind, type GenericClass } from "kubernetes-fluent-client";
import type { CommandIO } from "./main";
import { BGPPeerKind, IPAddressPoolKind, ServiceBGPStatusKind, ServiceL2StatusKind } from "../capabilities/k8s/kinds";
import { lodestoneNamespace } from "../capabilities/k8s/settings";
import { statusReport, type ClusterSnapshot } from "./status-report";

export async function statusCommand(args: string[], io: CommandIO): Promise<number> {
  if (args.length > 0) {
    io.err(`lodestone status: takes no arguments (got ${args.join(" ")}); it reads the cluster named by KUBECONFIG`);
    return 2;
  }
  const ns = lodestoneNamespace();
  const list = async (model: GenericClass) => (await K8s(model).InNamespace(ns).Get()).items;
  try {
    const snapshot = {
      pools: await list(IPAddressPoolKind),
      services: (await K8s(kind.Service).Get()).items,
      l2Statuses: await list(ServiceL2StatusKind),
      bgpStatuses: await list(ServiceBGPStatusKind),
      peers: await list(BGPPeerKind),
    } as unknown as ClusterSnapshot;
    for (const line of statusReport(snapshot)) io.out(line);
    return 0;
  } catch (err) {
    io.err(`lodestone status: cannot read the cluster: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
}
