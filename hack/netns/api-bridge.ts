/**
 * The local API server (host namespace, 127.0.0.1:<port>) reached from node namespaces over the bed's
 * network, as a real node reaches its API server:
 *
 *   node ns 127.0.0.1:<port> (socat) --TCP over eth0 and br0--> router 192.0.2.1:<port> (socat)
 *     --> unix socket --> host socat --> 127.0.0.1:<port>
 *
 * Clients still dial 127.0.0.1, which the server's certificate names. Whatever cuts the node's side of
 * that path (a link down, a DROP rule) cuts the API as a network fault would: silently. Stopping the
 * router's bridge makes every connection fail fast instead (the refused kind of outage).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Bed, Namespace } from "./bed";
import { ROUTER_IPV4 } from "./bed";
import { Spawned, signal } from "./process";

/** PIDs of a process's direct children (Linux /proc): socat forks one per bridged connection. */
function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** Kills a socat and the children it forked for open connections (by PID), and waits for it. */
async function killSocat(s: Spawned): Promise<void> {
  for (const pid of childrenOf(s.pid)) signal(pid, "SIGKILL");
  await s.kill(500);
}

export class ApiBridge {
  private routerSide: Spawned | undefined;

  private constructor(
    private readonly router: Namespace,
    private readonly hostSide: Spawned,
    private readonly nodeSides: Spawned[],
    readonly port: number,
    private readonly socket: string,
  ) {}

  /** Bridges `apiUrl` (https://127.0.0.1:<port>) into every node of `bed`; `dir` holds the unix socket. */
  static async start(bed: Bed, apiUrl: string, dir: string): Promise<ApiBridge> {
    const port = Number(new URL(apiUrl).port);
    const socket = join(dir, "apiserver-bridge.sock");
    const hostSide = new Spawned(["socat", `UNIX-LISTEN:${socket},fork,mode=600`, `TCP:127.0.0.1:${port}`]);
    const nodeSides = bed.nodes.map(n => n.ns.spawn(["socat", `TCP-LISTEN:${port},bind=127.0.0.1,reuseaddr,fork`, `TCP:${ROUTER_IPV4}:${port}`]));
    const bridge = new ApiBridge(bed.router, hostSide, nodeSides, port, socket);
    bridge.startRouterSide();
    return bridge;
  }

  /** (Re)starts the router's side; connections through the bridge work again. */
  startRouterSide(): void {
    this.routerSide = this.router.spawn(["socat", `TCP-LISTEN:${this.port},bind=${ROUTER_IPV4},reuseaddr,fork`, `UNIX-CONNECT:${this.socket}`]);
  }

  /** Stops the router's side: open connections close, new ones are refused at 192.0.2.1. */
  async stopRouterSide(): Promise<void> {
    if (this.routerSide) await killSocat(this.routerSide);
    this.routerSide = undefined;
  }

  async close(): Promise<void> {
    await this.stopRouterSide();
    for (const s of this.nodeSides) await killSocat(s);
    await killSocat(this.hostSide);
  }
}
