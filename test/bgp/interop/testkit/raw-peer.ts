/**
 * A scripted BGP peer for the robustness test, run in the router namespace: it listens on port 179
 * and, on the Nth connection, plays scenario N of malformed.ts: after our OPEN it either sends the
 * malformed bytes at once (OPEN phase) or completes the handshake and then sends them (UPDATE phase).
 * It prints one line per scenario: "result <n> notification <code>/<subcode>" when we answered with a
 * NOTIFICATION, or "result <n> none" when we kept the session (it then closes it to move on).
 *   raw-peer.ts LISTEN_ADDRESS BGP_ID
 */
import { createServer } from "node:net";
import { MessageFramer } from "../../../../protocols/bgp/framing";
import { KEEPALIVE } from "../../../../protocols/bgp/codec/message";
import { scenarios, validOpen } from "./malformed";

const [address, id] = process.argv.slice(2);
const bgpId = Number(id);
const list = scenarios(bgpId);
let next = 0;
const print = (line: string) => process.stdout.write(`${line}\n`);

const server = createServer(socket => {
  const index = next++;
  const scenario = list[index];
  if (!scenario) {
    socket.destroy();
    return;
  }
  const framer = new MessageFramer();
  let answered = false;
  let opens = 0;
  const finish = (what: string) => {
    if (answered) return;
    answered = true;
    print(`result ${index} ${what}`);
    socket.destroy();
  };
  socket.on("data", (chunk: Buffer) => {
    for (const frame of framer.push(chunk)) {
      if (!frame.ok) return finish(`garbage`);
      const type = frame.message[18];
      if (type === 3) return finish(`notification ${frame.message[19]}/${frame.message[20]}`);
      if (type === 1) {
        opens++;
        if (scenario.phase === "open") socket.write(scenario.bytes);
        else socket.write(Buffer.concat([validOpen(bgpId), KEEPALIVE]));
      } else if (type === 4 && scenario.phase === "update" && opens === 1) {
        opens++;
        // Our KEEPALIVE: we are Established. Send the malformed UPDATE, then a KEEPALIVE; if the
        // session is still there a moment later, it was kept.
        socket.write(Buffer.concat([scenario.bytes, KEEPALIVE]));
        setTimeout(() => finish("none"), 500);
      }
    }
  });
  socket.on("error", () => finish("error"));
  socket.on("close", () => finish("closed"));
});
server.listen(179, address, () => print("listening"));
setInterval(() => undefined, 60_000);
