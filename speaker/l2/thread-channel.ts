/**
 * The speaker's heartbeat channel: the addon's heartbeat thread (native/heartbeat_thread.c) owns the
 * UDP socket. It sends the template ThreadBeacon keeps every 75 ms, and takes each peer's heartbeats
 * that repeat the last one accepted from it (13 a second per peer, all alike while nothing changes);
 * the rest (a change, a newcomer, a replay, a wrong key, garbage) it queues here, where they are
 * decoded and judged like any heartbeat. Each heartbeat the Membership accepts is learned by the
 * thread; each peer it forgets, forgotten. docs/adr/0014-repeated-heartbeats-stay-in-the-thread.md.
 */
import { DEFAULT_MAX_CLOCK_SKEW_MS } from "../../core/election/liveness";
import { hmacSha256Verify, startHeartbeatThread, type HeartbeatThread, type HeartbeatThreadStats } from "../../native/index";
import { DEFAULT_HEARTBEAT_INTERVAL_MS } from "../../protocols/l2/beacon";
import { decodeHeartbeat } from "../../protocols/l2/heartbeat";
import type { ChannelOpener, HeartbeatChannel } from "./heartbeat-runner";
import type { HeartbeatPeer } from "./heartbeat-udp";
import { ThreadBeacon } from "./thread-beacon";

/** Keys the thread checks repeats with (a repeat signed with another accepted key is judged on the main thread). */
const THREAD_KEYS = 4;

export interface ThreadChannel extends HeartbeatChannel {
  /** The thread's totals; reading resets its lateness. */
  stats(): HeartbeatThreadStats;
}

/** Opens the thread's channel; `opened` gets it (for its stats). */
export function threadChannel(realtimePriority: number, opened: (channel: ThreadChannel) => void = () => undefined): ChannelOpener {
  return async (config, handlers) => {
    let peers: readonly HeartbeatPeer[] = [];
    /** The key ring's accepted list the thread was last given (the ring keeps one list until it can change). */
    let listened: readonly Buffer[] = [];
    // Bound before it is started: a datagram queued at once waits for the `thread` below.
    const drain = (): void => {
      for (const datagram of thread.take()) {
        // Judged with the key ring's keys of this moment (the thread's follow them within a second).
        const d = decodeHeartbeat(datagram, config.acceptedKeys(), hmacSha256Verify);
        if (d.kind === "ok") handlers.onHeartbeat(d.heartbeat, datagram);
        else handlers.onReject(d.reason);
      }
    };
    const thread: HeartbeatThread = startHeartbeatThread({
      bindAddress: config.bindAddress,
      port: config.port,
      intervalMs: config.beacon.intervalMs ?? DEFAULT_HEARTBEAT_INTERVAL_MS,
      realtimePriority,
      onQueued: () => drain(),
    });
    const keysChanged = (): void => {
      const accepted = config.acceptedKeys();
      if (accepted === listened) return;
      listened = accepted;
      thread.listen(accepted.slice(0, THREAD_KEYS), DEFAULT_MAX_CLOCK_SKEW_MS);
    };
    keysChanged();
    let closed: Promise<void> | undefined;
    const channel: ThreadChannel = {
      beacon: new ThreadBeacon(config.beacon, thread, () => peers),
      repeats: {
        heard: node => thread.heard(node),
        forget: node => thread.forget(node),
        learn: datagram => thread.learn(datagram),
      },
      setPeers: list => {
        peers = list;
      },
      keysChanged,
      localPort: () => thread.stats().port,
      stats: () => thread.stats(),
      close: () => {
        closed ??= Promise.resolve().then(() => {
          channel.beacon.stop();
          thread.stop();
        });
        return closed;
      },
    };
    opened(channel);
    return channel;
  };
}
