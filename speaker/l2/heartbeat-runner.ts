/**
 * The layer 2 heartbeat in one piece: the UDP socket (heartbeat-udp.ts), the beacon that sends every
 * 75 ms, the HMAC check of what arrives, and the Membership that times peers out after 250 ms. In the
 * speaker the beacon is the addon's sending thread (thread-beacon.ts, docs/adr/0013), so nothing its main
 * thread does holds a heartbeat back, and a peer's expiry that fires late re-checks after the socket is
 * read (liveness.ts); tests on a fake clock send from the clock's timers (heartbeat-control.ts). Its inputs
 * are plain data: peers, keys, whether the speaker's view is current, the acks the election decided.
 */
import { randomBytes } from "node:crypto";
import type { Clock } from "../../core/clock";
import { Membership, type HeartbeatObserver, type PartitionPolicy } from "../../core/election/liveness";
import { Beacon, type BeaconOptions, type HeartbeatBeacon } from "../../protocols/l2/beacon";
import { checkKey, type MacCheck } from "../../protocols/l2/heartbeat";
import { HeartbeatKeyRing, type KeyRingOptions } from "../../protocols/l2/heartbeat-keys";
import { DEFAULT_HEARTBEAT_PORT, UdpHeartbeatTransport } from "./heartbeat-udp";

export interface HeartbeatRunnerPeer {
  readonly node: string;
  readonly address: string;
}

/** What a runner starts with. Keys current first. */
export interface HeartbeatRunnerData {
  readonly nodeName: string;
  readonly keys: readonly Buffer[];
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

/**
 * Makes the beacon: `Beacon` on the runner's clock (the default; tests on a fake clock) or the addon's
 * sending thread (thread-beacon.ts, the speaker). `transport` is the socket heartbeats arrive on.
 */
export type BeaconMaker = (options: BeaconOptions, transport: UdpHeartbeatTransport) => HeartbeatBeacon;

/** How a runner sends and checks (the defaults: the clock's Beacon, node:crypto's MAC check). */
export interface RunnerParts {
  readonly observer?: HeartbeatObserver;
  readonly makeBeacon?: BeaconMaker;
  readonly checkMac?: MacCheck;
}

export class HeartbeatRunner {
  private acks: readonly string[] = [];

  private constructor(
    readonly membership: Membership,
    private readonly beacon: HeartbeatBeacon,
    private readonly transport: UdpHeartbeatTransport,
    /** The keys heartbeats are signed and accepted with (a rotation phases in through it). */
    readonly keys: HeartbeatKeyRing,
    private readonly port: number,
  ) {}

  static async start(clock: Clock, data: HeartbeatRunnerData, { observer, makeBeacon, checkMac }: RunnerParts = {}): Promise<HeartbeatRunner> {
    for (const k of data.keys) checkKey(k);
    const keys = new HeartbeatKeyRing(clock, data.keys, data.keyRotation);
    const membership = new Membership(clock, { self: data.nodeName, timeoutMs: data.timeoutMs, coldStartGraceMs: data.coldStartGraceMs, partitionPolicy: data.partitionPolicy, observer });
    const port = data.port ?? DEFAULT_HEARTBEAT_PORT;
    let transport: UdpHeartbeatTransport;
    try {
      transport = await UdpHeartbeatTransport.open({
        bindAddress: data.bindAddress,
        port,
        keys: () => keys.acceptedKeys(),
        ...(checkMac ? { checkMac } : {}),
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
    const options: BeaconOptions = {
      self: data.nodeName,
      incarnation: newIncarnation(),
      key: () => keys.signingKey(),
      send: packet => transport.send(packet),
      acks: () => runner?.acks ?? [],
      standby: () => !membership.canAnnounce(),
      blind: () => membership.isBlind(),
      ...(data.intervalMs !== undefined ? { intervalMs: data.intervalMs } : {}),
    };
    const beacon = makeBeacon ? makeBeacon(options, transport) : new Beacon(clock, options);
    // Standby and blind come from the membership: a beacon that keeps a template hears of each change.
    membership.onChange(() => beacon.changed());
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
    this.beacon.changed();
  }

  setViewCurrent(current: boolean): void {
    if (current === !this.membership.isBlind()) return;
    this.membership.setViewCurrent(current);
    this.beacon.sendNow();
  }

  setKeys(keys: readonly Buffer[]): void {
    for (const k of keys) checkKey(k);
    this.keys.update(keys);
    this.beacon.changed();
  }

  /** Time-driven changes of what the heartbeat says (the signing key's switch after a rotation): call now and then. */
  refresh(): void {
    this.beacon.changed();
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
