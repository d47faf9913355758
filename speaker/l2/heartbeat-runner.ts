/**
 * Everything time-critical of the layer 2 heartbeat in one piece: the UDP socket (heartbeat-udp.ts),
 * the Beacon that sends every 75 ms, the HMAC check of what arrives, and the Membership that times
 * peers out after 250 ms. It runs in the timing process (heartbeat-isolated.ts, docs/adr/0012) so that
 * nothing the speaker's main thread does can hold a heartbeat back or let a peer's expire unread; tests
 * on a fake clock run it in-process (heartbeat-control.ts). Its inputs are plain data: peers, keys,
 * whether the speaker's view is current, the acks the election decided.
 */
import { randomBytes } from "node:crypto";
import type { Clock } from "../../core/clock";
import { Membership, type HeartbeatObserver, type PartitionPolicy } from "../../core/election/liveness";
import { Beacon } from "../../protocols/l2/beacon";
import { checkKey } from "../../protocols/l2/heartbeat";
import { HeartbeatKeyRing, type KeyRingOptions } from "../../protocols/l2/heartbeat-keys";
import { DEFAULT_HEARTBEAT_PORT, UdpHeartbeatTransport } from "./heartbeat-udp";

export interface HeartbeatRunnerPeer {
  readonly node: string;
  readonly address: string;
}

/** What a runner starts with (plain data: it crosses to the timing process). Keys as hex. */
export interface HeartbeatRunnerData {
  readonly nodeName: string;
  readonly keys: readonly string[];
  readonly keyRotation?: KeyRingOptions;
  readonly port?: number;
  readonly bindAddress: string;
  readonly intervalMs?: number;
  readonly timeoutMs?: number;
  readonly coldStartGraceMs?: number;
  readonly partitionPolicy?: PartitionPolicy;
}

/**
 * A new incarnation for each runner: grows across restarts (wall clock in ms, plus randomness against two
 * starts in one ms), so the heartbeats of a runner started again (its sequence from 1) are not replays.
 */
function newIncarnation(): bigint {
  return BigInt(Date.now()) * 1024n + BigInt(randomBytes(2).readUInt16BE(0) % 1024);
}

export class HeartbeatRunner {
  private acks: readonly string[] = [];

  private constructor(
    readonly membership: Membership,
    private readonly beacon: Beacon,
    private readonly transport: UdpHeartbeatTransport,
    private readonly keys: HeartbeatKeyRing,
    private readonly port: number,
  ) {}

  static async start(clock: Clock, data: HeartbeatRunnerData, observer?: HeartbeatObserver): Promise<HeartbeatRunner> {
    const keyBuffers = data.keys.map(k => Buffer.from(k, "hex"));
    for (const k of keyBuffers) checkKey(k);
    const keys = new HeartbeatKeyRing(clock, keyBuffers, data.keyRotation);
    const membership = new Membership(clock, { self: data.nodeName, timeoutMs: data.timeoutMs, coldStartGraceMs: data.coldStartGraceMs, partitionPolicy: data.partitionPolicy, observer });
    const port = data.port ?? DEFAULT_HEARTBEAT_PORT;
    let transport: UdpHeartbeatTransport;
    try {
      transport = await UdpHeartbeatTransport.open({
        bindAddress: data.bindAddress,
        port,
        keys: () => keys.acceptedKeys(),
        onHeartbeat: heartbeat => membership.receive(heartbeat),
        onReject: reason => membership.rejected(reason),
        onSent: () => observer?.sent(),
        onSendError: () => observer?.sendFailed(),
      });
    } catch (error) {
      membership.close();
      throw error;
    }
    let runner: HeartbeatRunner | undefined;
    const beacon = new Beacon(clock, {
      self: data.nodeName,
      incarnation: newIncarnation(),
      key: () => keys.signingKey(),
      send: packet => transport.send(packet),
      acks: () => runner?.acks ?? [],
      standby: () => !membership.canAnnounce(),
      blind: () => membership.isBlind(),
      ...(data.intervalMs !== undefined ? { intervalMs: data.intervalMs } : {}),
    });
    runner = new HeartbeatRunner(membership, beacon, transport, keys, port);
    return runner;
  }

  /** Starts sending (after the caller has subscribed to the membership). */
  startBeacon(): void {
    this.beacon.start();
  }

  setPeers(peers: readonly HeartbeatRunnerPeer[]): void {
    const others = peers.filter(p => p.node !== this.membership.self);
    this.transport.setPeers(others.map(p => ({ node: p.node, address: p.address, port: this.port })));
    this.membership.setExpectedPeers(others.map(p => p.node));
  }

  setViewCurrent(current: boolean): void {
    if (current === !this.membership.isBlind()) return;
    this.membership.setViewCurrent(current);
    this.beacon.sendNow();
  }

  setKeys(keys: readonly string[]): void {
    const buffers = keys.map(k => Buffer.from(k, "hex"));
    for (const k of buffers) checkKey(k);
    this.keys.update(buffers);
  }

  /** The election changed what the heartbeat says (acks, or whether this node announces): send at once. */
  heartbeatChanged(acks: readonly string[]): void {
    this.acks = acks;
    this.beacon.sendNow();
  }

  startLeaving(): void {
    this.beacon.startLeaving();
  }

  localPort(): number {
    return this.transport.localPort();
  }

  async close(): Promise<void> {
    this.beacon.stop();
    this.membership.close();
    await this.transport.close();
  }
}
