/**
 * Where hack/setup.sh unpacks Debian 12's kubectl 1.20 (package kubernetes-client, `dpkg-deb -x`,
 * so it does not clash with the kubectl on PATH): the oldest kubectl the local API server and the lab
 * are tested with. LODESTONE_OLD_KUBECTL overrides it.
 */
export const OLD_KUBECTL_DIR = "/usr/local/lib/lodestone/kubectl-1.20";

export function oldKubectl(env: NodeJS.ProcessEnv = process.env): string {
  return env.LODESTONE_OLD_KUBECTL || `${OLD_KUBECTL_DIR}/usr/bin/kubectl`;
}
