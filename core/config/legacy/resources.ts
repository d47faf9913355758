/** The shape of the converted metallb.io objects, keys in the order they are printed. */
export interface ConvertedObject {
  apiVersion: "metallb.io/v1beta1" | "metallb.io/v1beta2";
  kind: "IPAddressPool" | "L2Advertisement" | "BGPAdvertisement" | "Community" | "BFDProfile" | "BGPPeer";
  metadata: { name: string; namespace: string };
  spec: Record<string, unknown>;
}

export function resource(kind: ConvertedObject["kind"], name: string, namespace: string, spec: Record<string, unknown>): ConvertedObject {
  // BGPPeer is written in its storage version; v1beta1 is deprecated and lacks later fields.
  const apiVersion = kind === "BGPPeer" ? "metallb.io/v1beta2" : "metallb.io/v1beta1";
  return { apiVersion, kind, metadata: { name, namespace }, spec };
}

/** Adds `key: value` to a spec only when the legacy config said something (undefined stays out). */
export function setIfPresent(spec: Record<string, unknown>, key: string, value: unknown): void {
  if (value !== undefined) spec[key] = value;
}
