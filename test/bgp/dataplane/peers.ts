/** A BGPPeer as parseConfig gives it with MetalLB's defaults (eBGP, directly connected), for tests. */
import type { BGPPeer } from "../../../core/config/types";

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
