/**
 * Runs the pure FSM on a clock: timer actions become scheduled expiry events, everything else
 * goes to `perform`. Events raised while an event is being handled (a socket that fails at
 * once, say) are queued, so the FSM always sees them one at a time and in order.
 *
 * The hold timer's expiry waits one turn of the event loop before it reaches the FSM. A timer
 * runs in the loop's timers phase, before the poll phase reads the sockets
 * (https://nodejs.org/en/learn/asynchronous-work/event-loop-timers-and-nexttick): after the main
 * thread was blocked for longer than the time left on the hold timer, the timer fires while the
 * peer's KEEPALIVEs sit unread in the socket's buffer, and the session would be dropped for a
 * silence that was ours. After the turn (setImmediate runs after the poll phase) the bytes have been
 * read; a KEEPALIVE or UPDATE among them has restarted the hold timer and the expiry is void.
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
  /** A hold timer expiry waiting for the socket to be read (see the file comment); cleared when the timer is restarted or stopped. */
  private holdExpiry: object | undefined;

  constructor(
    private readonly settings: PeerSettings,
    private readonly clock: Clock,
    private readonly perform: (action: Exclude<FsmAction, { type: "start-timer" | "stop-timer" }>) => void,
    /** Runs `fn` after the event loop's next poll phase (tests may pass their own). */
    private readonly afterPoll: (fn: () => void) => void = fn => void setImmediate(fn),
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

  private expired(timer: TimerName): void {
    this.timers.delete(timer);
    if (timer !== "hold") return this.handle(expiry[timer]);
    const token = {};
    this.holdExpiry = token;
    this.afterPoll(() => {
      if (this.holdExpiry !== token) return;
      this.holdExpiry = undefined;
      this.handle(expiry.hold);
    });
  }

  private apply(a: FsmAction): void {
    if (a.type !== "start-timer" && a.type !== "stop-timer") return this.perform(a);
    this.timers.get(a.timer)?.cancel();
    this.timers.delete(a.timer);
    if (a.timer === "hold") this.holdExpiry = undefined;
    if (a.type === "start-timer") this.timers.set(a.timer, this.clock.setTimeout(() => this.expired(a.timer), a.seconds * 1000));
  }
}
