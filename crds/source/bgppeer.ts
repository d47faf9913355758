/**
 * BGPPeer: a BGP neighbour the speakers open sessions to.
 *
 * v1beta2 is stored; v1beta1 is still served (deprecated) and is a strict subset of v1beta2's fields,
 * so both share storage with conversion strategy None (docs/adr/0001). The status with per-node session
 * state is a Lodestone extension: MetalLB reports session state only in metrics.
 */
import type { KindSource, PrinterColumn } from "./kind";
import { asn, bool, dateTime, describedAs, immutable, int32, int64, list, obj, str, type SourceSchema } from "./schema";
import { secretReference, selectorList } from "./shared";

const printerColumns: PrinterColumn[] = [
  { name: "Address", type: "string", jsonPath: ".spec.peerAddress" },
  { name: "ASN", type: "string", jsonPath: ".spec.peerASN" },
  { name: "BFD Profile", type: "string", jsonPath: ".spec.bfdProfile" },
  { name: "Multi Hops", type: "string", jsonPath: ".spec.ebgpMultiHop" },
  // Lodestone extension: the session state at a glance, written by the speakers with the sessions.
  { name: "Established", type: "string", jsonPath: ".status.established", description: "Nodes whose session is Established, of all nodes that should hold one." },
  { name: "Sessions", type: "string", jsonPath: ".status.summary", description: "Each node's session state.", priority: 10 },
];

const field = {
  myASN: asn("The AS number Lodestone speaks as on this session (the parser refuses 0)."),
  peerASN: asn("The AS number of the peer. Exactly one of peerASN and dynamicASN must be set."),
  peerAddress: str("The IP address of the peer."),
  sourceAddress: str("The local IP address to open the session from; used only when a local interface has it."),
  holdTime: str(
    "The BGP hold time proposed to the peer, as a duration (`90s`): 0 or at least 3s. When only one of holdTime and keepaliveTime is set, the other is derived (keepalive = hold / 3).",
    { docDefault: "90s" },
  ),
  keepaliveTime: str("The interval between KEEPALIVE messages, as a duration; at most the hold time."),
  routerID: str("The BGP identifier to use, as an IPv4 address; by default the session's local IPv4 address."),
  password: str("The TCP MD5 (RFC 2385) password for the session, in clear. Mutually exclusive with passwordSecret."),
  bfdProfile: str("The name of a BFDProfile: run BFD on this session with its timers."),
  ebgpMultiHop: bool("The peer is several hops away; not allowed for internal (iBGP) peers."),
} satisfies Record<string, SourceSchema>;

const sessionState = obj(
  "The state of the session between one node and this peer.",
  {
    node: str("The node that holds the session."),
    state: str("The BGP finite state machine state of the session (RFC 4271 section 8).", {
      enum: ["Idle", "Connect", "Active", "OpenSent", "OpenConfirm", "Established"],
    }),
    since: dateTime("When the session entered this state."),
    lastError: str("The last error seen on the session: a NOTIFICATION received or sent, or a connection failure."),
    prefixesAdvertised: int64("How many prefixes the node currently advertises to the peer.", { minimum: 0 }),
  },
  { required: ["node", "state"], tsName: "BGPPeerSessionStatus" },
);

const status: SourceSchema = obj(
  "Session state, written by the speakers.",
  {
    sessions: list("One entry per node that should hold a session with this peer.", sessionState, {
      "x-kubernetes-list-type": "map",
      "x-kubernetes-list-map-keys": ["node"],
    }),
    established: str("How many of the sessions are Established, as `established/total` (`2/3`); derived from sessions."),
    summary: str("Each node's session state, `node=State` joined by commas, sorted by node; derived from sessions."),
  },
  { extension: true, tsName: "BGPPeerStatus" },
);

export const bgpPeer: KindSource = {
  kind: "BGPPeer",
  plural: "bgppeers",
  singular: "bgppeer",
  origin: "metallb",
  typesFile: "bgppeer",
  examples: [
    {
      apiVersion: "metallb.io/v1beta2",
      kind: "BGPPeer",
      metadata: { name: "core-router", namespace: "metallb-system" },
      spec: { myASN: 64512, peerASN: 64513, peerAddress: "192.0.2.1", holdTime: "9s", bfdProfile: "fast", passwordSecret: { name: "bgp-core" } },
    },
  ],
  description: "A BGP neighbour: the speakers on the selected nodes open a session to it and advertise Service addresses.",
  versions: [
    {
      name: "v1beta2",
      served: true,
      storage: true,
      statusSubresource: true,
      printerColumns,
      spec: obj(
        "How to reach the peer and how the session behaves.",
        {
          myASN: field.myASN,
          peerASN: field.peerASN,
          dynamicASN: str(
            "Learn the peer's AS number from its OPEN and accept it if it is of this kind: `internal` (the same as ours: localASN when set, else myASN) or `external` (any other). Exactly one of peerASN and dynamicASN must be set.",
            { enum: ["internal", "external"] },
          ),
          localASN: asn("Present this AS number to the peer instead of myASN, in the OPEN and as the only AS of the AS_PATH (FRR's local-as, no-prepend, replace-as).", {
            minimum: 1,
          }),
          peerAddress: describedAs(field.peerAddress, "The IP address of the peer. Exactly one of peerAddress and interface must be set."),
          interface: str("Open an unnumbered session over this host interface, instead of to peerAddress."),
          sourceAddress: field.sourceAddress,
          peerPort: int32("The TCP port of the peer.", { minimum: 1, maximum: 16384, default: 179 }),
          holdTime: field.holdTime,
          keepaliveTime: field.keepaliveTime,
          connectTime: str("How long to wait between attempts to connect to the peer, as a duration of whole seconds.", {
            "x-kubernetes-validations": [
              {
                rule: "duration(self).getSeconds() >= 1 && duration(self).getSeconds() <= 65535",
                message: "connectTime must be between 1 and 65535 seconds",
              },
              {
                rule: "duration(self).getMilliseconds() % 1000 == 0",
                message: "connectTime must be a whole number of seconds",
              },
            ],
          }),
          routerID: field.routerID,
          nodeSelectors: selectorList("Nodes that open a session to this peer, by label; every node when empty."),
          password: field.password,
          passwordSecret: describedAs(
            secretReference,
            "A Secret of type kubernetes.io/basic-auth in the Lodestone namespace whose `password` key holds the TCP MD5 password. Mutually exclusive with password.",
          ),
          bfdProfile: field.bfdProfile,
          enableGracefulRestart: immutable(
            bool("Negotiate BGP graceful restart (RFC 4724), so routes stay in place while a speaker restarts. Cannot be changed after creation."),
            "enableGracefulRestart cannot be changed after creation",
          ),
          ebgpMultiHop: field.ebgpMultiHop,
          vrf: str("Open the session, and advertise, through interfaces enslaved to this Linux VRF."),
          disableMP: bool("Deprecated: open separate sessions for IPv4 and IPv6 instead of one multiprotocol session.", {
            default: false,
          }),
          dualStackAddressFamily: bool("Also carry the other address family on this session (IPv4 routes over an IPv6 session and back), with the node's address of that family as next hop.", {
            default: false,
          }),
        },
        { required: ["myASN"] },
      ),
      status,
    },
    {
      name: "v1beta1",
      served: true,
      storage: false,
      deprecationWarning: "metallb.io/v1beta1 BGPPeer is deprecated; use metallb.io/v1beta2 BGPPeer",
      statusSubresource: true,
      printerColumns,
      spec: obj(
        "How to reach the peer and how the session behaves (the older, smaller field set).",
        {
          myASN: field.myASN,
          peerASN: describedAs(field.peerASN, "The AS number of the peer."),
          peerAddress: field.peerAddress,
          sourceAddress: field.sourceAddress,
          peerPort: int32("The TCP port of the peer.", { minimum: 0, maximum: 16384, docDefault: "179" }),
          holdTime: field.holdTime,
          keepaliveTime: field.keepaliveTime,
          routerID: field.routerID,
          nodeSelectors: list(
            "Nodes that open a session to this peer, by label; every node when empty.",
            obj(
              "A label query over nodes (this version's own selector type).",
              {
                matchLabels: { type: "object", description: "Labels that must be present with exactly these values.", additionalProperties: str("The required label value.") },
                matchExpressions: list(
                  "Requirements on labels, all of which must hold.",
                  obj(
                    "One requirement on a label.",
                    {
                      key: str("The label key."),
                      operator: str("How the key relates to the values: In, NotIn, Exists or DoesNotExist."),
                      values: list("The values to compare with.", str("One value."), { minItems: 1 }),
                    },
                    { required: ["key", "operator", "values"], tsName: "BGPPeerV1beta1NodeSelectorRequirement" },
                  ),
                ),
              },
              { tsName: "BGPPeerV1beta1NodeSelector" },
            ),
          ),
          password: field.password,
          bfdProfile: field.bfdProfile,
          ebgpMultiHop: field.ebgpMultiHop,
        },
        { required: ["myASN", "peerASN", "peerAddress"] },
      ),
      status,
    },
  ],
};
