/**
 * How long the speaker's main thread is held while it handles N Services (issue 12, item 5): the
 * speaker pipeline (speaker/speaker.ts: cluster cache, desired state, status writers) on an in-memory
 * API that costs what HTTP costs (hack/bench/json-speaker-port.ts), in layer 2 mode with a fake data
 * plane. It starts with N Services and their EndpointSlices, waits until every status is written,
 * then relists R times (a tenth of the Services replaced each time, as the soak does) and waits again.
 * A monitorEventLoopDelay histogram (10 ms resolution) and a 75 ms interval timer (the heartbeat's
 * period, capabilities/l2/liveness.ts) measure the main thread; printed last as one JSON line.
 *
 *   npm run bench:speaker-loop -- [--services 10000] [--relists 3] [--bgp]
 */
import { monitorEventLoopDelay } from "node:perf_hooks";
import { loadavg } from "node:os";
import { parseArgs } from "node:util";
import { firstValueFrom, skip } from "rxjs";
import { FakeL2DataPlane } from "../../test/speaker/fake-l2-data-plane";
import { FakeBgpDataPlane } from "../../test/speaker/bgp-fake-plane";
import { startSpeaker } from "../../speaker/speaker";
import { JsonSpeakerPort, soakService, soakSlice } from "./json-speaker-port";
import { mainThreadCpuSeconds } from "./process-memory";

const { values } = parseArgs({ options: { services: { type: "string", default: "10000" }, relists: { type: "string", default: "3" }, bgp: { type: "boolean", default: false } } });
const N = Number(values.services);
const NS = "metallb-system";
const NODE = "node1";
const FIRST = "198.18.0.0";

const port = new JsonSpeakerPort();
port.apply("IPAddressPool", { apiVersion: "metallb.io/v1beta1", kind: "IPAddressPool", metadata: { name: "soak", namespace: NS }, spec: { addresses: [`${FIRST}/15`] } });
if (values.bgp) {
  port.apply("BGPAdvertisement", { apiVersion: "metallb.io/v1beta1", kind: "BGPAdvertisement", metadata: { name: "all", namespace: NS }, spec: {} });
  port.apply("BGPPeer", { apiVersion: "metallb.io/v1beta2", kind: "BGPPeer", metadata: { name: "tor", namespace: NS, resourceVersion: "5" }, spec: { myASN: 64512, peerASN: 64513, peerAddress: "192.0.2.1" } });
} else {
  port.apply("L2Advertisement", { apiVersion: "metallb.io/v1beta1", kind: "L2Advertisement", metadata: { name: "l2", namespace: NS }, spec: {} });
}
port.apply("Node", { metadata: { name: NODE, labels: {} }, status: { conditions: [{ type: "Ready", status: "True" }], addresses: [{ type: "InternalIP", address: "192.0.2.11" }] } });
let low = 0;
for (let i = 0; i < N; i++) {
  port.apply("Service", soakService(i, FIRST));
  port.apply("EndpointSlice", soakSlice(i, NODE));
}

const delay = monitorEventLoopDelay({ resolution: 10 });
delay.enable();
// A 75 ms timer, like the heartbeat's: how late it fires is what a peer sees. With it, the CPU time
// the process used between two firings: on a machine whose cores are shared (load above the core
// count) a block of 100 ms of work takes several times that in wall time, so the wall-clock delay
// measures the machine as much as the speaker; the CPU time of the longest block measures the
// speaker. The process's CPU time counts V8's helper threads (concurrent GC, compilers) too, which do not
// hold the loop and which other jobs on the machine make busier (an upper bound); the main thread's own
// CPU time (/proc, 10 ms ticks) is what holds it.
const HEARTBEAT_MS = 75;
let lastBeat = performance.now();
let lastCpu = process.cpuUsage();
let lastMainCpuS = mainThreadCpuSeconds(process.pid);
let beatLateMax = 0;
let blockCpuMax = 0;
let mainBlockCpuMax = 0;
const beat = setInterval(() => {
  const t = performance.now();
  const cpu = process.cpuUsage(lastCpu);
  lastCpu = process.cpuUsage();
  const mainCpuS = mainThreadCpuSeconds(process.pid);
  beatLateMax = Math.max(beatLateMax, t - lastBeat - HEARTBEAT_MS);
  blockCpuMax = Math.max(blockCpuMax, (cpu.user + cpu.system) / 1000);
  mainBlockCpuMax = Math.max(mainBlockCpuMax, (mainCpuS - lastMainCpuS) * 1000);
  lastMainCpuS = mainCpuS;
  lastBeat = t;
}, HEARTBEAT_MS);

const phases: Record<string, { ms: number; loop_delay_max_ms: number; heartbeat_late_max_ms: number; block_cpu_max_ms: number; main_thread_block_cpu_max_ms: number }> = {};
async function phase(name: string, work: () => Promise<void>): Promise<void> {
  delay.reset();
  beatLateMax = 0;
  blockCpuMax = 0;
  mainBlockCpuMax = 0;
  lastBeat = performance.now();
  lastCpu = process.cpuUsage();
  lastMainCpuS = mainThreadCpuSeconds(process.pid);
  const t0 = performance.now();
  await work();
  phases[name] = { ms: Math.round(performance.now() - t0), loop_delay_max_ms: Math.round(delay.max / 1e6), heartbeat_late_max_ms: Math.round(beatLateMax), block_cpu_max_ms: Math.round(blockCpuMax), main_thread_block_cpu_max_ms: Math.round(mainBlockCpuMax) };
  process.stderr.write(`${name}: ${JSON.stringify(phases[name])}\n`);
}

async function main(): Promise<void> {
  const bgp = values.bgp ? new FakeBgpDataPlane() : undefined;
  const speaker = await (async () => {
    let s: Awaited<ReturnType<typeof startSpeaker>> | undefined;
    await phase("start", async () => {
      s = await startSpeaker({ node: NODE, namespace: NS, port, dataPlane: new FakeL2DataPlane(), ...(bgp ? { bgp } : {}), relistDelayMs: 1 });
      await firstValueFrom(s.states);
      await s.settled();
    });
    return s!;
  })();
  for (let r = 0; r < Number(values.relists); r++) {
    // The changes land while the watches are down, so only the relist can see them. Making them is
    // the API server's work, not the speaker's: it happens before the measurement starts.
    const churn = Math.max(1, Math.floor(N / 10));
    port.disconnect();
    for (let i = low; i < low + churn; i++) {
      port.remove("Service", soakService(i, FIRST));
      port.remove("EndpointSlice", soakSlice(i, NODE));
    }
    for (let i = low + N; i < low + N + churn; i++) {
      port.apply("Service", soakService(i, FIRST));
      port.apply("EndpointSlice", soakSlice(i, NODE));
    }
    low += churn;
    // Let the loop-delay timer record the churn's own block before the phase resets it.
    for (let i = 0; i < 3; i++) await new Promise(r => setTimeout(r, 30));
    await phase(`relist${r + 1}`, async () => {
      const next = firstValueFrom(speaker.states.pipe(skip(0)));
      port.reconnect();
      await next;
      await speaker.settled();
      port.writes.length = 0;
      port.events.length = 0;
    });
  }
  speaker.stop();
  clearInterval(beat);
  const max = (k: keyof (typeof phases)[string]) => Math.max(...Object.values(phases).map(p => p[k]));
  const beatMax = Math.max(...Object.values(phases).map(p => p.heartbeat_late_max_ms));
  const cpuMax = Math.max(...Object.values(phases).map(p => p.block_cpu_max_ms));
  console.log(
    JSON.stringify({
      services: N,
      mode: values.bgp ? "bgp" : "l2",
      start_ms: phases["start"]?.ms,
      start_loop_delay_max_ms: phases["start"]?.loop_delay_max_ms,
      relist_ms_max: Math.max(0, ...Object.entries(phases).filter(([k]) => k !== "start").map(([, p]) => p.ms)),
      relist_loop_delay_max_ms: Math.max(0, ...Object.entries(phases).filter(([k]) => k !== "start").map(([, p]) => p.loop_delay_max_ms)),
      loop_delay_max_ms: max("loop_delay_max_ms"),
      heartbeat_late_max_ms: beatMax,
      block_cpu_max_ms: cpuMax,
      main_thread_block_cpu_max_ms: max("main_thread_block_cpu_max_ms"),
      load1: Math.round((loadavg()[0] ?? 0) * 10) / 10,
    }),
  );
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
