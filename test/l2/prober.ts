/**
 * A client probing service IPs by TCP, run inside the client (router) namespace. Every `interval` ms
 * it opens a new connection to each target and reads the one line the node's server sends (its
 * node name). Probes overlap: a probe stuck on a dead MAC does not delay the next one.
 *
 *   prober.ts PORT INTERVAL_MS TIMEOUT_MS TARGET...
 * stdout:  ok TARGET SENT_AT_MS RTT_MS NODE   |   fail TARGET SENT_AT_MS REASON
 * (SENT_AT_MS is wall-clock time, comparable with the test process's Date.now()). "pause"/"resume" on stdin.
 */
import net from "node:net";
import { createInterface } from "node:readline";

const [portText, intervalText, timeoutText, ...targets] = process.argv.slice(2);
const port = Number(portText);
const intervalMs = Number(intervalText);
const timeoutMs = Number(timeoutText);
let paused = false;

function probe(target: string): void {
  const sentAt = Date.now();
  const start = performance.now();
  let reply = "";
  let done = false;
  const finish = (line: string): void => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    socket.destroy();
    process.stdout.write(`${line}\n`);
  };
  const socket = net.connect({ host: target, port });
  const timer = setTimeout(() => finish(`fail ${target} ${sentAt} timeout`), timeoutMs);
  socket.setEncoding("utf8");
  socket.on("data", (chunk: string) => {
    reply += chunk;
    const nl = reply.indexOf("\n");
    if (nl >= 0) finish(`ok ${target} ${sentAt} ${(performance.now() - start).toFixed(2)} ${reply.slice(0, nl)}`);
  });
  socket.on("error", (error: NodeJS.ErrnoException) => finish(`fail ${target} ${sentAt} ${error.code ?? error.message}`));
  socket.on("close", () => finish(`fail ${target} ${sentAt} closed`));
}

setInterval(() => {
  if (!paused) for (const t of targets) probe(t);
}, intervalMs);
createInterface({ input: process.stdin }).on("line", line => {
  if (line.trim() === "pause") paused = true;
  if (line.trim() === "resume") paused = false;
});
process.stdout.write("probing\n");
