/** Builders of raw metallb.io objects and a one-line view of parse results, for the config specs. */
import { parseConfig, type ConfigInput } from "../../../core/config/parse";
import { formatProblem } from "../../../core/config/types";

export const NS = "metallb-system";

export function obj(kind: string, name: string, spec: unknown, apiVersion = kind === "BGPPeer" ? "metallb.io/v1beta2" : "metallb.io/v1beta1"): Record<string, unknown> {
  return { apiVersion, kind, metadata: { name, namespace: NS }, spec };
}

export const pool = (name: string, addresses: unknown, more: Record<string, unknown> = {}) => obj("IPAddressPool", name, { addresses, ...more });
export const peer = (name: string, spec: Record<string, unknown>) => obj("BGPPeer", name, { myASN: 64500, peerASN: 64501, peerAddress: "192.0.2.1", ...spec });
export const l2 = (name: string, spec: Record<string, unknown> = {}) => obj("L2Advertisement", name, spec);
export const bgpAdv = (name: string, spec: Record<string, unknown> = {}) => obj("BGPAdvertisement", name, spec);
export const bfd = (name: string, spec: Record<string, unknown> = {}) => obj("BFDProfile", name, spec);
export const communities = (name: string, entries: { name: unknown; value: unknown }[]) => obj("Community", name, { communities: entries });

/** Parses and answers the problem lines (with a `(transient)` suffix where it applies). */
export function lines(objects: unknown[], extra: Partial<ConfigInput> = {}): string[] {
  const r = parseConfig({ namespace: NS, objects, ...extra });
  return r.problems.map(p => formatProblem(p) + (p.transient ? " (transient)" : ""));
}
