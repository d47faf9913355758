/**
 * The bed of the BGP unnumbered interop tests: one node and the router of hack/netns, plus a veth
 * between them (`unn` on the router, `eth1` on the node) with no address configured, so nothing
 * but the kernel's IPv6 link-local addresses on it; the VIPs on the node's loopback; and the
 * BGPPeer that peers over that link (BGPPeer `interface`, no peerAddress).
 */
import { Bed, type Host } from "../../../../hack/netns";
import type { BGPPeer } from "../../../../core/config/types";
import { bgpPeer } from "../../dataplane/peers";
import { eventually } from "../routers/poll";

export const ROUTER_AS = 64500;
export const NODE_AS = 64512;
/** The router's end of the unnumbered link. */
export const ROUTER_LINK = "unn";
/** The node's end of the unnumbered link. */
export const NODE_LINK = "eth1";

/** The peer on NODE_LINK with short timers (hold 9 s, keepalive 3 s). */
export const unnumberedPeer = (over: Partial<BGPPeer> = {}): BGPPeer =>
  bgpPeer({ myASN: NODE_AS, peerASN: ROUTER_AS, peerAddress: "", interface: NODE_LINK, holdTimeS: 9, keepaliveTimeS: 3, ...over });

export interface UnnumberedLinkBed {
  readonly bed: Bed;
  readonly node: Host;
  /** The node's link-local address on NODE_LINK (the one the router peers with). */
  readonly nodeLinkLocal: string;
}

/** Builds the bed with `vips` (IPv4 or IPv6 addresses) on the node's loopback; the caller destroys `bed`. */
export async function createUnnumberedLinkBed(vips: readonly string[]): Promise<UnnumberedLinkBed> {
  const bed = await Bed.create({ nodes: 1 });
  const node = bed.nodes[0] as Host;
  // The unnumbered link: a veth with no address configured, so only the kernel's link-local ones.
  await bed.router.ip([`link add ${ROUTER_LINK} type veth peer name ${NODE_LINK} netns ${node.ns.name}`, `link set ${ROUTER_LINK} up`]);
  await node.ns.ip([`link set ${NODE_LINK} up`, ...vips.map(vip => `addr add ${vip}/${vip.includes(":") ? 128 : 32} dev lo`)]);
  // The router's ping arrives on eth1 from its br0 address, and the reply leaves by eth0 (the bed's bridge).
  await node.ns.exec(["sysctl", "-q", "-w", "net.ipv4.conf.all.rp_filter=0", `net.ipv4.conf.${NODE_LINK}.rp_filter=0`]);
  const nodeLinkLocal = await eventually(async () => {
    const { stdout } = await node.ns.exec(["ip", "-6", "-json", "addr", "show", "dev", NODE_LINK, "scope", "link"]);
    return (JSON.parse(stdout) as { addr_info: { local: string }[] }[])[0]?.addr_info[0]?.local;
  }, "the node's link-local address");
  return { bed, node, nodeLinkLocal };
}
