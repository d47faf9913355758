/**
 * Helper process for the network-namespace tests: runs inside a namespace (`ip netns exec`) and uses
 * the addon there, reporting on stdout one line per event ("ready", "frame ...", "connected ...") so
 * the test can await exact lines instead of sleeping. Commands arrive as lines on stdin.
 *
 *   arp-responder IF VIP          answer ARP requests for VIP with IF's MAC, print each frame seen
 *   sniff IF ETHERTYPE FILTER [out]  print every frame (FILTER: none | arp | ndp; out: also outgoing frames);
 *                                 stdin: join|drop MAC, allmulti|promisc on|off, filter NAME, stop, start, unref, close
 *   md5-server ADDR PORT PEER KEY listen with an MD5 key for PEER, greet each connection
 *   md5-client FAMILY PEER PORT KEY MS   connect with KEY ("-" for none), print the greeting or "timeout"
 *   udp-recv ADDR PORT MINTTL     UDP socket with the TTL filter, print each message
 *   udp-send ADDR PORT TTL:TEXT.. send each text with its TTL, one after the other
 */
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { createSocket } from "node:dgram";
import net from "node:net";
import { ETH_P_ARP, arpFilter, ndpFilter, type BpfInsn } from "../../native/bpf";
import { PacketSocket, attachTtlFilter, openMd5Socket, setMd5Key, setSocketTtl, socketFd } from "../../native/index";
import { macToBytes, parseMac } from "../../protocols/l2/ethernet";
import { arpFrame, readArp } from "./frames";

const say = (line: string): void => {
  process.stdout.write(`${line}\n`);
};
const commands = (handle: (words: string[]) => void): void => {
  createInterface({ input: process.stdin }).on("line", (line) => handle(line.trim().split(/\s+/)));
};
const ownMac = (ifname: string): Buffer => {
  const mac = parseMac(readFileSync(`/sys/class/net/${ifname}/address`, "utf8").trim());
  if (mac === undefined) throw new Error(`no MAC for ${ifname}`);
  return macToBytes(mac);
};

const [mode = "", ...args] = process.argv.slice(2);

function arpResponder(ifname: string, vip: string): void {
  const mac = ownMac(ifname);
  const socket = PacketSocket.open(ifname, ETH_P_ARP, arpFilter());
  socket.onFrame((frame, info) => {
    const arp = readArp(frame);
    say(`frame ${JSON.stringify({ ...arp, ifindex: info.ifindex, pkttype: info.pkttype })}`);
    if (arp === undefined || arp.op !== 1 || arp.targetIp !== vip) return;
    const requester = frame.subarray(22, 28);
    socket.send(arpFrame({ op: 2, dstMac: requester, srcMac: mac, senderMac: mac, senderIp: vip, targetMac: requester, targetIp: arp.senderIp }));
    say("replied");
  });
  commands(() => socket.close());
  say(`ready ${JSON.stringify({ mac: Array.from(mac, (b) => b.toString(16).padStart(2, "0")).join(":"), ifindex: socket.ifindex })}`);
}

function sniff(ifname: string, ethertype: string, filter: string, outgoing: string): void {
  const programs: Record<string, BpfInsn[] | undefined> = { arp: arpFilter(), ndp: ndpFilter(), none: undefined };
  const socket = PacketSocket.open(ifname, Number(ethertype), programs[filter]);
  const start = (): void =>
    socket.onFrame((frame, info) => say(`frame ${frame.readUInt16BE(12).toString(16)} ${info.pkttype} ${frame.toString("hex")}`), {
      includeOutgoing: outgoing === "out",
    });
  start();
  const actions: Record<string, (value: string) => void> = {
    join: (mac) => socket.addMembership(mac),
    drop: (mac) => socket.dropMembership(mac),
    allmulti: (on) => socket.setAllMulticast(on === "on"),
    promisc: (on) => socket.setPromiscuous(on === "on"),
    filter: (name) => socket.setFilter(programs[name] ?? []),
    stop: () => socket.stopReceiving(),
    start,
    unref: () => socket.unref(),
    close: () => socket.close(),
  };
  const rl = createInterface({ input: process.stdin });
  rl.on("line", (line) => {
    const [command = "", value = ""] = line.trim().split(/\s+/);
    try {
      const action = actions[command];
      if (action === undefined) throw new Error(`unknown command ${command}`);
      action(value);
      say(`done ${command}`);
    } catch (error) {
      say(`error ${command} ${(error as { code?: string }).code ?? ""} ${(error as Error).message}`);
    }
  });
  say("ready");
}

function md5Server(address: string, port: string, peer: string, key: string): void {
  const server = net.createServer((socket) => {
    say(`accepted ${socket.remoteAddress ?? ""}`);
    socket.end("hello from server");
  });
  server.listen(Number(port), address, () => {
    setMd5Key(socketFd(server), peer, key);
    say("listening");
  });
}

function md5Client(family: string, peer: string, port: string, key: string, ms: string): void {
  const fd = openMd5Socket({ family: family === "6" ? 6 : 4, md5: key === "-" ? undefined : { peer, key } });
  const socket = new net.Socket({ fd });
  const timer = setTimeout(() => {
    say("timeout");
    socket.destroy();
  }, Number(ms));
  let data = "";
  socket.on("data", (chunk: Buffer) => (data += chunk.toString()));
  socket.on("end", () => {
    clearTimeout(timer);
    say(`connected ${data}`);
  });
  socket.on("error", (error) => {
    clearTimeout(timer);
    say(`error ${error.message}`);
  });
  socket.connect(Number(port), peer);
}

function udpRecv(address: string, port: string, minTtl: string): void {
  const socket = createSocket(address.includes(":") ? "udp6" : "udp4");
  socket.on("message", (message) => say(`message ${message.toString()}`));
  socket.bind(Number(port), address, () => {
    attachTtlFilter(socketFd(socket), Number(minTtl));
    say("ready");
  });
}

async function udpSend(address: string, port: string, messages: string[]): Promise<void> {
  const socket = createSocket(address.includes(":") ? "udp6" : "udp4");
  await new Promise<void>((resolve) => socket.bind(0, resolve));
  for (const message of messages) {
    const [ttl = "64", text = ""] = message.split(":");
    setSocketTtl(socketFd(socket), { ttl: Number(ttl) });
    await new Promise((resolve) => socket.send(text, Number(port), address, resolve));
  }
  say("sent");
  socket.close();
}

const modes: Record<string, () => void | Promise<void>> = {
  "arp-responder": () => arpResponder(args[0] ?? "", args[1] ?? ""),
  sniff: () => sniff(args[0] ?? "", args[1] ?? "", args[2] ?? "none", args[3] ?? "in"),
  "md5-server": () => md5Server(args[0] ?? "", args[1] ?? "", args[2] ?? "", args[3] ?? ""),
  "md5-client": () => md5Client(args[0] ?? "", args[1] ?? "", args[2] ?? "", args[3] ?? "", args[4] ?? "1000"),
  "udp-recv": () => udpRecv(args[0] ?? "", args[1] ?? "", args[2] ?? "255"),
  "udp-send": () => udpSend(args[0] ?? "", args[1] ?? "", args.slice(2)),
};

const run = modes[mode];
if (run === undefined) {
  say(`error unknown mode ${mode}`);
  process.exit(2);
}
void Promise.resolve()
  .then(run)
  .catch((error: unknown) => {
  say(`error ${(error as { code?: string }).code ?? ""} ${(error as Error).message}`);
  process.exit(1);
});
