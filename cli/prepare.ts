/**
 * `lodestone prepare [-n NAMESPACE]`: what the installer creates once before the controller, in one
 * command (deploy/prerequisites.ts): the namespace, the heartbeat Secret `memberlist`
 * when absent (an existing one, MetalLB's included, is kept), and the Role and RoleBinding that let
 * the speakers read Secrets there. Safe to run again: nothing is rotated.
 *
 * Exit codes: 0 done; 1 the cluster cannot be written, or the existing Secret would stop the speakers;
 * 2 usage error.
 */
import { KubeConfig } from "@kubernetes/client-node";
import type { DeployPort } from "../deploy/deploy-port";
import { prepare } from "../deploy/prerequisites";
import { describeApiError } from "./api-error";
import { flagsOrExit, lastString, readFlags, type FlagSpec } from "./args";
import type { CommandIO } from "./main";
import { apiServerOf } from "./status";
import { cliDeployPort } from "./deploy-port";

export const PREPARE_USAGE = `usage: lodestone prepare [-n NAMESPACE]
  creates, in the cluster named by KUBECONFIG, what the controller is not allowed to: the namespace,
  the speakers' heartbeat key (Secret memberlist, only when absent; never rotated) and the Role and
  RoleBinding lodestone-speaker-secrets; then install the controller (npx pepr@1.1.4 deploy --yes)
  -n, --namespace NS     the Lodestone namespace (default metallb-system)
  -h, --help             this help
exit 0 done, 1 the cluster cannot be written or the existing Secret is unusable, 2 usage error`;

export const PREPARE_FLAGS: Record<string, FlagSpec> = { namespace: { type: "string", short: "n" } };

export interface PrepareDeps {
  loadKubeConfig: () => KubeConfig;
  port: () => Promise<DeployPort>;
}

export async function prepareCommand(args: string[], io: CommandIO, deps: PrepareDeps = defaultDeps): Promise<number> {
  const values = flagsOrExit("prepare", PREPARE_USAGE, readFlags(args, PREPARE_FLAGS), io);
  if (typeof values === "number") return values;
  const namespace = lastString(values["namespace"]) ?? "metallb-system";
  const api = apiServerOf(deps.loadKubeConfig);
  if ("problem" in api) {
    io.err(`lodestone prepare: ${api.problem}`);
    return 1;
  }
  let result;
  try {
    result = await prepare(await deps.port(), namespace);
  } catch (err) {
    io.err(`lodestone prepare: ${describeApiError(err, api.server)}`);
    return 1;
  }
  for (const line of result.lines) io.out(line);
  if (result.secretProblem !== undefined) {
    io.err(`lodestone prepare: ${result.secretProblem}`);
    return 1;
  }
  io.out("next: npx pepr@1.1.4 deploy --yes   (docs/install.md)");
  return 0;
}

const defaultDeps: PrepareDeps = {
  loadKubeConfig: () => {
    const kc = new KubeConfig();
    kc.loadFromDefault();
    return kc;
  },
  port: cliDeployPort,
};
