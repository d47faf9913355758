/**
 * An ARP client for the benchmark, run in the client namespace: it asks for TARGET through a packet
 * socket on IFNAME and times the replies. Each request carries its own sender address (from the RFC
 * 2544 range 198.18.0.0/15), so a reply (whose target address is that sender) names its request.
 *
 *   arp-flood.ts IFNAME TARGET latency COUNT          one request at a time: reply time percentiles
 *   arp-flood.ts IFNAME TARGET throughput MS WINDOW   WINDOW requests in flight for MS ms: replies/s
 * Last stdout line: one JSON object with the figures.
 */
import { readFileSync } from "node:fs";
import { ETH_P_ARP, arpFilter } from "../../native/bpf";
import { PacketSocket } from "../../native/index";
import { decodeArpFrame, encodeArpFrame } from "../../protocols/l2/arp";
import { BROADCAST_MAC, ZERO_MAC } from "../../protocols/l2/ethernet";

const [ifname = "br0", target = "", mode = "latency", a = "1000", b = "32"] = process.argv.slice(2);
const ourMac = readFileSync(`/sys/class/net/${ifname}/address`, "utf8").trim();
const socket = PacketSocket.open(ifname, ETH_P_ARP, arpFilter());

/** Sender addresses 198.18.0.1 .. 198.19.255.254, by sequence number. */
const SENDERS = 2 ** 17 - 2;
const senderIP = (seq: number): string => {
  const n = (seq % SENDERS) + 1;
  return `198.${18 + (n >> 16)}.${(n >> 8) & 255}.${n & 255}`;
};
const seqOf = (ip: string): number | undefined => {
  const p = ip.split(".").map(Number);
  if (p.length !== 4 || p[0] !== 198) return undefined;
  return ((((p[1] ?? 0) - 18) << 16) | ((p[2] ?? 0) << 8) | (p[3] ?? 0)) - 1;
};

const sentAt = new Map<number, bigint>();
let replyHandler: (seq: number, ns: bigint) => void = () => {};
socket.onFrame(frame => {
  const now = process.hrtime.bigint();
  const arp = decodeArpFrame(frame);
  if ("kind" in arp || arp.operation !== 2 || arp.senderIP !== target) return;
  const seq = seqOf(arp.targetIP);
  if (seq === undefined) return;
  const start = sentAt.get(seq);
  if (start === undefined) return;
  sentAt.delete(seq);
  replyHandler(seq, now - start);
});

let nextSeq = 0;
function ask(): number {
  const seq = nextSeq++ % SENDERS;
  const frame = encodeArpFrame({
    ethernetDestination: BROADCAST_MAC,
    ethernetSource: ourMac,
    operation: 1,
    senderMac: ourMac,
    senderIP: senderIP(seq),
    targetMac: ZERO_MAC,
    targetIP: target,
  });
  sentAt.set(seq, process.hrtime.bigint());
  socket.send(frame);
  return seq;
}

const percentile = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

async function latency(count: number): Promise<void> {
  const samples: number[] = [];
  let lost = 0;
  for (let i = 0; i < count; i++) {
    const us = await new Promise<number | undefined>(resolve => {
      const timer = setTimeout(() => resolve(undefined), 200);
      replyHandler = (_seq, ns) => {
        clearTimeout(timer);
        resolve(Number(ns) / 1000);
      };
      ask();
    });
    if (us === undefined) lost++;
    else samples.push(us);
  }
  samples.sort((x, y) => x - y);
  const r = (x: number): number => Math.round(x);
  console.log(JSON.stringify({ requests: count, lost, p50_us: r(percentile(samples, 50)), p99_us: r(percentile(samples, 99)), max_us: r(samples[samples.length - 1] ?? NaN) }));
}

async function throughput(durationMs: number, window: number): Promise<void> {
  let replies = 0;
  const start = process.hrtime.bigint();
  const end = start + BigInt(durationMs) * 1_000_000n;
  let inFlight = 0;
  replyHandler = () => {
    replies++;
    inFlight--;
    if (process.hrtime.bigint() < end) {
      inFlight++;
      ask();
    }
  };
  for (; inFlight < window; inFlight++) ask();
  // Lost requests would shrink the window: top it up, and drop the bookkeeping of stale requests.
  await new Promise<void>(resolve => {
    const tick = setInterval(() => {
      const now = process.hrtime.bigint();
      for (const [seq, t] of sentAt) {
        if (now - t > 100_000_000n) {
          sentAt.delete(seq);
          inFlight--;
        }
      }
      if (now >= end) {
        clearInterval(tick);
        resolve();
        return;
      }
      for (; inFlight < window; inFlight++) ask();
    }, 20);
  });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  console.log(JSON.stringify({ sent: nextSeq, replies, seconds: Math.round(seconds * 1000) / 1000, replies_per_s: Math.round(replies / seconds) }));
}

const done = mode === "throughput" ? throughput(Number(a), Number(b)) : latency(Number(a));
void done.then(() => {
  socket.close();
  process.exit(0);
});
