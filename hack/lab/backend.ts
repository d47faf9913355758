/**
 * The lab's stand-in for the nginx Pods: runs inside a node namespace and answers every HTTP request
 * with the node's name and the address it was reached on, so a request to a VIP says which node
 * received it. Listens on all addresses (the VIPs sit on lo, as kube-proxy would accept them).
 *
 *   tsx hack/lab/backend.ts NODE PORT[,PORT...]      prints `listening PORTS` once every port is bound
 */
import { createServer, type Server } from "node:http";

const [node, portList] = process.argv.slice(2);
const ports = (portList ?? "").split(",").filter(Boolean).map(Number);
if (!node || ports.length === 0 || ports.some((p) => !Number.isInteger(p) || p <= 0 || p > 65535)) {
  process.stderr.write("usage: backend.ts NODE PORT[,PORT...]\n");
  process.exit(2);
}

const servers: Server[] = ports.map((port) =>
  createServer((req, res) => {
    const local = req.socket.localAddress ?? "?";
    res.writeHead(200, { "content-type": "text/plain", connection: "close" });
    res.end(`hello from ${node} (${local}:${port})\n`);
  }),
);
void Promise.all(servers.map((server, i) => new Promise<void>((resolve, reject) => {
  server.once("error", reject);
  server.listen(ports[i], "0.0.0.0", resolve);
}))).then(
  () => process.stdout.write(`listening ${ports.join(",")}\n`),
  (error: unknown) => {
    process.stderr.write(`backend: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
process.on("SIGTERM", () => process.exit(0));
