/**
 * Test helper: several speakers' cores (Membership, Beacon, L2Announcements) on one FakeClock,
 * joined by a simulated network that carries real encoded heartbeats and can be cut between any
 * two nodes. Nothing here opens a socket.
 */
import { Announcer } from "../../protocols/l2/announcer";
import { L2Announcements, type AnnouncedService } from "../../core/election/announcements";
import { Beacon } from "../../protocols/l2/beacon";
import { FakeClock } from "../../core/clock";
import { decodeHeartbeat } from "../../protocols/l2/heartbeat";
import type { HeartbeatKeyRing } from "../../protocols/l2/heartbeat-keys";
import { Membership, type PartitionPolicy } from "../../core/election/liveness";
import { OwnershipTable } from "../../core/election/ownership";

export const SIM_KEY = Buffer.from("lodestone-test-key-0123456789abcdef");
export const SIM_WALL_START = 1_800_000_000_000;

export interface SimNode {
  readonly name: string;
  readonly membership: Membership;
  readonly beacon: Beacon;
  readonly ownership: OwnershipTable;
  readonly announcements: L2Announcements;
  /** [time, ip] of every gratuitous round this node started. */
  readonly rounds: [number, string][];
  alive: boolean;
  key: Buffer;
  /** With SimOptions.keyRing: the ring this node signs and accepts with (instead of `key`). */
  readonly ring: HeartbeatKeyRing | undefined;
}

export interface SimOptions {
  readonly latencyMs?: number;
  readonly policy?: PartitionPolicy;
  readonly intervalMs?: number;
  readonly timeoutMs?: number;
  /** Per-node signing key (default SIM_KEY). */
  readonly keys?: Readonly<Record<string, Buffer>>;
  /** Per-node key ring (rotation tests): overrides `keys` for signing and accepting. */
  readonly keyRing?: (node: string, clock: FakeClock) => HeartbeatKeyRing;
}

export class SimCluster {
  readonly clock = new FakeClock(0);
  readonly nodes = new Map<string, SimNode>();
  private readonly cuts = new Set<string>();
  private readonly latencyMs: number;

  constructor(names: readonly string[], private readonly options: SimOptions = {}) {
    this.latencyMs = options.latencyMs ?? 1;
    for (const name of names) this.addNode(name, names, 1n);
  }

  addNode(name: string, all: readonly string[], incarnation: bigint): SimNode {
    const wallNow = (): number => SIM_WALL_START + this.clock.now();
    const membership = new Membership(this.clock, { self: name, partitionPolicy: this.options.policy ?? "availability", wallNow, ...(this.options.timeoutMs ? { timeoutMs: this.options.timeoutMs } : {}) });
    membership.setExpectedPeers(all);
    const ownership = new OwnershipTable();
    const rounds: [number, string][] = [];
    const announcer = new Announcer(this.clock, ip => rounds.push([this.clock.now(), ip]));
    let beacon: Beacon | undefined;
    const announcements = new L2Announcements(membership, ownership, announcer, () => beacon?.sendNow());
    const keyHolder = { key: this.options.keys?.[name] ?? SIM_KEY };
    const ring = this.options.keyRing?.(name, this.clock);
    beacon = new Beacon(this.clock, {
      self: name, incarnation, wallNow, key: () => ring?.signingKey() ?? keyHolder.key,
      send: packet => this.broadcast(name, packet),
      acks: () => announcements.acksToSend(),
      standby: () => !membership.canAnnounce(),
      ...(this.options.intervalMs ? { intervalMs: this.options.intervalMs } : {}),
    });
    const node: SimNode = {
      name, membership, ownership, announcements, rounds, beacon, alive: true, ring,
      get key() {
        return keyHolder.key;
      },
      set key(k: Buffer) {
        keyHolder.key = k;
      },
    };
    this.nodes.set(name, node);
    node.beacon.start();
    return node;
  }

  node(name: string): SimNode {
    const n = this.nodes.get(name);
    if (!n) throw new Error(`no sim node ${name}`);
    return n;
  }

  private broadcast(from: string, packet: Buffer): void {
    if (!this.node(from).alive) return;
    for (const to of this.nodes.values()) {
      if (to.name === from || this.cuts.has(`${from}>${to.name}`)) continue;
      this.clock.setTimeout(() => {
        if (!to.alive) return;
        const d = decodeHeartbeat(packet, to.ring?.acceptedKeys() ?? [to.key]);
        if (d.kind === "ok") to.membership.receive(d.heartbeat);
        else to.membership.rejected(d.reason);
      }, this.latencyMs);
    }
  }

  /** Cuts (both directions) every link between the two groups. */
  partition(a: readonly string[], b: readonly string[]): void {
    for (const x of a) for (const y of b) this.cuts.add(`${x}>${y}`).add(`${y}>${x}`);
  }

  heal(): void {
    this.cuts.clear();
  }

  /** The node stops dead: no more heartbeats, no more processing. */
  kill(name: string): void {
    const n = this.node(name);
    n.alive = false;
    n.beacon.stop();
  }

  setServices(services: readonly AnnouncedService[]): void {
    for (const n of this.nodes.values()) n.announcements.setServices(services);
  }

  /** Which live nodes answer for `ip`. */
  announcers(ip: string): string[] {
    return [...this.nodes.values()].filter(n => n.alive && n.ownership.owns(ip)).map(n => n.name).sort();
  }
}

/** A Cluster-policy service with one ready endpoint, eligible everywhere. */
export function simService(name: string, ips: string[], nodes: readonly string[]): AnnouncedService {
  return {
    name,
    ips,
    interfaces: [],
    election: {
      nodes: nodes.map(n => ({ name: n, labels: {}, networkUnavailable: false })),
      advertisements: [{ nodeSelectors: [] }],
      externalTrafficPolicy: "Cluster",
      endpointNodes: new Set(),
      anyReadyEndpoint: true,
    },
  };
}
