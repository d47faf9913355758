/**
 * The L2 test bed shared by the network-namespace tests and the benchmark: the hack/netns bed (router
 * namespace with br0 = the client, 192.0.2.1 / 2001:db8::1) and N node namespaces, each accepting
 * traffic for the VIPs as kube-proxy would (VIPs on lo; the bed sets arp_ignore=1/arp_announce=2 so
 * the kernel never answers ARP for them) and running a tiny TCP server that replies with its node
 * name. Agents (agent.ts) run the data plane per node; services are one JSON file per node.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Bed, type Host } from "../../hack/netns/bed";
import type { Spawned } from "../../hack/netns/process";
import { elect } from "../../core/election/election";
import { agentService } from "./agent-config";

export const VIP4 = "192.0.2.100";
export const VIP6 = "2001:db8::100";
export const SERVICE_PORT = 8080;
export const NODE_NAMES = ["node1", "node2", "node3"] as const;

/** A TCP server on every address (dual stack) answering each connection with the node name. */
const NAME_SERVER = `require("net").createServer(s => { s.on("error", () => {}); s.end(process.argv[1] + "\\n"); }).listen(${SERVICE_PORT}, "::", () => console.log("listening"));`;

export interface ServiceSpec {
  readonly name: string;
  readonly ips: readonly string[];
  readonly interfaces?: readonly string[];
  readonly gratuitousIntervalMs?: number;
}

export class L2Bed {
  readonly agents = new Map<string, Spawned>();
  readonly servers = new Map<string, Spawned>();
  /** The heartbeat key (hex) agents start with; a test that rotates it sets the new one here. */
  key = randomBytes(32).toString("hex");
  /** Extra agent arguments for every agent started from now on (e.g. key rotation timing). */
  agentArgs: readonly string[] = [];
  private readonly dir = mkdtempSync(join(tmpdir(), "lodestone-l2-"));
  private services: readonly ServiceSpec[] = [];

  private constructor(
    readonly bed: Bed,
    readonly nodes: ReadonlyMap<string, Host>,
  ) {}

  static async create(vips: readonly string[] = [VIP4, VIP6]): Promise<L2Bed> {
    const bed = await Bed.create({ nodes: NODE_NAMES.length });
    const nodes = new Map(NODE_NAMES.map((name, i) => [name, bed.nodes[i] as Host]));
    const l2 = new L2Bed(bed, nodes);
    await Promise.all(
      [...nodes].map(async ([name, host]) => {
        await host.ns.ip(vips.map(v => `addr add ${v}/${v.includes(":") ? 128 : 32} dev lo`));
        const server = host.ns.spawn([process.execPath, "-e", NAME_SERVER, name]);
        l2.servers.set(name, server);
        await server.waitForLine("listening", 20_000);
      }),
    );
    return l2;
  }

  host(node: string): Host {
    const h = this.nodes.get(node);
    if (!h) throw new Error(`no node ${node}`);
    return h;
  }

  private servicesPath(node: string): string {
    return join(this.dir, `${node}.json`);
  }

  /** Writes every node's services file atomically (agents watch their directory). */
  setServices(services: readonly ServiceSpec[]): void {
    this.services = services;
    const json = JSON.stringify(services.map(s => ({ name: s.name, ips: s.ips, interfaces: s.interfaces ?? [], nodes: [...NODE_NAMES], gratuitousIntervalMs: s.gratuitousIntervalMs })));
    for (const node of NODE_NAMES) {
      const tmp = `${this.servicesPath(node)}.tmp`;
      writeFileSync(tmp, json);
      renameSync(tmp, this.servicesPath(node));
    }
  }

  /** Starts the agent of `node` and resolves when its data plane is up. */
  async startAgent(node: string): Promise<Spawned> {
    const host = this.host(node);
    const peers = NODE_NAMES.map(n => `${n}=${this.host(n).ipv4}`).join(",");
    const agent = host.ns.runNode("test/l2/agent.ts", [
      "--node", node, "--bind", host.ipv4, "--key", this.key, "--peers", peers, "--services", this.servicesPath(node), ...this.agentArgs,
    ]);
    this.agents.set(node, agent);
    await agent.waitForLine(/^ready /, 30_000);
    return agent;
  }

  agent(node: string): Spawned {
    const a = this.agents.get(node);
    if (!a) throw new Error(`no agent on ${node}`);
    return a;
  }

  /** The owner the election picks for a service's first IP among `live` nodes, then the rest in order. */
  electionOrder(firstIP: string, live: Iterable<string> = NODE_NAMES): string[] {
    const spec = agentService("x", [firstIP], [], [...NODE_NAMES]);
    return [...elect({ ...spec.election, firstIP, liveSpeakers: new Set(live) }).ordered];
  }

  /** Resolves when `node`'s agent reports announcing `ip` (on eth0), or, with `announced` false, no longer announcing it. */
  async waitForAnnouncement(node: string, ip: string, announced = true, timeoutMs = 15_000): Promise<void> {
    const agent = this.agent(node);
    const has = (line: string): boolean => line.startsWith("status ") && line.includes(`"ip":"${ip}"`);
    const last = [...agent.stdoutLines].reverse().find(l => l.startsWith("status "));
    if (last !== undefined && has(last) === announced) return;
    await waitForLineWhere(agent, line => line.startsWith("status ") && has(line) === announced, timeoutMs, agent.stdoutLines.length);
  }

  /** Asks an agent for its counters. */
  async stats(node: string): Promise<{ owned: string[]; live: string[]; rejects: Record<string, number>; keys: { signing: string; accepted: string[] }; requests: Record<string, number>; responses: Record<string, number>; gratuitous: Record<string, number>; malformed: Record<string, number> }> {
    const agent = this.agent(node);
    const reply = agent.waitForNewLine(/^stats /);
    agent.send("stats");
    return JSON.parse((await reply).slice("stats ".length)) as Awaited<ReturnType<L2Bed["stats"]>>;
  }

  /** Starts the TCP prober in the client (router) namespace. */
  startProber(targets: readonly string[], intervalMs = 10, timeoutMs = 1000): Spawned {
    return this.bed.router.runNode("test/l2/prober.ts", [String(SERVICE_PORT), String(intervalMs), String(timeoutMs), ...targets]);
  }

  currentServices(): readonly ServiceSpec[] {
    return this.services;
  }

  async destroy(): Promise<void> {
    await this.bed.destroy();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export interface ProbeResult {
  readonly ok: boolean;
  readonly target: string;
  readonly sentAt: number;
  readonly node: string | undefined;
  /** RTT in ms for ok, the reason for fail. */
  readonly detail: string;
}

export function parseProbe(line: string): ProbeResult | undefined {
  const [kind, target, sentAt, a, b] = line.split(" ");
  if (kind === "ok" && b === undefined) return undefined;
  if ((kind !== "ok" && kind !== "fail") || target === undefined || sentAt === undefined) return undefined;
  return { ok: kind === "ok", target, sentAt: Number(sentAt), node: kind === "ok" ? b : undefined, detail: a ?? "" };
}

/** The probe results printed so far, optionally for one target and sent at or after `since`. */
export function probes(prober: Spawned, target?: string, since = 0): ProbeResult[] {
  return prober.stdoutLines
    .map(parseProbe)
    .filter((p): p is ProbeResult => p !== undefined && (target === undefined || p.target === target) && p.sentAt >= since);
}

/** Resolves with the first successful probe of `target` sent at or after `since` answered by a node accepted by `from`. */
export async function nextOk(prober: Spawned, target: string, since: number, from: (node: string) => boolean, timeoutMs = 15_000): Promise<ProbeResult> {
  const matches = (p: ProbeResult | undefined): p is ProbeResult =>
    p !== undefined && p.ok && p.target === target && p.sentAt >= since && p.node !== undefined && from(p.node);
  const line = await waitForLineWhere(prober, l => matches(parseProbe(l)), timeoutMs);
  return parseProbe(line) as ProbeResult;
}

/**
 * Resolves with the first stdout line from index `from` on (already printed or still to come) that
 * satisfies `predicate`. Event-driven: it re-checks after each chunk the process writes.
 */
export function waitForLineWhere(proc: Spawned, predicate: (line: string) => boolean, timeoutMs = 15_000, from = 0): Promise<string> {
  return new Promise((resolve, reject) => {
    let next = from;
    const scan = (): boolean => {
      for (; next < proc.stdoutLines.length; next++) {
        const line = proc.stdoutLines[next] as string;
        if (predicate(line)) {
          cleanup();
          resolve(line);
          return true;
        }
      }
      return false;
    };
    const onData = (): void => void scan();
    const onExit = (): void => {
      if (scan()) return;
      cleanup();
      reject(new Error(`${proc.argv.slice(-6).join(" ")}: exited before the awaited line; stderr: ${proc.stderr.slice(-2000)}`));
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`${proc.argv.slice(-6).join(" ")}: no awaited line within ${timeoutMs} ms; stderr: ${proc.stderr.slice(-2000)}`));
    }, timeoutMs);
    const cleanup = (): void => {
      clearTimeout(timer);
      proc.child.stdout?.off("data", onData);
      proc.child.off("close", onExit);
    };
    proc.child.stdout?.on("data", onData);
    proc.child.on("close", onExit);
    scan();
  });
}
