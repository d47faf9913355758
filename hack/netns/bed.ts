/**
 * Network-namespace test beds: a router namespace holding a bridge, and hosts (nodes, clients) each in
 * its own namespace with a veth `eth0` whose other end is a bridge port in the router namespace.
 *
 *           router ns (ls-<id>-router)            node ns (ls-<id>-node1)
 *   br0 192.0.2.1/24 2001:db8::1/64 ── n1 <─veth─> eth0 192.0.2.11/24 2001:db8::11/64
 *                                    ── n2 <─veth─> eth0 ... (ls-<id>-node2)
 *
 * Every link is created directly inside its namespaces, so nothing ever appears in the host namespace.
 * Teardown kills the processes the bed started (by PID), then whatever still runs inside its namespaces
 * (`ip netns pids`), then deletes the namespaces; it also runs when the test process exits.
 * Addresses are documentation ranges only (RFC 5737, RFC 3849).
 */
import { randomBytes } from "node:crypto";
import { execFileSync } from "node:child_process";
import { dirname, join, resolve } from "node:path";
import { createRequire } from "node:module";
import { pathToFileURL, fileURLToPath } from "node:url";
import { run, signal, Spawned, type RunResult } from "./process";

export const NAMESPACE_PREFIX = "ls-";
export const BRIDGE = "br0";
export const ROUTER_IPV4 = "192.0.2.1";
export const ROUTER_IPV6 = "2001:db8::1";
/**
 * The bridge's MAC, set explicitly (locally administered). Left unset, a Linux bridge takes the
 * lowest MAC among its ports and changes it when that port goes away: deleting a host's namespace
 * would then change the router's MAC under the other hosts, whose cached neighbour entries would
 * send replies to a MAC nobody owns for tens of seconds (a real router's MAC does not change).
 */
export const BRIDGE_MAC = "02:6c:73:00:00:01";

/** Sysctls of the recipe: no DAD delay, no router advertisements, addresses kept across link down, and
 * (on hosts) no ARP answers for addresses on other interfaces, such as VIPs on lo. */
const COMMON_SYSCTLS = [
  "net.ipv6.conf.all.accept_dad=0",
  "net.ipv6.conf.default.accept_dad=0",
  "net.ipv6.conf.all.accept_ra=0",
  "net.ipv6.conf.default.accept_ra=0",
  "net.ipv6.conf.all.keep_addr_on_down=1",
  "net.ipv6.conf.default.keep_addr_on_down=1",
];
const HOST_SYSCTLS = [...COMMON_SYSCTLS, "net.ipv4.conf.all.arp_ignore=1", "net.ipv4.conf.all.arp_announce=2"];
const ROUTER_SYSCTLS = [...COMMON_SYSCTLS, "net.ipv4.ip_forward=1", "net.ipv6.conf.all.forwarding=1"];

const here = typeof __dirname === "string" ? __dirname : dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = resolve(here, "..", "..");

/** One network namespace the bed owns. */
export class Namespace {
  constructor(
    readonly name: string,
    readonly role: string,
    private readonly bed: Bed,
  ) {}

  /** Runs a command inside the namespace and returns its output. */
  exec(argv: readonly string[], options?: { input?: string; timeoutMs?: number }): Promise<RunResult> {
    return run(["ip", "netns", "exec", this.name, ...argv], options);
  }

  /** Runs `ip -batch -` on the given `ip` commands (one per line, without the leading `ip`) inside the namespace. */
  ip(commands: readonly string[]): Promise<RunResult> {
    return run(["ip", "-n", this.name, "-batch", "-"], { input: `${commands.join("\n")}\n` });
  }

  /** Starts a long-running process inside the namespace; the bed kills it on teardown. */
  spawn(argv: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Spawned {
    return this.bed.track(new Spawned(["ip", "netns", "exec", this.name, ...argv], options));
  }

  /** Runs a Node script (TypeScript through tsx) inside the namespace, from the repository root. */
  runNode(script: string, args: readonly string[] = [], env: NodeJS.ProcessEnv = process.env): Spawned {
    return this.spawn(nodeCommand(script, args), { cwd: REPO_ROOT, env });
  }

  /** Takes a link up or down. */
  async linkSet(ifname: string, state: "up" | "down"): Promise<void> {
    await run(["ip", "-n", this.name, "link", "set", ifname, state]);
  }

  /** PIDs of every process whose network namespace is this one. */
  async pids(): Promise<number[]> {
    const { stdout } = await run(["ip", "netns", "pids", this.name]);
    return stdout.split(/\s+/).filter((s) => s !== "").map(Number);
  }
}

/** A host on the bridge: a node or a client. */
export interface Host {
  readonly ns: Namespace;
  /** Always eth0. */
  readonly ifname: string;
  readonly ipv4: string;
  readonly ipv6: string;
  /** The veth end in the router namespace (a port of br0). */
  readonly bridgePort: string;
  readonly mac: string;
}

/** argv that runs a Node script with tsx (so .ts works) and the current Node binary. */
export function nodeCommand(script: string, args: readonly string[] = []): string[] {
  const tsx = createRequire(join(REPO_ROOT, "package.json")).resolve("tsx");
  return [process.execPath, "--import", pathToFileURL(tsx).href, resolve(REPO_ROOT, script), ...args];
}

/** Runs a Node script inside namespace `ns` (an existing name): `ip netns exec NS node ...`. The caller
 * owns the returned process. */
export function runInNamespace(ns: string, script: string, args: readonly string[] = [], env: NodeJS.ProcessEnv = process.env): Spawned {
  return new Spawned(["ip", "netns", "exec", ns, ...nodeCommand(script, args)], { cwd: REPO_ROOT, env });
}

/** Names of all namespaces that look like a bed's (`ls-` prefix). */
export async function listBedNamespaces(): Promise<string[]> {
  const { stdout } = await run(["ip", "netns", "list"]);
  return stdout
    .split("\n")
    .map((line) => line.split(" ")[0] ?? "")
    .filter((name) => name.startsWith(NAMESPACE_PREFIX));
}

const liveBeds = new Set<Bed>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // 'exit' handlers must be synchronous: teardown uses execFileSync there.
  process.on("exit", () => {
    for (const bed of liveBeds) bed.destroySync();
  });
  for (const name of ["SIGINT", "SIGTERM"] as const) {
    process.once(name, () => {
      for (const bed of liveBeds) bed.destroySync();
      process.kill(process.pid, name);
    });
  }
}

export interface BedOptions {
  /** Number of node namespaces (node1..nodeN), default 1. */
  readonly nodes?: number;
  /** Also add an IPv6 address to every host and the bridge (default true). */
  readonly ipv6?: boolean;
}

export class Bed {
  /** Short random id shared by the bed's namespace names. */
  readonly id: string;
  readonly router: Namespace;
  readonly nodes: Host[] = [];
  readonly hosts: Host[] = [];
  readonly #namespaces: Namespace[] = [];
  readonly #processes = new Set<Spawned>();
  readonly #ipv6: boolean;
  #destroyed = false;

  private constructor(id: string, ipv6: boolean) {
    this.id = id;
    this.#ipv6 = ipv6;
    this.router = new Namespace(`${NAMESPACE_PREFIX}${id}-router`, "router", this);
  }

  /** Builds the router namespace with its bridge and `nodes` node namespaces. On any failure the
   * half-built bed is torn down before the error is rethrown. */
  static async create(options: BedOptions = {}): Promise<Bed> {
    const bed = new Bed(randomBytes(3).toString("hex"), options.ipv6 ?? true);
    liveBeds.add(bed);
    installExitHook();
    try {
      await bed.#addNamespace(bed.router, ROUTER_SYSCTLS);
      await bed.router.ip([
        "link set lo up",
        `link add ${BRIDGE} address ${BRIDGE_MAC} type bridge stp_state 0 forward_delay 0`,
        `addr add ${ROUTER_IPV4}/24 dev ${BRIDGE}`,
        ...(bed.#ipv6 ? [`addr add ${ROUTER_IPV6}/64 dev ${BRIDGE} nodad`] : []),
        `link set ${BRIDGE} up`,
      ]);
      for (let i = 1; i <= (options.nodes ?? 1); i++) bed.nodes.push(await bed.addHost(`node${i}`));
      return bed;
    } catch (error) {
      await bed.destroy();
      throw error;
    }
  }

  /** Namespaces of this bed, router first. */
  get namespaces(): readonly Namespace[] {
    return this.#namespaces;
  }

  async #addNamespace(ns: Namespace, sysctls: readonly string[]): Promise<void> {
    await run(["ip", "netns", "add", ns.name]);
    this.#namespaces.push(ns);
    await ns.exec(["sysctl", "-q", "-w", ...sysctls]);
  }

  /** Adds a host namespace on the bridge. Host number n (1-based, in order of creation) gets
   * 192.0.2.(10+n)/24 and 2001:db8::(10+n)/64. */
  async addHost(role: string): Promise<Host> {
    const n = this.hosts.length + 1;
    if (n > 200) throw new Error("bed: at most 200 hosts fit in 192.0.2.0/24");
    const ns = new Namespace(`${NAMESPACE_PREFIX}${this.id}-${role}`, role, this);
    await this.#addNamespace(ns, HOST_SYSCTLS);
    const port = `n${n}`;
    const ipv4 = `192.0.2.${10 + n}`;
    const ipv6 = `2001:db8::${10 + n}`;
    await this.router.ip([
      `link add ${port} type veth peer name eth0 netns ${ns.name}`,
      `link set ${port} master ${BRIDGE}`,
      `link set ${port} up`,
    ]);
    await ns.exec(["sysctl", "-q", "-w", "net.ipv6.conf.eth0.accept_dad=0", "net.ipv6.conf.eth0.keep_addr_on_down=1"]);
    await ns.ip([
      "link set lo up",
      `addr add ${ipv4}/24 dev eth0`,
      ...(this.#ipv6 ? [`addr add ${ipv6}/64 dev eth0 nodad`] : []),
      "link set eth0 up",
    ]);
    const { stdout } = await run(["ip", "-n", ns.name, "-json", "link", "show", "eth0"]);
    const [link] = JSON.parse(stdout) as { address?: string }[];
    const host: Host = { ns, ifname: "eth0", ipv4, ipv6, bridgePort: port, mac: link?.address ?? "" };
    this.hosts.push(host);
    return host;
  }

  /** Adds an empty namespace (only lo, up) for tests that wire their own links. */
  async addNamespace(role: string): Promise<Namespace> {
    const ns = new Namespace(`${NAMESPACE_PREFIX}${this.id}-${role}`, role, this);
    await this.#addNamespace(ns, HOST_SYSCTLS);
    await ns.ip(["link set lo up"]);
    return ns;
  }

  /** @internal Records a process for teardown. */
  track(spawned: Spawned): Spawned {
    this.#processes.add(spawned);
    void spawned.exited.then(() => this.#processes.delete(spawned));
    return spawned;
  }

  /** Kills the bed's processes (by PID), then any process left inside its namespaces, then deletes
   * the namespaces. Idempotent. */
  async destroy(): Promise<void> {
    if (this.#destroyed) return;
    this.#destroyed = true;
    await Promise.all([...this.#processes].map((p) => p.kill()));
    for (const ns of this.#namespaces) {
      let pids = await ns.pids().catch(() => []);
      for (let attempt = 0; pids.length > 0 && attempt < 20; attempt++) {
        for (const pid of pids) signal(pid, attempt < 10 ? "SIGTERM" : "SIGKILL");
        await new Promise((r) => setTimeout(r, 50));
        pids = await ns.pids().catch(() => []);
      }
      await run(["ip", "netns", "del", ns.name]).catch(() => undefined);
    }
    liveBeds.delete(this);
  }

  /** Synchronous teardown for process exit: SIGKILL everything inside, delete the namespaces. */
  destroySync(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    for (const p of this.#processes) if (p.running) signal(p.pid, "SIGKILL");
    for (const ns of this.#namespaces) {
      try {
        const out = execFileSync("ip", ["netns", "pids", ns.name], { encoding: "utf8" });
        for (const pid of out.split(/\s+/).filter((s) => s !== "")) signal(Number(pid), "SIGKILL");
        execFileSync("ip", ["netns", "del", ns.name], { stdio: "ignore" });
      } catch {
        // Already gone.
      }
    }
    liveBeds.delete(this);
  }
}
