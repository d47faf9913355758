/**
 * Legacy `peers` to BGPPeer (v1beta2) resources, with the legacy parser's peer checks.
 *
 * Legacy peers had no names; each BGPPeer is named after its address (`peer-192.0.2.1`), which stays
 * the same when peers are reordered, with -2, -3... for further sessions to the same address.
 */
import { q } from "../problems";
import { formatIP, parseIP } from "../../net/ip";
import { formatNs, parseGoDuration, wholeSeconds } from "./duration";
import { join, type Reader } from "./fields";
import { NameAllocator, peerObjectName } from "./names";
import { resource, setIfPresent, type ConvertedObject } from "./resources";
import { readNodeSelectors } from "./selectors";
import type { LegacyNode } from "./tree";

const FIELDS = [
  "my-asn", "peer-asn", "peer-address", "source-address", "peer-port", "hold-time",
  "keepalive-time", "router-id", "node-selectors", "password", "bfd-profile", "ebgp-multihop",
] as const;

const UINT32_MAX = 4294967295;
/** The CRD caps peerPort at 16384 although the legacy field took any 16-bit port. */
const CRD_MAX_PORT = 16384;
const DEFAULT_HOLD_NS = 90_000_000_000n;
const NS_PER_S = 1_000_000_000n;

export function convertPeers(r: Reader, node: LegacyNode | undefined, namespace: string, bfdProfiles: ReadonlySet<string>): ConvertedObject[] {
  const objects: ConvertedObject[] = [];
  const names = new NameAllocator();
  const seen = new Map<string, number>();
  (r.list(node, "peers") ?? []).forEach((item, i) => {
    const path = `peers[${i}]`;
    const at = (key: string): string => join(path, key);
    const f = r.record(item, path, FIELDS);
    if (!f) return;
    const before = r.problems.length;

    const myASN = r.integer(f.get("my-asn"), at("my-asn"), 0, UINT32_MAX) ?? 0;
    const peerASN = r.integer(f.get("peer-asn"), at("peer-asn"), 0, UINT32_MAX) ?? 0;
    const address = r.string(f.get("peer-address"), at("peer-address")) ?? "";
    const source = r.string(f.get("source-address"), at("source-address"));
    const port = r.integer(f.get("peer-port"), at("peer-port"), 0, 65535);
    const holdText = r.string(f.get("hold-time"), at("hold-time"));
    const keepaliveText = r.string(f.get("keepalive-time"), at("keepalive-time"));
    const routerID = r.string(f.get("router-id"), at("router-id"));
    const nodeSelectors = readNodeSelectors(r, f.get("node-selectors"), at("node-selectors"));
    const password = r.string(f.get("password"), at("password"));
    const bfdProfile = r.string(f.get("bfd-profile"), at("bfd-profile"));
    const ebgpMultiHop = r.bool(f.get("ebgp-multihop"), at("ebgp-multihop"));

    // An ASN that failed to read was reported already; only a zero or absent one is "missing".
    const reported = (field: string): boolean => r.problems.slice(before).some(p => p.field === field);
    if (myASN === 0 && !reported(at("my-asn"))) r.report(at("my-asn"), "missing local ASN");
    if (peerASN === 0 && !reported(at("peer-asn"))) r.report(at("peer-asn"), "missing peer ASN");
    if (myASN !== 0 && myASN === peerASN && ebgpMultiHop === true) {
      r.report(at("ebgp-multihop"), "invalid ebgp-multihop parameter set for an ibgp peer");
    }
    const peerIP = parseIP(address);
    if (!peerIP) r.report(at("peer-address"), `invalid peer IP ${q(address)}`);
    const sourceIP = source === undefined || source === "" ? undefined : parseIP(source);
    if (source !== undefined && source !== "" && !sourceIP) r.report(at("source-address"), `invalid source IP ${q(source)}`);
    const routerIP = routerID === undefined || routerID === "" ? undefined : parseIP(routerID);
    if (routerID !== undefined && routerID !== "" && !routerIP) r.report(at("router-id"), `invalid router ID ${q(routerID)}`);
    if (port !== undefined && port > CRD_MAX_PORT) {
      r.report(at("peer-port"), `port ${port} cannot be converted: a metallb.io BGPPeer accepts ports 1 to ${CRD_MAX_PORT}`);
    }

    let holdNs = DEFAULT_HOLD_NS;
    if (holdText !== undefined && holdText !== "") {
      const hold = parseGoDuration(holdText);
      const rounded = hold.ok ? wholeSeconds(hold.ns) : 0n;
      if (!hold.ok) r.report(at("hold-time"), `invalid hold time ${q(holdText)}: ${hold.reason}`);
      else if (rounded !== 0n && rounded < 3n) r.report(at("hold-time"), `invalid hold time ${q(holdText)}: must be 0 or >=3s`);
      holdNs = rounded * NS_PER_S;
    }
    let keepaliveNs = holdNs / 3n;
    if (keepaliveText !== undefined && keepaliveText !== "") {
      const keepalive = parseGoDuration(keepaliveText);
      if (!keepalive.ok) r.report(at("keepalive-time"), `invalid keepalive time ${q(keepaliveText)}: ${keepalive.reason}`);
      else if (keepalive.ns < 0n) r.report(at("keepalive-time"), `invalid keepalive time ${q(keepaliveText)}: must not be negative`);
      else if (keepalive.ns > holdNs) {
        r.report(at("keepalive-time"), `invalid keepalive time ${q(keepaliveText)}: longer than the hold time ${formatNs(holdNs)}`);
      } else keepaliveNs = keepalive.ns;
    }
    if (bfdProfile !== undefined && bfdProfile !== "" && !bfdProfiles.has(bfdProfile)) {
      r.report(at("bfd-profile"), `peer references bfd profile ${q(bfdProfile)}, which is not defined in bfd-profiles`);
    }
    if (r.problems.length > before || !peerIP) return;

    // Two peers that mean the same session were rejected; compare them with every default applied.
    const identity = JSON.stringify([
      myASN, peerASN, formatIP(peerIP), port || 179, String(holdNs), String(keepaliveNs), routerIP && formatIP(routerIP),
      sourceIP && formatIP(sourceIP), nodeSelectors ?? [], password ?? "", bfdProfile ?? "", ebgpMultiHop ?? false,
    ]);
    const first = seen.get(identity);
    if (first !== undefined) return r.report(path, `duplicate peer: the same session as peers[${first}]`);
    seen.set(identity, i);

    const spec: Record<string, unknown> = { myASN, peerASN, peerAddress: address };
    if (port) spec.peerPort = port;
    if (sourceIP) spec.sourceAddress = source;
    if (routerIP) spec.routerID = routerID;
    if (holdText) spec.holdTime = holdText;
    // Legacy: a keepalive without a hold time kept the 90 s default hold time; a BGPPeer would
    // instead derive hold = 3 x keepalive, so the old default is written out.
    else if (keepaliveText) spec.holdTime = "90s";
    if (keepaliveText) spec.keepaliveTime = keepaliveText;
    if (password) spec.password = password;
    if (bfdProfile) spec.bfdProfile = bfdProfile;
    setIfPresent(spec, "ebgpMultiHop", ebgpMultiHop);
    if (nodeSelectors && nodeSelectors.length > 0) spec.nodeSelectors = nodeSelectors;
    objects.push(resource("BGPPeer", names.derive(peerObjectName(address)), namespace, spec));
  });
  return objects;
}
