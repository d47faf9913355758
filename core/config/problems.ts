/**
 * Every problem the configuration parser can report: a stable code and its message builder.
 *
 * Codes are what tests, metrics and the webhooks key on; messages are what users read. Where
 * MetalLB's parser or the API server has a well-known wording (`duplicate definition of pool`,
 * `Required value`, `... in body should be less than or equal to ...`), the message keeps it, so
 * people searching for a MetalLB error still find their answer.
 */

/** One problem before it is attached to an object and a field. */
export interface Issue {
  code: string;
  message: string;
  /** Only ordering can cause it (a referenced object that does not exist yet). */
  transient?: boolean;
}

/** Reports an issue on a field of the object being read. */
export type Reporter = (field: string, issue: Issue) => void;

const MAX_QUOTED = 120;

/** Go-style %q of a user string, cut short so that a huge value cannot flood a message. */
export function q(text: string): string {
  const cut = text.length > MAX_QUOTED ? `${text.slice(0, MAX_QUOTED)}...` : text;
  return JSON.stringify(cut);
}

const make = (code: string, message: string, transient = false): Issue => (transient ? { code, message, transient } : { code, message });

/** Issues of the CRD schema level (what the API server would answer), in the API server's words. */
export const schema = {
  required: () => make("schema.required", "Required value"),
  wrongType: (path: string, expected: string, actual: string) =>
    make("schema.type", `Invalid value: "${actual}": ${path} in body must be of type ${expected}: "${actual}"`),
  tooLarge: (path: string, value: number, max: number) =>
    make("schema.maximum", `Invalid value: ${value}: ${path} in body should be less than or equal to ${max}`),
  tooSmall: (path: string, value: number, min: number) =>
    make("schema.minimum", `Invalid value: ${value}: ${path} in body should be greater than or equal to ${min}`),
  unsupported: (value: string, allowed: readonly string[]) =>
    make("schema.enum", `Unsupported value: ${q(value)}: supported values: ${allowed.map(a => `"${a}"`).join(", ")}`),
  tooFewItems: (path: string, count: number, min: number) =>
    make("schema.minItems", `Invalid value: ${count}: ${path} in body should have at least ${min} items`),
  wrongNamespace: (namespace: string) => make("object.namespace", `resource must be created in ${namespace} namespace`),
  unsupportedVersion: (apiVersion: string, kind: string) =>
    make("object.version", `apiVersion ${q(apiVersion)} is not served for ${kind}`),
  missingName: () => make("object.name", "Required value: every object needs metadata.name"),
};

export const labelSelector = {
  badKey: (key: string) =>
    make("selector.key", `invalid label key ${q(key)}: must be an optional DNS subdomain prefix and "/", then 1-63 alphanumeric characters, '-', '_' or '.', starting and ending with an alphanumeric character`),
  badValue: (value: string) =>
    make("selector.value", `invalid label value ${q(value)}: must be empty or 1-63 alphanumeric characters, '-', '_' or '.', starting and ending with an alphanumeric character`),
  valuesRequired: (operator: string) => make("selector.values-required", `Required value: must be specified when operator is "In" or "NotIn" (operator is "${operator}")`),
  valuesForbidden: (operator: string) => make("selector.values-forbidden", `Forbidden: may not be specified when operator is "Exists" or "DoesNotExist" (operator is "${operator}")`),
  duplicateExpression: (text: string) => make("selector.duplicate-expression", `duplicate definition of match expressions ${q(text)}`),
  duplicateValue: (value: string) => make("selector.duplicate-value", `duplicate definition of match expression value in label selector ${q(value)}`),
};

/** `duplicate definition of <what> "<value>"`: the list fields that must not repeat an entry. */
export const duplicateEntry = (what: string, value: string) => make("duplicate.entry", `duplicate definition of ${what} ${q(value)}`);

export const pool = {
  missingName: () => make("pool.name", "missing pool name"),
  duplicate: (name: string) => make("pool.duplicate", `duplicate definition of pool ${q(name)}`),
  noPrefixes: () => make("pool.empty", "pool has no prefixes defined"),
  invalidCidr: (text: string) => make("pool.cidr", `invalid CIDR ${q(text)}`),
  invalidRangeStart: (text: string, start: string) => make("pool.range-start", `invalid IP range ${q(text)}: invalid start IP ${q(start)}`),
  invalidRangeEnd: (text: string, end: string) => make("pool.range-end", `invalid IP range ${q(text)}: invalid end IP ${q(end)}`),
  rangeFamilies: (text: string) => make("pool.range-families", `invalid IP range ${q(text)}: start IP and end IP are not of the same IP family`),
  rangeReversed: (text: string, start: string, end: string) =>
    make("pool.range-order", `invalid IP range ${q(text)}: start IP ${q(start)} is after the end IP ${q(end)}`),
  overlap: (cidr: string, poolName: string, other: string) =>
    make("pool.overlap", `CIDR ${q(cidr)} in pool ${q(poolName)} overlaps with already defined CIDR ${q(other)}`),
  allReserved: (what: string) =>
    make("pool.reserved", `every address of the pool is one that is never handed out (${what}): the pool could never serve a Service`),
  duplicateNamespace: (ns: string) => make("pool.duplicate-namespace", `duplicate definition in namespaces field: ${q(ns)}`),
};

export const bfd = {
  missingName: () => make("bfd.name", "missing bfd profile name"),
  duplicate: (name: string) => make("bfd.duplicate", `found duplicate bfd profile name ${name}`),
  inUse: (profile: string, peer: string) => make("bfd.in-use", `failed to delete BFDProfile ${profile}, used by BGPPeer ${peer}`),
};

export const peer = {
  duplicate: (name: string) => make("peer.duplicate", `peer ${name} already exists`),
  gracefulRestartImmutable: () => make("peer.graceful-restart-immutable", "enableGracefulRestart cannot be changed after creation"),
  missingLocalASN: () => make("peer.my-asn", "missing local ASN"),
  missingPeerASN: () => make("peer.peer-asn", "missing peer ASN and dynamicASN"),
  bothASNs: () => make("peer.both-asns", "both peer ASN and dynamicASN specified"),
  ibgpMultiHop: () => make("peer.ibgp-multihop", "invalid ebgp-multihop parameter set for an ibgp peer"),
  noAddress: () => make("peer.no-address", "peer has no Address or Interface specified"),
  bothAddressAndInterface: () => make("peer.address-and-interface", "peer has both Address and Interface specified"),
  invalidLinkName: (field: "interface" | "vrf", text: string) =>
    make("peer.link-name", `invalid ${field} name ${q(text)}: a Linux link name is 1 to 15 bytes without "/", ":" or white space`),
  invalidDuration: (text: string) => make("peer.duration", `invalid duration ${q(text)}: expected a non-negative Go duration such as "90s" or "1m30s"`),
  holdTime: (text: string) => make("peer.hold-time", `invalid hold time ${q(text)}: must be 0 or >=3s`),
  keepaliveAboveHold: (keepalive: string, hold: string) =>
    make("peer.keepalive", `invalid keepaliveTime ${q(keepalive)}, must be lower than holdTime ${q(hold)}`),
  // The CRD's CEL messages (crds/), word for word: offline and online answers must read the same.
  connectTimeRange: (text: string) => make("peer.connect-time", `Invalid value: ${q(text)}: connectTime must be between 1 and 65535 seconds`),
  connectTimeFraction: (text: string) => make("peer.connect-time-fraction", `Invalid value: ${q(text)}: connectTime must be a whole number of seconds`),
  invalidAddress: (text: string) => make("peer.address", `invalid BGPPeer address ${q(text)}`),
  invalidRouterID: (text: string) => make("peer.router-id", `invalid router ID ${q(text)}`),
  routerIDNotIPv4: (text: string) => make("peer.router-id-family", `invalid router ID ${q(text)}: a BGP router ID is an IPv4 address`),
  invalidSource: (text: string) => make("peer.source", `invalid source IP ${q(text)}`),
  passwordAndSecret: () => make("peer.password-and-secret", "can not have both password and passwordSecret set"),
  passwordCharacters: () => make("peer.password-characters", "password contains invalid characters (newline)"),
  secretNamespace: (namespace: string, expected: string) =>
    make("peer.secret-namespace", `passwordSecret must be in namespace ${q(expected)}, not ${q(namespace)}`),
  secretNotFound: (namespace: string, name: string) => make("peer.secret-missing", `secret ${q(name)} not found in namespace ${q(namespace)}`, true),
  secretType: (namespace: string, name: string) =>
    make("peer.secret-type", `secret type mismatch on ${q(namespace)}/${q(name)}, type "kubernetes.io/basic-auth" is expected`),
  secretNoPassword: (namespace: string, name: string) => make("peer.secret-key", `password not specified in the secret ${q(namespace)}/${q(name)}`),
  secretBadBase64: (namespace: string, name: string) => make("peer.secret-encoding", `password in the secret ${q(namespace)}/${q(name)} is not valid base64`),
  bfdProfileMissing: (profile: string) => make("peer.bfd-missing", `referencing non existing bfd profile ${q(profile)}`, true),
  disableMPDeprecated: () => "disableMP is deprecated and has no effect: Lodestone always opens one session that carries both IPv4 and IPv6 routes",
  v1beta1Deprecated: () => "metallb.io/v1beta1 BGPPeer is deprecated; use metallb.io/v1beta2",
  // FRR-mode rules: the peers of one node share one BGP router.
  sameNode: (other: string, what = "peer address") => make("peer.same-node", `duplicate BGPPeers selecting the same node: same ${what} as BGPPeer ${q(other)}`),
  routerIDConflict: (other: string, mine: string, theirs: string) =>
    make("peer.router-id-conflict", `routerID ${q(mine)} differs from routerID ${q(theirs)} of BGPPeer ${q(other)}, which can select the same node: a node has one router ID`),
  myASNConflict: (other: string, mine: number, theirs: number, vrf = "") =>
    make(
      "peer.my-asn-conflict",
      `myASN ${mine} differs from myASN ${theirs} of BGPPeer ${q(other)}, which can select the same node: a node has one local ASN${vrf === "" ? "" : ` per VRF (both in VRF ${q(vrf)})`}`,
    ),
  // MetalLB's sentence (internal/config validateConfig), with our quoting.
  echoWithIPv6: (poolName: string, adv: string, peer: string) =>
    make("peer.bfd-echo-ipv6", `pool ${q(poolName)} has bgpadvertisement ${q(adv)} which references peer ${q(peer)} which has bfd echo enabled, which is not possible`),
  echoOverMultihop: (profile: string) =>
    `bfd profile ${q(profile)} has echoMode, which a multihop session (ebgpMultiHop) does not use (RFC 5883 3): BFD to this peer runs without echo, as with FRR`,
};

export const community = {
  invalidValue: (text: string, reason: string) => make("community.value", `invalid community value ${q(text)}: ${reason}`),
  unknownAlias: (text: string) => make("community.unknown-alias", `invalid community ${q(text)}: not AA:NN, large:AA:NN:NN or the name of a Community alias`, true),
  duplicateAlias: (name: string) => make("community.duplicate", `duplicate definition of community ${q(name)}`),
};

export const advertisement = {
  duplicateL2: (name: string) => make("l2adv.duplicate", `duplicate definition of l2advertisements ${q(name)}`),
  duplicateBGP: (name: string) => make("bgpadv.duplicate", `duplicate definition of bgpadvertisements ${q(name)}`),
  selectorsWithAggregation: (field: "aggregationLength" | "aggregationLengthV6", name: string) =>
    make("bgpadv.selectors-aggregation", `serviceSelectors and ${field} are mutually exclusive, both cannot be set in ${name}`),
  aggregationTooLong: (length: number, family: "IPv4" | "IPv6") => make("bgpadv.aggregation", `invalid aggregation length ${length} for ${family}`),
  aggregationTooShort: (length: number, lowest: number, addresses: string, poolName: string) =>
    make("bgpadv.aggregation-pool", `invalid aggregation length ${length}: prefix ${lowest} in this pool is more specific than the aggregation length for addresses ${addresses} (pool ${q(poolName)})`),
  localPrefConflict: (mine: number, theirs: number, other: string, poolName: string) =>
    make("bgpadv.local-pref", `invalid local preference ${mine}: local preference ${theirs} was already set for the same type of BGP update by BGPAdvertisement ${q(other)} for pool ${q(poolName)}. Check existing BGP advertisements with common pools and aggregation lengths`),
  gratuitousInterval: (value: string, min: string, max: string) =>
    make("l2adv.gratuitous-interval", `invalid interval ${q(value)}: must be a duration from ${min} to ${max} (such as 30s or 5m), or 0 for none`),
  unknownPool: (name: string) => `pool ${q(name)} does not exist (yet): the advertisement does not apply to it`,
  unknownPeer: (name: string) => `BGPPeer ${q(name)} does not exist (yet)`,
};

export const removedAddressPool = (name: string) =>
  `AddressPool/${name}: the AddressPool kind was removed in MetalLB 0.14 and is ignored: use an IPAddressPool with an L2Advertisement or a BGPAdvertisement`;

/**
 * A field the schema does not have, with the closest known one when there is one. The API server
 * prunes such fields (or refuses them with fieldValidation=Strict, kubectl's default), so admission
 * never sees them and the webhooks only warn; `lodestone validate` treats them as problems, since the
 * user's setting would be lost.
 */
export const unknownField = (closest: string | undefined) => make("schema.unknown-field", `unknown field${closest === undefined ? "" : ` (did you mean ${closest}?)`}`);
