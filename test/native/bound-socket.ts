/**
 * Sockets bound to a device (SO_BINDTODEVICE, what a BGPPeer `vrf` does with the VRF device), for
 * native/bind-device.netns.spec.ts, run inside a node namespace:
 *
 *   bound-socket.ts tcp <device|-> <host> <port>                 -> "local <address>" once connected
 *   bound-socket.ts udp <device|-> <local> <host> <port> <count> -> "sent <count>"
 */
import { createSocket } from "node:dgram";
import { connectFd } from "../../speaker/bgp/dial";
import { openMd5Socket, openUdpSocket } from "../../native/index";

const [mode = "", device = "-", ...args] = process.argv.slice(2);
const bound = device === "-" ? {} : { device };

async function main(): Promise<void> {
  if (mode === "tcp") {
    const [host = "", port = "0"] = args;
    const socket = await connectFd(openMd5Socket({ family: 4, ...bound }), Number(port), host);
    process.stdout.write(`local ${socket.localAddress ?? "?"}\n`);
    socket.destroy();
    return;
  }
  if (mode === "udp") {
    const [local = "", host = "", port = "0", count = "1"] = args;
    const socket = createSocket("udp4");
    await new Promise<void>(resolve => {
      if (device === "-") socket.bind(0, local, resolve);
      else socket.bind({ fd: openUdpSocket({ family: 4, localAddress: local, ...bound }) }, resolve);
    });
    for (let i = 0; i < Number(count); i++) await new Promise<void>((resolve, reject) => socket.send(Buffer.from("x"), Number(port), host, e => (e ? reject(e) : resolve())));
    process.stdout.write(`sent ${count}\n`);
    socket.close();
    return;
  }
  throw new Error(`unknown mode ${mode}`);
}

main().catch((error: unknown) => {
  process.stdout.write(`error ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
