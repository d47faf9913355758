/**
 * gobgpd in a bed namespace, with its gRPC API on the namespace's own loopback; queried and driven
 * with the gobgp CLI (`-u 127.0.0.1 -p PORT`).
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Namespace, Spawned } from "../../../../hack/netns";
import { eventually, scratchDir } from "./poll";

export interface GobgpNeighbor {
  readonly address: string;
  readonly peerAs: number;
  /** Only accept connections (our sessions dial). Default true. */
  readonly passive?: boolean;
  readonly ipv6?: boolean;
}

export interface GobgpConfig {
  readonly asn: number;
  readonly routerId: string;
  readonly neighbors: readonly GobgpNeighbor[];
  /** BGP listen port; -1 stops gobgpd from listening (an advertiser that only dials). */
  readonly listenPort?: number;
}

export const GOBGP_API_PORT = 50051;

export function gobgpConfig(c: GobgpConfig): string {
  const out = ["[global.config]", `  as = ${c.asn}`, `  router-id = "${c.routerId}"`, `  port = ${c.listenPort ?? 179}`];
  for (const n of c.neighbors) {
    out.push(
      "[[neighbors]]",
      "  [neighbors.config]",
      `    neighbor-address = "${n.address}"`,
      `    peer-as = ${n.peerAs}`,
      "  [neighbors.transport.config]",
      `    passive-mode = ${n.passive ?? true}`,
      "  [neighbors.timers.config]",
      "    connect-retry = 1",
      "    hold-time = 9",
      "    keepalive-interval = 3",
      "  [[neighbors.afi-safis]]",
      "    [neighbors.afi-safis.config]",
      '      afi-safi-name = "ipv4-unicast"',
      ...(n.ipv6 ? ["  [[neighbors.afi-safis]]", "    [neighbors.afi-safis.config]", '      afi-safi-name = "ipv6-unicast"'] : []),
    );
  }
  return `${out.join("\n")}\n`;
}

/** One path of `gobgp global rib -j`. */
export interface GobgpPath {
  readonly nlri?: { readonly prefix?: string };
  readonly attrs?: readonly GobgpAttr[];
  readonly "neighbor-ip"?: string;
  readonly best?: boolean;
}

export interface GobgpAttr {
  readonly type: number;
  /** ORIGIN's code, or for LARGE_COMMUNITY a list of { ASN, LocalData1, LocalData2 }. */
  readonly value?: unknown;
  readonly nexthop?: string;
  readonly communities?: readonly number[];
  readonly as_paths?: readonly { readonly segment_type: number; readonly asns: readonly number[] }[];
}

export class GobgpRouter {
  private constructor(
    readonly ns: Namespace,
    readonly apiPort: number,
    private readonly daemon: Spawned,
    private readonly removeDir: () => void,
  ) {}

  static async start(ns: Namespace, config: GobgpConfig, apiPort = GOBGP_API_PORT, timeoutMs = 15_000): Promise<GobgpRouter> {
    const scratch = scratchDir("gobgp");
    const conf = join(scratch.path, "gobgpd.toml");
    writeFileSync(conf, gobgpConfig(config));
    const daemon = ns.spawn(["gobgpd", "-f", conf, "-t", "toml", "--api-hosts", `127.0.0.1:${apiPort}`, "--pprof-disable", "-l", "warn"]);
    const router = new GobgpRouter(ns, apiPort, daemon, scratch.remove);
    await eventually(async () => ((await router.gobgp("global", "-j")).includes(config.routerId) ? true : undefined), "gobgpd to answer its API", { timeoutMs });
    return router;
  }

  async gobgp(...args: string[]): Promise<string> {
    return (await this.ns.exec(["gobgp", "-u", "127.0.0.1", "-p", String(this.apiPort), ...args])).stdout;
  }

  /** The global RIB of one family, prefix -> paths. */
  async rib(family: "ipv4" | "ipv6"): Promise<Record<string, GobgpPath[]>> {
    const out = (await this.gobgp("global", "rib", "-a", family, "-j")).trim();
    return out === "" || out === "null" ? {} : (JSON.parse(out) as Record<string, GobgpPath[]>);
  }

  async neighborState(address: string): Promise<string | undefined> {
    const n = JSON.parse(await this.gobgp("neighbor", address, "-j")) as { state?: { session_state?: number | string } };
    return n.state?.session_state === undefined ? undefined : String(n.state.session_state);
  }

  async stop(): Promise<void> {
    await this.daemon.kill();
    this.removeDir();
  }
}
