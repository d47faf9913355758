/**
 * A call on a connection that went dead waits for no answer: resetConnections(reason) cuts it, as the
 * controller's port does when the API server answers again after a silence. The server here reads the
 * request and never answers, as an API server behind a link that drops packets does.
 */
import { createServer, type Server, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { ApiError } from "../controller-port";
import { RestClient } from "./rest-client";

let server: Server | undefined;
const sockets: Socket[] = [];

afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await new Promise(resolve => (server ? server.close(resolve) : resolve(undefined)));
  server = undefined;
});

/** A server that reads each request and never answers; resolves with its port and a promise of the first request. */
function silentServer(): Promise<{ port: number; requested: Promise<string> }> {
  return new Promise(resolve => {
    let firstRequest: (line: string) => void = () => undefined;
    const requested = new Promise<string>(r => (firstRequest = r));
    server = createServer(socket => {
      sockets.push(socket);
      socket.once("data", (chunk: Buffer) => firstRequest(chunk.toString("latin1").split("\r\n")[0] ?? ""));
    });
    server.listen(0, "127.0.0.1", () => resolve({ port: (server!.address() as { port: number }).port, requested }));
  });
}

describe("RestClient.resetConnections", () => {
  it("with a reason, cuts a call still waiting for its answer: it fails at once with an ApiError naming the call and the reason", async () => {
    const { port, requested } = await silentServer();
    const client = new RestClient({ server: new URL(`http://127.0.0.1:${port}`), source: "test" }, "lodestone-controller");
    const call = client.request("PATCH", "/api/v1/namespaces/default/services/web/status", "application/merge-patch+json", { status: {} });
    const failure = call.catch((e: unknown) => e);
    expect(await requested).toBe("PATCH /api/v1/namespaces/default/services/web/status HTTP/1.1");
    client.resetConnections("the API server came back after a silence: sent again on a fresh connection");
    const e = await failure;
    expect(e).toBeInstanceOf(ApiError);
    expect((e as ApiError).status).toBe(0);
    expect((e as ApiError).message).toBe("PATCH /api/v1/namespaces/default/services/web/status: the API server came back after a silence: sent again on a fresh connection");
    client.close();
  });

  it("without a reason, leaves calls in flight to their own timeout", async () => {
    const { port, requested } = await silentServer();
    const client = new RestClient({ server: new URL(`http://127.0.0.1:${port}`), source: "test" });
    let settled = false;
    const call = client.request("GET", "/api/v1/nodes").finally(() => (settled = true));
    call.catch(() => undefined);
    await requested;
    client.resetConnections();
    // The cut, were there one, happens synchronously in resetConnections; a macrotask later nothing has settled.
    await new Promise(r => setImmediate(r));
    expect(settled).toBe(false);
    client.close();
  });
});
