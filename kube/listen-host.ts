/**
 * Binds the webhook server to one address. Pepr 1.1.4 starts its HTTPS server with
 * `createServer(...).listen(port)` (node_modules/pepr/dist/lib.js, Controller.startServer), which
 * listens on every interface and takes no host. While `start` runs, a port-only `listen` on an
 * https.Server is given `host`, and the server keeps that host for Pepr's later retries
 * (EADDRINUSE). Nothing else is touched: the patch is undone before this returns.
 */
import { Server } from "node:https";

type Listen = (this: Server, ...args: unknown[]) => Server;

export function withListenHost(host: string | undefined, start: () => void): void {
  if (!host) {
    start();
    return;
  }
  const original = Server.prototype.listen as unknown as Listen;
  const pinned: Listen = function (this: Server, ...args: unknown[]) {
    if (args.length === 1 && typeof args[0] === "number") {
      // Own property: this server's later listen(port) calls stay on the host too.
      (this as unknown as { listen: Listen }).listen = pinned;
      return original.call(this, args[0], host);
    }
    return original.apply(this, args);
  };
  Server.prototype.listen = pinned as unknown as typeof Server.prototype.listen;
  try {
    start();
  } finally {
    Server.prototype.listen = original as unknown as typeof Server.prototype.listen;
  }
}
