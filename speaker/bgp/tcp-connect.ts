/**
 * Opening a plain TCP connection to a peer. A session with an MD5 key (RFC 2385) needs a socket
 * option Node cannot set: the data plane dials those through the native addon instead
 * (dataplane/dial.ts, native/index.ts openMd5Socket).
 */
import { connect, type Socket } from "node:net";

export interface DialOptions {
  readonly host: string;
  readonly port?: number;
  readonly localAddress?: string;
}

/** Resolves with a connected socket, or rejects with the connection error. */
export function dialTcp(o: DialOptions): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: o.host, port: o.port ?? 179, ...(o.localAddress ? { localAddress: o.localAddress } : {}) });
    socket.setNoDelay(true);
    const failed = (e: Error) => {
      socket.destroy();
      reject(e);
    };
    socket.once("error", failed);
    socket.once("connect", () => {
      socket.removeListener("error", failed);
      resolve(socket);
    });
  });
}
