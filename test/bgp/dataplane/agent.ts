/**
 * The BGP data plane as a process, for namespace tests: it runs inside a node namespace (so it dials
 * from the node's address, with the native addon's MD5 and TTL) and is driven over stdin.
 *
 *   agent.ts '<AgentConfig as JSON>'
 *
 * stdin, one JSON command per line:
 *   {"op":"announce","routes":[BGPRoute...]}   -> "announced <epoch ms, fractional>" (taken just before setAnnouncements)
 *   {"op":"config","peers":[BGPPeer...],"bfdProfiles":[BFDProfile...]}   -> "configured"
 *   {"op":"status"}   -> "status <json>"        {"op":"stop"}
 *   {"op":"block","ms":1000}   -> "blocked <ms>"  (the main thread busy for that long: a relist, a GC, a JSON parse)
 *   {"op":"metrics"}   -> "metrics <the Prometheus text as a JSON string>"
 * stdout: "status <json>" on every status change.
 */
import { createInterface } from "node:readline";
import { Registry } from "prom-client";
import type { BGPRoute } from "../../../core/announce/desired";
import type { BFDProfile, BGPPeer, Config } from "../../../core/config/types";
import { isolatedBfd } from "../../../speaker/bfd/bfd-isolated";
import { bfdSockets } from "../../../speaker/bfd/bfd-udp";
import { startBgpDataPlane, type BgpLog } from "../../../speaker/bgp/index";

export interface AgentConfig {
  readonly nodeName: string;
  readonly labels: Record<string, string>;
  readonly addresses: string[];
  readonly peers: BGPPeer[];
  readonly bfdProfiles?: BFDProfile[];
  /** Where BFD runs: a process of its own (default), a worker thread, or the main thread (as before; the control of bfd-isolated.netns.spec.ts). */
  readonly bfd?: "process" | "thread" | "main";
}

type Command =
  | { op: "announce"; routes: BGPRoute[] }
  | { op: "config"; peers: BGPPeer[]; bfdProfiles?: BFDProfile[] }
  | { op: "status" }
  | { op: "block"; ms: number }
  | { op: "metrics" }
  | { op: "stop" };

const agent = JSON.parse(process.argv[2] ?? "{}") as AgentConfig;
const print = (line: string) => process.stdout.write(`${line}\n`);
const toConfig = (peers: BGPPeer[], profiles: BFDProfile[] = []): Config => ({
  namespace: "metallb-system",
  pools: new Map(),
  l2Advertisements: [],
  bgpAdvertisements: [],
  peers,
  bfdProfiles: new Map(profiles.map(p => [p.name, p])),
  communityAliases: new Map(),
});
/** Wall-clock milliseconds with sub-millisecond precision, comparable with other processes' timestamps. */
const epochMs = () => performance.timeOrigin + performance.now();

const log: BgpLog = (level, message, fields) => process.stderr.write(`${level} ${message} ${JSON.stringify(fields ?? {})}\n`);
const registry = new Registry();
const dp = startBgpDataPlane({
  nodeName: agent.nodeName,
  log,
  registry,
  ...(agent.bfd === "main" ? { openBfd: bfdSockets() } : {}),
  ...(agent.bfd === "thread" ? { bfd: isolatedBfd({ isolation: "thread", log }) } : {}),
});
dp.onStatusChange(s => print(`status ${JSON.stringify(s)}`));
dp.setNode(agent.labels, agent.addresses);
dp.setConfig(toConfig(agent.peers, agent.bfdProfiles));

createInterface({ input: process.stdin }).on("line", line => {
  if (line.trim() === "") return;
  try {
    const c = JSON.parse(line) as Command;
    switch (c.op) {
      case "announce": {
        const t0 = epochMs();
        dp.setAnnouncements([{ service: "default/web", ips: [], routes: c.routes }]);
        print(`announced ${t0.toFixed(3)}`);
        break;
      }
      case "config":
        dp.setConfig(toConfig(c.peers, c.bfdProfiles));
        print("configured");
        break;
      case "status":
        print(`status ${JSON.stringify(dp.status())}`);
        break;
      case "block": {
        const start = performance.now();
        while (performance.now() - start < c.ms);
        print(`blocked ${(performance.now() - start).toFixed(0)}`);
        break;
      }
      case "metrics":
        void registry.metrics().then(text => print(`metrics ${JSON.stringify(text)}`));
        break;
      case "stop":
        dp.stop();
        setTimeout(() => process.exit(0), 100);
        break;
    }
  } catch (error) {
    print(`error ${(error as Error).message}`);
  }
});
// The data plane's timers are unref'd; keep the process alive while it runs.
setInterval(() => undefined, 60_000);
