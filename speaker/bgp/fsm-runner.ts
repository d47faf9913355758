/**
 * Runs the pure FSM on a clock: timer actions become scheduled expiry events, everything else
 * goes to `perform`. Events raised while an event is being handled (a socket that fails at
 * once, say) are queued, so the FSM always sees them one at a time and in order.
 */
import type { Clock, TimerHandle } from "../../core/clock";
import { initialState, step, type FsmAction, type FsmEvent, type FsmState, type TimerName } from "../../protocols/bgp/fsm";
import type { PeerSettings } from "../../protocols/bgp/open-checks";

export type { Clock, TimerHandle };

const expiry: Record<TimerName, FsmEvent> = {
  connectRetry: { type: "ConnectRetryTimerExpires" },
  hold: { type: "HoldTimerExpires" },
  keepalive: { type: "KeepaliveTimerExpires" },
};

export class FsmRunner {
  private current: FsmState = initialState;
  private readonly timers = new Map<TimerName, TimerHandle>();
  private readonly queue: FsmEvent[] = [];
  private busy = false;

  constructor(
    private readonly settings: PeerSettings,
    private readonly clock: Clock,
    private readonly perform: (action: Exclude<FsmAction, { type: "start-timer" | "stop-timer" }>) => void,
  ) {}

  get state(): FsmState {
    return this.current;
  }

  handle(event: FsmEvent): void {
    this.queue.push(event);
    if (this.busy) return;
    this.busy = true;
    try {
      for (let e = this.queue.shift(); e !== undefined; e = this.queue.shift()) {
        const { state, actions } = step(this.current, e, this.settings);
        this.current = state;
        for (const a of actions) this.apply(a);
      }
    } finally {
      this.busy = false;
    }
  }

  private apply(a: FsmAction): void {
    if (a.type === "start-timer") {
      this.timers.get(a.timer)?.cancel();
      this.timers.set(
        a.timer,
        this.clock.setTimeout(() => {
          this.timers.delete(a.timer);
          this.handle(expiry[a.timer]);
        }, a.seconds * 1000),
      );
    } else if (a.type === "stop-timer") {
      this.timers.get(a.timer)?.cancel();
      this.timers.delete(a.timer);
    } else {
      this.perform(a);
    }
  }
}
