/**
 * Names of NOTIFICATION codes and subcodes for logs and status, as the IANA "BGP Error (Notification)
 * Codes", "OPEN Message Error subcodes" and "BGP Cease NOTIFICATION message subcodes" registries list them
 * (https://www.iana.org/assignments/bgp-parameters/bgp-parameters.xhtml): RFC 4271 4.5, RFC 7313 (7),
 * RFC 4486, RFC 8538 (9) and RFC 9384 (10, which FRR sends when its BFD session goes down).
 */
import { CeaseSubcode, ErrorCode, OpenSubcode } from "./errors";

const CODE_NAMES: Readonly<Record<number, string>> = {
  [ErrorCode.MessageHeader]: "message header error",
  [ErrorCode.OpenMessage]: "OPEN message error",
  [ErrorCode.UpdateMessage]: "UPDATE message error",
  [ErrorCode.HoldTimerExpired]: "hold timer expired",
  [ErrorCode.FiniteStateMachine]: "finite state machine error",
  [ErrorCode.Cease]: "cease",
  [ErrorCode.RouteRefreshMessage]: "ROUTE-REFRESH message error",
};

const CEASE_NAMES: Readonly<Record<number, string>> = {
  [CeaseSubcode.MaximumPrefixesReached]: "maximum number of prefixes reached",
  [CeaseSubcode.AdministrativeShutdown]: "administrative shutdown",
  [CeaseSubcode.PeerDeconfigured]: "peer de-configured",
  [CeaseSubcode.AdministrativeReset]: "administrative reset",
  [CeaseSubcode.ConnectionRejected]: "connection rejected",
  [CeaseSubcode.OtherConfigurationChange]: "other configuration change",
  [CeaseSubcode.ConnectionCollisionResolution]: "connection collision resolution",
  [CeaseSubcode.OutOfResources]: "out of resources",
  [CeaseSubcode.HardReset]: "hard reset",
  10: "BFD down",
};

/** OPEN message error subcodes (RFC 4271 4.5, RFC 5492 for 7): the ones a misconfigured peer AS or timer shows. */
const OPEN_NAMES: Readonly<Record<number, string>> = {
  [OpenSubcode.UnsupportedVersionNumber]: "unsupported version number",
  [OpenSubcode.BadPeerAS]: "bad peer AS",
  [OpenSubcode.BadBGPIdentifier]: "bad BGP identifier",
  [OpenSubcode.UnsupportedOptionalParameter]: "unsupported optional parameter",
  [OpenSubcode.UnacceptableHoldTime]: "unacceptable hold time",
  [OpenSubcode.UnsupportedCapability]: "unsupported capability",
};

/** "6/2 (administrative shutdown)", "2/2 (bad peer AS)", "4/0 (hold timer expired)", "9/1 (code 9)". */
export function describeNotification(code: number, subcode: number): string {
  const bySubcode = code === ErrorCode.Cease ? CEASE_NAMES : code === ErrorCode.OpenMessage ? OPEN_NAMES : undefined;
  const name = bySubcode?.[subcode] ?? CODE_NAMES[code] ?? `code ${code}`;
  return `${code}/${subcode} (${name})`;
}
