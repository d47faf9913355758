import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { API_PATH, CA, peprRegistration } from "../test/deploy/testing";
import { clientFromRegistration, splitRefusal, webhookSplitPatches } from "./webhook-split";

const service = (type: string) => ({ name: "pepr-lodestone", namespace: "pepr-system", port: 443, path: `/${type}/${API_PATH}` });

describe("clientFromRegistration", () => {
  it("takes Pepr's Service, CA and API path", () => {
    expect(clientFromRegistration(peprRegistration("validate"))).toEqual({
      service: { name: "pepr-lodestone", namespace: "pepr-system", port: 443 },
      apiPath: API_PATH,
      caBundle: CA,
    });
  });

  it("gives nothing for a URL registration (out-of-cluster run) or an empty one", () => {
    const byUrl = { webhooks: [{ clientConfig: { caBundle: CA, url: `https://127.0.0.1:3443/validate/${API_PATH}` } }] };
    expect(clientFromRegistration(byUrl)).toBeUndefined();
    expect(clientFromRegistration({ webhooks: [] })).toBeUndefined();
    expect(clientFromRegistration({ webhooks: [{ clientConfig: { caBundle: CA, service: { name: "s", namespace: "n", path: "/other/x" } } }] })).toBeUndefined();
  });

  it("never throws on arbitrary JSON and only returns a client with every part present", () => {
    fc.assert(
      fc.property(fc.jsonValue(), value => {
        const client = clientFromRegistration(value);
        if (client) expect(client.apiPath.length > 0 && client.caBundle.length > 0).toBe(true);
      }),
    );
  });

  it("reads back any Service, namespace, port and path secret it is given", () => {
    const segment = fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,20}$/);
    fc.assert(
      fc.property(segment, segment, segment, fc.constantFrom("mutate", "validate"), fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined }), (name, namespace, apiPath, type, port) => {
        const registration = { webhooks: [{ clientConfig: { caBundle: CA, service: { name, namespace, path: `/${type}/${apiPath}`, ...(port ? { port } : {}) } } }] };
        expect(clientFromRegistration(registration)).toEqual({ service: { name, namespace, ...(port ? { port } : {}) }, apiPath, caBundle: CA });
      }),
    );
  });
});

const patches = webhookSplitPatches(peprRegistration("validate"), peprRegistration("mutate"));

describe("webhookSplitPatches", () => {
  it("validating: metallb.io kinds fail closed, Services fail open, same Service, path and CA as Pepr's", () => {
    const hooks = patches.validating!.webhooks as { name: string; failurePolicy: string; clientConfig: unknown; rules: { resources: string[]; operations: string[] }[] }[];
    expect(hooks.map(h => [h.name, h.failurePolicy])).toEqual([
      ["config.lodestone.dev", "Fail"],
      ["services.lodestone.dev", "Ignore"],
    ]);
    for (const h of hooks) expect(h.clientConfig).toEqual({ caBundle: CA, service: service("validate") });
    expect(hooks[0]!.rules.map(r => `${r.resources[0]}:${r.operations.join(",")}`)).toEqual([
      "ipaddresspools:CREATE,UPDATE",
      "l2advertisements:CREATE,UPDATE",
      "bgpadvertisements:CREATE,UPDATE",
      "bgppeers:CREATE,UPDATE",
      "bfdprofiles:CREATE,UPDATE",
      "bfdprofiles:DELETE",
      "communities:CREATE,UPDATE",
    ]);
    expect(hooks[1]!.rules).toEqual([{ apiGroups: [""], apiVersions: ["v1"], operations: ["CREATE", "UPDATE"], resources: ["services"] }]);
  });

  it("mutating: only the Service webhook, failing open", () => {
    const hooks = patches.mutating!.webhooks as { name: string; failurePolicy: string; clientConfig: unknown }[];
    expect(hooks.map(h => [h.name, h.failurePolicy])).toEqual([["services.lodestone.dev", "Ignore"]]);
    expect(hooks[0]!.clientConfig).toEqual({ caBundle: CA, service: service("mutate") });
  });

  it("no Service is ever matched by a webhook that fails closed", () => {
    for (const list of [patches.validating!.webhooks, patches.mutating!.webhooks] as { failurePolicy: string; rules: { resources: string[] }[] }[][]) {
      for (const h of list) if (h.rules.some(r => r.resources.includes("services"))) expect(h.failurePolicy).toBe("Ignore");
    }
  });

  it("is idempotent: a registration already split (as the API server returns it) gives no patch", () => {
    const applied = (type: "validate" | "mutate", webhooks: unknown[]) => ({
      ...peprRegistration(type),
      webhooks: (webhooks as Record<string, unknown>[]).map(h => ({ ...h, objectSelector: {}, rules: (h.rules as object[]).map(r => ({ ...r, scope: "*" })) })),
    });
    expect(webhookSplitPatches(applied("validate", patches.validating!.webhooks), applied("mutate", patches.mutating!.webhooks))).toEqual({ refused: [] });
  });

  it("after a second `pepr deploy` (Pepr's webhook back beside the split, new CA) splits again with the new CA", () => {
    const redeployed = peprRegistration("validate");
    redeployed.webhooks[0]!.clientConfig.caBundle = "TkVXQ0E=";
    const both = { ...redeployed, webhooks: [...(patches.validating!.webhooks as (typeof redeployed.webhooks)[number][]), ...redeployed.webhooks] };
    const again = webhookSplitPatches(both, undefined);
    expect(again.refused).toEqual([]);
    expect(again.mutating).toBeUndefined();
    const hooks = again.validating!.webhooks as { name: string; clientConfig: { caBundle: string } }[];
    expect(hooks.map(h => [h.name, h.clientConfig.caBundle])).toEqual([
      ["config.lodestone.dev", "TkVXQ0E="],
      ["services.lodestone.dev", "TkVXQ0E="],
    ]);
  });

  it("leaves absent or URL-based registrations alone", () => {
    expect(webhookSplitPatches(undefined, undefined)).toEqual({ refused: [] });
    const byUrl = { webhooks: [{ name: "config.lodestone.dev", clientConfig: { caBundle: CA, url: "https://127.0.0.1:3443/validate/x" } }] };
    expect(webhookSplitPatches(byUrl, byUrl)).toEqual({ refused: [] });
  });

  it("refuses to patch a registration whose webhook admits a request the split would not", () => {
    const pepr = peprRegistration("validate");
    pepr.webhooks[0]!.rules.push({ apiGroups: ["metallb.io"], apiVersions: ["v1beta1"], operations: ["DELETE"], resources: ["ipaddresspools"], scope: "*" });
    expect(webhookSplitPatches(pepr, undefined)).toEqual({
      refused: ["ValidatingWebhookConfiguration pepr-lodestone: the split would stop admitting metallb.io/v1beta1 ipaddresspools DELETE"],
    });
  });

  it("once split, judges a new split by the split's own rules (Pepr's webhook is gone)", () => {
    const split = { ...peprRegistration("validate"), webhooks: patches.validating!.webhooks };
    const extra = structuredClone(split);
    (extra.webhooks[1] as { rules: object[] }).rules.push({ apiGroups: [""], apiVersions: ["v1"], operations: ["DELETE"], resources: ["services"] });
    expect(webhookSplitPatches(extra, undefined).refused).toEqual(["ValidatingWebhookConfiguration pepr-lodestone: the split would stop admitting /v1 services DELETE"]);
  });
});

describe("splitRefusal", () => {
  it("refuses an empty list, whatever the registration has", () => {
    expect(splitRefusal(peprRegistration("validate"), [])).toBe("the split has no webhook");
    expect(splitRefusal({ webhooks: [] }, [])).toBe("the split has no webhook");
  });

  it("names every request a partial list would drop", () => {
    const services = patches.validating!.webhooks.filter(h => (h as { name: string }).name === "services.lodestone.dev");
    expect(splitRefusal(peprRegistration("validate"), services)).toBe(
      "the split would stop admitting metallb.io/v1beta1 ipaddresspools CREATE, metallb.io/v1beta1 ipaddresspools UPDATE, " +
        "metallb.io/v1beta1 l2advertisements CREATE, metallb.io/v1beta1 l2advertisements UPDATE, metallb.io/v1beta1 bgpadvertisements CREATE, " +
        "metallb.io/v1beta1 bgpadvertisements UPDATE, metallb.io/v1beta2 bgppeers CREATE, metallb.io/v1beta2 bgppeers UPDATE, " +
        "metallb.io/v1beta1 bfdprofiles CREATE, metallb.io/v1beta1 bfdprofiles UPDATE, metallb.io/v1beta1 bfdprofiles DELETE, " +
        "metallb.io/v1beta1 communities CREATE, metallb.io/v1beta1 communities UPDATE",
    );
  });

  it("accepts a list whose wildcards cover the registration", () => {
    expect(splitRefusal(peprRegistration("validate"), [{ rules: [{ apiGroups: ["*"], apiVersions: ["*"], operations: ["*"], resources: ["*"] }] }])).toBeUndefined();
  });

  it("never lets a patch through that drops a request Pepr's webhook admits", () => {
    const requests = ["ipaddresspools", "services", "bgppeers", "communities"].flatMap(resource =>
      ["CREATE", "UPDATE", "DELETE", "CONNECT"].map(operation => ({ resource, operation })),
    );
    fc.assert(
      fc.property(fc.subarray(requests, { minLength: 1 }), chosen => {
        const pepr = peprRegistration("validate");
        pepr.webhooks[0]!.rules = chosen.map(c => ({
          apiGroups: [c.resource === "services" ? "" : "metallb.io"],
          apiVersions: [c.resource === "services" ? "v1" : c.resource === "bgppeers" ? "v1beta2" : "v1beta1"],
          operations: [c.operation],
          resources: [c.resource],
          scope: "*",
        }));
        const result = webhookSplitPatches(pepr, undefined);
        if (result.validating) {
          expect(result.validating.webhooks.length).toBeGreaterThan(0);
          expect(splitRefusal(pepr, result.validating.webhooks)).toBeUndefined();
        } else expect(result.refused).toHaveLength(1);
      }),
    );
  });
});
