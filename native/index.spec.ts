/**
 * The wrapper's behaviour without network namespaces: argument and error paths, and TCP MD5 / TTL /
 * filters over loopback. Packet sockets that send and receive are tested in packet.netns.spec.ts.
 */
import { afterEach, describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { createSocket, type Socket as DgramSocket } from "node:dgram";
import { closeSync, openSync } from "node:fs";
import net from "node:net";
import { ETH_P_ARP, type BpfInsn } from "./bpf";
import {
  PacketSocket,
  attachFilter,
  attachTtlFilter,
  closeFd,
  locateAddon,
  openMd5Socket,
  removeMd5Key,
  setMd5Key,
  setSocketTtl,
  setThreadRealtime,
  addonCandidates,
  socketFd,
} from "./index";
import { once } from "node:events";
import { existsSync, readFileSync } from "node:fs";
import { Worker } from "node:worker_threads";
import { REPO_ROOT, nodeCommand } from "../hack/netns/bed";

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

/** Calls fn and returns what it threw, as {code, message}. */
function thrown(fn: () => unknown): { code: unknown; message: string } {
  try {
    fn();
  } catch (error) {
    return { code: (error as { code?: unknown }).code, message: (error as Error).message };
  }
  throw new Error("expected a throw");
}

function listen(configure?: (fd: number) => void, host = "127.0.0.1"): Promise<net.Server> {
  const server = net.createServer((socket) => socket.end("hello"));
  cleanups.push(() => server.close());
  return new Promise((resolve) =>
    server.listen(0, host, () => {
      configure?.(socketFd(server));
      resolve(server);
    }),
  );
}

/** Connects from `fd` and reads the greeting; "timeout" when no connection within `ms` (a SYN the
 * peer drops for a wrong key or TTL is retransmitted, never refused). */
function greet(fd: number, port: number, host = "127.0.0.1", ms = 1000): Promise<string> {
  const socket = new net.Socket({ fd });
  cleanups.push(() => socket.destroy());
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => resolve("timeout"), ms);
    let data = "";
    socket.on("data", (chunk: Buffer) => (data += chunk.toString()));
    socket.on("end", () => {
      clearTimeout(timer);
      resolve(data);
    });
    socket.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.connect(port, host);
  });
}

const portOf = (server: net.Server): number => (server.address() as net.AddressInfo).port;

async function udpPair(): Promise<{ receiver: DgramSocket; sender: DgramSocket; port: number; received: string[]; next: () => Promise<string> }> {
  const receiver = createSocket("udp4");
  const sender = createSocket("udp4");
  cleanups.push(() => receiver.close(), () => sender.close());
  const received: string[] = [];
  let wake: ((text: string) => void) | undefined;
  receiver.on("message", (message) => {
    received.push(message.toString());
    wake?.(message.toString());
  });
  await new Promise<void>((resolve) => receiver.bind(0, "127.0.0.1", resolve));
  await new Promise<void>((resolve) => sender.bind(0, "127.0.0.1", resolve));
  const port = receiver.address().port;
  return { receiver, sender, port, received, next: () => new Promise((resolve) => (wake = resolve)) };
}

describe("locateAddon", () => {
  it("says how to build the addon when it is missing", () => {
    expect(() => locateAddon("linux", ["/a/x.node", "/b/x.node"], () => false)).toThrow(
      "lodestone native addon not built: run npm ci on Linux (or: npx node-gyp rebuild -C native); looked in /a/x.node, /b/x.node",
    );
  });

  it("refuses other platforms", () => {
    expect(() => locateAddon("darwin", ["/a/x.node"], () => true)).toThrow(
      "lodestone native addon needs Linux (AF_PACKET, TCP_MD5SIG); this is darwin",
    );
  });

  it("takes the first existing candidate", () => {
    expect(locateAddon("linux", ["/a", "/b", "/c"], (path) => path !== "/a")).toBe("/b");
  });
});

describe("PacketSocket errors", () => {
  it("throws ENODEV for an unknown interface", () => {
    expect(thrown(() => PacketSocket.open("ls-nosuch0", ETH_P_ARP))).toEqual({
      code: "ENODEV",
      message: "if_nametoindex ls-nosuch0: No such device (ENODEV)",
    });
    expect(thrown(() => PacketSocket.open("an-interface-name-too-long", ETH_P_ARP))).toEqual({
      code: "ENODEV",
      message: "if_nametoindex an-interface-name-too-long: No such device (ENODEV)",
    });
  });

  it("throws EPERM without CAP_NET_RAW", () => {
    // A child whose capability sets no longer hold CAP_NET_RAW, even as root.
    const out = execFileSync("setpriv", ["--inh-caps=-all", "--bounding-set=-net_raw", "--", ...nodeCommand("test/native/open-packet.ts")], {
      cwd: REPO_ROOT,
      encoding: "utf8",
    });
    expect(JSON.parse(out)).toEqual({ code: "EPERM", message: "socket(AF_PACKET) lo: Operation not permitted (EPERM)" });
  });

  it("refuses malformed arguments with a TypeError", () => {
    expect(thrown(() => PacketSocket.open("lo", 0x10000))).toEqual({ code: "EINVALIDARG", message: "ethertype must be an integer 0..65535" });
    const badInsn = [{ code: 6, jt: 0, jf: 0 }] as unknown as BpfInsn[];
    expect(thrown(() => PacketSocket.open("lo", ETH_P_ARP, badInsn))).toEqual({
      code: "EINVALIDARG",
      message: "BPF instruction 0 is not {code: u16, jt: u8, jf: u8, k: u32}",
    });
    expect(thrown(() => PacketSocket.open("lo", ETH_P_ARP, "nope" as unknown as BpfInsn[]))).toEqual({
      code: "EINVALIDARG",
      message: "BPF program must be an array of {code, jt, jf, k}",
    });
  });
});

describe("TCP MD5 over loopback", () => {
  it("connects when both ends hold the same key", async () => {
    const server = await listen((fd) => setMd5Key(fd, "127.0.0.1", "s3cret"));
    const fd = openMd5Socket({ family: 4, md5: { peer: "127.0.0.1", key: "s3cret" } });
    expect(await greet(fd, portOf(server))).toBe("hello");
  });

  it("never connects with a wrong key or without one", async () => {
    const server = await listen((fd) => setMd5Key(fd, "127.0.0.1", "s3cret"));
    expect(await greet(openMd5Socket({ family: 4, md5: { peer: "127.0.0.1", key: "wrong" } }), portOf(server))).toBe("timeout");
    expect(await greet(openMd5Socket({ family: 4 }), portOf(server))).toBe("timeout");
  });

  it("works for IPv4 peers of a dual-stack listener and for IPv6 peers", async () => {
    const server = await listen((fd) => {
      setMd5Key(fd, "127.0.0.1", Buffer.from([1, 2, 3]));
      setMd5Key(fd, "::1", "six");
    }, "::");
    expect(await greet(openMd5Socket({ family: 4, md5: { peer: "127.0.0.1", key: Buffer.from([1, 2, 3]) } }), portOf(server))).toBe("hello");
    expect(await greet(openMd5Socket({ family: 6, md5: { peer: "::1", key: "six" } }), portOf(server), "::1")).toBe("hello");
  });

  it("accepts any peer of a prefix key", async () => {
    const server = await listen((fd) => setMd5Key(fd, "127.0.0.0", "wide", 8));
    expect(await greet(openMd5Socket({ family: 4, md5: { peer: "127.0.0.1", key: "wide" } }), portOf(server))).toBe("hello");
  });

  it("binds the source address and port", async () => {
    const server = net.createServer((socket) => socket.end(`${socket.remoteAddress}`));
    cleanups.push(() => server.close());
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const fd = openMd5Socket({ family: 4, localAddress: "127.0.0.2" });
    expect(await greet(fd, portOf(server))).toBe("127.0.0.2");
  });

  it("removes a key; removing a missing key is not an error", async () => {
    const server = await listen((fd) => {
      setMd5Key(fd, "127.0.0.1", "s3cret");
      removeMd5Key(fd, "127.0.0.1");
      removeMd5Key(fd, "127.0.0.1");
    });
    expect(await greet(openMd5Socket({ family: 4 }), portOf(server))).toBe("hello");
  });

  it("reports bad keys, peers and fds with errno codes", () => {
    const fd = openMd5Socket({ family: 4 });
    cleanups.push(() => closeFd(fd));
    expect(thrown(() => setMd5Key(fd, "192.0.2.1", "k".repeat(81)))).toEqual({
      code: "EINVAL",
      message: "setsockopt(TCP_MD5SIG) key longer than 80 bytes for 192.0.2.1: Invalid argument (EINVAL)",
    });
    expect(thrown(() => setMd5Key(fd, "not-an-ip", "k"))).toEqual({
      code: "EINVAL",
      message: "setsockopt(TCP_MD5SIG) peer not-an-ip: Invalid argument (EINVAL)",
    });
    expect(thrown(() => setMd5Key(fd, "2001:db8::1", "k"))).toEqual({
      code: "EAFNOSUPPORT",
      message: "setsockopt(TCP_MD5SIG) peer 2001:db8::1: Address family not supported by protocol (EAFNOSUPPORT)",
    });
    expect(thrown(() => setMd5Key(987654, "192.0.2.1", "k"))).toEqual({
      code: "EBADF",
      message: "getsockname 192.0.2.1: Bad file descriptor (EBADF)",
    });
    expect(thrown(() => setMd5Key(fd, "192.0.2.1", ""))).toEqual({ code: undefined, message: "an MD5 key cannot be empty: use removeMd5Key" });
  });

  it("reports a source address that is not local, and closes the socket it made", () => {
    expect(thrown(() => openMd5Socket({ family: 4, localAddress: "192.0.2.99" }))).toEqual({
      code: "EADDRNOTAVAIL",
      message: "bind 192.0.2.99: Cannot assign requested address (EADDRNOTAVAIL)",
    });
    expect(thrown(() => openMd5Socket({ family: 4, ttl: 256 }))).toEqual({ code: "EINVALIDARG", message: "ttl must be 1..255" });
    expect(thrown(() => openMd5Socket({ family: 4, md5: { peer: "bad", key: "k" } })).code).toBe("EINVAL");
  });
});

describe("TTLs and GTSM", () => {
  it("a listener with minimum TTL 255 only accepts connections sent with TTL 255", async () => {
    const server = await listen((fd) => setSocketTtl(fd, { minTtl: 255 }));
    expect(await greet(openMd5Socket({ family: 4, ttl: 64 }), portOf(server))).toBe("timeout");
    expect(await greet(openMd5Socket({ family: 4, ttl: 255 }), portOf(server))).toBe("hello");
  });

  it("a UDP socket with the TTL filter drops packets below the minimum", async () => {
    const { receiver, sender, port, received, next } = await udpPair();
    attachTtlFilter(socketFd(receiver), 255);
    sender.setTTL(254);
    // dgram sends after an address lookup turn: wait for it before changing the TTL again.
    await new Promise((resolve) => sender.send("low", port, "127.0.0.1", resolve));
    setSocketTtl(socketFd(sender), { ttl: 255 });
    const arrived = next();
    sender.send("high", port, "127.0.0.1");
    expect(await arrived).toBe("high");
    expect(received).toEqual(["high"]);
  });

  it("reports bad fds and values", () => {
    const file = openSync(__filename, "r");
    cleanups.push(() => closeSync(file));
    expect(thrown(() => attachFilter(file, [{ code: 6, jt: 0, jf: 0, k: 0 }]))).toEqual({
      code: "ENOTSOCK",
      message: `setsockopt(SO_ATTACH_FILTER) fd ${file}: Socket operation on non-socket (ENOTSOCK)`,
    });
    expect(thrown(() => setSocketTtl(file, { ttl: 1 }))).toEqual({
      code: "ENOTSOCK",
      message: "setsockopt(IP_TTL/IP_MINTTL): Socket operation on non-socket (ENOTSOCK)",
    });
    expect(thrown(() => setSocketTtl(file, { minTtl: 300 }))).toEqual({ code: "EINVALIDARG", message: "minTtl must be 0..255" });
    expect(thrown(() => closeFd(987654))).toEqual({ code: "EBADF", message: "close: Bad file descriptor (EBADF)" });
  });

  it("refuses an invalid filter program with EINVAL", async () => {
    const { receiver } = await udpPair();
    expect(thrown(() => attachFilter(socketFd(receiver), [{ code: 0x15, jt: 5, jf: 0, k: 0 }, { code: 6, jt: 0, jf: 0, k: 0 }]))).toEqual({
      code: "EINVAL",
      message: `setsockopt(SO_ATTACH_FILTER) fd ${socketFd(receiver)}: Invalid argument (EINVAL)`,
    });
    expect(thrown(() => attachFilter(socketFd(receiver), []))).toMatchObject({ code: "EINVAL" });
  });
});

describe("socketFd", () => {
  it("finds the fd of servers, sockets and dgram sockets, and refuses unbound ones", async () => {
    const server = await listen();
    expect(socketFd(server)).toBeGreaterThan(2);
    const { receiver } = await udpPair();
    expect(socketFd(receiver)).toBeGreaterThan(2);
    expect(() => socketFd(net.createServer())).toThrow("socket has no file descriptor yet (not listening, bound or connected)");
    expect(() => socketFd(createSocket("udp4"))).toThrow("socket has no file descriptor yet (not listening, bound or connected)");
  });
});

describe("setThreadRealtime", () => {
  it("refuses a priority outside 1..99", () => {
    expect(() => setThreadRealtime(0)).toThrow("priority must be 1..99");
    expect(() => setThreadRealtime(100)).toThrow("priority must be 1..99");
  });

  it("puts the calling thread alone in SCHED_RR (a worker here; the test's thread and the others stay SCHED_OTHER)", async () => {
    // /proc/thread-self/stat: field 40 rt_priority, 41 policy (2 = SCHED_RR), counted from 1.
    const addon = addonCandidates().find(p => existsSync(p)) as string;
    const code = `
      const { parentPort } = require("node:worker_threads");
      const fs = require("node:fs");
      const stat = () => fs.readFileSync("/proc/thread-self/stat", "utf8").split(") ")[1].split(" ");
      require(${JSON.stringify(addon)}).setThreadRealtime(10);
      const f = stat();
      parentPort.postMessage({ tid: fs.readlinkSync("/proc/thread-self").split("/").pop(), rtPriority: f[37], policy: f[38] });`;
    const worker = new Worker(code, { eval: true });
    const [seen] = (await once(worker, "message")) as [{ tid: string; rtPriority: string; policy: string }];
    const here = readFileSync("/proc/thread-self/stat", "utf8").split(") ")[1]?.split(" ") ?? [];
    await worker.terminate();
    expect([seen.policy, seen.rtPriority]).toEqual(["2", "10"]);
    expect([here[38], here[37]]).toEqual(["0", "0"]);
  });
});
