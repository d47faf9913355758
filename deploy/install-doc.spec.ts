/** docs/install.md must show the commands and names the code uses, exactly. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { DEFAULT_SPEAKER_IMAGE, PEPR_MODULE_NAME, SPEAKER_NAME, SPEAKER_SECRETS_ROLE } from "./names";
import { installerCommands } from "./rbac";

const doc = readFileSync(join(__dirname, "..", "docs", "install.md"), "utf8");
const lines = doc.split("\n").map(l => l.trim());

describe("docs/install.md", () => {
  it("has the installer's one-time commands, exactly as rbac.ts builds them", () => {
    for (const command of installerCommands()) expect(lines).toContain(command);
  });

  it("installs with pepr 1.1.4 pinned, by deploy, manifests or Helm chart", () => {
    for (const command of ["npx pepr@1.1.4 deploy --yes", "npx pepr@1.1.4 build", "kubectl apply -f dist/pepr-module-lodestone.yaml", "cp dist/pepr-module-lodestone.yaml charts/lodestone/pepr/", "helm install lodestone charts/lodestone -n default --set images.speaker=registry.example/lodestone/speaker:0.1.0"]) {
      expect(lines).toContain(command);
    }
    expect(doc).not.toMatch(/npx pepr (?!@)/);
  });

  it("lists every value of charts/lodestone/values.yaml", () => {
    const values = parse(readFileSync(join(__dirname, "..", "charts", "lodestone", "values.yaml"), "utf8")) as Record<string, unknown>;
    const leaves = Object.entries(values).flatMap(([k, v]) => (typeof v === "object" && v !== null && !Array.isArray(v) && !["nodeSelector", "resources"].includes(k) ? Object.keys(v).map(sub => `${k}.${sub}`) : [k]));
    expect(leaves.length).toBe(11);
    for (const value of leaves) expect(doc).toContain(`\`${value}\``);
  });

  it("names the objects the code creates", () => {
    expect(doc).toContain(`\`${DEFAULT_SPEAKER_IMAGE.replace("0.1.0", "<version>")}\``);
    expect(doc).toContain(`DaemonSet \`${SPEAKER_NAME}\``);
    expect(doc).toContain(`Validating/MutatingWebhookConfiguration \`${PEPR_MODULE_NAME}\``);
    expect(doc).toContain(`Role and RoleBinding \`${SPEAKER_SECRETS_ROLE}\``);
    expect(lines).toContain("# config.lodestone.dev=Fail");
    expect(lines).toContain("# services.lodestone.dev=Ignore");
  });

  it("never tells a MetalLB user to delete the namespace, the CRDs or the memberlist Secret", () => {
    const deletes = lines.filter(l => l.startsWith("kubectl") && l.includes(" delete "));
    expect(deletes.length).toBeGreaterThan(5);
    for (const l of deletes) {
      expect(l).not.toMatch(/\bcrd\b|customresourcedefinition|namespace |secret memberlist|metallb-native\.yaml/);
    }
  });
});
