/**
 * The speaker's copy of a Membership that runs elsewhere (the timing process, which sends and receives
 * the heartbeats and times the peers out away from the speaker's main thread: docs/adr/0012). It holds
 * the last snapshot it was given and tells its listeners when a new one differs.
 *
 * Whether this node's own view of the cluster is current is the speaker's to know first: setViewCurrent
 * takes effect here at once (this node stops being able to announce in the same run), and the timing
 * process is told so that its heartbeats say blind.
 */
import type { MembershipSnapshot, MembershipView } from "./liveness";

export class MembershipMirror implements MembershipView {
  private snapshot: MembershipSnapshot;
  private signature: string;
  private viewCurrent = true;
  private readonly listeners = new Set<() => void>();

  constructor(readonly self: string) {
    this.snapshot = MembershipMirror.alone(self);
    this.signature = JSON.stringify(this.snapshot);
  }

  /** Knowing nothing (before the first snapshot, or after the timing process died): alone, announcing nothing. */
  static alone(self: string): MembershipSnapshot {
    return { live: [self], standby: [], leaving: [], ackedMe: [], canAnnounce: false };
  }

  update(next: MembershipSnapshot): void {
    const signature = JSON.stringify(next);
    if (signature === this.signature) return;
    this.snapshot = next;
    this.signature = signature;
    this.changed();
  }

  setViewCurrent(current: boolean): void {
    if (current === this.viewCurrent) return;
    this.viewCurrent = current;
    this.changed();
  }

  liveSpeakers(): Set<string> {
    return new Set(this.snapshot.live);
  }

  standbyPeers(): Set<string> {
    return new Set(this.snapshot.standby);
  }

  leavingPeers(): Set<string> {
    return new Set(this.snapshot.leaving);
  }

  ackedMe(): Set<string> {
    return new Set(this.snapshot.ackedMe);
  }

  canAnnounce(): boolean {
    return this.viewCurrent && this.snapshot.canAnnounce;
  }

  isBlind(): boolean {
    return !this.viewCurrent;
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  close(): void {
    this.listeners.clear();
  }

  private changed(): void {
    for (const l of [...this.listeners]) l();
  }
}
