/**
 * A Lodestone BFD session as a process, for network-namespace tests (run inside a node namespace).
 *   bfd-speaker.ts LOCAL_IP PEER_IP ['{"multihop":true,"minimumTtl":254,"passive":true,"intervalMs":300,"multiplier":3,"echoIntervalMs":50}']
 * Single hop goes through ../udp.ts; multihop through the data plane's shared sockets (port 4784, the
 * per-peer minimum TTL filter), as the speaker runs it.
 * Prints "ready" once the session runs (socket open, timers started), "first-send received <n>" when it
 * sends its first packet (n: packets heard by then; a passive session must have heard one), "bfd <State>
 * diag <n>" on each change, "filter-error <message>" if the TTL filter could not be attached.
 * With echoIntervalMs, echo mode through the speaker's echo sockets (../../speaker/bfd/bfd-echo.ts).
 * stdin: "stats" prints 'stats {"state":..,"received":..,"sent":..,"echoSent":..,"echoReceived":..}'; "stop" goes AdminDown and exits.
 */
import { createInterface } from "node:readline";
import { bfdEchoSockets, type EchoTransport } from "../../speaker/bfd/bfd-echo";
import { bfdSockets } from "../../speaker/bfd/bfd-udp";
import { realClock } from "../../core/clock";
import { stateName } from "../../protocols/bfd/packet";
import { BfdSession } from "../../protocols/bfd/session";
import type { BfdTransport } from "../../speaker/bfd/bfd-udp";
import { openSingleHop } from "./single-hop-udp";

interface Options {
  readonly multihop?: boolean;
  readonly minimumTtl?: number;
  readonly passive?: boolean;
  readonly intervalMs?: number;
  readonly multiplier?: number;
  readonly echoIntervalMs?: number;
}

const [local, peer, json] = process.argv.slice(2);
if (!local || !peer) throw new Error("usage: bfd-speaker.ts LOCAL_IP PEER_IP [OPTIONS_JSON]");
const options = JSON.parse(json ?? "{}") as Options;
const print = (line: string) => process.stdout.write(`${line}\n`);

async function main(local: string, peer: string): Promise<void> {
  let session: BfdSession | undefined;
  let received = 0;
  let sent = 0;
  let echoSent = 0;
  let echoReceived = 0;
  let echo: EchoTransport | undefined;
  if (options.echoIntervalMs !== undefined) {
    echo = bfdEchoSockets({ onError: m => print(`echo-error ${m}`) })(local, peer, 0x1d, e => {
      echoReceived++;
      session?.receiveEcho(e);
    });
  }
  const onPacket = (p: Buffer) => {
    received++;
    session?.receive(p);
  };
  const transport: BfdTransport = options.multihop
    ? await bfdSockets({ onFilterError: e => print(`filter-error ${String(e)}`) })(local, peer, onPacket, {
        multihop: true,
        ...(options.minimumTtl !== undefined ? { minimumTtl: options.minimumTtl } : {}),
      })
    : await openSingleHop({ localAddress: local, peerAddress: peer, onPacket });
  const interval = options.intervalMs ?? 300;
  session = new BfdSession(
    {
      desiredMinTxMs: interval,
      requiredMinRxMs: interval,
      detectMultiplier: options.multiplier ?? 3,
      localDiscriminator: 0x1d,
      passive: options.passive ?? false,
      ...(options.echoIntervalMs !== undefined ? { echoIntervalMs: options.echoIntervalMs } : {}),
    },
    realClock,
    p => {
      if (sent === 0) print(`first-send received ${received}`);
      sent++;
      transport.send(p);
    },
    Math.random,
    echo
      ? e => {
          // Every echo the session asks for, sent or not (no MAC yet): what the session decided.
          echoSent++;
          return echo.send(e);
        }
      : undefined,
  );
  session.on("state", (to, _from, diag) => print(`bfd ${stateName(to)} diag ${diag}`));
  session.start();
  print("ready");
  createInterface({ input: process.stdin }).on("line", line => {
    const command = line.trim();
    if (command === "stats" && session) print(`stats ${JSON.stringify({ state: stateName(session.state), received, sent, echoSent, echoReceived })}`);
    if (command === "stop") {
      session?.stop();
      setTimeout(() => {
        transport.close();
        echo?.close();
        process.exit(0);
      }, 100);
    }
  });
  setInterval(() => undefined, 60_000);
}

// No top-level await: tsx runs this file as CommonJS.
void main(local, peer);
