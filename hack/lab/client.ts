/**
 * The lab's client, inside the router/client namespace: one long-running process driven by lines on
 * stdin, so the lab pays Node's start-up once.
 *
 *   get ID URL                   -> `get ID STATUS BODY` or `get ID error MESSAGE` (2 s timeout)
 *   probe HOST PORT EVERY TIMEOUT -> one TCP connect every EVERY ms, each bounded by TIMEOUT ms:
 *                                   `tcp ok|fail START END` per attempt (epoch ms, fractional)
 *   stop                         -> stops probing; prints `stopped` once every attempt under way has
 *                                   printed its line, so a reader sees every probe
 * Prints `ready` at start.
 */
import { request } from "node:http";
import { connect } from "node:net";
import { createInterface } from "node:readline";

const out = (line: string): void => void process.stdout.write(`${line}\n`);
const nowMs = (): number => performance.timeOrigin + performance.now();

function get(id: string, url: string): void {
  const req = request(url, { timeout: 2000, headers: { connection: "close" } }, (res) => {
    let body = "";
    res.setEncoding("utf8").on("data", (chunk: string) => (body += chunk));
    res.on("end", () => out(`get ${id} ${res.statusCode ?? 0} ${body.trim().replace(/\s+/g, " ")}`));
  });
  req.on("timeout", () => req.destroy(new Error("timeout after 2000 ms")));
  req.on("error", (error) => out(`get ${id} error ${error.message}`));
  req.end();
}

let probing: NodeJS.Timeout | undefined;
let inFlight = 0;
let stopping = false;

const maybeStopped = (): void => {
  if (stopping && inFlight === 0) {
    stopping = false;
    out("stopped");
  }
};

function attempt(host: string, port: number, timeoutMs: number): void {
  const start = nowMs();
  let done = false;
  inFlight++;
  const socket = connect({ host, port });
  const finish = (ok: boolean): void => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    out(`tcp ${ok ? "ok" : "fail"} ${start.toFixed(1)} ${nowMs().toFixed(1)}`);
    inFlight--;
    maybeStopped();
    socket.destroy();
  };
  const timer = setTimeout(() => finish(false), timeoutMs);
  socket.once("connect", () => finish(true));
  socket.once("error", () => finish(false));
}

createInterface({ input: process.stdin }).on("line", (line) => {
  const [command, ...args] = line.trim().split(/\s+/);
  if (command === "get" && args.length === 2) get(args[0] ?? "", args[1] ?? "");
  else if (command === "probe" && args.length === 4) {
    const [host, port, every, timeout] = [args[0] ?? "", Number(args[1]), Number(args[2]), Number(args[3])];
    clearInterval(probing);
    probing = setInterval(() => attempt(host, port, timeout), every);
  } else if (command === "stop") {
    clearInterval(probing);
    probing = undefined;
    stopping = true;
    maybeStopped();
  } else out(`error unknown command: ${line}`);
}).on("close", () => process.exit(0));
out("ready");
