/**
 * The receiving end of the soak's heartbeats (bfd-soak.ts starts it in the router namespace): binds
 * ADDRESS:PORT, verifies each heartbeat under KEY (hex) and measures the gaps between arrivals from the
 * moment the first one comes. A gap over 250 ms is one a peer would have taken for a dead node.
 * On stdin "report" it prints one line: `gaps {"heartbeats","gap_ms_max","gaps_over_250ms","refused"}`.
 *
 *   heartbeat-gaps.ts ADDRESS PORT KEY
 */
import dgram from "node:dgram";
import { createInterface } from "node:readline";
import { decodeHeartbeat } from "../../protocols/l2/heartbeat";

const [address = "192.0.2.1", port = "7946", keyHex = ""] = process.argv.slice(2);
const key = Buffer.from(keyHex, "hex");
const socket = dgram.createSocket(address.includes(":") ? "udp6" : "udp4");
let last: number | undefined;
let heartbeats = 0;
let refused = 0;
let gapMax = 0;
const over: number[] = [];
socket.on("message", msg => {
  const now = performance.now();
  if (decodeHeartbeat(msg, [key]).kind !== "ok") {
    refused++;
    return;
  }
  heartbeats++;
  if (last !== undefined) {
    const gap = now - last;
    gapMax = Math.max(gapMax, gap);
    if (gap > 250) over.push(Math.round(gap));
  }
  last = now;
});
socket.bind(Number(port), address, () => process.stdout.write("listening\n"));
createInterface({ input: process.stdin }).on("line", line => {
  if (line.trim() !== "report") return;
  process.stdout.write(`gaps ${JSON.stringify({ heartbeats, gap_ms_max: Math.round(gapMax), gaps_over_250ms: over, refused })}\n`);
  socket.close();
  process.exit(0);
});
