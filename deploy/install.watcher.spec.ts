/**
 * The split as the watcher process runs it (issue 12, finding 1). In that process Pepr would register no
 * Validate or Mutate binding (`registerAdmission` in node_modules/pepr/src/lib/core/capability.ts is
 * false when PEPR_WATCH_MODE=true), so nothing of the split may come from a Pepr capability's bindings:
 * it comes from WEBHOOK_RULES. The variable is set before anything is loaded: vitest runs each spec file
 * in its own process (pool: forks).
 */
import { describe, expect, it, vi } from "vitest";

vi.hoisted(() => {
  process.env.PEPR_WATCH_MODE = "true";
});

const { webhooksCapability } = await import("../capabilities/pepr-build");
const { install } = await import("./install");
const { peprRegistration, RecordingDeployPort } = await import("../test/deploy/testing");

const VALIDATING = "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/pepr-lodestone";
const MUTATING = "/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/pepr-lodestone";

type Hook = { name: string; failurePolicy: string; rules: { apiGroups: string[]; resources: string[]; operations: string[] }[] };
const summary = (hooks: Hook[]) => hooks.map(h => `${h.name}=${h.failurePolicy}: ${h.rules.map(r => `${r.resources[0]}:${r.operations.join(",")}`).join(" ")}`);

describe("install in Pepr's watcher process", () => {
  it("a Pepr capability has no admission bindings there (the cause of finding 1)", () => {
    expect(webhooksCapability().bindings.filter(b => b.isValidate || b.isMutate)).toEqual([]);
  });

  it("splits Pepr's registrations into both webhooks with every rule", async () => {
    const port = new RecordingDeployPort();
    port.objects.set(VALIDATING, peprRegistration("validate"));
    port.objects.set(MUTATING, peprRegistration("mutate"));
    const done = await install(port, { namespace: "metallb-system", image: "ghcr.io/lodestone/speaker:0.1.0", sleep: async () => {} });
    expect(done.filter(d => d.startsWith("split") || d.startsWith("kept"))).toEqual([
      "split ValidatingWebhookConfiguration pepr-lodestone",
      "split MutatingWebhookConfiguration pepr-lodestone",
    ]);
    expect(summary((port.objects.get(VALIDATING) as { webhooks: Hook[] }).webhooks)).toEqual([
      "config.lodestone.dev=Fail: ipaddresspools:CREATE,UPDATE l2advertisements:CREATE,UPDATE bgpadvertisements:CREATE,UPDATE bgppeers:CREATE,UPDATE bfdprofiles:CREATE,UPDATE bfdprofiles:DELETE communities:CREATE,UPDATE",
      "services.lodestone.dev=Ignore: services:CREATE,UPDATE",
    ]);
    expect(summary((port.objects.get(MUTATING) as { webhooks: Hook[] }).webhooks)).toEqual(["services.lodestone.dev=Ignore: services:CREATE,UPDATE"]);
  });
});
