/**
 * The BGP data plane against BIRD 2 in a network namespace, with TCP MD5 (native addon) and TTL 1
 * (directly connected eBGP): the session comes up from BGPPeer settings, a Service's route appears in
 * the router's kernel with the node as next hop and leaves when withdrawn, a node with the wrong key
 * never gets past connecting, and the time from setAnnouncements() to the route in the router's
 * kernel is measured. Needs root; the bed builds and removes the namespaces.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Bed, ROUTER_IPV4, type Host, type Spawned } from "../../hack/netns";
import type { BGPRoute } from "../../core/announce/desired";
import type { BGPPeer } from "../../core/config/types";
import { eventually, scratchDir } from "../../test/bgp/interop/routers/poll";
import { listeningRouteMonitor } from "../../hack/netns/route-monitor";
import type { PeerSessionStatus } from "./peer-session";
import type { AgentConfig } from "../../test/bgp/dataplane/agent";

const KEY = "lodestone-md5";
const ROUTER_AS = 64500;
const NODE_AS = 64512;
const AGENT = "test/bgp/dataplane/agent.ts";

const peer = (over: Partial<BGPPeer> = {}): BGPPeer => ({
  name: "tor",
  myASN: NODE_AS,
  peerASN: ROUTER_AS,
  peerAddress: ROUTER_IPV4,
  peerPort: 179,
  holdTimeS: 9,
  keepaliveTimeS: 3,
  connectTimeS: 120,
  nodeSelectors: [],
  ebgpMultiHop: false,
  enableGracefulRestart: false,
  ...over,
});

/** BIRD with an MD5 key per neighbor; protocol blocks are named n1, n2... */
function birdConf(neighbors: readonly Host[]): string {
  const out = [`router id ${ROUTER_IPV4};`, "protocol device {}", "protocol kernel { ipv4 { export all; }; }"];
  neighbors.forEach((n, i) =>
    out.push(
      `protocol bgp n${i + 1} {`,
      `  local ${ROUTER_IPV4} as ${ROUTER_AS};`,
      `  neighbor ${n.ipv4} as ${NODE_AS};`,
      "  passive on;",
      `  password "${KEY}";`,
      "  hold time 9;",
      "  ipv4 { import all; export none; };",
      "}",
    ),
  );
  return `${out.join("\n")}\n`;
}

const statusOf = (line: string): PeerSessionStatus[] => JSON.parse(line.slice("status ".length)) as PeerSessionStatus[];
const route = (prefix: string): BGPRoute => ({ prefix, localPref: 0, communities: [{ kind: "standard", value: (64512 * 65536 + 100) >>> 0 }], peers: ["tor"] });

describe("BGP data plane against BIRD (TCP MD5, TTL 1)", () => {
  let bed: Bed;
  let dir: { path: string; remove(): void };
  let good: Host;
  let wrong: Host;
  let agent: Spawned;
  let wrongAgent: Spawned;
  const birdc = async (...args: string[]) => (await bed.router.exec(["birdc", "-s", join(dir.path, "bird.ctl"), ...args])).stdout;
  const kernelRoute = async (ip: string) => (await bed.router.exec(["ip", "-4", "route", "show", ip])).stdout.trim();
  const startAgent = (h: Host, p: BGPPeer): Spawned => {
    const config: AgentConfig = { nodeName: h.ns.name, labels: {}, addresses: [h.ipv4, h.ipv6], peers: [p] };
    return h.ns.runNode(AGENT, [JSON.stringify(config)]);
  };

  beforeAll(async () => {
    bed = await Bed.create({ nodes: 2 });
    [good, wrong] = bed.nodes as [Host, Host];
    dir = scratchDir("bird-dp");
    writeFileSync(join(dir.path, "bird.conf"), birdConf([good, wrong]));
    bed.router.spawn(["bird", "-f", "-c", join(dir.path, "bird.conf"), "-s", join(dir.path, "bird.ctl")]);
    await eventually(async () => ((await birdc("show", "status")).includes("Daemon is up and running") ? true : undefined), "BIRD to start");
    agent = startAgent(good, peer({ password: KEY }));
    wrongAgent = startAgent(wrong, peer({ password: "not-the-key" }));
  });

  afterAll(async () => {
    await bed?.destroy();
    dir?.remove();
  });

  it("establishes with the MD5 key and reports it in status", async () => {
    // Two agents start at once on a small machine: tsx needs several seconds before the first dial.
    const line = await agent.waitForLine(/"state":"Established"/, 40_000);
    expect(statusOf(line)).toEqual([
      expect.objectContaining({ peer: "tor", peerAddress: ROUTER_IPV4, node: good.ns.name, state: "Established", prefixesAdvertised: 0 }),
    ]);
    expect(await birdc("show", "protocols", "n1")).toMatch(/n1\s+BGP\s+---\s+up\s+\S+\s+Established/);
  });

  it("puts a Service's route in the router's kernel with the node as next hop, and removes it", async () => {
    agent.send(JSON.stringify({ op: "announce", routes: [route("198.51.100.7/32")] }));
    const installed = await eventually(async () => (await kernelRoute("198.51.100.7")) || undefined, "the route in the router's kernel");
    expect(installed).toBe(`198.51.100.7 via ${good.ipv4} dev br0 proto bird metric 32`);
    const table = await birdc("show", "route", "198.51.100.7/32", "all");
    expect(table).toContain(`BGP.next_hop: ${good.ipv4}`);
    expect(table).toContain(`BGP.as_path: ${NODE_AS}`);
    expect(table).toContain("BGP.community: (64512,100)");
    agent.send(JSON.stringify({ op: "status" }));
    expect(statusOf(await agent.waitForNewLine(/^status /))[0]?.prefixesAdvertised).toBe(1);

    agent.send(JSON.stringify({ op: "announce", routes: [] }));
    await eventually(async () => ((await kernelRoute("198.51.100.7")) === "" ? true : undefined), "the route to go");
  });

  it("never gets past connecting with the wrong key", async () => {
    wrongAgent.send(JSON.stringify({ op: "status" }));
    const s = statusOf(await wrongAgent.waitForNewLine(/^status /))[0];
    expect(s?.state === "Connect" || s?.state === "Active" || s?.state === "Idle").toBe(true);
    expect(wrongAgent.stdoutLines.some(l => l.includes('"state":"OpenSent"'))).toBe(false);
    expect(await birdc("show", "protocols", "n2")).not.toContain("Established");
  });

  it("gets a route into the router's kernel quickly after setAnnouncements (measured)", async () => {
    const monitor = await listeningRouteMonitor(bed.router);
    const delays: number[] = [];
    for (let i = 1; i <= 20; i++) {
      const ip = `198.51.100.${100 + i}`;
      agent.send(JSON.stringify({ op: "announce", routes: [route(`${ip}/32`)] }));
      const sent = Number((await agent.waitForNewLine(/^announced /)).split(" ")[1]);
      const seen = await monitor.waitForLine(new RegExp(`^\\[[^\\]]+\\] ${ip.replace(/\./g, "\\.")} via ${good.ipv4.replace(/\./g, "\\.")}`));
      const stamp = /^\[([^\]]+)\]/.exec(seen)?.[1] ?? "";
      delays.push(Date.parse(stamp) - sent);
    }
    delays.sort((a, b) => a - b);
    const median = delays[Math.floor(delays.length / 2)] ?? Infinity;
    const max = delays.at(-1) ?? Infinity;
    console.log(`setAnnouncements -> route in BIRD's kernel table: median ${median.toFixed(1)} ms, max ${max.toFixed(1)} ms, min ${(delays[0] ?? 0).toFixed(1)} ms over ${delays.length}`);
    expect(median).toBeLessThan(50);
    await monitor.kill();
  });
});
