/**
 * Converts MetalLB's legacy configuration (the `config` ConfigMap of v0.7 to v0.12) into the
 * equivalent metallb.io resources, or into the problems the legacy parser would have found.
 *
 * Pure: no I/O, and it never throws - any input, however malformed, gives objects or problems.
 * Problems are ConfigProblems of kind ConfigMap whose field is the path inside the legacy YAML
 * (`address-pools[0].protocol`), so they print like every other configuration problem.
 */
import type { ConfigProblem } from "../types";
import { convertBfdProfiles } from "./bfd-profiles";
import { checkAliases, COMMUNITY_OBJECT_NAME, looksLikeCommunityValue } from "./communities";
import { Reader } from "./fields";
import { convertPeers } from "./peers";
import { convertPools } from "./pools";
import { resource, type ConvertedObject } from "./resources";
import { parseLegacyTree } from "./tree";

export type { ConvertedObject } from "./resources";

export const DEFAULT_NAMESPACE = "metallb-system";
export const DEFAULT_CONFIGMAP_NAME = "config";

export interface LegacyConversion {
  /** The namespace every object is in: the ConfigMap's, else metallb-system. */
  namespace: string;
  /** Empty whenever there are problems. */
  objects: ConvertedObject[];
  problems: ConfigProblem[];
}

const TOP_LEVEL = ["peers", "bgp-communities", "address-pools", "bfd-profiles"] as const;

/** `input` is a ConfigMap object, or the text of its `config` key. */
export function convertLegacyConfigMap(input: unknown): LegacyConversion {
  const source = unwrap(input);
  const problem = (field: string, message: string): ConfigProblem => ({ kind: "ConfigMap", name: source.name, field, message, transient: false });
  if (source.text === undefined) return { namespace: source.namespace, objects: [], problems: [problem(source.field, source.message)] };
  try {
    const { objects, problems } = convertText(source.text, source.namespace);
    return { namespace: source.namespace, objects: problems.length > 0 ? [] : objects, problems: problems.map(p => problem(p.field, p.message)) };
  } catch (e) {
    // Not expected; kept so that a bug here is a reported problem, never a crashed webhook or CLI.
    return { namespace: source.namespace, objects: [], problems: [problem("", `internal error while converting: ${e instanceof Error ? e.message : String(e)}`)] };
  }
}

type Source =
  | { name: string; namespace: string; text: string }
  | { name: string; namespace: string; text: undefined; field: string; message: string };

function unwrap(input: unknown): Source {
  if (typeof input === "string") return { name: DEFAULT_CONFIGMAP_NAME, namespace: DEFAULT_NAMESPACE, text: input };
  const obj = isRecord(input) ? input : {};
  const metadata = isRecord(obj.metadata) ? obj.metadata : {};
  const name = typeof metadata.name === "string" && metadata.name !== "" ? metadata.name : DEFAULT_CONFIGMAP_NAME;
  const namespace = typeof metadata.namespace === "string" && metadata.namespace !== "" ? metadata.namespace : DEFAULT_NAMESPACE;
  if (!isRecord(input)) return { name, namespace, text: undefined, field: "", message: "want a ConfigMap object or the text of its config key" };
  if (obj.kind !== undefined && obj.kind !== "ConfigMap") {
    return { name, namespace, text: undefined, field: "kind", message: `want a ConfigMap, got ${JSON.stringify(obj.kind)}` };
  }
  const config = isRecord(obj.data) ? obj.data.config : undefined;
  if (typeof config !== "string") {
    return { name, namespace, text: undefined, field: "data.config", message: "missing: the legacy configuration is the text under the ConfigMap's data.config key" };
  }
  return { name, namespace, text: config };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function convertText(text: string, namespace: string): { objects: ConvertedObject[]; problems: { field: string; message: string }[] } {
  const tree = parseLegacyTree(text);
  if (!tree.ok) return { objects: [], problems: [{ field: "", message: tree.message }] };
  const r = new Reader();
  const top = r.record(tree.root, "", TOP_LEVEL);
  if (!top) return { objects: [], problems: r.problems };

  const aliases = checkAliases(r.stringMap(top.get("bgp-communities"), "bgp-communities") ?? [], r.problems);
  const bfd = convertBfdProfiles(r, top.get("bfd-profiles"), namespace);
  const peers = convertPeers(r, top.get("peers"), namespace, bfd.names);
  const pools = convertPools(r, top.get("address-pools"), namespace, aliases);

  const namedAliases = [...aliases.values()].filter(a => !looksLikeCommunityValue(a.name));
  const community =
    namedAliases.length > 0
      ? [resource("Community", COMMUNITY_OBJECT_NAME, namespace, { communities: namedAliases.map(a => ({ name: a.name, value: a.text })) })]
      : [];
  // Referenced objects come before the objects that refer to them, so `kubectl apply -f` of the
  // output never meets a dangling reference on the way.
  const objects = [...pools.pools, ...pools.l2Advertisements, ...community, ...pools.bgpAdvertisements, ...bfd.objects, ...peers];
  return { objects, problems: r.problems };
}
