import "../../test/quiet-pepr";
import { describe, expect, it } from "vitest";
import { ADMISSION_BINDINGS } from "./index";
import { webhooksCapability } from "../pepr-build";
import { configKindTable } from "../../kube/metallb-kinds";
import { WEBHOOK_RULES, type WebhookRule } from "./webhook-rules";

const plural = (kind: string): string => configKindTable.find(k => k.kind === kind)?.plural ?? `${kind.toLowerCase()}s`;
const version = (group: string, kind: string): string => (group === "" ? "v1" : configKindTable.find(k => k.kind === kind)!.version);

/** The rules the admission table's bindings stand for. */
function rulesOfTable(type: "mutate" | "validate", ownKinds: boolean): WebhookRule[] {
  return ADMISSION_BINDINGS.filter(b => (type === "mutate" ? b.mutate : b.validate) && (b.group === "metallb.io") === ownKinds).map(b => ({
    apiGroups: [b.group],
    apiVersions: [version(b.group, b.kind)],
    operations: [...b.operations],
    resources: [plural(b.kind)],
  }));
}

/** The rules of the Pepr capability `pepr build` reads (vitest loads pepr in admission mode). */
function rulesOfPeprBindings(type: "mutate" | "validate", ownKinds: boolean): WebhookRule[] {
  const rules = new Map<string, WebhookRule>();
  for (const binding of webhooksCapability().bindings) {
    if (type === "mutate" ? !binding.isMutate : !binding.isValidate) continue;
    if ((binding.kind.group === "metallb.io") !== ownKinds) continue;
    const operations = binding.event === "CREATEORUPDATE" ? ["CREATE", "UPDATE"] : [binding.event];
    const rule = { apiGroups: [binding.kind.group], apiVersions: [binding.kind.version ?? ""], operations, resources: [binding.kind.plural ?? `${binding.kind.kind.toLowerCase()}s`] };
    rules.set(JSON.stringify(rule), rule);
  }
  return [...rules.values()];
}

describe("WEBHOOK_RULES", () => {
  it("are exactly what the admission table handles, and what pepr build registers from it", () => {
    for (const type of ["validate", "mutate"] as const) {
      expect(WEBHOOK_RULES[type].config).toEqual(rulesOfTable(type, true));
      expect(WEBHOOK_RULES[type].services).toEqual(rulesOfTable(type, false));
      expect(WEBHOOK_RULES[type].config).toEqual(rulesOfPeprBindings(type, true));
      expect(WEBHOOK_RULES[type].services).toEqual(rulesOfPeprBindings(type, false));
    }
  });

  it("send no Service to the webhook that fails closed", () => {
    for (const type of ["validate", "mutate"] as const) expect(WEBHOOK_RULES[type].config.flatMap(r => r.resources)).not.toContain("services");
  });
});
