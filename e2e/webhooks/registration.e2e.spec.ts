/**
 * What a user finds after installing (issue 12, finding 1): both registrations hold Lodestone's split
 * webhooks with their rules (docs/install.md, "Webhooks"), and an overlapping pool is refused through
 * kubectl. On the installed artifact the split is made by the watcher process from Pepr's own
 * registration; out of cluster, hack/local-controller registers the same split under its own name.
 */
import { afterAll, describe, expect, it } from "vitest";
import { applyYaml, isLocalArtifact, isLocalControlPlane, kubectl, kubectlOk, LODESTONE_NAMESPACE as NS } from "../support/cluster";

/** `pepr-<uuid>` where Pepr registered (in a cluster, and the local artifact); `lodestone` for hack/local-controller. */
const REGISTRATION = isLocalControlPlane() && !isLocalArtifact() ? "lodestone" : "pepr-lodestone";

interface Webhook {
  name: string;
  failurePolicy: string;
  rules: { apiGroups: string[]; apiVersions: string[]; operations: string[]; resources: string[] }[];
}

const summary = (hooks: Webhook[] | undefined) =>
  (hooks ?? []).map(h => `${h.name} ${h.failurePolicy}: ${h.rules.map(r => `${r.apiGroups.join(",") || "core"}/${r.apiVersions.join(",")} ${r.resources.join(",")} ${r.operations.join(",")}`).join("; ")}`);

/**
 * The webhooks of a registration once the watcher has split it. The split happens after the watcher's
 * start-up steps; `kubectl wait` watches for the second webhook's name rather than polling.
 */
async function splitWebhooks(kind: string, expectedFirst: string): Promise<Webhook[] | undefined> {
  await kubectl(["wait", `${kind}/${REGISTRATION}`, `--for=jsonpath={.webhooks[0].name}=${expectedFirst}`, "--timeout=30s"]);
  const run = await kubectl(["get", kind, REGISTRATION, "-o", "json"]);
  return run.code === 0 ? (JSON.parse(run.stdout) as { webhooks?: Webhook[] }).webhooks : undefined;
}

const CONFIG_RULES =
  "metallb.io/v1beta1 ipaddresspools CREATE,UPDATE; metallb.io/v1beta1 l2advertisements CREATE,UPDATE; metallb.io/v1beta1 bgpadvertisements CREATE,UPDATE; " +
  "metallb.io/v1beta2 bgppeers CREATE,UPDATE; metallb.io/v1beta1 bfdprofiles CREATE,UPDATE; metallb.io/v1beta1 bfdprofiles DELETE; metallb.io/v1beta1 communities CREATE,UPDATE";

describe("Lodestone's webhook registrations after start-up", () => {
  it("validating: config.lodestone.dev fails closed for the six metallb.io kinds, services.lodestone.dev fails open for Services", async () => {
    expect(summary(await splitWebhooks("validatingwebhookconfiguration", "config.lodestone.dev"))).toEqual([
      `config.lodestone.dev Fail: ${CONFIG_RULES}`,
      "services.lodestone.dev Ignore: core/v1 services CREATE,UPDATE",
    ]);
  });

  it("mutating: services.lodestone.dev fails open for Services (no metallb.io kind is mutated)", async () => {
    expect(summary(await splitWebhooks("mutatingwebhookconfiguration", "services.lodestone.dev"))).toEqual(["services.lodestone.dev Ignore: core/v1 services CREATE,UPDATE"]);
  });
});

describe("an overlapping pool, as the first real install tried it", () => {
  const first = `apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: {name: reg-range, namespace: ${NS}}
spec: {addresses: ["198.51.100.160-198.51.100.170"]}
`;
  const inside = `apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: {name: reg-inside, namespace: ${NS}}
spec: {addresses: ["198.51.100.165/32"]}
`;

  afterAll(async () => {
    await kubectl(["delete", "ipaddresspool", "reg-range", "reg-inside", "-n", NS, "--ignore-not-found"]);
  });

  it("is refused by kubectl with the webhook's exact message, and not created", async () => {
    await kubectlOk(["apply", "-f", "-"], first);
    const run = await applyYaml(inside);
    expect(run.code).toBe(1);
    expect(run.stderr.trim().split("\n").at(-1)).toBe(
      'Error from server (Forbidden): error when creating "STDIN": admission webhook "config.lodestone.dev" denied the request: ' +
        'IPAddressPool/reg-inside: spec.addresses[0]: CIDR "198.51.100.165/32" in pool "reg-inside" overlaps with already defined CIDR "198.51.100.160/29"',
    );
    expect((await kubectl(["get", "ipaddresspool", "reg-inside", "-n", NS])).code).toBe(1);
  });
});
