/**
 * Rules between BGPPeers that can run on the same node. All sessions of one node belong to one BGP
 * speaker, which has one router ID, and per VRF one local ASN and one session per address or
 * interface (MetalLB's FRR modes: a `router bgp ASN vrf NAME` block per VRF).
 */
import { peer as issues, type Reporter } from "./problems";
import { selectNames, selectorListsCanIntersect } from "./selector";
import type { BGPAdvertisement, BGPPeer, BFDProfile, Pool } from "./types";
import type { NodeInfo } from "./bgp-advertisements";

/** Whether two peers can select a common node: from the Nodes when known, else from the selectors. */
export function peersShareANode(a: BGPPeer, b: BGPPeer, nodes?: readonly NodeInfo[]): boolean {
  if (!nodes) return selectorListsCanIntersect(a.nodeSelectors, b.nodeSelectors);
  const left = new Set(selectNames(a.nodeSelectors, nodes));
  return selectNames(b.nodeSelectors, nodes).some(n => left.has(n));
}

/** `peers` in input order; the later peer of a conflicting pair is reported. */
export function checkPeersPerNode(peers: readonly { peer: BGPPeer; report: Reporter }[], nodes?: readonly NodeInfo[]): void {
  peers.forEach(({ peer, report }, i) => {
    for (const { peer: other } of peers.slice(0, i)) {
      if (!peersShareANode(peer, other, nodes)) continue;
      const sameVrf = (peer.vrf ?? "") === (other.vrf ?? "");
      // A peer is known by its address or its interface, within its VRF (one router per VRF).
      if (sameVrf && peer.interface !== undefined && peer.interface === other.interface) report("spec.interface", issues.sameNode(other.name, "interface"));
      else if (sameVrf && peer.peerAddress !== "" && peer.peerAddress === other.peerAddress) report("spec.peerAddress", issues.sameNode(other.name));
      if ((peer.routerID ?? "") !== (other.routerID ?? ""))
        report("spec.routerID", issues.routerIDConflict(other.name, peer.routerID ?? "", other.routerID ?? ""));
      if (sameVrf && peer.myASN !== other.myASN) report("spec.myASN", issues.myASNConflict(other.name, peer.myASN, other.myASN, peer.vrf ?? ""));
    }
  });
}

/** BFD echo mode cannot work for a peer that receives an IPv6 pool's routes (MetalLB's rule); over multihop it is not used (a warning). */
export function checkEchoWithIPv6(
  peers: readonly { peer: BGPPeer; report: Reporter }[],
  advertisements: readonly BGPAdvertisement[],
  pools: ReadonlyMap<string, Pool>,
  profiles: ReadonlyMap<string, BFDProfile>,
  warnings: string[] = [],
): void {
  for (const { peer, report } of peers) {
    const profile = peer.bfdProfile === undefined ? undefined : profiles.get(peer.bfdProfile);
    if (!profile?.echoMode) continue;
    // MetalLB accepts it and FRR's bfdd skips echo on multihop sessions; so do we, and say so.
    if (peer.ebgpMultiHop) warnings.push(`BGPPeer/${peer.name}: ${issues.echoOverMultihop(profile.name)}`);
    for (const adv of advertisements) {
      if (adv.peers.length > 0 && !adv.peers.includes(peer.name)) continue;
      const v6Pool = adv.pools.find(p => pools.get(p)?.families.includes("IPv6"));
      if (v6Pool === undefined) continue;
      report("spec.bfdProfile", issues.echoWithIPv6(v6Pool, adv.name, peer.name));
      break;
    }
  }
}
