/**
 * A capture for the network-namespace tests, run in the client namespace: every ARP frame and every
 * ICMPv6 Neighbor Advertisement that reaches IFNAME, printed as `frame MS HEX` (MS: milliseconds since
 * the capture opened, from a monotonic clock). Prints `ready` once both sockets are open.
 *
 *   test/l2/frame-capture.ts IFNAME
 */
import { ETH_P_ARP, ETH_P_IPV6, ICMPV6_NEIGHBOR_ADVERTISEMENT, arpFilter, ndpFilter } from "../../native/bpf";
import { PacketSocket } from "../../native/index";

const [ifname = "br0"] = process.argv.slice(2);
const start = performance.now();
const print = (frame: Buffer): void => void process.stdout.write(`frame ${(performance.now() - start).toFixed(1)} ${frame.toString("hex")}\n`);
const sockets = [PacketSocket.open(ifname, ETH_P_ARP, arpFilter()), PacketSocket.open(ifname, ETH_P_IPV6, ndpFilter([ICMPV6_NEIGHBOR_ADVERTISEMENT]))];
for (const socket of sockets) socket.onFrame(print);
process.stdout.write("ready\n");
process.on("SIGTERM", () => {
  for (const socket of sockets) socket.close();
  process.exit(0);
});
