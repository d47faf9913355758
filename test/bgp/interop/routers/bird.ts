/**
 * BIRD 2 in a bed namespace, with its control socket in a per-run directory; queried with birdc.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Namespace, Spawned } from "../../../../hack/netns";
import { eventually, scratchDir } from "./poll";

export interface BirdNeighbor {
  /** Protocol name, used in `show protocols` and `show route protocol`. */
  readonly name: string;
  readonly address: string;
  readonly localAs: number;
  readonly remoteAs: number;
  /** Wait for the neighbor to connect (our sessions always dial). Default true. */
  readonly passive?: boolean;
  /** Export everything BIRD holds to this neighbor (default: nothing). */
  readonly exportAll?: boolean;
  readonly ipv6?: boolean;
  readonly port?: number;
}

/** BIRD's own BFD sessions (protocol bfd), one per neighbor, on one interface. */
export interface BirdBfd {
  readonly interface: string;
  readonly intervalMs: number;
  readonly multiplier: number;
  readonly neighbors: readonly { readonly address: string; readonly local: string }[];
}

export interface BirdConfig {
  readonly routerId: string;
  readonly neighbors: readonly BirdNeighbor[];
  readonly bfd?: BirdBfd;
  /** Put the routes in the namespace's kernel table. Default true. */
  readonly kernel?: boolean;
}

export function birdConfig(c: BirdConfig): string {
  const out = [`router id ${c.routerId};`, "protocol device {}"];
  if (c.kernel ?? true) out.push("protocol kernel { ipv4 { export all; }; }", "protocol kernel { ipv6 { export all; }; }");
  if (c.bfd) {
    const b = c.bfd;
    out.push(
      "protocol bfd {",
      `  interface "${b.interface}" { min rx interval ${b.intervalMs} ms; min tx interval ${b.intervalMs} ms; multiplier ${b.multiplier}; };`,
      ...b.neighbors.map(n => `  neighbor ${n.address} local ${n.local};`),
      "}",
    );
  }
  for (const n of c.neighbors) {
    const exp = n.exportAll ? "export all;" : "export none;";
    out.push(
      `protocol bgp ${n.name} {`,
      `  local as ${n.localAs};`,
      `  neighbor ${n.address}${n.port ? ` port ${n.port}` : ""} as ${n.remoteAs};`,
      ...((n.passive ?? true) ? ["  passive on;"] : []),
      // BIRD treats iBGP as multihop unless told the neighbor is on the link.
      ...(n.localAs === n.remoteAs ? ["  direct;"] : []),
      "  hold time 9;",
      // Next hops are on the shared link; iBGP would otherwise want them resolved through an IGP.
      "  ipv4 { import all; " + exp + " gateway direct; };",
      ...(n.ipv6 ? ["  ipv6 { import all; " + exp + " gateway direct; };"] : []),
      "}",
    );
  }
  return `${out.join("\n")}\n`;
}

export class BirdRouter {
  private constructor(
    readonly ns: Namespace,
    private readonly socket: string,
    readonly daemon: Spawned,
    private readonly removeDir: () => void,
  ) {}

  static async start(ns: Namespace, config: BirdConfig, timeoutMs = 10_000): Promise<BirdRouter> {
    const scratch = scratchDir("bird");
    const conf = join(scratch.path, "bird.conf");
    writeFileSync(conf, birdConfig(config));
    const socket = join(scratch.path, "bird.ctl");
    const router = new BirdRouter(ns, socket, ns.spawn(["bird", "-f", "-c", conf, "-s", socket]), scratch.remove);
    await eventually(async () => {
      if (!router.daemon.running) throw new Error(`bird exited: ${router.daemon.stderr.trim()}`);
      return (await router.birdc("show", "status")).includes("Daemon is up and running") ? true : undefined;
    }, "BIRD to start", { timeoutMs });
    return router;
  }

  async birdc(...args: string[]): Promise<string> {
    return (await this.ns.exec(["birdc", "-s", this.socket, ...args])).stdout;
  }

  /** Whether protocol `name` is up and Established. */
  async established(name: string): Promise<boolean> {
    return /\sup\s+\S+\s+Established/.test(await this.birdc("show", "protocols", name));
  }

  /** BFD session state per neighbor address ("Up", "Down", "Init"), from `show bfd sessions`. */
  async bfdSessions(): Promise<Map<string, string>> {
    const out = await this.birdc("show", "bfd", "sessions");
    return new Map([...out.matchAll(/^(\S+)\s+\S+\s+(Up|Down|Init|AdminDown)\b/gm)].map(m => [m[1] as string, m[2] as string]));
  }

  /** Number of routes imported from protocol `name` (all families). */
  async importedCount(name: string): Promise<number> {
    const out = await this.birdc("show", "route", "count", "protocol", name);
    return [...out.matchAll(/(\d+) of \d+ routes/g)].reduce((sum, m) => sum + Number(m[1]), 0);
  }

  async stop(): Promise<void> {
    await this.daemon.kill();
    this.removeDir();
  }
}
