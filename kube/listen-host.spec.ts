import { once } from "node:events";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { withListenHost } from "./listen-host";

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map(s => new Promise(r => s.close(r))));
});

/** What Pepr's Controller.startServer does: a port-only listen. */
const peprLikeStart = (): Server => {
  const s = createServer({}).listen(0);
  servers.push(s);
  return s;
};

describe("withListenHost", () => {
  it("binds Pepr's port-only listen to the given address", async () => {
    let server: Server | undefined;
    withListenHost("127.0.0.1", () => (server = peprLikeStart()));
    await once(server as Server, "listening");
    expect((server?.address() as AddressInfo).address).toBe("127.0.0.1");
  });

  it("listens on every interface without a host (Pepr's own behaviour), and undoes the patch", async () => {
    let server: Server | undefined;
    withListenHost(undefined, () => (server = peprLikeStart()));
    await once(server as Server, "listening");
    expect((server?.address() as AddressInfo).address).toMatch(/^(::|0\.0\.0\.0)$/);
    withListenHost("127.0.0.1", () => {});
    const later = peprLikeStart();
    await once(later, "listening");
    expect((later.address() as AddressInfo).address).toMatch(/^(::|0\.0\.0\.0)$/);
  });

  it("keeps the host for a later retry of the same server (Pepr's EADDRINUSE path)", async () => {
    let server: Server | undefined;
    withListenHost("127.0.0.1", () => (server = peprLikeStart()));
    await once(server as Server, "listening");
    await new Promise(r => server?.close(r));
    server?.listen(0);
    await once(server as Server, "listening");
    expect((server?.address() as AddressInfo).address).toBe("127.0.0.1");
  });
});
