/**
 * The L2 speaker's core loop, without sockets or Kubernetes: from the services to announce and the
 * liveness view, decide which IPs this node owns, keep the responder's ownership table in step and
 * start or stop announcement bursts. Re-runs on every membership change and every services update.
 *
 * On SIGTERM, beginHandover() freezes ownership (no new IPs) and hands each IP over as soon as its
 * next owner acks (handover.ts); the caller also flags its heartbeats leaving (Beacon.startLeaving).
 */
import type { Announcer } from "../../protocols/l2/announcer";
import type { Clock } from "../clock";
import { elect, nextOwnerWithout, type ElectionInput } from "./election";
import { Handover } from "./handover";
import type { MembershipView } from "./liveness";
import type { OwnershipTable } from "./ownership";

export interface AnnouncedService {
  /** namespace/name, for status and logs. */
  readonly name: string;
  /** Ingress IPs, canonical text; the first is the election key (dual-stack IPs share one owner). */
  readonly ips: readonly string[];
  /** Union of the applying L2Advertisements' interfaces for this node; empty means all. */
  readonly interfaces: readonly string[];
  readonly election: Omit<ElectionInput, "firstIP" | "liveSpeakers">;
  /** Periodic gratuitous announcements while owned (lodestone.dev/gratuitous-interval); absent = none. */
  readonly gratuitousIntervalMs?: number;
}

export class L2Announcements {
  private services: readonly AnnouncedService[] = [];
  /** ip -> the interfaces it is announced on (as given to the ownership table). */
  private readonly owned = new Map<string, string>();
  private readonly owners = new Map<string, string | undefined>();
  private handover: Handover | undefined;
  private lastAcks = "";
  private lastCanAnnounce = false;
  /** The live speakers at the previous reconcile, to notice a peer coming back. */
  private lastLive: ReadonlySet<string> = new Set();
  /**
   * Each service's order of candidates, for the live speakers it was elected with. A new state hands
   * back the same AnnouncedService for a service that did not change (speaker/speaker-state.ts keeps
   * its decision), and the election is a pure function of it and the live set: at 10,000 Services,
   * electing every one anew (a SHA-256 per node) on every new state was most of the speaker's CPU.
   */
  private readonly elected = new WeakMap<AnnouncedService, { live: string; ordered: readonly string[] }>();
  private readonly unsubscribe: () => void;

  constructor(
    private readonly membership: MembershipView,
    private readonly ownership: OwnershipTable,
    private readonly announcer: Announcer,
    /** Told when what our heartbeat says changes (the leavers to ack, our standby flag), so it can go out at once. */
    private readonly onHeartbeatChanged: () => void = () => {},
  ) {
    this.unsubscribe = membership.onChange(() => this.membershipChanged());
  }

  setServices(services: readonly AnnouncedService[]): void {
    this.services = services;
    this.reconcile();
  }

  private membershipChanged(): void {
    this.reconcile();
    this.handover?.update(this.membership.ackedMe());
    const acks = this.acksToSend().sort().join(",");
    const canAnnounce = this.membership.canAnnounce();
    if (acks !== this.lastAcks || canAnnounce !== this.lastCanAnnounce) {
      this.lastAcks = acks;
      this.lastCanAnnounce = canAnnounce;
      this.onHeartbeatChanged();
    }
  }

  /** Leaving peers to acknowledge: valid once reconcile() has re-elected without them, as here. */
  acksToSend(): string[] {
    return [...this.membership.leavingPeers()];
  }

  private reconcile(): void {
    if (this.handover) return;
    const self = this.membership.self;
    const live = this.membership.liveSpeakers();
    const standby = this.membership.standbyPeers();
    const mayAnnounce = this.membership.canAnnounce();
    const liveKey = [...live].sort().join(",");
    const desired = new Map<string, readonly string[]>();
    const periods = new Map<string, number | undefined>();
    this.owners.clear();
    for (const svc of this.services) {
      const firstIP = svc.ips[0];
      if (firstIP === undefined) continue;
      const ordered = this.order(svc, firstIP, live, liveKey);
      const owner = ordered[0];
      this.owners.set(svc.name, owner);
      // The winner is on standby (a returning owner within its start-up grace): whoever answers now keeps
      // answering until the winner announces, so that there is no moment without an owner. Only the holder
      // keeps it: the first in the order that is not on standby, and only if it holds the IP already.
      const keep = owner !== undefined && standby.has(owner) && this.owned.has(firstIP) && ordered.find(n => !standby.has(n)) === self;
      if (mayAnnounce && (owner === self || keep)) {
        for (const ip of svc.ips) {
          desired.set(ip, svc.interfaces);
          periods.set(ip, svc.gratuitousIntervalMs);
        }
      }
    }
    for (const ip of [...this.owned.keys()]) if (!desired.has(ip)) this.drop([ip]);
    // A peer back from the dead (a healed partition, a restart) may have claimed our IPs while it
    // could not hear us and repointed clients to itself; it lets go as soon as it hears us, but the
    // clients would stay on it until their neighbour entries expire. A fresh burst brings them back.
    const returned = [...live].some(n => n !== self && !this.lastLive.has(n));
    this.lastLive = live;
    for (const [ip, ifs] of desired) {
      const key = [...ifs].sort().join(",");
      const isNew = !this.owned.has(ip);
      this.announcer.setPeriodic(ip, periods.get(ip));
      if (!isNew && returned) this.announcer.refresh(ip);
      if (this.owned.get(ip) === key) continue;
      this.owned.set(ip, key);
      this.ownership.set(ip, ifs);
      if (isNew) this.announcer.gain(ip);
    }
  }

  private order(svc: AnnouncedService, firstIP: string, live: ReadonlySet<string>, liveKey: string): readonly string[] {
    const kept = this.elected.get(svc);
    if (kept?.live === liveKey) return kept.ordered;
    const ordered = elect({ ...svc.election, firstIP, liveSpeakers: live }).ordered;
    this.elected.set(svc, { live: liveKey, ordered });
    return ordered;
  }

  private drop(ips: readonly string[]): void {
    for (const ip of ips) {
      this.owned.delete(ip);
      this.ownership.delete(ip);
      this.announcer.lose(ip);
      this.announcer.setPeriodic(ip, undefined);
    }
  }

  /** The elected owner of each service as this node sees it (for status and events). */
  electedOwners(): ReadonlyMap<string, string | undefined> {
    return this.owners;
  }

  ownedIPs(): string[] {
    return [...this.owned.keys()].sort();
  }

  beginHandover(clock: Clock, timeoutMs?: number): Handover {
    if (this.handover) return this.handover;
    const self = this.membership.self;
    const live = this.membership.liveSpeakers();
    const next = new Map<string, string | undefined>();
    for (const svc of this.services) {
      const firstIP = svc.ips[0];
      if (firstIP === undefined) continue;
      const heir = nextOwnerWithout({ ...svc.election, firstIP, liveSpeakers: live }, self);
      for (const ip of svc.ips) if (this.owned.has(ip)) next.set(ip, heir);
    }
    this.handover = new Handover(clock, next, ips => this.drop(ips), timeoutMs);
    this.handover.update(this.membership.ackedMe());
    return this.handover;
  }

  close(): void {
    this.unsubscribe();
    this.drop([...this.owned.keys()]);
  }
}
