import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { celRuleEvaluator, parseGoDuration } from "./cel";
import { allCRDs } from "../../crds/index";
import { validateObject } from "./validate-object";

function rulesOf(node: unknown): string[] {
  if (node === null || typeof node !== "object") return [];
  const n = node as Record<string, unknown>;
  const own = ((n["x-kubernetes-validations"] as { rule: string }[] | undefined) ?? []).map((r) => r.rule);
  const children = [...Object.values((n.properties as Record<string, unknown> | undefined) ?? {}), n.items, n.additionalProperties];
  return [...own, ...children.flatMap(rulesOf)];
}

describe("CEL rule equivalents", () => {
  it("exist for every rule of every CRD", () => {
    const rules = allCRDs.flatMap((c) => c.spec.versions.flatMap((v) => rulesOf(v.schema.openAPIV3Schema)));
    expect(rules.length).toBe(10);
    for (const r of rules) expect(() => celRuleEvaluator(r)).not.toThrow();
    expect(() => celRuleEvaluator("self.size() > 0")).toThrow('no TypeScript equivalent for CEL rule "self.size() > 0": add one to test/crds/cel.ts');
  });
});

describe("parseGoDuration", () => {
  it.each([
    ["0", 0n],
    ["300ms", 300_000_000n],
    ["1h30m", 5_400_000_000_000n],
    ["1.5s", 1_500_000_000n],
    [".5s", 500_000_000n],
    ["1.s", 1_000_000_000n],
    ["-1.5h", -5_400_000_000_000n],
    ["+5s", 5_000_000_000n],
    ["1us", 1_000n],
    ["1µs", 1_000n],
    ["2h45m30.25s", 9_930_250_000_000n],
    ["0.0000000001s", 0n],
  ])("%s is %i ns", (text, nanos) => {
    expect(parseGoDuration(text)).toBe(nanos);
  });

  it.each(["", "1", "s", ".s", "1d", "1.5.5s", "5 s", "-", "1s ", "9223372036854775808ns", "3000000h"])("%j is not a duration", (text) => {
    expect(parseGoDuration(text)).toBeUndefined();
  });

  it("adds up its parts", () => {
    fc.assert(
      fc.property(fc.nat(2000), fc.nat(59), fc.nat(59), fc.nat(999), (h, m, s, ms) => {
        expect(parseGoDuration(`${h}h${m}m${s}s${ms}ms`)).toBe(((BigInt(h) * 60n + BigInt(m)) * 60n + BigInt(s)) * 1_000_000_000n + BigInt(ms) * 1_000_000n);
      }),
    );
  });

  it("never throws on any text", () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        const d = parseGoDuration(text);
        expect(d === undefined || typeof d === "bigint").toBe(true);
      }),
    );
  });
});

describe("validateObject with CEL rules", () => {
  const peer = (spec: object) => ({ apiVersion: "metallb.io/v1beta2", kind: "BGPPeer", metadata: { name: "r" }, spec: { myASN: 64512, peerASN: 64513, peerAddress: "192.0.2.1", ...spec } });
  const invalid = (field: string, type: string, message: string) => ({ field, reason: "FieldValueInvalid", message: `Invalid value: "${type}": ${message}` });

  it("checks connectTime is 1..65535 whole seconds", () => {
    expect(validateObject(peer({ connectTime: "1s" }))).toEqual([]);
    expect(validateObject(peer({ connectTime: "18h12m15s" }))).toEqual([]);
    expect(validateObject(peer({ connectTime: "0s" }))).toEqual([invalid("spec.connectTime", "string", "connectTime must be between 1 and 65535 seconds")]);
    expect(validateObject(peer({ connectTime: "18h12m16s" }))).toEqual([invalid("spec.connectTime", "string", "connectTime must be between 1 and 65535 seconds")]);
    expect(validateObject(peer({ connectTime: "1500ms" }))).toEqual([invalid("spec.connectTime", "string", "connectTime must be a whole number of seconds")]);
    expect(validateObject(peer({ connectTime: "soon" }))).toEqual([
      invalid("spec.connectTime", "string", 'connectTime must be between 1 and 65535 seconds (invalid duration "soon")'),
      invalid("spec.connectTime", "string", 'connectTime must be a whole number of seconds (invalid duration "soon")'),
    ]);
  });

  it("keeps enableGracefulRestart as it was created", () => {
    const old = peer({ enableGracefulRestart: false });
    expect(validateObject(peer({ enableGracefulRestart: true }))).toEqual([]);
    expect(validateObject(peer({ enableGracefulRestart: false }), old)).toEqual([]);
    expect(validateObject(peer({ enableGracefulRestart: true }), old)).toEqual([
      invalid("spec.enableGracefulRestart", "boolean", "enableGracefulRestart cannot be changed after creation"),
    ]);
    // Setting it for the first time on update is not a change of an existing value.
    expect(validateObject(peer({ enableGracefulRestart: true }), peer({}))).toEqual([]);
  });

  it("keeps a ServiceL2Status about the same service and node", () => {
    const status = (node: string, serviceName: string) => ({ apiVersion: "metallb.io/v1beta1", kind: "ServiceL2Status", status: { node, serviceName, serviceNamespace: "default" } });
    expect(validateObject(status("node-a", "web"), status("node-a", "web"))).toEqual([]);
    expect(validateObject(status("node-b", "api"), status("node-a", "web"))).toEqual([
      invalid("status.node", "string", "node cannot be changed"),
      invalid("status.serviceName", "string", "serviceName cannot be changed"),
    ]);
  });

  it("allows BGPAdvertisement serviceSelectors only with the default aggregation", () => {
    const adv = (spec: object) => ({ apiVersion: "metallb.io/v1beta1", kind: "BGPAdvertisement", spec });
    const message = "serviceSelectors can only be used with aggregationLength 32 and aggregationLengthV6 128";
    expect(validateObject(adv({ serviceSelectors: [{}], aggregationLength: 32, aggregationLengthV6: 128 }))).toEqual([]);
    expect(validateObject(adv({ serviceSelectors: [], aggregationLength: 24 }))).toEqual([]);
    expect(validateObject(adv({ serviceSelectors: [{}], aggregationLength: 24 }))).toEqual([invalid("spec", "object", message)]);
    expect(validateObject(adv({ serviceSelectors: [{}], aggregationLengthV6: 64 }))).toEqual([invalid("spec", "object", message)]);
  });
});
