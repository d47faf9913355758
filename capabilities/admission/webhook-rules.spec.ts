import "../../test/quiet-pepr";
import { describe, expect, it } from "vitest";
import { Webhooks } from "./index";
import { WEBHOOK_RULES, type WebhookRule } from "./webhook-rules";

/** The rules the capability's Validate/Mutate bindings stand for (vitest loads pepr in admission mode). */
function rulesOfBindings(type: "mutate" | "validate", ownKinds: boolean): WebhookRule[] {
  const rules = new Map<string, WebhookRule>();
  for (const binding of Webhooks.bindings) {
    if (type === "mutate" ? !binding.isMutate : !binding.isValidate) continue;
    if ((binding.kind.group === "metallb.io") !== ownKinds) continue;
    const operations = binding.event === "CREATEORUPDATE" ? ["CREATE", "UPDATE"] : [binding.event];
    const rule = { apiGroups: [binding.kind.group], apiVersions: [binding.kind.version ?? ""], operations, resources: [binding.kind.plural ?? `${binding.kind.kind.toLowerCase()}s`] };
    rules.set(JSON.stringify(rule), rule);
  }
  return [...rules.values()];
}

describe("WEBHOOK_RULES", () => {
  it("are exactly what the Webhooks capability's admission bindings handle", () => {
    for (const type of ["validate", "mutate"] as const) {
      expect(WEBHOOK_RULES[type].config).toEqual(rulesOfBindings(type, true));
      expect(WEBHOOK_RULES[type].services).toEqual(rulesOfBindings(type, false));
    }
  });

  it("send no Service to the webhook that fails closed", () => {
    for (const type of ["validate", "mutate"] as const) expect(WEBHOOK_RULES[type].config.flatMap(r => r.resources)).not.toContain("services");
  });
});
