/**
 * The heartbeat runner's process (./heartbeat-isolated.ts forks it): sends this node's heartbeat every
 * 75 ms, checks the HMAC of every heartbeat that arrives and times peers out, on an event loop that runs
 * nothing else and at the BFD runner's priority, so a speaker main thread held by a relist or GC neither
 * silences this node nor lets a peer expire unread (docs/adr/0012). The speaker hears every membership
 * change at once and the datagram counts once a second.
 *
 * It ends at once when the speaker goes (the IPC channel closes): its heartbeats stop, as they would
 * with the speaker, and the peers take over.
 */
import { LatenessClock, realClock } from "../../core/clock";
import { membershipSnapshot, type HeartbeatObserver, type HeartbeatRefusal } from "../../core/election/liveness";
import { raisePriority } from "../runner-priority";
import { reportLateness } from "../timing-runner";
import type { FromHeartbeatRunner, HeartbeatProcessData, ToHeartbeatRunner } from "./heartbeat-isolated";
import { HeartbeatRunner } from "./heartbeat-runner";

/** Lateness worth a warning: a fifth of the 250 ms timeout. */
const LATE_MS = 50;
const STATS_EVERY_MS = 1000;
/** The beacon's and the peers' timers, watched for lateness. */
const clock = new LatenessClock(realClock);

if (!process.send) throw new Error("heartbeat-isolated-main.ts runs as a child process (see heartbeat-isolated.ts)");
process.on("disconnect", () => process.exit(0));
const post = (m: FromHeartbeatRunner): void => {
  // A speaker gone meanwhile is the disconnect handler's (EPIPE is no reason to throw).
  if (process.connected) process.send?.(m, undefined, undefined, () => undefined);
};
const data = JSON.parse(process.argv[2] ?? "{}") as HeartbeatProcessData;
if (data.priority !== undefined) post({ op: "priority", ...raisePriority(data.priority) });

const counts = { sent: 0, sendFailed: 0, accepted: 0, refused: {} as Partial<Record<HeartbeatRefusal, number>>, alive: 0, expected: 0 };
let changed = false;
const observer: HeartbeatObserver = {
  sent: () => void ((counts.sent++, (changed = true))),
  sendFailed: () => void ((counts.sendFailed++, (changed = true))),
  accepted: () => void ((counts.accepted++, (changed = true))),
  refused: reason => void ((counts.refused[reason] = (counts.refused[reason] ?? 0) + 1), (changed = true)),
  peers: (alive, expected) => void ((counts.alive = alive), (counts.expected = expected), (changed = true)),
};

async function main(): Promise<void> {
  let runner: HeartbeatRunner;
  try {
    runner = await HeartbeatRunner.start(clock, data, observer);
  } catch (error) {
    post({ op: "error", message: error instanceof Error ? error.message : String(error) });
    process.exit(1);
  }
  const membership = runner.membership;
  membership.onChange(() => post({ op: "membership", snapshot: membershipSnapshot(membership) }));

  const stopReports = reportLateness(clock, LATE_MS, STATS_EVERY_MS, post, () => {
    if (!changed) return;
    changed = false;
    post({ op: "stats", ...counts, refused: { ...counts.refused }, rejects: Object.fromEntries([...membership.rejects].sort()), stalls: membership.stalls });
  });

  process.on("message", raw => {
    const m = raw as ToHeartbeatRunner;
    switch (m.op) {
      case "peers":
        runner.setPeers(m.peers);
        break;
      case "view-current":
        runner.setViewCurrent(m.current);
        break;
      case "keys":
        runner.setKeys(m.keys);
        break;
      case "heartbeat-changed":
        runner.heartbeatChanged(m.acks);
        break;
      case "leave":
        runner.startLeaving();
        break;
      case "shutdown":
        stopReports();
        void runner.close().then(() => {
          process.removeAllListeners("disconnect");
          if (process.connected) process.disconnect();
        });
        break;
    }
  });
  post({ op: "ready", port: runner.localPort(), snapshot: membershipSnapshot(membership) });
  runner.startBeacon();
}

void main();
