/**
 * For tests: a BGPPeer as parseConfig gives it with MetalLB's defaults (eBGP, directly connected),
 * and the session desiredSession derives from it on node1 (192.0.2.11).
 */
import type { BGPPeer } from "../../../core/config/types";
import type { BgpSessionSpec } from "../../../speaker/bgp/sessions";

export const bgpPeer = (over: Partial<BGPPeer> = {}): BGPPeer => ({
  name: "tor",
  myASN: 64512,
  peerASN: 64500,
  peerAddress: "192.0.2.1",
  peerPort: 179,
  holdTimeS: 90,
  keepaliveTimeS: 30,
  connectTimeS: 120,
  nodeSelectors: [],
  ebgpMultiHop: false,
  enableGracefulRestart: false,
  ...over,
});

/** node1's IPv4 address, 192.0.2.11, as a 32-bit number: the router ID desiredSession gives node1. */
const NODE1_ROUTER_ID = 0xc000020b;

/** The session of bgpPeer() from node1: IPv4 from 192.0.2.11, TTL 1, MetalLB's hold and keepalive times, no BFD. */
export const bgpSessionSpec = (over: Partial<BgpSessionSpec> = {}): BgpSessionSpec => ({
  peerAddress: "192.0.2.1",
  peerPort: 179,
  family: "IPv4",
  localAddress: "192.0.2.11",
  myAsn: 64512,
  peerAsn: 64500,
  dynamicAsn: undefined,
  dualStack: false,
  otherNextHop: undefined,
  routerId: NODE1_ROUTER_ID,
  holdTimeS: 90,
  keepaliveTimeS: 30,
  connectTimeS: undefined,
  md5Key: undefined,
  ttl: 1,
  gracefulRestart: false,
  bfdMultihop: false,
  ...over,
});
