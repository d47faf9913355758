/**
 * A Lodestone BFD session as a process, for network-namespace tests (run inside a node namespace).
 *   bfd-speaker.ts LOCAL_IP PEER_IP
 * Prints "bfd <State> diag <n>" on each change. "stop" on stdin goes AdminDown and exits.
 */
import { createInterface } from "node:readline";
import { realClock } from "../../l2/clock";
import { stateName } from "../packet";
import { BfdSession } from "../session";
import { openSingleHop } from "../udp";

const [local, peer] = process.argv.slice(2);
if (!local || !peer) throw new Error("usage: bfd-speaker.ts LOCAL_IP PEER_IP");
async function main(local: string, peer: string): Promise<void> {
  let session: BfdSession | undefined;
  const transport = await openSingleHop({ localAddress: local, peerAddress: peer, onPacket: p => session?.receive(p) });
  session = new BfdSession({ desiredMinTxMs: 300, requiredMinRxMs: 300, detectMultiplier: 3, localDiscriminator: 0x1d }, realClock, p => transport.send(p));
  session.on("state", (to, _from, diag) => console.log(`bfd ${stateName(to)} diag ${diag}`));
  session.start();
  createInterface({ input: process.stdin }).on("line", line => {
    if (line.trim() === "stop") {
      session?.stop();
      setTimeout(() => {
        transport.close();
        process.exit(0);
      }, 100);
    }
  });
  setInterval(() => undefined, 60_000);
}

// No top-level await: tsx runs this file as CommonJS.
void main(local, peer);
