/**
 * Typed wrapper of the lodestone_native addon (native/lodestone_native.c): AF_PACKET sockets for the
 * ARP/NDP responders, TCP sockets with MD5 keys and TTLs for BGP, and socket filters (GTSM for BFD).
 *
 * The addon is loaded on first use, not at import, so code that merely imports this module (the
 * controller, tests of pure cores, macOS laptops) works without it; the first call explains how to build it.
 */
import { createRequire } from "node:module";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type * as dgram from "node:dgram";
import { Socket as DgramSocket } from "node:dgram";
import type * as net from "node:net";
import { ttlSocketFilter, type BpfInsn } from "./bpf";
import { macToBytes, parseMac } from "../protocols/l2/ethernet";

/** The addon's raw exports; everything else in this file adds types and checks. */
interface NativeBinding {
  packetOpen(ifname: string, ethertype: number, filter?: readonly BpfInsn[] | null): NativeHandle;
  packetIfindex(handle: NativeHandle): number;
  packetSend(handle: NativeHandle, frame: Uint8Array): number;
  packetMembership(handle: NativeHandle, add: boolean, kind: 0 | 1 | 2, mac?: Buffer): void;
  packetSetFilter(handle: NativeHandle, program: readonly BpfInsn[]): void;
  packetStart(handle: NativeHandle, cb: (err: Error | null, frame: Buffer | undefined, ifindex: number, pkttype: number) => void): void;
  packetStop(handle: NativeHandle): void;
  packetRef(handle: NativeHandle, ref: boolean): void;
  packetClose(handle: NativeHandle): void;
  packetIgnoreOutgoing(handle: NativeHandle, ignore: boolean): boolean;
  tcpSocket(family: 4 | 6, opts: { localAddress?: string; localPort?: number; ttl?: number; minTtl?: number; device?: string }): number;
  udpSocket(family: 4 | 6, opts: { localAddress: string; localPort?: number; device?: string; reuseAddr?: boolean }): number;
  setTtl(fd: number, opts: { ttl?: number; minTtl?: number }): void;
  setMd5Key(fd: number, peer: string, key: Buffer, prefixLength?: number): void;
  attachFilter(fd: number, program: readonly BpfInsn[]): void;
  closeFd(fd: number): void;
  setThreadRealtime(priority: number): void;
  trimCHeap(): Promise<boolean>;
  beaconStart(bindAddress: string, port: number, intervalMs: number, realtimePriority: number, onQueued: () => void): NativeHandle;
  beaconSet(handle: NativeHandle, body: Buffer, key: Buffer, peers: readonly { address: string; port: number }[]): void;
  beaconSendNow(handle: NativeHandle): void;
  beaconListen(handle: NativeHandle, keys: readonly Buffer[], maxSkewMs: number): void;
  beaconTake(handle: NativeHandle): Buffer[];
  beaconLearn(handle: NativeHandle, datagram: Buffer): void;
  beaconForget(handle: NativeHandle, node: string): void;
  beaconHeard(handle: NativeHandle, node: string): [number, number] | undefined;
  beaconStats(handle: NativeHandle): HeartbeatThreadStats;
  beaconStop(handle: NativeHandle): void;
  hmacSha256Verify(body: Buffer, mac: Buffer, keys: readonly Buffer[]): boolean;
}
declare const nativeHandleBrand: unique symbol;
type NativeHandle = { readonly [nativeHandleBrand]: true };

/** An error from a system call: `code` is the errno name (ENODEV, EPERM, EINVAL...). */
export interface NativeError extends Error {
  code: string;
  errno?: number;
  syscall?: string;
}

export const isNativeError = (error: unknown): error is NativeError =>
  error instanceof Error && typeof (error as { code?: unknown }).code === "string";

const here = typeof __dirname === "string" ? __dirname : dirname(fileURLToPath(import.meta.url));

/**
 * Where the built addon is looked for, first match wins (LODESTONE_NATIVE_ADDON overrides): where
 * node-gyp builds it next to these sources, next to the speaker bundle (hack/build.mjs copies it
 * there; `here` is then the bundle's folder), then under the working directory.
 */
export function addonCandidates(): string[] {
  const fromEnv = process.env["LODESTONE_NATIVE_ADDON"];
  return [
    ...(fromEnv ? [fromEnv] : []),
    join(here, "build", "Release", "lodestone_native.node"),
    join(here, "lodestone_native.node"),
    join(process.cwd(), "native", "build", "Release", "lodestone_native.node"),
  ];
}

let binding: NativeBinding | undefined;

/** Picks the addon file to load, or throws the error a user needs to see (pure: tested with fakes). */
export function locateAddon(platform: string, candidates: readonly string[], exists: (path: string) => boolean): string {
  if (platform !== "linux") {
    throw new Error(`lodestone native addon needs Linux (AF_PACKET, TCP_MD5SIG); this is ${platform}`);
  }
  const path = candidates.find(exists);
  if (path === undefined) {
    throw new Error(
      `lodestone native addon not built: run npm ci on Linux (or: npx node-gyp rebuild -C native); looked in ${candidates.join(", ")}`,
    );
  }
  return path;
}

/** Loads the addon once; throws a clear error on non-Linux or when it has not been built. */
export function loadNative(): NativeBinding {
  if (binding !== undefined) return binding;
  const path = locateAddon(process.platform, addonCandidates(), existsSync);
  binding = createRequire(join(here, "index.ts"))(path) as NativeBinding;
  return binding;
}

/** True when the addon can be loaded here. */
export function nativeAvailable(): boolean {
  try {
    loadNative();
    return true;
  } catch {
    return false;
  }
}

/* ------------------------------------------------------------------------------------------------ */
/* Packet sockets                                                                                    */

/** sockaddr_ll.sll_pkttype values: who the frame was addressed to. */
export const PacketType = { HOST: 0, BROADCAST: 1, MULTICAST: 2, OTHERHOST: 3, OUTGOING: 4 } as const;

export interface FrameInfo {
  readonly ifindex: number;
  /** One of PacketType. */
  readonly pkttype: number;
}

export interface OnFrameOptions {
  /** Also deliver the frames this host sends on the interface (default false: responders never
   * want to see their own replies). */
  readonly includeOutgoing?: boolean;
  /** Receive errors (rare: ENETDOWN when the link goes away); default: thrown as uncaught. */
  readonly onError?: (error: NativeError) => void;
}

const MEMBERSHIP_MULTICAST = 0;
const MEMBERSHIP_ALLMULTI = 1;
const MEMBERSHIP_PROMISC = 2;

function macBuffer(mac: Uint8Array | string): Buffer {
  if (typeof mac === "string") {
    const parsed = parseMac(mac);
    if (parsed === undefined) throw new TypeError(`not a MAC address: ${JSON.stringify(mac)}`);
    return macToBytes(parsed);
  }
  if (mac.length !== 6) throw new TypeError(`a MAC address has 6 bytes, not ${mac.length}`);
  return Buffer.from(mac);
}

/** An AF_PACKET/SOCK_RAW socket bound to one interface and one ethertype. Frames include the Ethernet
 * header, both ways. Needs CAP_NET_RAW. */
export class PacketSocket {
  readonly ifname: string;
  readonly ifindex: number;
  readonly ethertype: number;
  #handle: NativeHandle | undefined;

  private constructor(ifname: string, ethertype: number, handle: NativeHandle, ifindex: number) {
    this.ifname = ifname;
    this.ethertype = ethertype;
    this.#handle = handle;
    this.ifindex = ifindex;
  }

  /** Opens the socket; with `filter`, the filter is attached before the socket is bound, so no frame
   * it refuses is ever queued. Throws ENODEV for an unknown interface, EPERM without CAP_NET_RAW. */
  static open(ifname: string, ethertype: number, filter?: readonly BpfInsn[]): PacketSocket {
    const native = loadNative();
    const handle = native.packetOpen(ifname, ethertype, filter ?? null);
    return new PacketSocket(ifname, ethertype, handle, native.packetIfindex(handle));
  }

  get closed(): boolean {
    return this.#handle === undefined;
  }

  #open(): NativeHandle {
    if (this.#handle === undefined) {
      const error = new Error(`packet socket on ${this.ifname} is closed`) as NativeError;
      error.code = "EBADF";
      throw error;
    }
    return this.#handle;
  }

  /** Sends one whole frame (destination MAC, source MAC, ethertype, payload); returns bytes sent. */
  send(frame: Uint8Array): number {
    return loadNative().packetSend(this.#open(), frame);
  }

  /** Receives frames sent to a multicast MAC (an IPv6 solicited-node group's 33:33:ff:xx:xx:xx, say). */
  addMembership(mac: Uint8Array | string): void {
    loadNative().packetMembership(this.#open(), true, MEMBERSHIP_MULTICAST, macBuffer(mac));
  }

  dropMembership(mac: Uint8Array | string): void {
    loadNative().packetMembership(this.#open(), false, MEMBERSHIP_MULTICAST, macBuffer(mac));
  }

  /** Receive all multicast frames on the interface (while this socket is open). */
  setAllMulticast(on: boolean): void {
    loadNative().packetMembership(this.#open(), on, MEMBERSHIP_ALLMULTI);
  }

  /** Receive frames for other hosts too (while this socket is open). */
  setPromiscuous(on: boolean): void {
    loadNative().packetMembership(this.#open(), on, MEMBERSHIP_PROMISC);
  }

  /** Replaces the socket's classic BPF filter. The kernel refuses a malformed program with EINVAL. */
  setFilter(program: readonly BpfInsn[]): void {
    loadNative().packetSetFilter(this.#open(), program);
  }

  /** Delivers every received frame to `cb` (replacing any earlier callback) from Node's own event loop.
   * While receiving, the socket is never garbage-collected (like a listening server) and keeps the
   * process alive unless unref()'d; close() it when done. */
  onFrame(cb: (frame: Buffer, info: FrameInfo) => void, options: OnFrameOptions = {}): void {
    const includeOutgoing = options.includeOutgoing ?? false;
    const native = loadNative();
    // The kernel skips our own frames where it can (half the wake-ups of a busy responder); the check
    // below covers kernels without PACKET_IGNORE_OUTGOING.
    native.packetIgnoreOutgoing(this.#open(), !includeOutgoing);
    native.packetStart(this.#open(), (err, frame, ifindex, pkttype) => {
      if (err !== null) {
        if (options.onError) options.onError(err as NativeError);
        else throw err;
        return;
      }
      if (frame === undefined || (!includeOutgoing && pkttype === PacketType.OUTGOING)) return;
      cb(frame, { ifindex, pkttype });
    });
  }

  /** Stops delivering frames; the socket stays open (frames queue in the kernel until onFrame again). */
  stopReceiving(): void {
    if (this.#handle !== undefined) loadNative().packetStop(this.#handle);
  }

  /** Whether a receiving socket keeps the process alive (like a timer's ref/unref). */
  ref(): this {
    loadNative().packetRef(this.#open(), true);
    return this;
  }

  unref(): this {
    loadNative().packetRef(this.#open(), false);
    return this;
  }

  /** Stops receiving and closes the fd; safe to call more than once. */
  close(): void {
    if (this.#handle === undefined) return;
    loadNative().packetClose(this.#handle);
    this.#handle = undefined;
  }
}

/* ------------------------------------------------------------------------------------------------ */
/* TCP MD5 (RFC 2385), TTL and GTSM for BGP; filters for BFD                                         */

export interface TcpSocketOptions {
  readonly family: 4 | 6;
  /** Source address to bind (the node's address towards the peer); a link-local one as "fe80::1%eth0". */
  readonly localAddress?: string;
  readonly localPort?: number;
  /** SO_BINDTODEVICE before binding: a VRF device puts the socket in that VRF. */
  readonly device?: string;
  /** Outgoing TTL / hop limit (eBGP multihop: more than 1; GTSM: 255). */
  readonly ttl?: number;
  /** Drop incoming segments with a lower TTL (IP_MINTTL / IPV6_MINHOPCOUNT; GTSM: 254 or 255). */
  readonly minTtl?: number;
  /** Peer and shared key: segments to and from the peer carry and need the MD5 signature. */
  readonly md5?: { readonly peer: string; readonly key: string | Uint8Array };
}

const keyBuffer = (key: string | Uint8Array): Buffer => (typeof key === "string" ? Buffer.from(key, "utf8") : Buffer.from(key));

/** Creates a non-blocking TCP socket (bound, with TTLs and MD5 key as asked) and returns its fd, for
 * `new net.Socket({ fd }).connect(port, host)`. The caller owns the fd (closeFd if never handed over). */
export function openMd5Socket(options: TcpSocketOptions): number {
  const native = loadNative();
  const fd = native.tcpSocket(options.family, {
    localAddress: options.localAddress,
    localPort: options.localPort,
    ttl: options.ttl,
    minTtl: options.minTtl,
    device: options.device,
  });
  if (options.md5 !== undefined) {
    try {
      native.setMd5Key(fd, options.md5.peer, keyBuffer(options.md5.key));
    } catch (error) {
      native.closeFd(fd);
      throw error;
    }
  }
  return fd;
}

export interface UdpSocketOptions {
  readonly family: 4 | 6;
  /** Address to bind; a link-local one as "fe80::1%eth0". */
  readonly localAddress: string;
  readonly localPort?: number;
  /** SO_BINDTODEVICE before binding (a VRF device: the socket lives in that VRF). */
  readonly device?: string;
  readonly reuseAddr?: boolean;
}

/** A bound UDP socket's fd, for `dgram.createSocket(type).bind({ fd })`: Node binds its own sockets
 * before any option can be set, and only a socket already in a VRF may bind that VRF's addresses. */
export function openUdpSocket(options: UdpSocketOptions): number {
  return loadNative().udpSocket(options.family, {
    localAddress: options.localAddress,
    localPort: options.localPort,
    device: options.device,
    reuseAddr: options.reuseAddr,
  });
}

/** Sets the MD5 key for `peer` (or, with prefixLength, for every peer in peer/prefixLength) on a TCP
 * socket: a connecting socket, or a listener (keys are inherited by the connections it accepts).
 * Keys are at most 80 bytes (EINVAL beyond). */
export function setMd5Key(fd: number, peer: string, key: string | Uint8Array, prefixLength?: number): void {
  const buffer = keyBuffer(key);
  if (buffer.length === 0) throw new TypeError("an MD5 key cannot be empty: use removeMd5Key");
  loadNative().setMd5Key(fd, peer, buffer, prefixLength);
}

/** Removes the key for `peer`; a peer without a key is not an error. */
export function removeMd5Key(fd: number, peer: string, prefixLength?: number): void {
  try {
    loadNative().setMd5Key(fd, peer, Buffer.alloc(0), prefixLength);
  } catch (error) {
    if (isNativeError(error) && error.code === "ENOENT") return;
    throw error;
  }
}

/** Sets outgoing TTL and/or minimum incoming TTL on an existing TCP or UDP socket. */
export function setSocketTtl(fd: number, options: { readonly ttl?: number; readonly minTtl?: number }): void {
  loadNative().setTtl(fd, { ttl: options.ttl, minTtl: options.minTtl });
}

/** Puts the calling thread (only) in SCHED_RR at `priority` (1..99); needs CAP_SYS_NICE. Children do not inherit it. */
export function setThreadRealtime(priority: number): void {
  loadNative().setThreadRealtime(priority);
}

/** Gives the C heap's free pages back to the kernel (glibc malloc_trim(0) on libuv's thread pool, native/c_heap.c); true when some were. */
export function trimCHeap(): Promise<boolean> {
  return loadNative().trimCHeap();
}

/** Attaches a classic BPF program to any socket fd. */
export function attachFilter(fd: number, program: readonly BpfInsn[]): void {
  loadNative().attachFilter(fd, program);
}

/** Makes a UDP (or TCP) socket drop every packet whose TTL / hop limit is below `minTtl` (BFD: 255).
 * Node's dgram cannot read a packet's TTL and IP_MINTTL is not enforced for UDP, so a filter does it. */
export function attachTtlFilter(fd: number, minTtl: number): void {
  attachFilter(fd, ttlSocketFilter(minTtl));
}

/** Closes an fd returned by openMd5Socket that was never handed to a net.Socket. */
export function closeFd(fd: number): void {
  loadNative().closeFd(fd);
}

/** The fd under a listening net.Server, a connected net.Socket or a bound dgram.Socket (Node keeps it
 * on an internal handle; it has no public API for it). Throws when the socket has no fd yet (not
 * listening / not bound). A dgram.Socket's `_handle` getter is deprecated (DEP0112, a warning on first
 * use), so for those the handle is read from the state object dgram keeps under a private symbol. */
export function socketFd(socket: net.Server | net.Socket | dgram.Socket): number {
  let fd: unknown;
  if (socket instanceof DgramSocket) {
    for (const symbol of Object.getOwnPropertySymbols(socket)) {
      if (symbol.description !== "state symbol") continue;
      const state = (socket as unknown as Record<symbol, { handle?: { fd?: unknown } } | undefined>)[symbol];
      fd = state?.handle?.fd;
    }
  } else {
    fd = (socket as unknown as { _handle?: { fd?: unknown } })._handle?.fd;
  }
  if (typeof fd !== "number" || fd < 0) throw new Error("socket has no file descriptor yet (not listening, bound or connected)");
  return fd;
}

/** What the heartbeat's thread has done (native/heartbeat_thread.c). */
export interface HeartbeatThreadStats {
  /** Datagrams handed to the kernel, and refused by it, since the start. */
  readonly sent: number;
  readonly failed: number;
  /** Peers' heartbeats taken as repeats (not handed to JavaScript), and datagrams dropped with the queue full. */
  readonly repeats: number;
  readonly dropped: number;
  /** The sequence number of the last heartbeat sent. */
  readonly sequence: number;
  /** How late its timer fired at worst since the last reading. */
  readonly maxLateMs: number;
  /** How the thread runs: SCHED_RR, nice (-10), default (no CAP_SYS_NICE, or no priority asked), starting. */
  readonly scheduling: "starting" | "SCHED_RR" | "nice" | "default";
  /** The UDP port its socket is bound to. */
  readonly port: number;
}

/**
 * The layer 2 heartbeat's socket and thread (native/heartbeat_thread.c): it sends a template every
 * interval, and takes the peers' heartbeats that repeat the last one accepted from them; the rest it
 * queues for the main thread.
 */
export interface HeartbeatThread {
  /**
   * A new template: `body` as encodeHeartbeatBody makes it (the thread fills in the sequence and the
   * send time and appends the MAC under `key`), and the peers to send it to. The first one starts the sending.
   */
  set(body: Buffer, key: Buffer, peers: readonly { readonly address: string; readonly port: number }[]): void;
  /** One more heartbeat now, from the calling thread (the schedule stays). */
  sendNow(): void;
  /** The keys (at most 4) and the clock skew repeats are checked with; before the first call it takes none. */
  listen(keys: readonly Buffer[], maxSkewMs: number): void;
  /** The datagrams queued since the last call (onQueued says when there are some). */
  take(): Buffer[];
  /** The main thread accepted this heartbeat: its repeats are taken from now on. */
  learn(datagram: Buffer): void;
  /** The main thread no longer knows `node`: its heartbeats are all queued again. */
  forget(node: string): void;
  /** The sequence of the last repeat taken from `node` since it was learned, and how long ago (ms). */
  heard(node: string): { readonly sequence: number; readonly msAgo: number } | undefined;
  /** Totals; reading resets maxLateMs. */
  stats(): HeartbeatThreadStats;
  /** Stops and joins the thread and closes its socket. */
  stop(): void;
}

export interface HeartbeatThreadOptions {
  readonly bindAddress: string;
  /** 0: any free port (stats().port says which). */
  readonly port: number;
  readonly intervalMs: number;
  /** 1..99: SCHED_RR at that priority (else nice -10, else as it is without CAP_SYS_NICE); 0 leaves it. */
  readonly realtimePriority: number;
  /** Called on the main thread when datagrams wait to be taken. */
  readonly onQueued: () => void;
}

/** Binds the heartbeat socket and starts its thread; sending starts with the first template. */
export function startHeartbeatThread(options: HeartbeatThreadOptions): HeartbeatThread {
  const native = loadNative();
  const handle = native.beaconStart(options.bindAddress, options.port, options.intervalMs, options.realtimePriority, options.onQueued);
  let stopped = false;
  return {
    set: (body, key, peers) => native.beaconSet(handle, body, key, peers),
    sendNow: () => native.beaconSendNow(handle),
    listen: (keys, maxSkewMs) => native.beaconListen(handle, keys, maxSkewMs),
    take: () => native.beaconTake(handle),
    learn: datagram => native.beaconLearn(handle, datagram),
    forget: node => native.beaconForget(handle, node),
    heard: node => {
      const h = native.beaconHeard(handle, node);
      return h ? { sequence: h[0], msAgo: h[1] } : undefined;
    },
    stats: () => native.beaconStats(handle),
    stop: () => {
      if (stopped) return;
      stopped = true;
      native.beaconStop(handle);
    },
  };
}

/** Whether `mac` is HMAC-SHA256 of `body` under one of `keys` (native/hmac.c; protocols/l2/heartbeat.ts MacCheck). */
export function hmacSha256Verify(body: Buffer, mac: Buffer, keys: readonly Buffer[]): boolean {
  return loadNative().hmacSha256Verify(body, mac, keys);
}
