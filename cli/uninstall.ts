/**
 * `lodestone uninstall [-n NAMESPACE]`: removes what the installer and the controller made
 * (deploy/uninstall.ts), keeping the metallb.io CRDs and objects, the namespace, the
 * heartbeat Secret and the Services' IPs. Prints one line per object, then what it kept.
 *
 * Exit codes: 0 done; 1 the cluster cannot be written; 2 usage error.
 */
import { KubeConfig } from "@kubernetes/client-node";
import { uninstall, keptLines, type UninstallPort } from "../deploy/uninstall";
import { describeApiError } from "./api-error";
import { flagsOrExit, lastString, readFlags, type FlagSpec } from "./args";
import type { CommandIO } from "./main";
import { apiServerOf } from "./status";
import { cliDeployPort } from "./deploy-port";

export const UNINSTALL_USAGE = `usage: lodestone uninstall [-n NAMESPACE]
  removes, from the cluster named by KUBECONFIG, the controller (Pepr module lodestone), its webhooks,
  the speaker DaemonSet and their RBAC; keeps the metallb.io CRDs and objects, the namespace, the
  Secret memberlist and the Services' IPs
  -n, --namespace NS     the Lodestone namespace (default metallb-system)
  -h, --help             this help
exit 0 done, 1 the cluster cannot be written, 2 usage error`;

export const UNINSTALL_FLAGS: Record<string, FlagSpec> = { namespace: { type: "string", short: "n" } };

export interface UninstallDeps {
  loadKubeConfig: () => KubeConfig;
  port: () => Promise<UninstallPort>;
}

export async function uninstallCommand(args: string[], io: CommandIO, deps: UninstallDeps = defaultDeps): Promise<number> {
  const values = flagsOrExit("uninstall", UNINSTALL_USAGE, readFlags(args, UNINSTALL_FLAGS), io);
  if (typeof values === "number") return values;
  const namespace = lastString(values["namespace"]) ?? "metallb-system";
  const api = apiServerOf(deps.loadKubeConfig);
  if ("problem" in api) {
    io.err(`lodestone uninstall: ${api.problem}`);
    return 1;
  }
  try {
    for (const line of await uninstall(await deps.port(), namespace)) io.out(line);
  } catch (err) {
    io.err(`lodestone uninstall: ${describeApiError(err, api.server)}`);
    return 1;
  }
  for (const line of keptLines(namespace)) io.out(line);
  return 0;
}

const defaultDeps: UninstallDeps = {
  loadKubeConfig: () => {
    const kc = new KubeConfig();
    kc.loadFromDefault();
    return kc;
  },
  port: cliDeployPort,
};
