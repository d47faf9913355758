import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { kindSources } from "./source";
import { walkFields, type Field } from "./source/walk";

const reference = readFileSync(join(__dirname, "..", "docs", "reference", "configuration.md"), "utf8");

/** Every (kind, version, field) of the source. */
function everyField(): { kind: string; version: string; field: Field }[] {
  return kindSources.flatMap((k) =>
    k.versions.flatMap((v) =>
      (["spec", "status"] as const).flatMap((top) => {
        const s = v[top];
        return s ? [...walkFields(s, top, (v.required ?? []).includes(top))].map((field) => ({ kind: k.kind, version: v.name, field })) : [];
      }),
    ),
  );
}

/** The part of the reference that documents one kind (and version, for kinds with several). */
function section(kind: string, version: string): string {
  const start = reference.indexOf(`\n## ${kind}\n`);
  expect(start, `section for ${kind}`).toBeGreaterThan(0);
  const end = reference.indexOf("\n## ", start + 1);
  const kindText = reference.slice(start, end === -1 ? undefined : end);
  const versions = kindSources.find((k) => k.kind === kind)?.versions ?? [];
  if (versions.length === 1) return kindText;
  const vStart = kindText.indexOf(`### \`metallb.io/${version}\``);
  expect(vStart, `section for ${kind} ${version}`).toBeGreaterThan(0);
  const vEnd = kindText.indexOf("\n### ", vStart + 1);
  return kindText.slice(vStart, vEnd === -1 ? undefined : vEnd);
}

describe("the CRD source", () => {
  it("describes every field in words", () => {
    const fields = everyField();
    expect(fields.length).toBeGreaterThan(150);
    for (const { kind, version, field } of fields) {
      expect(field.schema.description.trim().length, `${kind} ${version} ${field.path}`).toBeGreaterThan(10);
    }
  });

  it("marks exactly the BGPPeer status as a Lodestone extension", () => {
    const extensions = everyField().filter((f) => f.field.schema.extension).map((f) => `${f.kind}/${f.version} ${f.field.path}`);
    expect(extensions).toEqual(["BGPPeer/v1beta2 status", "BGPPeer/v1beta1 status"]);
  });
});

describe("docs/reference/configuration.md", () => {
  it("has a row for every field of every kind and version, with its type and required flag", () => {
    for (const { kind, version, field } of everyField()) {
      const text = section(kind, version);
      const row = text.split("\n").find((line) => line.startsWith(`| \`${field.path}\` |`));
      expect(row, `${kind} ${version} ${field.path}`).toBeDefined();
      const cells = (row ?? "").split(" | ");
      expect(cells[4], `${kind} ${version} ${field.path} required`).toBe(field.required ? "yes" : "");
    }
  });

  it("documents defaults, ranges and enums as the schema has them", () => {
    expect(reference).toContain("| `spec.autoAssign` | boolean | `true` |  |  |");
    expect(reference).toContain("| `spec.peerPort` | integer (int32) | `179` | 1..16384 |  |");
    expect(reference).toContain("| `spec.peerPort` | integer (int32) | 179 (runtime) | 0..16384 |  |");
    expect(reference).toContain("| `spec.dynamicASN` | string |  | one of `internal`, `external` |  |");
    expect(reference).toContain("| `spec.preferredNodeSelectors[].weight` | integer (int32) |  | 1..100 | yes |");
    expect(reference).toContain("| `status.node` | string |  | immutable |  |");
    expect(reference).toContain("| `status` | object |  |  |  | **Lodestone extension.** Session state, written by the speakers. |");
  });
});

describe("the examples in the CRD source", () => {
  it("are valid objects of their kind, and appear in the reference", async () => {
    const { validateObject } = await import("../test/crds/validate-object");
    const { stringify } = await import("yaml");
    const userKinds = kindSources.filter((k) => k.examples.length > 0).map((k) => k.kind);
    expect(userKinds).toEqual(["IPAddressPool", "L2Advertisement", "BGPAdvertisement", "BGPPeer", "BFDProfile", "Community"]);
    for (const k of kindSources) {
      for (const e of k.examples) {
        expect(e.kind).toBe(k.kind);
        expect(validateObject(e), `${k.kind} ${JSON.stringify(e)}`).toEqual([]);
        expect(reference).toContain(stringify(e, { lineWidth: 0 }).trimEnd());
      }
    }
  });
});
