/**
 * The layer 2 heartbeat in one piece: the channel heartbeats arrive and leave by, the beacon that sends
 * every 75 ms, the HMAC check of what arrives, and the Membership that times peers out after 250 ms. In
 * the speaker the channel is the addon's heartbeat thread (thread-channel.ts, docs/adr/0013 and 0014): it
 * sends whatever the main thread is doing and takes the peers' repeated heartbeats itself; tests on a
 * fake clock use the UDP socket (heartbeat-udp.ts) and send from the clock's timers (udpChannel below).
 * Its inputs are plain data: peers, keys, whether the speaker's view is current, the acks the election decided.
 */
import { randomBytes } from "node:crypto";
import type { Clock } from "../../core/clock";
import { Membership, type HeartbeatObserver, type PartitionPolicy, type RepeatFilter } from "../../core/election/liveness";
import { Beacon, type BeaconOptions, type HeartbeatBeacon } from "../../protocols/l2/beacon";
import { checkKey, type Heartbeat, type HeartbeatRejectReason } from "../../protocols/l2/heartbeat";
import { HeartbeatKeyRing, type KeyRingOptions } from "../../protocols/l2/heartbeat-keys";
import { DEFAULT_HEARTBEAT_PORT, UdpHeartbeatTransport, type HeartbeatPeer } from "./heartbeat-udp";

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

/** What a channel hands the runner. */
export interface ChannelHandlers {
  /** A heartbeat whose MAC checked out (`datagram`: its bytes, as they arrived). */
  readonly onHeartbeat: (hb: Heartbeat, datagram: Buffer) => void;
  readonly onReject: (reason: HeartbeatRejectReason) => void;
}

/** What a channel is opened with. */
export interface ChannelConfig {
  readonly bindAddress: string;
  readonly port: number;
  /** The keys accepted on receive now (current first). */
  readonly acceptedKeys: () => readonly Buffer[];
  /** What the beacon sends (read as the beacon needs it). */
  readonly beacon: BeaconOptions;
  readonly observer?: HeartbeatObserver;
}

/** Where a runner's heartbeats arrive and leave by, and the beacon that sends them. */
export interface HeartbeatChannel {
  readonly beacon: HeartbeatBeacon;
  /** Present when the channel takes repeated heartbeats itself (told of each accepted one by `learn`). */
  readonly repeats?: RepeatFilter & { learn(datagram: Buffer): void };
  setPeers(peers: readonly HeartbeatPeer[]): void;
  /** The accepted keys may have changed (a rotation, a new Secret). */
  keysChanged(): void;
  localPort(): number;
  close(): Promise<void>;
}

export type ChannelOpener = (config: ChannelConfig, handlers: ChannelHandlers) => Promise<HeartbeatChannel>;

/** The UDP socket (node:dgram, heartbeat-udp.ts) with a beacon on `clock`'s timers: tests on a fake clock. */
export function udpChannel(clock: Clock): ChannelOpener {
  return async (config, handlers) => {
    const transport = await UdpHeartbeatTransport.open({
      bindAddress: config.bindAddress,
      port: config.port,
      keys: config.acceptedKeys,
      onHeartbeat: (hb, _from, datagram) => handlers.onHeartbeat(hb, datagram),
      onReject: reason => handlers.onReject(reason),
      onSent: () => config.observer?.sent(),
      onSendError: () => config.observer?.sendFailed(),
    });
    return {
      beacon: new Beacon(clock, { ...config.beacon, send: packet => transport.send(packet) }),
      setPeers: peers => transport.setPeers(peers),
      keysChanged: () => undefined,
      localPort: () => transport.localPort(),
      close: () => transport.close(),
    };
  };
}

/** How a runner's heartbeats travel (default: udpChannel on the runner's clock). */
export interface RunnerParts {
  readonly observer?: HeartbeatObserver;
  readonly openChannel?: ChannelOpener;
}

export class HeartbeatRunner {
  private acks: readonly string[] = [];

  private constructor(
    readonly membership: Membership,
    private readonly channel: HeartbeatChannel,
    /** The keys heartbeats are signed and accepted with (a rotation phases in through it). */
    readonly keys: HeartbeatKeyRing,
    private readonly port: number,
  ) {}

  private get beacon(): HeartbeatBeacon {
    return this.channel.beacon;
  }

  static async start(clock: Clock, data: HeartbeatRunnerData, { observer, openChannel = udpChannel(clock) }: RunnerParts = {}): Promise<HeartbeatRunner> {
    for (const k of data.keys) checkKey(k);
    const keys = new HeartbeatKeyRing(clock, data.keys, data.keyRotation);
    const membership = new Membership(clock, { self: data.nodeName, timeoutMs: data.timeoutMs, coldStartGraceMs: data.coldStartGraceMs, partitionPolicy: data.partitionPolicy, observer });
    const port = data.port ?? DEFAULT_HEARTBEAT_PORT;
    let runner: HeartbeatRunner | undefined;
    let channel: HeartbeatChannel;
    try {
      channel = await openChannel(
        {
          bindAddress: data.bindAddress,
          port,
          acceptedKeys: () => keys.acceptedKeys(),
          ...(observer ? { observer } : {}),
          beacon: {
            self: data.nodeName,
            incarnation: newIncarnation(),
            key: () => keys.signingKey(),
            // Each channel sends its own way (udpChannel's Beacon through the socket, the thread by itself).
            send: () => undefined,
            acks: () => runner?.acks ?? [],
            standby: () => !membership.canAnnounce(),
            blind: () => membership.isBlind(),
            ...(data.intervalMs !== undefined ? { intervalMs: data.intervalMs } : {}),
          },
        },
        {
          onHeartbeat: (heartbeat, datagram) => {
            // (Datagrams reach here only after the channel is open, so `channel` is set.)
            if (membership.receive(heartbeat) === "accepted") channel.repeats?.learn(datagram);
          },
          onReject: reason => membership.rejected(reason),
        },
      );
    } catch (error) {
      membership.close();
      throw error;
    }
    if (channel.repeats) membership.useRepeatFilter(channel.repeats);
    // Standby and blind come from the membership: a beacon that keeps a template hears of each change.
    membership.onChange(() => channel.beacon.changed());
    runner = new HeartbeatRunner(membership, channel, keys, port);
    return runner;
  }

  /** Starts sending (after the caller has subscribed to the membership). */
  startBeacon(): void {
    this.beacon.start();
  }

  setPeers(peers: readonly HeartbeatRunnerPeer[]): void {
    const others = peers.filter(p => p.node !== this.membership.self);
    this.channel.setPeers(others.map(p => ({ node: p.node, address: p.address, port: this.port })));
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
    this.channel.keysChanged();
    this.beacon.changed();
  }

  /** Time-driven changes of what the heartbeat says (the signing key's switch after a rotation): call now and then. */
  refresh(): void {
    this.channel.keysChanged();
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
    return this.channel.localPort();
  }

  async close(): Promise<void> {
    this.beacon.stop();
    this.membership.close();
    await this.channel.close();
  }
}
