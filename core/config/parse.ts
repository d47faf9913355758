/**
 * The one parse-and-validate function: raw metallb.io objects in, one typed Config (or the list of
 * what is wrong) out. The webhooks, the controller, the speaker and `lodestone validate` all call
 * it, so they cannot disagree about what a set of objects means.
 *
 * Order matters only for messages: objects are read kind by kind (BFD profiles and Community
 * aliases first, since peers and advertisements refer to them), and cross-object rules report on
 * the later object of a conflicting pair, in input order.
 */
import { readBFDProfile } from "./bfd";
import { checkLocalPrefConflicts, readBGPAdvertisement, type NodeInfo } from "./bgp-advertisements";
import { readCommunityObject } from "./community-objects";
import { readL2Advertisement } from "./l2-advertisements";
import { readEnvelope, type ConfigKind, type ConfigObject } from "./objects";
import { checkEchoWithIPv6, checkPeersPerNode } from "./peer-rules";
import { readPeer, type SecretInput } from "./peers";
import { checkPoolOverlaps, checkReservedAddresses, readPool } from "./pools";
import type { ReservedRange } from "../net/special";
import { advertisement, bfd, duplicateEntry, peer, pool, type Issue, type Reporter } from "./problems";
import type { BFDProfile, BGPAdvertisement, BGPPeer, CommunityValue, Config, ConfigProblem, Pool } from "./types";

export interface ConfigInput {
  /** The Lodestone namespace, "metallb-system" by default. */
  namespace: string;
  /** Raw objects of any kind (from YAML, JSON or the API); only the six metallb.io config kinds are read. */
  objects: readonly unknown[];
  /** Secrets by name, data base64; undefined = not known (admission): passwordSecret is then not resolved. */
  secrets?: ReadonlyMap<string, SecretInput>;
  /** The cluster's Nodes; undefined = not known: node overlap is then decided from the selectors alone. */
  nodes?: readonly NodeInfo[];
  /** The cluster's Service (ClusterIP) range(s), when learned from the API (k8s/service-range.ts). */
  clusterReserved?: readonly ReservedRange[];
}

export interface ParseResult {
  /** Present when no problem is non-transient. */
  config?: Config;
  problems: ConfigProblem[];
  warnings: string[];
  /**
   * Fields the schema does not have (each also a warning). The API server drops them, so for objects
   * read from the API this is empty; `lodestone validate` reports them as problems, since a setting
   * written there would be lost.
   */
  unknownFields: ConfigProblem[];
}

const duplicateIssue: Record<ConfigKind, (name: string) => Issue> = {
  IPAddressPool: pool.duplicate,
  BGPPeer: peer.duplicate,
  BFDProfile: bfd.duplicate,
  L2Advertisement: advertisement.duplicateL2,
  BGPAdvertisement: advertisement.duplicateBGP,
  Community: name => duplicateEntry("Community", name),
};

/** Parses and validates a namespace's configuration. Never throws, whatever the input. */
export function parseConfig(input: ConfigInput): ParseResult {
  const problems: ConfigProblem[] = [];
  const warnings: string[] = [];
  const unknownFields: ConfigProblem[] = [];
  try {
    const config = parseInto(input, problems, warnings, unknownFields);
    return problems.some(p => !p.transient) ? { problems, warnings, unknownFields } : { config, problems, warnings, unknownFields };
  } catch (error) {
    // A bug, not a property of the input: say so rather than crash a webhook or a reconciler.
    problems.push({ kind: "Config", name: input.namespace, field: "", message: `internal error while parsing: ${String(error)}`, transient: false, code: "internal" });
    return { problems, warnings, unknownFields };
  }
}

function parseInto(input: ConfigInput, problems: ConfigProblem[], warnings: string[], unknownFields: ConfigProblem[]): Config {
  const byKind = groupByKind(input, problems, warnings, unknownFields);
  const nodes = input.nodes?.filter(n => typeof n?.name === "string").map(n => ({ name: n.name, labels: n.labels ?? {} }));

  const bfdProfiles = new Map<string, BFDProfile>();
  for (const obj of byKind.BFDProfile) {
    const profile = readBFDProfile(obj);
    if (profile) bfdProfiles.set(profile.name, profile);
  }
  const communityAliases = new Map<string, CommunityValue>();
  for (const obj of byKind.Community) readCommunityObject(obj, communityAliases);

  const poolsRead: { pool: Pool; report: Reporter }[] = [];
  for (const obj of byKind.IPAddressPool) {
    const p = readPool(obj);
    if (p) poolsRead.push({ pool: p, report: obj.report });
  }
  checkPoolOverlaps(poolsRead);
  checkReservedAddresses(poolsRead, input.clusterReserved ?? [], warnings);
  const pools = new Map(poolsRead.map(({ pool: p }) => [p.name, p]));

  const peers: { peer: BGPPeer; report: Reporter }[] = [];
  for (const obj of byKind.BGPPeer) {
    const p = readPeer(obj, { namespace: input.namespace, bfdProfiles, ...(input.secrets ? { secrets: input.secrets } : {}) }, warnings);
    if (p) peers.push({ peer: p, report: obj.report });
  }
  const peerNames = new Set(byKind.BGPPeer.map(o => o.name));

  const l2Advertisements = byKind.L2Advertisement.flatMap(obj => readL2Advertisement(obj, pools, warnings) ?? []);
  const bgpRead: { adv: BGPAdvertisement; report: Reporter }[] = [];
  for (const obj of byKind.BGPAdvertisement) {
    const adv = readBGPAdvertisement(obj, { pools, aliases: communityAliases, peerNames, ...(nodes ? { nodes } : {}) }, warnings);
    if (adv) bgpRead.push({ adv, report: obj.report });
  }
  checkLocalPrefConflicts(bgpRead, pools, nodes);
  checkPeersPerNode(peers, nodes);
  const bgpAdvertisements = bgpRead.map(b => b.adv);
  checkEchoWithIPv6(peers, bgpAdvertisements, pools, bfdProfiles, warnings);

  return {
    namespace: input.namespace,
    pools,
    l2Advertisements,
    bgpAdvertisements,
    peers: peers.map(p => p.peer),
    bfdProfiles,
    communityAliases,
  };
}

/** The configuration objects by kind, in input order; a repeated name is reported and its later object dropped. */
function groupByKind(input: ConfigInput, problems: ConfigProblem[], warnings: string[], unknownFields: ConfigProblem[]): Record<ConfigKind, ConfigObject[]> {
  const byKind: Record<ConfigKind, ConfigObject[]> = {
    IPAddressPool: [],
    L2Advertisement: [],
    BGPAdvertisement: [],
    BGPPeer: [],
    BFDProfile: [],
    Community: [],
  };
  const names = new Set<string>();
  const objects = Array.isArray(input.objects) ? input.objects : [];
  objects.forEach((raw, index) => {
    const obj = readEnvelope(raw, index, input.namespace, problems, warnings, unknownFields);
    if (!obj) return;
    const key = `${obj.kind}/${obj.name}`;
    if (obj.name !== "" && names.has(key)) {
      obj.report("metadata.name", duplicateIssue[obj.kind](obj.name));
      return;
    }
    names.add(key);
    byKind[obj.kind].push(obj);
  });
  return byKind;
}
