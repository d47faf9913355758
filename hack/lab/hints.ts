/**
 * What the lab prints once it is up: the commands a user can try in another shell. Kept here, apart
 * from main.ts, so that a test can check every command against what the lab really runs (the
 * status kind of the mode: ServiceL2Status for layer 2, ServiceBGPStatus for BGP).
 */
export type LabMode = "l2" | "bgp";

export function labHints(mode: LabMode, kubeconfig: string, routerNs: string, vip: string): string[] {
  const statuses = mode === "bgp" ? "servicebgpstatuses" : "servicel2statuses";
  return [
    "[lab] up. In another shell (as root):",
    `        export KUBECONFIG=${kubeconfig}`,
    `        kubectl get svc -o wide; kubectl describe svc nginxlb; kubectl get ${statuses} -A; npx lodestone status`,
    `        ip netns exec ${routerNs} curl http://${vip}/`,
  ];
}
