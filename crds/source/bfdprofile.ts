/** BFDProfile: timers for Bidirectional Forwarding Detection, referenced by BGPPeers. */
import type { KindSource } from "./kind";
import { bool, int32, obj } from "./schema";

const intervalMs = (description: string, docDefault: string) =>
  int32(`${description} In milliseconds.`, { minimum: 10, maximum: 60000, docDefault });

export const bfdProfile: KindSource = {
  kind: "BFDProfile",
  plural: "bfdprofiles",
  singular: "bfdprofile",
  origin: "metallb",
  typesFile: "bfdprofile",
  examples: [
    {
      apiVersion: "metallb.io/v1beta1",
      kind: "BFDProfile",
      metadata: { name: "fast", namespace: "metallb-system" },
      spec: { receiveInterval: 100, transmitInterval: 100, detectMultiplier: 3 },
    },
  ],
  description:
    "A named set of BFD session parameters. BGP sessions whose peer names this profile run BFD with these timers, so a dead link is detected in milliseconds rather than at the BGP hold time.",
  versions: [
    {
      name: "v1beta1",
      served: true,
      storage: true,
      statusSubresource: true,
      printerColumns: [
        { name: "Passive Mode", type: "boolean", jsonPath: ".spec.passiveMode" },
        { name: "Transmit Interval", type: "integer", jsonPath: ".spec.transmitInterval" },
        { name: "Receive Interval", type: "integer", jsonPath: ".spec.receiveInterval" },
        { name: "Multiplier", type: "integer", jsonPath: ".spec.detectMultiplier" },
      ],
      spec: obj("The BFD timers and modes.", {
        receiveInterval: intervalMs("The shortest interval between received control packets this system can handle.", "300"),
        transmitInterval: intervalMs("The interval between control packets this system would like to send.", "300"),
        detectMultiplier: int32(
          "How many control packets may be missed in a row before the session is declared down.",
          { minimum: 2, maximum: 255, docDefault: "3 (FRR's default)" },
        ),
        echoInterval: intervalMs("The shortest interval between received echo packets this system can handle. With echoMode, echo packets are sent at this interval, or at the peer's if that is longer.", "50"),
        echoMode: bool("Send echo packets, looped back by the peer's forwarding plane. Not for multi-hop sessions, nor for peers that receive IPv6 pools.", {
          docDefault: "false",
        }),
        passiveMode: bool("Do not start the session: wait for the peer's control packets first.", { docDefault: "false" }),
        minimumTtl: int32("For multi-hop sessions, the lowest TTL accepted on incoming control packets.", {
          minimum: 1,
          maximum: 254,
        }),
      }),
      status: obj("Empty: a BFDProfile has no status.", {}),
    },
  ],
};
