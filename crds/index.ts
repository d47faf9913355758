/**
 * The metallb.io CustomResourceDefinitions Lodestone serves, built from crds/source/ (the same objects
 * hack/gen writes to crds/metallb.io_<plural>.yaml). Used by the start-up code that applies the CRDs,
 * the local API server and the e2e suite.
 */
import { buildCRD, type CustomResourceDefinition } from "./build";
import { kindSources } from "./source";
import { GROUP, type KindSource } from "./source/kind";

export type { CustomResourceDefinition, CRDVersion, JsonObject } from "./build";
export { GROUP } from "./source/kind";

/** Every CRD, in a fixed order (pools and advertisements first, status-only kinds last). */
export const allCRDs: readonly CustomResourceDefinition[] = kindSources.map(buildCRD);

function sourceFor(kind: string): KindSource {
  const k = kindSources.find((s) => s.kind === kind);
  if (!k) throw new Error(`unknown metallb.io kind ${JSON.stringify(kind)}; known: ${kindSources.map((s) => s.kind).join(", ")}`);
  return k;
}

/** The CRD of one kind (`crdFor("IPAddressPool")`); throws on a kind Lodestone does not serve. */
export function crdFor(kind: string): CustomResourceDefinition {
  const index = kindSources.indexOf(sourceFor(kind));
  return allCRDs[index] as CustomResourceDefinition;
}

/** The kind whose CRD serves `apiVersion` (`metallb.io/v1beta1`), or undefined when none does. */
export function servedVersion(apiVersion: string, kind: string): { crd: CustomResourceDefinition; version: string } | undefined {
  const [group, version] = apiVersion.split("/");
  if (group !== GROUP || version === undefined) return undefined;
  const crd = allCRDs.find((c) => c.spec.names.kind === kind);
  const v = crd?.spec.versions.find((x) => x.name === version && x.served);
  return crd && v ? { crd, version } : undefined;
}

export const metallbKinds: readonly string[] = kindSources.map((k) => k.kind);
