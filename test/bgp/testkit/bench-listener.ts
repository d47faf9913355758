/**
 * The measuring side of hack/bench/bgp.ts, run in a node namespace in a process of its own: a BGP
 * session the router (BIRD) dials, which receives everything the router holds and counts it, so "the
 * router has all N prefixes" is an event timestamped here, not a poll. It runs apart from the
 * advertisers (bench-node.ts) so that decoding the router's exports never competes for a thread with
 * the session being measured, and ours and gobgpd are observed by the same, otherwise idle, process.
 *
 *   bench-listener.ts '<BenchListenerConfig as JSON>'
 * stdin (JSON lines):
 *   {"op":"watch","count":N}            report when the router holds exactly N prefixes
 *   {"op":"await","prefix":"a.b.c.d"}   report when the router announces that /32
 *   {"op":"cpu"}
 * stdout: "listening", "back <State> <epochMs>" on every state change, "watching <N> cpu <ms>",
 *   "first <epochMs>" (first non-empty UPDATE after a watch), "reached <N> cpu <ms> <epochMs>",
 *   "awaiting <a.b.c.d>", "saw <a.b.c.d> <epochMs>", "cpu <ms>".
 * Times are epoch milliseconds with sub-millisecond precision, comparable with the other processes; cpu
 * is this process's CPU time so far (user + system).
 * BENCH_TRACE=1 adds a "trace back ..." line per UPDATE received.
 */
import { createServer, type Socket } from "node:net";
import { createInterface } from "node:readline";
import { realClock } from "../../../core/clock";
import { parseIP, type IPAddress } from "../../../core/net/ip";
import { BgpSession } from "../../../protocols/bgp/session";
import { prefixId, type PrefixKey } from "../../../protocols/bgp/update-packer";
import type { UpdateMessage } from "../../../protocols/bgp/codec/update";
import { cpuMs, epoch, installProfiler, print, traceGarbageCollection } from "./bench-process";

export interface BenchListenerConfig {
  readonly address: string;
  readonly asn: number;
  readonly routerAsn: number;
}

type Command = { op: "watch"; count: number } | { op: "await"; prefix: string } | { op: "cpu" };

const config = JSON.parse(process.argv[2] ?? "{}") as BenchListenerConfig;
const trace = process.env.BENCH_TRACE === "1";
const hostKey = (address: string): PrefixKey => prefixId({ family: "IPv4", base: (parseIP(address) as IPAddress).value, prefix: 32 });

// The router connects in; each connect() of the session takes the next accepted socket.
const accepted: Socket[] = [];
let acceptWaiter: ((s: Socket) => void) | undefined;
const server = createServer(socket => {
  socket.setNoDelay(true);
  if (acceptWaiter) {
    const w = acceptWaiter;
    acceptWaiter = undefined;
    w(socket);
  } else accepted.push(socket);
});
const back = new BgpSession({
  settings: { myAsn: config.asn, peerAsn: config.routerAsn, routerId: Number((parseIP(config.address) as IPAddress).value), holdTimeS: 9, families: ["IPv4"] },
  clock: realClock,
  connect: () => {
    const ready = accepted.shift();
    return ready ? Promise.resolve(ready) : new Promise<Socket>(resolve => (acceptWaiter = resolve));
  },
});
back.on("state", to => print(`back ${to} ${epoch().toFixed(3)}`));

// What the router holds.
const held = new Set<PrefixKey>();
let target: number | undefined;
let sawFirst = true;
/** Awaited /32s: the key, and the address to print. */
const awaited = new Map<PrefixKey, string>();

function onUpdate(u: UpdateMessage, treatAsWithdraw: boolean): void {
  const empty = u.nlri.length + u.withdrawn.length + (u.attributes.mpReach?.nlri.length ?? 0) + (u.attributes.mpUnreach?.withdrawn.length ?? 0) === 0;
  // An empty UPDATE (BIRD's End-of-RIB when a session comes up) is not the first of a table.
  if (!sawFirst && !empty) {
    sawFirst = true;
    print(`first ${epoch().toFixed(3)}`);
  }
  for (const p of u.withdrawn) held.delete(prefixId(p));
  for (const p of u.attributes.mpUnreach?.withdrawn ?? []) held.delete(prefixId(p));
  for (const p of [...u.nlri, ...(u.attributes.mpReach?.nlri ?? [])]) {
    const k = prefixId(p);
    if (treatAsWithdraw) held.delete(k);
    else held.add(k);
    const address = awaited.get(k);
    if (address !== undefined && !treatAsWithdraw) {
      awaited.delete(k);
      print(`saw ${address} ${epoch().toFixed(3)}`);
    }
  }
  if (trace) print(`trace back +${u.nlri.length} -${u.withdrawn.length} held ${held.size} ${epoch().toFixed(3)}`);
  if (target !== undefined && held.size === target) {
    print(`reached ${target} cpu ${cpuMs()} ${epoch().toFixed(3)}`);
    target = undefined;
  }
}
back.on("update", r => onUpdate(r.update, r.treatAsWithdraw));

function handle(c: Command): void {
  switch (c.op) {
    case "watch":
      target = c.count;
      sawFirst = false;
      print(`watching ${c.count} cpu ${cpuMs()}`);
      if (held.size === c.count) {
        print(`reached ${c.count} cpu ${cpuMs()} ${epoch().toFixed(3)}`);
        target = undefined;
      }
      break;
    case "await":
      awaited.set(hostKey(c.prefix), c.prefix);
      print(`awaiting ${c.prefix}`);
      break;
    case "cpu":
      print(`cpu ${cpuMs()}`);
      break;
  }
}

server.listen(179, config.address, () => {
  print("listening");
  back.start();
});
createInterface({ input: process.stdin }).on("line", line => {
  if (line.trim() !== "") handle(JSON.parse(line) as Command);
});
installProfiler(process.env.BENCH_CPU_PROFILE_LISTENER);
traceGarbageCollection();
setInterval(() => undefined, 60_000);
