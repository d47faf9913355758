/**
 * Dialing a peer with a TCP MD5 key (RFC 2385): the native addon makes the socket and sets the key,
 * Node connects it. A wrong or missing key on either side makes the peer drop our SYNs silently, so
 * this simply never resolves until the FSM's connect timer gives up on it.
 */
import { isIPv6, Socket } from "node:net";
import { openMd5Socket } from "../../../../native";

export function dialMd5(o: { readonly host: string; readonly localAddress: string; readonly key: string; readonly port?: number }): Promise<Socket> {
  const fd = openMd5Socket({ family: isIPv6(o.host) ? 6 : 4, localAddress: o.localAddress, md5: { peer: o.host, key: o.key } });
  const socket = new Socket({ fd, readable: true, writable: true });
  socket.setNoDelay(true);
  return new Promise((resolve, reject) => {
    const failed = (e: Error) => {
      socket.destroy();
      reject(e);
    };
    socket.once("error", failed);
    socket.connect(o.port ?? 179, o.host, () => {
      socket.removeListener("error", failed);
      resolve(socket);
    });
  });
}
