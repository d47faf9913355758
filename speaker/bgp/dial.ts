/**
 * Opening the TCP connection of one session as its BGPPeer asks: from the local address, with the
 * TCP MD5 key (RFC 2385) and the TTL (1 towards a directly connected eBGP peer, 255 with
 * ebgpMultiHop or iBGP). Node's net can set neither, so the native addon makes the socket, sets the
 * options and hands the fd to a net.Socket, which connects it.
 *
 * Without the addon (not Linux, not built) a session without a password still connects through
 * plain net, with the kernel's default TTL; one with a password fails with the addon's reason, as
 * connecting without the key would only be dropped silently by the peer.
 */
import { Socket } from "node:net";
import { nativeAvailable, openMd5Socket, loadNative } from "../../native/index";
import { dialTcp } from "./tcp-connect";
import type { BgpSessionSpec } from "./sessions";

export type ConnectPeer = (spec: BgpSessionSpec) => Promise<Socket>;

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

export const dialPeer: ConnectPeer = async spec => {
  if (!nativeAvailable()) {
    if (spec.md5Key !== undefined) loadNative(); // throws the addon's own explanation
    return dialTcp({ host: spec.peerAddress, port: spec.peerPort, ...(spec.localAddress ? { localAddress: spec.localAddress } : {}) });
  }
  const fd = openMd5Socket({
    family: spec.family === "IPv4" ? 4 : 6,
    ...(spec.localAddress ? { localAddress: spec.localAddress } : {}),
    ttl: spec.ttl,
    ...(spec.md5Key !== undefined ? { md5: { peer: spec.peerAddress, key: spec.md5Key } } : {}),
  });
  return connectFd(fd, spec.peerPort, spec.peerAddress);
};
