/**
 * A TCP port free on 127.0.0.1 now: the kernel picks one for a listener that is closed at once. Another
 * process may take it before the caller binds it; the callers start one server each, right after.
 */
import { createServer } from "node:net";

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === "object" && addr ? resolve(addr.port) : reject(new Error("no free port on 127.0.0.1"))));
    });
  });
}
