/**
 * Gratuitous announcements when this node takes over an IP: one round at once, then one every
 * `intervalMs` while less than `durationMs` has passed since the takeover (defaults 1.1 s and 5 s:
 * rounds at 0, 1.1, 2.2, 3.3 and 4.4 s, as MetalLB). Losing the IP cancels its burst at once.
 *
 * Optionally also periodic rounds for as long as the IP is owned (setPeriodic, off by default): at
 * takeover + k x period, k = 1, 2, ..., skipping a round that falls while the takeover burst still
 * runs. They keep the switches' MAC tables (FDB) fresh where those age out before the routers' and
 * hosts' ARP/neighbour caches: with no traffic from the owner's MAC, the switch forgets its port,
 * floods or drops frames for it while the router keeps using its cached entry
 * (https://github.com/metallb/metallb/issues/2910; MetalLB added a speaker-wide interval in
 * https://github.com/metallb/metallb/pull/3125).
 *
 * A round is: on every interface the IP may use, a gratuitous ARP request and reply (IPv4) or an
 * unsolicited Neighbor Advertisement with the Override flag (IPv6).
 */
import { encodeGratuitousArpReply, encodeGratuitousArpRequest } from "./arp";
import type { Clock, TimerHandle } from "../../core/clock";
import type { L2Metrics } from "./metrics";
import { encodeUnsolicitedAdvertisement } from "./ndp";
import type { Ownership, ResponderInterface } from "./responder";

export interface BurstPolicy {
  readonly intervalMs: number;
  readonly durationMs: number;
}

export const DEFAULT_BURST: BurstPolicy = { intervalMs: 1100, durationMs: 5000 };

export class Announcer {
  private readonly bursts = new Map<string, TimerHandle>();
  private readonly started = new Map<string, number>();
  /** The periodic interval configured per IP (kept across losses: it is configuration, not state). */
  private readonly periods = new Map<string, number>();
  /** The periodic timer of each owned IP with a period. */
  private readonly periodic = new Map<string, TimerHandle>();

  constructor(
    private readonly clock: Clock,
    private readonly sendRound: (ip: string) => void,
    private readonly policy: BurstPolicy = DEFAULT_BURST,
  ) {
    if (!(policy.intervalMs > 0)) throw new Error(`burst interval must be positive, got ${policy.intervalMs}`);
  }

  /** Starts a burst for a newly owned IP. An IP already bursting keeps its schedule. */
  gain(ip: string): void {
    if (this.bursts.has(ip)) return;
    const start = this.clock.now();
    this.started.set(ip, start);
    this.startPeriodic(ip, start);
    const round = (): void => {
      this.sendRound(ip);
      // sendRound may have called lose(ip) (re-entrantly): then the burst is over.
      if (!this.bursts.has(ip)) return;
      const next = this.clock.now() + this.policy.intervalMs;
      if (next - start < this.policy.durationMs) {
        this.bursts.set(ip, this.clock.setTimeout(round, this.policy.intervalMs));
      } else {
        this.bursts.delete(ip);
      }
    };
    // Marked before the first round so a re-entrant gain() from sendRound is a no-op.
    this.bursts.set(ip, { cancel: () => {} });
    round();
  }

  lose(ip: string): void {
    this.bursts.get(ip)?.cancel();
    this.bursts.delete(ip);
    this.started.delete(ip);
    this.periodic.get(ip)?.cancel();
    this.periodic.delete(ip);
  }

  /**
   * Sets (or, with undefined, turns off) the periodic interval of `ip`, owned or not. For an owned
   * IP a changed period takes effect at once, counted from now; the same period keeps its schedule.
   */
  setPeriodic(ip: string, periodMs: number | undefined): void {
    if (periodMs !== undefined && !(Number.isFinite(periodMs) && periodMs > 0)) throw new Error(`periodic interval must be positive, got ${periodMs}`);
    if (this.periods.get(ip) === periodMs) return;
    if (periodMs === undefined) this.periods.delete(ip);
    else this.periods.set(ip, periodMs);
    if (this.started.has(ip)) this.startPeriodic(ip, this.clock.now());
    else this.periodic.delete(ip);
  }

  private startPeriodic(ip: string, from: number): void {
    this.periodic.get(ip)?.cancel();
    this.periodic.delete(ip);
    const period = this.periods.get(ip);
    if (period === undefined) return;
    let k = 1;
    const schedule = (): void => {
      // From the schedule, not from when the timer fired, so late timers do not make the period drift.
      const delay = Math.max(0, from + k * period - this.clock.now());
      this.periodic.set(ip, this.clock.setTimeout(tick, delay));
    };
    const tick = (): void => {
      // After a stall (a blocked event loop) the missed rounds are skipped, not sent back to back.
      k = Math.max(k + 1, Math.floor((this.clock.now() - from) / period) + 1);
      schedule();
      // The takeover burst already sends at about this time.
      if (!this.bursts.has(ip)) this.sendRound(ip);
    };
    schedule();
  }

  /**
   * Starts a fresh burst for an IP still owned (clients may have been pointed elsewhere), unless a
   * burst began less than one interval ago: several peers returning together cause one burst.
   */
  refresh(ip: string): void {
    const began = this.started.get(ip);
    if (began !== undefined && this.bursts.has(ip) && this.clock.now() - began < this.policy.intervalMs) return;
    this.lose(ip);
    this.gain(ip);
  }

  isBursting(ip: string): boolean {
    return this.bursts.has(ip);
  }

  stopAll(): void {
    for (const ip of new Set([...this.started.keys(), ...this.bursts.keys(), ...this.periodic.keys()])) this.lose(ip);
  }
}

/** The frames of one round for `ip` from an interface with MAC `mac`. */
export function gratuitousFrames(ip: string, mac: string): Buffer[] {
  return ip.includes(":")
    ? [encodeUnsolicitedAdvertisement(ip, mac)]
    : [encodeGratuitousArpRequest(ip, mac), encodeGratuitousArpReply(ip, mac)];
}

/** A sendRound for Announcer: every allowed interface, each frame counted as gratuitous_sent. */
export function gratuitousSender(
  interfaces: () => readonly ResponderInterface[],
  ownership: Ownership,
  metrics: L2Metrics,
): (ip: string) => void {
  return ip => {
    for (const iface of interfaces()) {
      if (!ownership.allowedOn(ip, iface.name)) continue;
      for (const frame of gratuitousFrames(ip, iface.mac)) {
        iface.conn.send(frame);
        metrics.gratuitousSent(ip);
      }
    }
  };
}
