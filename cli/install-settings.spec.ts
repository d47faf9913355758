import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { readFlags } from "./args";
import { installSettings, merged, nodeSelectorOf, SETTINGS_FLAGS } from "./install-settings";
import { manifestsCommand } from "./manifests";

const files: Record<string, string> = {
  "tolerations.yaml": "- key: lb.example.com/dedicated\n  operator: Exists\n",
  "broken.yaml": "[a: b",
};
const readText = async (path: string): Promise<string> => {
  const text = files[path];
  if (text === undefined) throw Object.assign(new Error(`ENOENT: ${path}`), { code: "ENOENT" });
  return text;
};
const settingsOf = async (args: string[]) => {
  const parsed = readFlags(args, SETTINGS_FLAGS);
  if (parsed.kind !== "run") throw new Error(`flags not read: ${JSON.stringify(parsed)}`);
  return installSettings(parsed.values, {}, readText);
};

describe("install settings flags", () => {
  it("adds labels to the default node selector, and KEY- drops one", async () => {
    expect(await settingsOf(["--speaker-node-selector", "lb=yes", "--speaker-node-selector", "kubernetes.io/os-", "--speaker-node-selector", "zone=a=b"])).toEqual({
      image: "ghcr.io/lodestone/speaker:0.1.0",
      nodeSelector: { lb: "yes", zone: "a=b" },
    });
  });

  it("reads tolerations and resources as inline JSON or from a YAML file, resources merged into the defaults", async () => {
    expect(await settingsOf(["--speaker-tolerations", "tolerations.yaml", "--speaker-resources", '{"limits":{"memory":"1Gi","cpu":"2"},"requests":{"cpu":null}}'])).toEqual({
      image: "ghcr.io/lodestone/speaker:0.1.0",
      tolerations: [{ key: "lb.example.com/dedicated", operator: "Exists" }],
      resources: { requests: { memory: "128Mi" }, limits: { memory: "1Gi", cpu: "2" } },
    });
    expect(await settingsOf(["--speaker-tolerations", "[]", "--speaker-metrics-tls-secret", "speaker-metrics-tls"])).toEqual({
      image: "ghcr.io/lodestone/speaker:0.1.0",
      tolerations: [],
      metricsTLSSecret: "speaker-metrics-tls",
    });
  });

  it("refuses bad values with one line naming the flag", async () => {
    const refusals = await Promise.all(
      [
        ["--speaker-node-selector", "lb"],
        ["--speaker-node-selector", "=yes"],
        ["--speaker-tolerations", '[{"key":"lb","operator":1}]'],
        ["--speaker-tolerations", "[{key: lb}]"],
        ["--speaker-tolerations", "missing.yaml"],
        ["--speaker-tolerations", "broken.yaml"],
        ["--speaker-resources", '{"limits":{"memory":448}}'],
        ["--speaker-resources", '{"limit":{"memory":"1Gi"}}'],
        ["--speaker-metrics-tls-secret", "Speaker_TLS"],
        ["--partition-policy", "majorty"],
      ].map(settingsOf),
    );
    expect(refusals).toEqual([
      { error: '--speaker-node-selector wants KEY=VALUE (or KEY- to drop a label), got "lb"' },
      { error: '--speaker-node-selector wants KEY=VALUE (or KEY- to drop a label), got "=yes"' },
      { error: '--speaker-tolerations needs a JSON array of tolerations (key, operator, value, effect, tolerationSeconds), got [{"key":"lb","operator":1}]' },
      { error: expect.stringMatching(/^--speaker-tolerations: not JSON \(/) },
      { error: "--speaker-tolerations: missing.yaml not found" },
      { error: expect.stringMatching(/^--speaker-tolerations: broken.yaml: not JSON or YAML \(/) },
      { error: '--speaker-resources needs a JSON object with requests and/or limits of quantities as strings, e.g. {"limits":{"memory":"448Mi"}}, got {"limits":{"memory":448}}' },
      { error: '--speaker-resources needs a JSON object with requests and/or limits of quantities as strings, e.g. {"limits":{"memory":"448Mi"}}, got {"limit":{"memory":"1Gi"}}' },
      { error: `--speaker-metrics-tls-secret wants a Secret's name (lower case letters, digits, '-' and '.'), got "Speaker_TLS"` },
      { error: '--partition-policy needs availability or majority, got "majorty"' },
    ]);
  });

  it("exits 1 from lodestone manifests with the refusal, printing nothing", async () => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await manifestsCommand(["--speaker-node-selector", "lb"], { out: l => out.push(l), err: l => err.push(l) }, { readText: async () => "", env: {} });
    expect({ code, out, err }).toEqual({ code: 1, out: [], err: ['lodestone manifests: --speaker-node-selector wants KEY=VALUE (or KEY- to drop a label), got "lb"'] });
  });

  it("parses any KEY=VALUE as that label, over the default", () => {
    const key = fc.string({ minLength: 1 }).filter(k => !k.includes("="));
    fc.assert(
      fc.property(fc.array(fc.tuple(key, fc.string()), { maxLength: 5 }), pairs => {
        const expected: Record<string, string> = { "kubernetes.io/os": "linux" };
        for (const [k, v] of pairs) expected[k] = v;
        expect(nodeSelectorOf(pairs.map(([k, v]) => `${k}=${v}`))).toEqual({ nodeSelector: expected });
      }),
    );
  });

  it("merges as Helm coalesces values: maps key by key, null drops, anything else replaces", () => {
    expect(merged({ a: { b: null, c: "2" }, d: ["x"] }, { a: { b: "1", e: "3" }, d: ["y", "z"], f: "4" })).toEqual({ a: { c: "2", e: "3" }, d: ["x"], f: "4" });
  });
});
