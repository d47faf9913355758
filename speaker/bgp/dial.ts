/**
 * Opening the TCP connection of one session as its BGPPeer asks: from the local address, with the
 * TCP MD5 key (RFC 2385) and the TTL (1 towards a directly connected eBGP peer, 255 with
 * ebgpMultiHop or iBGP). Node's net can set neither, so the native addon makes the socket, sets the
 * options and hands the fd to a net.Socket, which connects it.
 *
 * A session in a VRF (BGPPeer `vrf`) gets its socket bound to the VRF device (SO_BINDTODEVICE) before
 * anything else, so that its source address, its route to the peer and the peer's replies all come
 * from the VRF's table (docs.kernel.org/networking/vrf.html). An unnumbered session (`interface`)
 * first finds the router on its interface (./link-peer.ts), then connects to that link-local address
 * with the interface as scope ("fe80::1%eth1"); the kernel picks our link-local address as source.
 *
 * Without the addon (not Linux, not built) a session without a password or VRF still connects through
 * plain net, with the kernel's default TTL; one with a password fails with the addon's reason, as
 * connecting without the key would only be dropped silently by the peer, and one in a VRF too, as
 * connecting outside it would reach the wrong network.
 */
import { Socket } from "node:net";
import { nativeAvailable, openMd5Socket, loadNative } from "../../native/index";
import { dialTcp } from "./tcp-connect";
import { findLinkPeer } from "./link-peer";
import type { BgpSessionSpec } from "./sessions";


/** Connects a socket the native addon made (options already set) to host:port, as a net.Socket. */
export function connectFd(fd: number, port: number, host: string): Promise<Socket> {
  const socket = new Socket({ fd, readable: true, writable: true });
  socket.setNoDelay(true);
  return new Promise((resolve, reject) => {
    const failed = (e: Error) => {
      socket.destroy();
      reject(e);
    };
    socket.once("error", failed);
    socket.connect(port, host, () => {
      socket.removeListener("error", failed);
      resolve(socket);
    });
  });
}

/** How long an unnumbered dial waits for the router on its interface to show up before it fails (and the FSM retries). */
export const LINK_PEER_TIMEOUT_MS = 5_000;

/** What an unnumbered dial needs besides the spec: a way to make the router advertise itself now. */
export interface UnnumberedHooks {
  readonly solicit?: () => void;
  /** Told the router's address once found (status and logs). */
  readonly found?: (address: string) => void;
}

export const dialPeer = async (spec: BgpSessionSpec, hooks: UnnumberedHooks = {}): Promise<Socket> => {
  if (spec.interface !== undefined) {
    hooks.solicit?.();
    const peer = await findLinkPeer(spec.interface, LINK_PEER_TIMEOUT_MS);
    hooks.found?.(peer);
    const fd = openMd5Socket({
      family: 6,
      ttl: spec.ttl,
      ...(spec.vrf !== undefined ? { device: spec.vrf } : {}),
      ...(spec.md5Key !== undefined ? { md5: { peer, key: spec.md5Key } } : {}),
    });
    return connectFd(fd, spec.peerPort, `${peer}%${spec.interface}`);
  }
  if (!nativeAvailable()) {
    if (spec.md5Key !== undefined || spec.vrf !== undefined) loadNative(); // throws the addon's own explanation
    return dialTcp({ host: spec.peerAddress, port: spec.peerPort, ...(spec.localAddress ? { localAddress: spec.localAddress } : {}) });
  }
  const fd = openMd5Socket({
    family: spec.family === "IPv4" ? 4 : 6,
    ...(spec.localAddress ? { localAddress: spec.localAddress } : {}),
    ...(spec.vrf !== undefined ? { device: spec.vrf } : {}),
    ttl: spec.ttl,
    ...(spec.md5Key !== undefined ? { md5: { peer: spec.peerAddress, key: spec.md5Key } } : {}),
  });
  return connectFd(fd, spec.peerPort, spec.peerAddress);
};
