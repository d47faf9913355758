/**
 * BGP error codes (RFC 4271 section 4.5, RFC 4486, RFC 5492, RFC 6608, RFC 7313) and the decode
 * error that every decoder returns instead of throwing.
 *
 * An error carries what a NOTIFICATION needs (code, subcode, data) plus how RFC 7606 says the
 * receiver must react: reset the session, treat the UPDATE's routes as withdrawn, or drop just
 * the one attribute and keep the rest.
 */

export const ErrorCode = {
  MessageHeader: 1,
  OpenMessage: 2,
  UpdateMessage: 3,
  HoldTimerExpired: 4,
  FiniteStateMachine: 5,
  Cease: 6,
  RouteRefreshMessage: 7,
} as const;

export const HeaderSubcode = {
  ConnectionNotSynchronized: 1,
  BadMessageLength: 2,
  BadMessageType: 3,
} as const;

export const OpenSubcode = {
  Unspecific: 0,
  UnsupportedVersionNumber: 1,
  BadPeerAS: 2,
  BadBGPIdentifier: 3,
  UnsupportedOptionalParameter: 4,
  UnacceptableHoldTime: 6,
  UnsupportedCapability: 7,
} as const;

export const UpdateSubcode = {
  MalformedAttributeList: 1,
  UnrecognizedWellKnownAttribute: 2,
  MissingWellKnownAttribute: 3,
  AttributeFlagsError: 4,
  AttributeLengthError: 5,
  InvalidOriginAttribute: 6,
  InvalidNextHopAttribute: 8,
  OptionalAttributeError: 9,
  InvalidNetworkField: 10,
  MalformedASPath: 11,
} as const;

export const FsmSubcode = {
  Unspecified: 0,
  UnexpectedMessageInOpenSent: 1,
  UnexpectedMessageInOpenConfirm: 2,
  UnexpectedMessageInEstablished: 3,
} as const;

export const CeaseSubcode = {
  MaximumPrefixesReached: 1,
  AdministrativeShutdown: 2,
  PeerDeconfigured: 3,
  AdministrativeReset: 4,
  ConnectionRejected: 5,
  OtherConfigurationChange: 6,
  ConnectionCollisionResolution: 7,
  OutOfResources: 8,
  HardReset: 9,
} as const;

export const RouteRefreshSubcode = {
  InvalidMessageLength: 1,
} as const;

/** RFC 7606 section 2: the approaches, from most to least severe. */
export type ErrorAction = "session-reset" | "treat-as-withdraw" | "attribute-discard";

export interface BgpError {
  readonly code: number;
  readonly subcode: number;
  /** The NOTIFICATION data field, as RFC 4271 defines it for this error. */
  readonly data: Buffer;
  readonly action: ErrorAction;
  /** For logs; tests assert on it, so keep the wording stable. */
  readonly message: string;
}

export type Decoded<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: BgpError };

export function bgpError(code: number, subcode: number, message: string, data: Buffer = Buffer.alloc(0), action: ErrorAction = "session-reset"): BgpError {
  return { code, subcode, data, action, message };
}

export const ok = <T>(value: T): Decoded<T> => ({ ok: true, value });
export const fail = <T>(error: BgpError): Decoded<T> => ({ ok: false, error });
