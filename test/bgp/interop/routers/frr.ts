/**
 * FRR (zebra + bgpd + bfdd) in a bed namespace. FRR refuses to run as root, so the daemons run as
 * frr:frr with every path (pid files, vty sockets, the zserv socket) inside a per-run directory owned
 * by frr: two FRRs in two namespaces never share a socket. Queries go through vtysh on that directory.
 */
import { chownSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { execFileSync } from "node:child_process";
import type { Namespace, Spawned } from "../../../../hack/netns";
import { eventually, scratchDir } from "./poll";

const FRR_BIN = "/usr/lib/frr";

export interface FrrNeighbor {
  /** The neighbor's address, or with `interface` the name of the interface (BGP unnumbered). */
  readonly address: string;
  /** `neighbor IFNAME interface`: unnumbered, to the link-local router FRR learns on that interface
   * (extended next hop, RFC 8950, is on by default for these). */
  readonly interface?: boolean;
  readonly remoteAs: number;
  /** TCP MD5 password (RFC 2385). */
  readonly password?: string;
  /** Name of a BFD profile from FrrConfig.bfdProfiles. */
  readonly bfdProfile?: string;
  /** Also exchange IPv6 unicast with this neighbor. */
  readonly ipv6?: boolean;
  /** eBGP multihop with this TTL (a peer behind a router); its BFD session is then multihop (RFC 5883). */
  readonly ebgpMultihopTtl?: number;
  /** Local address of the session (and of its multihop BFD session). */
  readonly updateSource?: string;
}

export interface FrrBfdProfile {
  readonly name: string;
  readonly receiveIntervalMs: number;
  readonly transmitIntervalMs: number;
  readonly detectMultiplier: number;
  /** Multihop only: lowest TTL FRR accepts (FRR's default 254). */
  readonly minimumTtl?: number;
  readonly passive?: boolean;
  /** echo-mode, with this echo receive and transmit interval (ms). */
  readonly echoIntervalMs?: number;
}

/** A BFD session configured in bfdd itself (no BGP neighbor behind it). */
export interface FrrBfdPeer {
  readonly address: string;
  readonly localAddress: string;
  /** RFC 5883 (UDP 4784) instead of single hop. */
  readonly multihop?: boolean;
  readonly profile?: string;
}

export interface FrrConfig {
  readonly asn: number;
  readonly routerId: string;
  readonly neighbors: readonly FrrNeighbor[];
  readonly bfdProfiles?: readonly FrrBfdProfile[];
  readonly bfdPeers?: readonly FrrBfdPeer[];
  /** Stale-route time for graceful-restart helpers (seconds); FRR's helper mode is on by default. */
  readonly gracefulRestartStalePathS?: number;
}

/** bgpd's configuration: datacenter defaults (3 s / 9 s timers), no eBGP policy requirement. */
export function frrBgpdConfig(c: FrrConfig): string {
  const lines = ["frr defaults datacenter", "hostname router", "!", `router bgp ${c.asn}`, ` bgp router-id ${c.routerId}`, " no bgp ebgp-requires-policy"];
  if (c.gracefulRestartStalePathS !== undefined) lines.push(` bgp graceful-restart stalepath-time ${c.gracefulRestartStalePathS}`);
  for (const n of c.neighbors) {
    lines.push(` neighbor ${n.address}${n.interface ? " interface" : ""} remote-as ${n.remoteAs}`);
    if (n.password !== undefined) lines.push(` neighbor ${n.address} password ${n.password}`);
    if (n.ebgpMultihopTtl !== undefined) lines.push(` neighbor ${n.address} ebgp-multihop ${n.ebgpMultihopTtl}`);
    if (n.updateSource !== undefined) lines.push(` neighbor ${n.address} update-source ${n.updateSource}`);
    if (n.bfdProfile !== undefined) lines.push(` neighbor ${n.address} bfd profile ${n.bfdProfile}`);
  }
  const v6 = c.neighbors.filter(n => n.ipv6);
  if (v6.length > 0) {
    lines.push(" address-family ipv6 unicast");
    for (const n of v6) lines.push(`  neighbor ${n.address} activate`);
    lines.push(" exit-address-family");
  }
  lines.push("exit", "!");
  return `${lines.join("\n")}\n`;
}

/** bfdd's configuration: the profiles bgpd's neighbors refer to. */
export function frrBfddConfig(c: FrrConfig): string {
  const lines = ["frr defaults datacenter", "!", "bfd"];
  for (const p of c.bfdProfiles ?? []) {
    lines.push(
      ` profile ${p.name}`,
      `  detect-multiplier ${p.detectMultiplier}`,
      `  receive-interval ${p.receiveIntervalMs}`,
      `  transmit-interval ${p.transmitIntervalMs}`,
      ...(p.minimumTtl !== undefined ? [`  minimum-ttl ${p.minimumTtl}`] : []),
      ...(p.passive ? ["  passive-mode"] : []),
      ...(p.echoIntervalMs !== undefined ? ["  echo-mode", `  echo receive-interval ${p.echoIntervalMs}`, `  echo transmit-interval ${p.echoIntervalMs}`] : []),
      " exit",
    );
  }
  for (const peer of c.bfdPeers ?? []) {
    lines.push(` peer ${peer.address}${peer.multihop ? " multihop" : ""} local-address ${peer.localAddress}`, ...(peer.profile ? [`  profile ${peer.profile}`] : []), " exit");
  }
  lines.push("exit", "!");
  return `${lines.join("\n")}\n`;
}

export interface FrrBfdPeerStatus {
  /** "up", "down", "init", "shutdown". */
  readonly status: string;
  /** The discriminator our side announced (0 until FRR has heard us). */
  readonly remoteId: number;
  readonly packetsIn: number;
  readonly packetsOut: number;
}

const frrIds = (): { uid: number; gid: number } => ({
  uid: Number(execFileSync("id", ["-u", "frr"], { encoding: "utf8" }).trim()),
  gid: Number(execFileSync("id", ["-g", "frr"], { encoding: "utf8" }).trim()),
});

export class FrrRouter {
  private constructor(
    readonly ns: Namespace,
    readonly dir: string,
    private readonly daemons: readonly Spawned[],
    private readonly removeDir: () => void,
  ) {}

  /** Starts zebra, then bgpd and bfdd, and waits (bounded) until vtysh reaches all three. */
  static async start(ns: Namespace, config: FrrConfig, timeoutMs = 15_000): Promise<FrrRouter> {
    const scratch = scratchDir("frr");
    const dir = scratch.path;
    const { uid, gid } = frrIds();
    chownSync(dir, uid, gid);
    writeFileSync(join(dir, "zebra.conf"), "hostname router\n!\n");
    writeFileSync(join(dir, "bgpd.conf"), frrBgpdConfig(config));
    writeFileSync(join(dir, "bfdd.conf"), frrBfddConfig(config));
    const common = (name: string) => ["-u", "frr", "-g", "frr", "-f", join(dir, `${name}.conf`), "-i", join(dir, `${name}.pid`), "-z", join(dir, "zserv.api"), "--vty_socket", dir, "-P", "0", "--log", "stdout"];
    const zebra = ns.spawn([join(FRR_BIN, "zebra"), ...common("zebra")]);
    const router = new FrrRouter(ns, dir, [zebra], scratch.remove);
    await eventually(async () => ((await router.vtysh("show version")).includes("FRRouting") ? true : undefined), "zebra to answer vtysh", { timeoutMs });
    const bgpd = ns.spawn([join(FRR_BIN, "bgpd"), ...common("bgpd")]);
    const bfdd = ns.spawn([join(FRR_BIN, "bfdd"), ...common("bfdd"), "--bfdctl", join(dir, "bfdd.sock")]);
    const started = new FrrRouter(ns, dir, [bfdd, bgpd, zebra], scratch.remove);
    // bgpd answers with its configuration once it runs (even with no neighbours, when the summary stays empty).
    await eventually(async () => ((await started.vtysh("show running-config")).includes(`router bgp ${config.asn}`) ? true : undefined), "bgpd to answer vtysh", { timeoutMs });
    await eventually(async () => ((await started.vtysh("show bfd peers json")).trim().startsWith("[") ? true : undefined), "bfdd to answer vtysh", { timeoutMs });
    return started;
  }

  /** Runs one vtysh command against this FRR only. */
  async vtysh(command: string): Promise<string> {
    return (await this.ns.exec(["vtysh", "--vty_socket", this.dir, "-c", command])).stdout;
  }

  /** Applies configuration commands in one vtysh session, from `configure terminal` (e.g. ["bfd", "profile p", "no passive-mode"]). */
  async configure(commands: readonly string[]): Promise<void> {
    await this.ns.exec(["vtysh", "--vty_socket", this.dir, "-c", "configure terminal", ...commands.flatMap(c => ["-c", c])]);
  }

  async vtyshJson<T>(command: string): Promise<T> {
    return JSON.parse(await this.vtysh(command)) as T;
  }

  /** BGP state of each neighbor (e.g. "Established", "Active"), IPv4 unicast view. */
  async neighborStates(): Promise<Map<string, string>> {
    // With an explicit address family, FRR leaves out the "ipv4Unicast" wrapper.
    const summary = await this.vtyshJson<{ peers?: Record<string, { state?: string }> }>("show bgp ipv4 unicast summary json");
    return new Map(Object.entries(summary.peers ?? {}).map(([peer, p]) => [peer, p.state ?? "?"]));
  }

  /** BFD status per peer address (e.g. "up", "down"). */
  async bfdPeers(): Promise<Map<string, string>> {
    const peers = await this.vtyshJson<{ peer?: string; status?: string }[]>("show bfd peers json");
    return new Map(peers.flatMap(p => (p.peer ? [[p.peer, p.status ?? "?"] as const] : [])));
  }

  /** One bfdd session as `show bfd peer ... json` reports it (status, counters). */
  async bfdPeer(address: string, localAddress: string, multihop: boolean): Promise<FrrBfdPeerStatus> {
    const which = `peer ${address}${multihop ? " multihop" : ""} local-address ${localAddress}`;
    const status = await this.vtyshJson<{ status?: string; "remote-id"?: number }>(`show bfd ${which} json`);
    const counters = await this.vtyshJson<{ "control-packet-input"?: number; "control-packet-output"?: number }>(`show bfd ${which} counters json`);
    return {
      status: status.status ?? "?",
      remoteId: status["remote-id"] ?? 0,
      packetsIn: counters["control-packet-input"] ?? 0,
      packetsOut: counters["control-packet-output"] ?? 0,
    };
  }

  /** Stops the daemons by PID (bgpd and bfdd first, zebra last) and removes the directory. */
  async stop(): Promise<void> {
    for (const d of this.daemons) await d.kill();
    this.removeDir();
  }
}
