/**
 * A Lodestone BGP session as a process, for network-namespace tests (run inside a node namespace).
 *   speaker.ts PEER_IP LOCAL_IP MY_ASN PEER_ASN
 * Prints "state <name>" on each change and "down <reason>". Reads commands on stdin:
 *   announce PREFIX NEXT_HOP     withdraw PREFIX     stop
 */
import { createInterface } from "node:readline";
import { realClock } from "../../../core/clock";
import { parseCidr, parseIP, type Cidr, type IPAddress } from "../../../core/net/ip";
import { dialTcp } from "../../../speaker/bgp/tcp-connect";
import { BgpSession } from "../../../protocols/bgp/session";

const [peer, local, myAsn, peerAsn] = process.argv.slice(2);
if (!peer || !local || !myAsn || !peerAsn) throw new Error("usage: speaker.ts PEER_IP LOCAL_IP MY_ASN PEER_ASN");
const routerId = Number((parseIP(local) as IPAddress).value);
const session = new BgpSession({
  settings: { myAsn: Number(myAsn), peerAsn: Number(peerAsn), routerId, holdTimeS: 9, families: ["IPv4", "IPv6"] },
  clock: realClock,
  connect: () => dialTcp({ host: peer, localAddress: local }),
});
session.on("state", to => console.log(`state ${to}`));
session.on("down", reason => console.log(`down ${reason}`));
const ebgp = Number(myAsn) !== Number(peerAsn);

createInterface({ input: process.stdin }).on("line", line => {
  const [cmd, prefix, nextHop] = line.trim().split(/\s+/);
  if (cmd === "announce" && prefix && nextHop) {
    session.advertise([
      {
        prefix: parseCidr(prefix) as Cidr,
        nextHop: parseIP(nextHop) as IPAddress,
        attributes: { origin: 0, asPath: ebgp ? [{ type: 2, asns: [Number(myAsn)] }] : [] },
      },
    ]);
    console.log(`announced ${prefix}`);
  } else if (cmd === "withdraw" && prefix) {
    session.withdraw([parseCidr(prefix) as Cidr]);
    console.log(`withdrawn ${prefix}`);
  } else if (cmd === "stop") {
    session.stop();
    setTimeout(() => process.exit(0), 100);
  }
});
session.start();
// realClock's timers are unref'd; keep the process alive while the session runs.
setInterval(() => undefined, 60_000);
