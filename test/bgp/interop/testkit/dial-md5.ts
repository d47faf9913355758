/**
 * Dialing a peer with a TCP MD5 key (RFC 2385): the native addon makes the socket and sets the key,
 * Node connects it. A wrong or missing key on either side makes the peer drop our SYNs silently, so
 * this simply never resolves until the FSM's connect timer gives up on it.
 */
import { isIPv6, type Socket } from "node:net";
import { openMd5Socket } from "../../../../native";
import { connectFd } from "../../../../speaker/bgp/dial";

export function dialMd5(o: { readonly host: string; readonly localAddress: string; readonly key: string; readonly port?: number }): Promise<Socket> {
  const fd = openMd5Socket({ family: isIPv6(o.host) ? 6 : 4, localAddress: o.localAddress, md5: { peer: o.host, key: o.key } });
  return connectFd(fd, o.port ?? 179, o.host);
}
