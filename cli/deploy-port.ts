/**
 * The `lodestone` command's DeployPort: KFC's connection (kube/kfc-api.ts), which reads any kubeconfig
 * kubectl reads (auth plugins included). Loaded on demand: `validate` and `convert` never need it.
 */
import type { ApiDeployPort } from "../deploy/api-deploy-port";

export async function cliDeployPort(): Promise<ApiDeployPort> {
  const [deployPort, { KfcApi }] = await Promise.all([import("../deploy/api-deploy-port"), import("../kube/kfc-api")]);
  return new deployPort.ApiDeployPort(new KfcApi().request);
}
