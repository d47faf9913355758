/**
 * The speaker side of the BFD soak (bfd-soak.ts starts it inside a node namespace): the speaker
 * pipeline (speaker/speaker.ts: cluster cache, desired state, BGP data plane with real BGP and BFD
 * sockets, status writers) fed by an in-memory API (FakeSpeakerPort) holding N Services with their
 * EndpointSlices, a pool, a BGPPeer with a 100 ms x 3 BFDProfile, and this Node.
 *
 * A relist is what a speaker does after a watch error: every list comes back as JSON text and is
 * parsed (as the API client parses a response body), the desired state is recomputed for every
 * Service, the changed routes go to the peer and the status writers write what changed. Each relist
 * also replaces a tenth of the Services (removed, new ones added), so there is always something to
 * announce, withdraw and write.
 *
 *   bfd-soak-node.ts '<SoakNodeConfig as JSON>'
 * stdin: {"op":"relist"} -> "relisted <ms from the command to the new state> services <n>"
 *        {"op":"report"} -> "report <json>"   {"op":"stop"}
 * stdout also: "status <json>" on every BGP session status change.
 */
import { monitorEventLoopDelay } from "node:perf_hooks";
import { createInterface } from "node:readline";
import { Registry } from "prom-client";
import { firstValueFrom, skip } from "rxjs";
import { startBgpDataPlane } from "../../speaker/bgp";
import { isolatedBfd } from "../../speaker/bfd/bfd-isolated";
import { bfdSockets } from "../../speaker/bfd/bfd-udp";
import type { KubeObject } from "../../kube/controller-port";
import { FakeL2DataPlane } from "../../test/speaker/fake-l2-data-plane";
import { startSpeaker } from "../../speaker/speaker";
import { threadHeartbeat } from "../../speaker/l2/heartbeat-control";
import { createLogger } from "../../observability/log";
import { JsonSpeakerPort, soakService, soakSlice } from "./json-speaker-port";

export interface SoakNodeConfig {
  readonly node: string;
  readonly address: string;
  readonly peerAddress: string;
  readonly myAsn: number;
  readonly peerAsn: number;
  readonly services: number;
  /** First Service IP (one /32 each, upward). */
  readonly firstIp: string;
  /** Where BFD runs: a process of its own (default), a worker thread, or the main thread as before (controls). */
  readonly bfd?: "process" | "thread" | "main";
  /** Also send layer 2 heartbeats (the speaker's: from the addon's thread) to the peer address, under this key (hex). */
  readonly heartbeatKey?: string;
}

const NS = "metallb-system";
const config = JSON.parse(process.argv[2] ?? "{}") as SoakNodeConfig;
const print = (line: string) => process.stdout.write(`${line}\n`);

const port = new JsonSpeakerPort();
const service = (i: number): KubeObject => soakService(i, config.firstIp);
const slice = (i: number): KubeObject => soakSlice(i, config.node);

port.apply("IPAddressPool", { apiVersion: "metallb.io/v1beta1", kind: "IPAddressPool", metadata: { name: "soak", namespace: NS }, spec: { addresses: [`${config.firstIp}/15`] } });
port.apply("BGPAdvertisement", { apiVersion: "metallb.io/v1beta1", kind: "BGPAdvertisement", metadata: { name: "all", namespace: NS }, spec: {} });
port.apply("BFDProfile", { apiVersion: "metallb.io/v1beta1", kind: "BFDProfile", metadata: { name: "fast", namespace: NS }, spec: { receiveInterval: 100, transmitInterval: 100, detectMultiplier: 3 } });
port.apply("BGPPeer", {
  apiVersion: "metallb.io/v1beta2",
  kind: "BGPPeer",
  metadata: { name: "tor", namespace: NS, resourceVersion: "5" },
  spec: { myASN: config.myAsn, peerASN: config.peerAsn, peerAddress: config.peerAddress, bfdProfile: "fast" },
});
port.apply("Node", {
  metadata: { name: config.node, labels: {} },
  status: { conditions: [{ type: "Ready", status: "True" }], addresses: [{ type: "InternalIP", address: config.address }] },
});
// Services i in [low, low + count): each relist moves the window up by a tenth.
let low = 0;
for (let i = 0; i < config.services; i++) {
  port.apply("Service", service(i));
  port.apply("EndpointSlice", slice(i));
}

const loopDelay = monitorEventLoopDelay({ resolution: 10 });
loopDelay.enable();
const registry = new Registry();
/** What the data plane said that the soak reports: how the BFD thread is scheduled, how often it was late, BGP downs. */
const seen = { scheduling: "usual", lateWarnings: 0, lateMsMax: 0, bfdFailures: 0, peerAdminDown: 0, bgpDowns: new Set<string>(), heartbeatScheduling: "none", heartbeatLateWarnings: 0, heartbeatLateMsMax: 0 };
function log(level: string, message: string, fields?: Readonly<Record<string, unknown>>): void {
  const scheduled = /^BFD (?:process|thread) scheduled with (.*)$/.exec(message);
  if (scheduled) seen.scheduling = scheduled[1] ?? "";
  const late = /^BFD (?:process|thread) ran (\d+) ms late/.exec(message);
  if (late) {
    seen.lateWarnings++;
    seen.lateMsMax = Math.max(seen.lateMsMax, Number(late[1]));
  }
  const hbScheduled = /^heartbeat thread (?:scheduled with (.*)|runs at the usual priority)/.exec(message);
  if (hbScheduled) seen.heartbeatScheduling = hbScheduled[1] ?? "usual";
  const hbLate = /^heartbeat thread ran (\d+) ms late/.exec(message);
  if (hbLate) {
    seen.heartbeatLateWarnings++;
    seen.heartbeatLateMsMax = Math.max(seen.heartbeatLateMsMax, Number(hbLate[1]));
  }
  if (message === "BFD down: BGP session stopped") seen.bfdFailures++;
  if (message.startsWith("BFD down: the peer signaled AdminDown")) seen.peerAdminDown++;
  if (message === "BGP session down") seen.bgpDowns.add(String(fields?.["reason"]));
  process.stderr.write(`${new Date().toISOString()} ${level} ${message} ${JSON.stringify(fields ?? {})}\n`);
}
const bgp = startBgpDataPlane({
  nodeName: config.node,
  registry,
  log,
  ...(config.bfd === "main" ? { openBfd: bfdSockets() } : {}),
  ...(config.bfd === "thread" ? { bfd: isolatedBfd({ isolation: "thread", log: (level, message, fields) => log(level, message, fields) }) } : {}),
});
bgp.onStatusChange(s => print(`status ${JSON.stringify(s)}`));
const started = startSpeaker({ node: config.node, namespace: NS, port, dataPlane: new FakeL2DataPlane(), bgp, registry, relistDelayMs: 1, log: createLogger({ destination: { write: line => void process.stderr.write(`speaker: ${line}`) } }) });
let relists = 0;
let relistMsMax = 0;
// The layer 2 heartbeats as the speaker sends them, to the router's receiver (heartbeat-gaps.ts).
const heartbeats = config.heartbeatKey
  ? threadHeartbeat({ log })({ nodeName: config.node, keys: [Buffer.from(config.heartbeatKey, "hex")], bindAddress: config.address }).then(link => {
      link.setPeers([
        { node: config.node, address: config.address },
        { node: "router", address: config.peerAddress },
      ]);
      link.start();
      return link;
    })
  : undefined;

async function relist(): Promise<void> {
  const speaker = await started;
  const t0 = performance.now();
  const churn = Math.max(1, Math.floor(config.services / 10));
  // The changes land while the watches are down, so only the relist can see them.
  port.disconnect();
  for (let i = low; i < low + churn; i++) {
    port.remove("Service", service(i));
    port.remove("EndpointSlice", slice(i));
  }
  for (let i = low + config.services; i < low + config.services + churn; i++) {
    port.apply("Service", service(i));
    port.apply("EndpointSlice", slice(i));
  }
  low += churn;
  const next = firstValueFrom(speaker.states.pipe(skip(0)));
  port.reconnect();
  const state = await next;
  const ms = performance.now() - t0;
  relists++;
  // The fake keeps a record of every write; a soak does not need it.
  port.writes.length = 0;
  port.events.length = 0;
  relistMsMax = Math.max(relistMsMax, ms);
  print(`relisted ${ms.toFixed(0)} services ${state.services.size}`);
}

async function report(): Promise<void> {
  const metric = async (name: string) => Number(/ (\d+)$/m.exec(await registry.getSingleMetricAsString(name))?.[1] ?? NaN);
  const bfdDown = await metric("metallb_bfd_session_down_events");
  const bfdUp = await metric("metallb_bfd_session_up_events");
  const cpu = process.cpuUsage();
  print(
    `report ${JSON.stringify({
      bfd_down_events: bfdDown,
      bfd_up_events: bfdUp,
      relists,
      relist_ms_max: Math.round(relistMsMax),
      event_loop_delay_max_ms: Math.round(loopDelay.max / 1e6),
      event_loop_delay_p99_ms: Math.round(loopDelay.percentile(99) / 1e6),
      cpu_s: Math.round((cpu.user + cpu.system) / 1e4) / 100,
      bfd_runner_scheduling: seen.scheduling,
      bfd_runner_late_warnings: seen.lateWarnings,
      bfd_runner_late_ms_max: seen.lateMsMax,
      bfd_failures: seen.bfdFailures,
      bfd_peer_admin_down: seen.peerAdminDown,
      bgp_downs: [...seen.bgpDowns],
      heartbeat_thread_scheduling: seen.heartbeatScheduling,
      heartbeat_thread_late_warnings: seen.heartbeatLateWarnings,
      heartbeat_thread_late_ms_max: seen.heartbeatLateMsMax,
      status: bgp.status(),
    })}`,
  );
}

createInterface({ input: process.stdin }).on("line", line => {
  if (line.trim() === "") return;
  const c = JSON.parse(line) as { op: string };
  if (c.op === "relist") void relist().catch((e: unknown) => print(`error ${String(e)}`));
  else if (c.op === "report") void report();
  else if (c.op === "stop") {
    void started.then(s => s.stop());
    setTimeout(() => process.exit(0), 200);
  }
});
Promise.all([started, heartbeats]).then(
  () => print("ready"),
  (e: unknown) => print(`error ${String(e)}`),
);
