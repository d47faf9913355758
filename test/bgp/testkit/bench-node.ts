/**
 * The advertising side of hack/bench/bgp.ts, run inside a node namespace. It holds up to two of our sessions:
 * - "ours": the advertiser, dialing the router (BIRD) like a speaker does;
 * - "feeder": a session dialing gobgpd, which hands gobgpd the routes it then advertises to the router
 *   (gobgpd learns them over BGP, its normal input, so its RIB is complete; the CLI paths were not).
 * What the router holds is observed by bench-listener.ts, a separate process, so the measuring never
 * shares this process's thread.
 *
 *   bench-node.ts '<BenchNodeConfig as JSON>'
 * stdin (JSON lines), `to` is "ours" (default) or "feeder":
 *   {"op":"feeder","peer":P,"local":L,"myAsn":A,"peerAsn":B}   (creates the feeder, not started)
 *   {"op":"start","to":S,"first":A,"count":N,"nextHop":H}   (puts the routes in S's table, then starts S)
 *   {"op":"announce-range","to":S,...}  {"op":"withdraw-range","to":S,"first":A,"count":N}
 *   {"op":"advertise-one","prefix":A,"nextHop":H}  {"op":"stop","to":S}  {"op":"cpu"}
 * stdout: "ready", "<name> <State> <epochMs>" on every state change, "mark cpu <ms> <epochMs>" (just before a
 *   start/announce/withdraw hands its routes to the session; the routes themselves are built before it, as a
 *   speaker's pipeline hands its session a table it already has), "sent <name> cpu <ms> <epochMs>" (the UPDATEs
 *   of an announce/withdraw are written), "advertised <a.b.c.d> <epochMs>", "cpu <ms>".
 * Times are epoch milliseconds with sub-millisecond precision, comparable with the other processes; cpu is
 * this process's CPU time so far (user + system), so differences are this process's work whatever the load.
 * BENCH_TRACE=1 adds "trace ..." lines (each table written). BENCH_CPU_PROFILE=FILE records a CPU profile.
 */
import { createInterface } from "node:readline";
import { realClock } from "../../../core/clock";
import { parseIP, type Cidr, type IPAddress } from "../../../core/net/ip";
import { dialTcp } from "../../../speaker/bgp/tcp-connect";
import { BgpSession } from "../../../protocols/bgp/session";
import type { Route } from "../../../protocols/bgp/update-packer";
import { cpuMs, epoch, installProfiler, print, traceGarbageCollection } from "./bench-process";

export interface BenchNodeConfig {
  readonly router: string;
  readonly local: string;
  readonly myAsn: number;
  readonly routerAsn: number;
}

type Target = "ours" | "feeder";
type Command =
  | { op: "feeder"; peer: string; local: string; myAsn: number; peerAsn: number }
  | { op: "start" | "announce-range"; to?: Target; first: string; count: number; nextHop: string }
  | { op: "withdraw-range"; to?: Target; first: string; count: number }
  | { op: "advertise-one"; prefix: string; nextHop: string }
  | { op: "stop"; to?: Target }
  | { op: "cpu" };

const config = JSON.parse(process.argv[2] ?? "{}") as BenchNodeConfig;
const idOf = (a: string) => Number((parseIP(a) as IPAddress).value);
const trace = process.env.BENCH_TRACE === "1";

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

const mark = () => print(`mark cpu ${cpuMs()} ${epoch().toFixed(3)}`);
// Queued after the session's flush (itself a microtask queued by the change): runs once the UPDATEs are written.
const afterFlush = (to: Target | undefined) => queueMicrotask(() => print(`sent ${to ?? "ours"} cpu ${cpuMs()} ${epoch().toFixed(3)}`));

function handle(c: Command): void {
  switch (c.op) {
    case "feeder":
      sessions.set("feeder", { session: dialingSession("feeder", c.peer, c.local, c.myAsn, c.peerAsn), asn: c.myAsn });
      break;
    case "start": {
      const { session, asn } = sessionOf(c.to);
      const table = routes(asn, c.first, c.count, c.nextHop);
      mark();
      session.advertise(table);
      session.start();
      break;
    }
    case "announce-range": {
      const { session, asn } = sessionOf(c.to);
      const table = routes(asn, c.first, c.count, c.nextHop);
      mark();
      session.advertise(table);
      afterFlush(c.to);
      break;
    }
    case "withdraw-range": {
      const { session } = sessionOf(c.to);
      const prefixes = hosts(c.first, c.count);
      mark();
      session.withdraw(prefixes);
      afterFlush(c.to);
      break;
    }
    case "advertise-one": {
      const { session, asn } = sessionOf("ours");
      const route = routes(asn, c.prefix, 1, c.nextHop);
      const t0 = epoch();
      session.advertise(route);
      print(`advertised ${c.prefix} ${t0.toFixed(3)}`);
      break;
    }
    case "stop":
      sessionOf(c.to).session.stop();
      print(`${c.to ?? "ours"} stopped`);
      break;
    case "cpu":
      print(`cpu ${cpuMs()}`);
      break;
  }
}

createInterface({ input: process.stdin }).on("line", line => {
  if (line.trim() !== "") handle(JSON.parse(line) as Command);
});
installProfiler(process.env.BENCH_CPU_PROFILE);
traceGarbageCollection();
print("ready");
setInterval(() => undefined, 60_000);
