/**
 * The node side of hack/bench/bgp.ts, run inside a node namespace. It holds two of our sessions:
 * - "ours": the advertiser, dialing the router (BIRD) like a speaker does;
 * - "back": a listener the router dials, which receives everything the router holds and counts it,
 *   so "the router has all N prefixes" is an event timestamped in this process, not a poll.
 *
 *   bench-node.ts '<BenchNodeConfig as JSON>'
 * stdin (JSON lines): {"op":"watch","count":N}  {"op":"start","first":A,"count":N,"nextHop":H}
 *   {"op":"announce-range",...}  {"op":"withdraw-range","first":A,"count":N}  {"op":"latency","first":A,"samples":N,"nextHop":H}
 *   {"op":"stop-ours"}
 * stdout: "back Established", "watching <N>", "mark <epochMs>" (just before a start/announce/withdraw), "first <epochMs>"
 *   (first UPDATE on the back session after a watch), "reached <N> <epochMs>", "latency <json ms[]>".
 * Times are epoch milliseconds with sub-millisecond precision, comparable with the bench process.
 */
import { createServer, type Socket } from "node:net";
import { createInterface } from "node:readline";
import { realClock } from "../../../l2/clock";
import { parseIP, type Cidr, type IPAddress } from "../../../net/ip";
import { dialTcp } from "../../dial";
import { BgpSession } from "../../session";
import { prefixKey, type Route } from "../../update-packer";
import type { UpdateMessage } from "../../codec/update";

export interface BenchNodeConfig {
  readonly router: string;
  readonly local: string;
  readonly myAsn: number;
  readonly routerAsn: number;
  readonly backAddress: string;
  readonly backAsn: number;
}

type Command =
  | { op: "watch"; count: number }
  | { op: "start" | "announce-range"; first: string; count: number; nextHop: string }
  | { op: "withdraw-range"; first: string; count: number }
  | { op: "latency"; first: string; samples: number; nextHop: string }
  | { op: "stop-ours" };

const config = JSON.parse(process.argv[2] ?? "{}") as BenchNodeConfig;
const epoch = () => performance.timeOrigin + performance.now();
const print = (line: string) => process.stdout.write(`${line}\n`);
const idOf = (a: string) => Number((parseIP(a) as IPAddress).value);

const ours = new BgpSession({
  settings: { myAsn: config.myAsn, peerAsn: config.routerAsn, routerId: idOf(config.local), holdTimeS: 9, families: ["IPv4"] },
  clock: realClock,
  connect: () => dialTcp({ host: config.router, localAddress: config.local }),
});
ours.on("state", to => print(`ours ${to}`));

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
back.on("state", to => print(`back ${to}`));

// What the router holds, as seen on the back session.
const held = new Set<string>();
let target: number | undefined;
let sawFirst = true;
const awaited = new Map<string, () => void>();
const cidrKey = (c: Cidr) => prefixKey(c);

function onUpdate(u: UpdateMessage, treatAsWithdraw: boolean): void {
  if (!sawFirst) {
    sawFirst = true;
    print(`first ${epoch().toFixed(3)}`);
  }
  for (const p of u.withdrawn) held.delete(cidrKey(p));
  for (const p of u.attributes.mpUnreach?.withdrawn ?? []) held.delete(cidrKey(p));
  const reached = [...u.nlri, ...(u.attributes.mpReach?.nlri ?? [])];
  for (const p of reached) {
    const k = cidrKey(p);
    if (treatAsWithdraw) held.delete(k);
    else held.add(k);
    awaited.get(k)?.();
  }
  if (target !== undefined && held.size === target) {
    print(`reached ${target} ${epoch().toFixed(3)}`);
    target = undefined;
  }
}
back.on("update", r => onUpdate(r.update, r.treatAsWithdraw));

function hosts(first: string, count: number): Cidr[] {
  const base = (parseIP(first) as IPAddress).value;
  return Array.from({ length: count }, (_, i) => ({ family: "IPv4" as const, base: base + BigInt(i), prefix: 32 }));
}

const attributes = { origin: 0 as const, asPath: [{ type: 2 as const, asns: [config.myAsn] }] };
const routes = (first: string, count: number, nextHop: string): Route[] => {
  const nh = parseIP(nextHop) as IPAddress;
  return hosts(first, count).map(prefix => ({ prefix, nextHop: nh, attributes }));
};

async function latency(first: string, samples: number, nextHop: string): Promise<void> {
  const all = routes(first, samples, nextHop);
  const ms: number[] = [];
  for (const r of all) {
    const seen = new Promise<void>(resolve => awaited.set(prefixKey(r.prefix), resolve));
    const t0 = epoch();
    ours.advertise([r]);
    await seen;
    ms.push(epoch() - t0);
    awaited.delete(prefixKey(r.prefix));
  }
  ours.withdraw(all.map(r => r.prefix));
  print(`latency ${JSON.stringify(ms.map(v => Number(v.toFixed(3))))}`);
}

function handle(c: Command): void {
  switch (c.op) {
    case "watch":
      target = c.count;
      sawFirst = false;
      print(`watching ${c.count}`);
      if (held.size === c.count) print(`reached ${c.count} ${epoch().toFixed(3)}`);
      break;
    case "start": {
      print(`mark ${epoch().toFixed(3)}`);
      const rs = routes(c.first, c.count, c.nextHop);
      ours.advertise(rs);
      ours.start();
      break;
    }
    case "announce-range": {
      print(`mark ${epoch().toFixed(3)}`);
      const rs = routes(c.first, c.count, c.nextHop);
      ours.advertise(rs);
      break;
    }
    case "withdraw-range": {
      print(`mark ${epoch().toFixed(3)}`);
      const ps = hosts(c.first, c.count);
      ours.withdraw(ps);
      break;
    }
    case "latency":
      void latency(c.first, c.samples, c.nextHop);
      break;
    case "stop-ours":
      ours.stop();
      print("ours stopped");
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
setInterval(() => undefined, 60_000);
