/**
 * One "node" of the interop tests as a process inside a node namespace: our BGP session (optionally
 * with TCP MD5 and graceful restart) and, optionally, our BFD session towards the same router.
 *
 *   node-speaker.ts '<SpeakerConfig as JSON>'
 *
 * stdin, one JSON command per line:
 *   {"op":"announce","routes":[RouteSpec...]}   {"op":"withdraw","prefixes":["198.51.100.7/32"]}
 *   {"op":"announce-range","first":"198.18.0.0","count":10000,"nextHop":"192.0.2.11"}   (bench)
 *   {"op":"withdraw-range","first":"198.18.0.0","count":10000}
 *   {"op":"stats"}   {"op":"stop"}
 * stdout, one event per line: "state <name>", "down <reason>", "bfd <State> diag <n> at <epochMs>",
 *   "bfd intervals <txMs>/<rxMs>" when a BFD Poll sequence completes,
 *   "update <json>" for each UPDATE received (treatAsWithdraw, nlri prefixes, withdrawn count, attribute names), "stats <json>", "announced <n>", "withdrawn <n>".
 */
import { createInterface } from "node:readline";
import { realClock } from "../../../../core/clock";
import { formatCidr, parseIP, type Cidr, type IPAddress } from "../../../../core/net/ip";
import { stateName } from "../../../../protocols/bfd/packet";
import { BfdSession } from "../../../../protocols/bfd/session";
import { openSingleHop } from "../../../bfd/single-hop-udp";
import { dialTcp } from "../../../../speaker/bgp/tcp-connect";
import { BgpSession } from "../../../../protocols/bgp/session";
import type { Route } from "../../../../protocols/bgp/update-packer";
import { dialMd5 } from "./dial-md5";
import { routeFromSpec, type RouteSpec } from "./route-spec";

export interface SpeakerConfig {
  readonly peer: string;
  readonly local: string;
  readonly myAsn: number;
  readonly peerAsn: number;
  readonly holdTimeS?: number;
  readonly md5Key?: string;
  readonly gracefulRestartS?: number;
  /** Fixed wait between connection attempts instead of the 1 s doubling backoff. */
  readonly connectTimeS?: number;
  readonly bfd?: { readonly txMs: number; readonly rxMs: number; readonly multiplier: number };
  /** Routes in the Adj-RIB-Out before the session starts. */
  readonly routes?: readonly RouteSpec[];
}

type Command =
  | { op: "announce"; routes: RouteSpec[] }
  | { op: "withdraw"; prefixes: string[] }
  | { op: "announce-range"; first: string; count: number; nextHop: string }
  | { op: "withdraw-range"; first: string; count: number }
  | { op: "stats" }
  | { op: "stop" };

const config = JSON.parse(process.argv[2] ?? "{}") as SpeakerConfig;
const ebgp = config.myAsn !== config.peerAsn;
const local = parseIP(config.local);
if (!local || local.family !== "IPv4") throw new Error(`local must be an IPv4 address, got ${config.local}`);

const session = new BgpSession({
  settings: {
    myAsn: config.myAsn,
    peerAsn: config.peerAsn,
    routerId: Number(local.value),
    holdTimeS: config.holdTimeS ?? 9,
    families: ["IPv4", "IPv6"],
    ...(config.connectTimeS !== undefined ? { connectTimeS: config.connectTimeS } : {}),
    ...(config.gracefulRestartS !== undefined ? { gracefulRestart: { restartTimeS: config.gracefulRestartS } } : {}),
  },
  clock: realClock,
  connect: () => (config.md5Key !== undefined ? dialMd5({ host: config.peer, localAddress: config.local, key: config.md5Key }) : dialTcp({ host: config.peer, localAddress: config.local })),
});
const print = (line: string) => process.stdout.write(`${line}\n`);
session.on("state", to => print(`state ${to}`));
session.on("down", (reason, n) => print(`down ${reason}${n ? ` (notification ${n.code}/${n.subcode})` : ""}`));
session.on("update", u =>
  print(
    `update ${JSON.stringify({
      treatAsWithdraw: u.treatAsWithdraw,
      nlri: u.update.nlri.map(formatCidr),
      withdrawn: u.update.withdrawn.length,
      // Which attributes survived decoding: RFC 7606 attribute-discard shows as one missing.
      attributes: Object.keys(u.update.attributes).sort(),
    })}`,
  ),
);

/** `count` consecutive /32s from `first` (the bench's 198.18.0.0/15 prefixes). */
function hostRoutes(first: string, count: number): Cidr[] {
  const base = parseIP(first);
  if (!base || base.family !== "IPv4") throw new Error(`bad first address ${first}`);
  return Array.from({ length: count }, (_, i) => ({ family: "IPv4" as const, base: base.value + BigInt(i), prefix: 32 }));
}

function rangeRoutes(first: string, count: number, nextHop: string): Route[] {
  const nh = parseIP(nextHop) as IPAddress;
  // One attributes object for all: the packer encodes it once and fills messages with NLRI.
  const attributes = { origin: 0 as const, asPath: ebgp ? [{ type: 2 as const, asns: [config.myAsn] }] : [] };
  return hostRoutes(first, count).map(prefix => ({ prefix, nextHop: nh, attributes }));
}

function handle(c: Command): void {
  switch (c.op) {
    case "announce":
      session.advertise(c.routes.map(r => routeFromSpec(r, config.myAsn, ebgp)));
      print(`announced ${c.routes.length}`);
      break;
    case "withdraw":
      session.withdraw(c.prefixes.map(p => routeFromSpec({ prefix: p, nextHop: "0.0.0.0" }, config.myAsn, ebgp).prefix));
      print(`withdrawn ${c.prefixes.length}`);
      break;
    case "announce-range":
      session.advertise(rangeRoutes(c.first, c.count, c.nextHop));
      print(`announced ${c.count}`);
      break;
    case "withdraw-range":
      session.withdraw(hostRoutes(c.first, c.count));
      print(`withdrawn ${c.count}`);
      break;
    case "stats":
      print(`stats ${JSON.stringify({ state: session.state, ...session.stats })}`);
      break;
    case "stop":
      session.stop();
      bfd?.stop();
      setTimeout(() => process.exit(0), 100);
      break;
  }
}

let bfd: BfdSession | undefined;
async function main(): Promise<void> {
  if (config.bfd) {
    const b = config.bfd;
    let session: BfdSession | undefined;
    const transport = await openSingleHop({ localAddress: config.local, peerAddress: config.peer, onPacket: p => session?.receive(p) });
    session = new BfdSession({ desiredMinTxMs: b.txMs, requiredMinRxMs: b.rxMs, detectMultiplier: b.multiplier, localDiscriminator: Number(local?.value ?? 1n) }, realClock, p => transport.send(p));
    // The epoch time lets the bench compare it with when it broke the link.
    session.on("state", (to, _from, diag) => print(`bfd ${stateName(to)} diag ${diag} at ${(performance.timeOrigin + performance.now()).toFixed(3)}`));
    // The end of the Poll sequence that leaves the 1 s start-up floor: the fast intervals are in force.
    session.on("intervals", i => print(`bfd intervals ${i.desiredMinTxMs}/${i.requiredMinRxMs}`));
    session.start();
    bfd = session;
  }
  if (config.routes) session.advertise(config.routes.map(r => routeFromSpec(r, config.myAsn, ebgp)));
  createInterface({ input: process.stdin }).on("line", line => {
    if (line.trim() === "") return;
    try {
      handle(JSON.parse(line) as Command);
    } catch (error) {
      print(`error ${(error as Error).message}`);
    }
  });
  session.start();
  // realClock's timers are unref'd; keep the process alive while the session runs.
  setInterval(() => undefined, 60_000);
}

// No top-level await: tsx runs this file as CommonJS.
void main();
