/**
 * The node side of hack/bench/bgp.ts, run inside a node namespace. It holds up to three of our sessions:
 * - "ours": the advertiser, dialing the router (BIRD) like a speaker does;
 * - "feeder": a session dialing gobgpd, which hands gobgpd the routes it then advertises to the router
 *   (gobgpd learns them over BGP, its normal input, so its RIB is complete; the CLI paths were not);
 * - "back": a listener the router dials, which receives everything the router holds and counts it,
 *   so "the router has all N prefixes" is an event timestamped in this process, not a poll.
 *
 *   bench-node.ts '<BenchNodeConfig as JSON>'
 * stdin (JSON lines), `to` is "ours" (default) or "feeder":
 *   {"op":"watch","count":N}
 *   {"op":"feeder","peer":P,"local":L,"myAsn":A,"peerAsn":B}   (creates the feeder, not started)
 *   {"op":"start","to":S,"first":A,"count":N,"nextHop":H}   (puts the routes in S's table, then starts S)
 *   {"op":"announce-range","to":S,...}  {"op":"withdraw-range","to":S,"first":A,"count":N}
 *   {"op":"latency","first":A,"samples":N,"nextHop":H}  {"op":"stop","to":S}
 * stdout: "listening", "<name> <State> <epochMs>" on every state change, "watching <N> cpu <ms>", "mark cpu <ms> <epochMs>" (just
 *   before a start/announce/withdraw), "sent <name> cpu <ms> <epochMs>" (the UPDATEs of an announce/withdraw are written),
 *   "first <epochMs>" (first non-empty UPDATE on the back session after a watch), "reached <N> cpu <ms> <epochMs>",
 *   "latency <json ms[]>".
 * Times are epoch milliseconds with sub-millisecond precision, comparable with the bench process; cpu is the
 * process's CPU time so far (user + system), so differences are this process's work whatever the load.
 * BENCH_TRACE=1 adds "trace ..." lines (each UPDATE the back session gets, each table written).
 * With BENCH_CPU_PROFILE=FILE in the environment it records a CPU profile (open it in Chrome's DevTools)
 * and writes it on SIGTERM (Node does not take --cpu-prof through NODE_OPTIONS).
 */
import { writeFileSync } from "node:fs";
import { Session as Inspector } from "node:inspector";
import { createServer, type Socket } from "node:net";
import { createInterface } from "node:readline";
import { realClock } from "../../l2/clock";
import { parseIP, type Cidr, type IPAddress } from "../../net/ip";
import { dialTcp } from "../dial";
import { BgpSession } from "../session";
import { prefixId, type PrefixKey, type Route } from "../update-packer";
import type { UpdateMessage } from "../codec/update";

export interface BenchNodeConfig {
  readonly router: string;
  readonly local: string;
  readonly myAsn: number;
  readonly routerAsn: number;
  readonly backAddress: string;
  readonly backAsn: number;
}

type Target = "ours" | "feeder";
type Command =
  | { op: "watch"; count: number }
  | { op: "feeder"; peer: string; local: string; myAsn: number; peerAsn: number }
  | { op: "start" | "announce-range"; to?: Target; first: string; count: number; nextHop: string }
  | { op: "withdraw-range"; to?: Target; first: string; count: number }
  | { op: "latency"; first: string; samples: number; nextHop: string }
  | { op: "stop"; to?: Target };

const config = JSON.parse(process.argv[2] ?? "{}") as BenchNodeConfig;
const epoch = () => performance.timeOrigin + performance.now();
const print = (line: string) => process.stdout.write(`${line}\n`);
const idOf = (a: string) => Number((parseIP(a) as IPAddress).value);
/** BENCH_TRACE=1: a "trace" line per UPDATE the back session receives, and when tables are written. */
const trace = process.env.BENCH_TRACE === "1";
/** CPU time this process has used (user + system), for figures that do not depend on the machine's load. */
const cpuMs = () => {
  const u = process.cpuUsage();
  return ((u.user + u.system) / 1000).toFixed(1);
};

function dialingSession(name: Target, peer: string, local: string, myAsn: number, peerAsn: number): BgpSession {
  const s = new BgpSession({
    settings: { myAsn, peerAsn, routerId: idOf(local), holdTimeS: 9, families: ["IPv4"] },
    clock: realClock,
    connect: () => dialTcp({ host: peer, localAddress: local }),
  });
  s.on("state", to => print(`${name} ${to} ${epoch().toFixed(3)}`));
  // Queued behind the initial table's write, which follows the "established" event synchronously.
  if (trace) s.on("established", () => queueMicrotask(() => print(`trace ${name} table written ${epoch().toFixed(3)}`)));
  return s;
}

const sessions = new Map<Target, { session: BgpSession; asn: number }>([
  ["ours", { session: dialingSession("ours", config.router, config.local, config.myAsn, config.routerAsn), asn: config.myAsn }],
]);
const sessionOf = (to: Target | undefined) => {
  const s = sessions.get(to ?? "ours");
  if (!s) throw new Error(`no session ${to}`);
  return s;
};

// The back session waits for the router to connect in; each connect() takes the next accepted socket.
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
  settings: { myAsn: config.backAsn, peerAsn: config.routerAsn, routerId: idOf(config.backAddress), holdTimeS: 9, families: ["IPv4"] },
  clock: realClock,
  connect: () => {
    const ready = accepted.shift();
    return ready ? Promise.resolve(ready) : new Promise<Socket>(resolve => (acceptWaiter = resolve));
  },
});
back.on("state", to => print(`back ${to} ${epoch().toFixed(3)}`));

// What the router holds, as seen on the back session.
const held = new Set<PrefixKey>();
let target: number | undefined;
let sawFirst = true;
const awaited = new Map<PrefixKey, () => void>();

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
    awaited.get(k)?.();
  }
  if (trace) print(`trace back +${u.nlri.length} -${u.withdrawn.length} held ${held.size} ${epoch().toFixed(3)}`);
  if (target !== undefined && held.size === target) {
    print(`reached ${target} cpu ${cpuMs()} ${epoch().toFixed(3)}`);
    target = undefined;
  }
}
back.on("update", r => onUpdate(r.update, r.treatAsWithdraw));

function hosts(first: string, count: number): Cidr[] {
  const base = (parseIP(first) as IPAddress).value;
  return Array.from({ length: count }, (_, i) => ({ family: "IPv4" as const, base: base + BigInt(i), prefix: 32 }));
}

const attributesByAsn = new Map<number, Route["attributes"]>();
const routes = (asn: number, first: string, count: number, nextHop: string): Route[] => {
  const nh = parseIP(nextHop) as IPAddress;
  let attributes = attributesByAsn.get(asn);
  if (!attributes) attributesByAsn.set(asn, (attributes = { origin: 0, asPath: [{ type: 2, asns: [asn] }] }));
  const shared = attributes;
  return hosts(first, count).map(prefix => ({ prefix, nextHop: nh, attributes: shared }));
};

async function latency(first: string, samples: number, nextHop: string): Promise<void> {
  const { session, asn } = sessionOf("ours");
  const all = routes(asn, first, samples, nextHop);
  const ms: number[] = [];
  for (const r of all) {
    const seen = new Promise<void>(resolve => awaited.set(prefixId(r.prefix), resolve));
    const t0 = epoch();
    session.advertise([r]);
    await seen;
    ms.push(epoch() - t0);
    awaited.delete(prefixId(r.prefix));
  }
  session.withdraw(all.map(r => r.prefix));
  print(`latency ${JSON.stringify(ms.map(v => Number(v.toFixed(3))))}`);
}

function handle(c: Command): void {
  switch (c.op) {
    case "watch":
      target = c.count;
      sawFirst = false;
      print(`watching ${c.count} cpu ${cpuMs()}`);
      if (held.size === c.count) print(`reached ${c.count} cpu ${cpuMs()} ${epoch().toFixed(3)}`);
      break;
    case "feeder":
      sessions.set("feeder", { session: dialingSession("feeder", c.peer, c.local, c.myAsn, c.peerAsn), asn: c.myAsn });
      break;
    case "start": {
      const { session, asn } = sessionOf(c.to);
      print(`mark cpu ${cpuMs()} ${epoch().toFixed(3)}`);
      session.advertise(routes(asn, c.first, c.count, c.nextHop));
      session.start();
      break;
    }
    case "announce-range": {
      const { session, asn } = sessionOf(c.to);
      print(`mark cpu ${cpuMs()} ${epoch().toFixed(3)}`);
      session.advertise(routes(asn, c.first, c.count, c.nextHop));
      // Queued after the session's flush: runs once the UPDATEs are written.
      queueMicrotask(() => print(`sent ${c.to ?? "ours"} cpu ${cpuMs()} ${epoch().toFixed(3)}`));
      break;
    }
    case "withdraw-range": {
      const { session } = sessionOf(c.to);
      print(`mark cpu ${cpuMs()} ${epoch().toFixed(3)}`);
      session.withdraw(hosts(c.first, c.count));
      queueMicrotask(() => print(`sent ${c.to ?? "ours"} cpu ${cpuMs()} ${epoch().toFixed(3)}`));
      break;
    }
    case "latency":
      void latency(c.first, c.samples, c.nextHop);
      break;
    case "stop":
      sessionOf(c.to).session.stop();
      print(`${c.to ?? "ours"} stopped`);
      break;
  }
}

server.listen(179, config.backAddress, () => {
  print("listening");
  back.start();
});
createInterface({ input: process.stdin }).on("line", line => {
  if (line.trim() !== "") handle(JSON.parse(line) as Command);
});
const profileFile = process.env.BENCH_CPU_PROFILE;
if (profileFile) {
  const inspector = new Inspector();
  inspector.connect();
  inspector.post("Profiler.enable", () => inspector.post("Profiler.start"));
  process.on("SIGTERM", () =>
    inspector.post("Profiler.stop", (error, result) => {
      if (!error) writeFileSync(profileFile, JSON.stringify(result.profile));
      process.exit(0);
    }),
  );
} else process.on("SIGTERM", () => process.exit(0));
setInterval(() => undefined, 60_000);
