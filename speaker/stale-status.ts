/**
 * Cleans up after speakers that stopped announcing without saying so (docs/adr/0009): a node that
 * died, was cut off, or whose speaker was killed leaves its ServiceL2Status / ServiceBGPStatus objects
 * and its BGPPeer session entries behind, naming a node that announces nothing. The survivors know
 * within the heartbeat timeout (250 ms, docs/adr/0002); the API does not for 40 s or more.
 *
 * One survivor acts: the first live speaker by name in its own view (every speaker with the same
 * view picks the same one; each side of a partition holding at least half of the speakers picks its
 * own; a node hearing fewer is more likely the one cut off and does nothing). Once its start-up grace is over
 * (before, a silent peer may just be starting), for every expected peer it does not hear it deletes
 * that node's status objects and marks its session entries Idle with a lastError saying why. It acts
 * once per death; a node heard again is left to write its own state (its speaker re-checks its objects
 * when it hears its peers again: StatusWriter/BgpStatusWriter resync()). It also sweeps away the state
 * of nodes that run no speaker at all any more (their Pod gone), when it becomes the one to act and
 * whenever the expected set shrinks. A failed pass is retried.
 */
import { mergeSessions, peerStatus } from "./bgp-status";
import type { Clock } from "../core/clock";
import { ConflictError, type KubeObject } from "../kube/controller-port";
import { SerialSync } from "../kube/serial-sync";
import type { BgpSessionEntry, SpeakerPort } from "../kube/speaker-port";
import type { SpeakerState } from "./speaker-state";
import { logger, type Logger } from "../observability/log";

/** What the L2 data plane's Membership says (liveness.ts). */
export interface MembershipView {
  /** This node and every peer heard and not leaving. */
  readonly live: readonly string[];
  /** The start-up grace is over (and, under the majority policy, a majority is heard). */
  readonly canAnnounce: boolean;
}

export interface StaleStatusOptions {
  port: SpeakerPort;
  node: string;
  namespace: string;
  /** Wall clock (ms) for the marks' since and message. */
  now: () => number;
  clock: Clock;
  retryMs?: number;
  /** Default: the process logger, component "speaker". */
  log?: Logger;
}

const MAX_CONFLICT_RETRIES = 5;

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Obj) : {});

/**
 * `foundSilentAt` is when this survivor saw the node's heartbeats stop (or its speaker gone), not
 * when the node was last heard: that was up to the heartbeat timeout earlier, and only the heartbeat
 * transport knows it.
 */
export const staleSessionError = (node: string, foundSilentAt: string): string =>
  `speaker on node ${node} found silent at ${foundSilentAt} (node down, or its speaker stopped or cut off); marked by the surviving speakers`;

/** Whether this node is the survivor that acts: past its grace, hearing at least half of the speakers, and first of them by name. */
export function actsForSurvivors(self: string, expected: readonly string[], view: MembershipView): boolean {
  if (!view.canAnnounce) return false;
  const live = new Set(view.live);
  // Hearing fewer than half of the speakers, this node is more likely the one cut off: it leaves the
  // others' state alone (their side cleans up after it).
  const total = new Set([self, ...expected]).size;
  if (live.size * 2 < total) return false;
  return [...live].sort()[0] === self;
}

/** The dead nodes this node must clean up after, or none when another survivor is the one to act. */
export function nodesToClean(self: string, expected: readonly string[], view: MembershipView): string[] {
  if (!actsForSurvivors(self, expected, view)) return [];
  const live = new Set(view.live);
  return expected.filter(n => n !== self && !live.has(n)).sort();
}

export class StaleStatusJanitor {
  private expected: readonly string[] = [];
  private bgpPeers: readonly string[] = [];
  private view: MembershipView = { live: [], canAnnounce: false };
  /** Dead node -> when this node first saw it dead (ISO); removed once cleaned up and heard again. */
  private readonly dead = new Map<string, string>();
  private readonly cleaned = new Set<string>();
  /** A sweep for objects of nodes that run no speaker any more is due (the expected set shrank, or this node just became the one to act). */
  private sweepDue = true;
  private actingBefore = false;
  private readonly syncs: SerialSync;

  constructor(private readonly opts: StaleStatusOptions) {
    this.syncs = new SerialSync({
      sync: () => this.sync(),
      clock: opts.clock,
      retryMs: opts.retryMs ?? 1000,
      onError: e => (opts.log ?? logger("speaker")).warn(`cleaning up after dead speakers failed, retrying: ${String(e)}`),
    });
  }

  update(state: SpeakerState): void {
    const next = state.peers.map(p => p.node);
    if (this.expected.some(n => !next.includes(n))) this.sweepDue = true;
    this.expected = next;
    const expected = new Set(this.expected);
    for (const n of [...this.dead.keys()]) if (!expected.has(n)) this.dead.delete(n);
    for (const n of [...this.cleaned]) if (!expected.has(n)) this.cleaned.delete(n);
    this.bgpPeers = (state.config?.peers ?? []).map(p => p.name);
    this.kick();
  }

  setMembership(view: MembershipView): void {
    this.view = view;
    const live = new Set(view.live);
    for (const n of [...this.cleaned]) if (live.has(n)) this.cleaned.delete(n);
    for (const n of [...this.dead.keys()]) if (live.has(n)) this.dead.delete(n);
    this.kick();
  }

  settled(): Promise<void> {
    return this.syncs.settled();
  }

  stop(): void {
    this.syncs.stop();
  }

  private stamp(): string {
    return new Date(this.opts.now()).toISOString().replace(/\.\d{3}Z$/, "Z");
  }

  private acting(): boolean {
    return actsForSurvivors(this.opts.node, this.expected, this.view);
  }

  private kick(): void {
    const stamp = this.stamp();
    for (const n of nodesToClean(this.opts.node, this.expected, this.view)) if (!this.dead.has(n)) this.dead.set(n, stamp);
    const acting = this.acting();
    if (acting && !this.actingBefore) this.sweepDue = true;
    this.actingBefore = acting;
    if ([...this.dead.keys()].some(n => !this.cleaned.has(n)) || (acting && this.sweepDue)) this.syncs.kick();
  }

  private async sync(): Promise<void> {
    const todo = nodesToClean(this.opts.node, this.expected, this.view).filter(n => !this.cleaned.has(n));
    for (const node of todo) {
      const since = this.dead.get(node) ?? this.stamp();
      await this.clean(node, since);
      this.cleaned.add(node);
    }
    if (this.sweepDue && this.acting()) {
      await this.sweep();
      this.sweepDue = false;
    }
  }

  /**
   * Objects of nodes that run no speaker at all (its Pod deleted, the node removed from the cluster):
   * nobody will ever hear them again, so the dead-peer path never sees them.
   */
  private async sweep(): Promise<void> {
    const { port, namespace } = this.opts;
    const known = new Set([this.opts.node, ...this.expected]);
    const nodeOf = (o: KubeObject): string | undefined => {
      const n = obj(o.status).node;
      return typeof n === "string" ? n : undefined;
    };
    const gone = new Set<string>();
    for (const o of [...(await port.listL2Statuses(namespace)), ...(await port.listBgpStatuses(namespace))]) {
      const n = nodeOf(o);
      if (n !== undefined && !known.has(n)) gone.add(n);
    }
    for (const peer of this.bgpPeers) {
      const sessions = obj((await port.getBgpPeer(namespace, peer))?.status).sessions;
      for (const e of Array.isArray(sessions) ? sessions.map(obj) : []) if (typeof e.node === "string" && !known.has(e.node)) gone.add(e.node);
    }
    for (const node of [...gone].sort()) await this.clean(node, this.stamp());
  }

  /** Whether `node` is heard again: its state is its own to write from then on, even mid-pass. */
  private heard(node: string): boolean {
    return this.view.live.includes(node);
  }

  private async clean(node: string, since: string): Promise<void> {
    const { port, namespace, log } = this.opts;
    // A pass of hundreds of deletes takes seconds on a busy node; a node heard again meanwhile (a
    // false death) is rewriting the same objects: stop, do not fight it.
    let l2 = 0;
    let bgp = 0;
    let marked = 0;
    const report = (how: string): void => {
      if (l2 + bgp + marked > 0) (log ?? logger("speaker")).info(`speaker on node ${node} found silent at ${since}: removed its ${l2} ServiceL2Status and ${bgp} ServiceBGPStatus, marked ${marked} BGP session(s) Idle${how}`);
    };
    const heardAgain = (): boolean => {
      if (!this.heard(node)) return false;
      report(`; stopped, node ${node} is heard again`);
      return true;
    };
    for (const o of await port.listL2Statuses(namespace, node)) {
      if (heardAgain()) return;
      await port.deleteL2Status(namespace, o.metadata?.name ?? "");
      l2++;
    }
    for (const o of await port.listBgpStatuses(namespace, node)) {
      if (heardAgain()) return;
      await port.deleteBgpStatus(namespace, o.metadata?.name ?? "");
      bgp++;
    }
    for (const peer of this.bgpPeers) {
      if (heardAgain()) return;
      if (await this.markSession(peer, node, since)) marked++;
    }
    report("");
  }

  /** Marks the dead node's entry of one BGPPeer Idle (read, merge, write guarded by resourceVersion; again on 409). */
  private async markSession(peer: string, node: string, since: string): Promise<boolean> {
    const { port, namespace } = this.opts;
    for (let attempt = 0; ; attempt++) {
      const current = await port.getBgpPeer(namespace, peer);
      if (!current) return false;
      const sessions = obj(current.status).sessions;
      const mine = Array.isArray(sessions) ? sessions.map(obj).find(e => e.node === node) : undefined;
      if (!mine || mine.state === "Idle") return false;
      const entry: BgpSessionEntry = { node, state: "Idle", since, lastError: staleSessionError(node, since), prefixesAdvertised: 0 };
      const merged = mergeSessions(current, node, entry);
      if (!merged) return false;
      try {
        await port.replaceBgpPeerStatus(namespace, peer, current.metadata?.resourceVersion ?? "", peerStatus(merged));
        return true;
      } catch (e) {
        if (!(e instanceof ConflictError) || attempt >= MAX_CONFLICT_RETRIES) throw e;
      }
    }
  }
}
