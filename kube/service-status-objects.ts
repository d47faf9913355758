/**
 * The per-Service status objects one speaker keeps (ServiceL2Status, ServiceBGPStatus, as MetalLB
 * defines them: https://github.com/metallb/metallb/blob/main/api/v1beta1/servicel2status_types.go
 * and servicebgpstatus_types.go beside it): exactly one object per Service this node announces, created on first need,
 * rewritten only when what it says changes, deleted when the node stops announcing. On its first
 * sync a writer adopts what a previous run of the node left (found by the node label), deleting
 * duplicates, so a restart neither orphans nor recreates objects.
 *
 * One class serves both kinds; a StatusObjectKind says how to reach the kind through the port and
 * which part of its status decides whether a rewrite is due.
 */
import { isNotFound, type KubeObject, type Watch, type WatchPhase } from "./controller-port";
import { L2_STATUS_LABELS, type BgpStatusBody, type L2StatusBody, type SpeakerPort, type SpeakerWatchHandler } from "./speaker-port";

export interface StatusObjectKind<Body> {
  list(namespace: string, node: string): Promise<KubeObject[]>;
  /** Creates the object and writes its status; returns its (generated) name. */
  create(namespace: string, body: Body): Promise<string>;
  update(namespace: string, name: string, body: Body): Promise<void>;
  /** A missing object is not an error. */
  remove(namespace: string, name: string): Promise<void>;
  /** Watches one node's objects. */
  watch(namespace: string, node: string, handler: SpeakerWatchHandler): Promise<Watch>;
  /** The part of a status whose change calls for a rewrite, from a body... */
  fingerprint(body: Body): string;
  /** ...and as read back from a stored object (malformed parts read as ""). */
  storedFingerprint(object: KubeObject): string;
}

export class ServiceStatusObjects<Body> {
  /** service key (`namespace/name`) -> our object on the server and the fingerprint it shows. */
  private readonly objects = new Map<string, { name: string; fingerprint: string }>();
  private adopted = false;
  /**
   * Names whose DELETED was seen while no entry held them: the object may be one being created right
   * now (deleted before its name came back). Bounded: names are generated, so an old one never returns.
   */
  private readonly deletedUnheld = new Set<string>();

  constructor(
    private readonly kind: StatusObjectKind<Body>,
    private readonly namespace: string,
    private readonly node: string,
  ) {}

  /** Takes over the objects a previous run of this node left (once; duplicates are deleted). */
  async adopt(): Promise<void> {
    if (this.adopted) return;
    for (const o of await this.kind.list(this.namespace, this.node)) {
      const service = serviceOf(o);
      const name = o.metadata?.name ?? "";
      const held = this.objects.get(service);
      // Held already under this name: written by a sync that was running when forget() was called.
      if (held?.name === name) held.fingerprint = this.kind.storedFingerprint(o);
      else if (held) await this.kind.remove(this.namespace, name);
      else this.objects.set(service, { name, fingerprint: this.kind.storedFingerprint(o) });
    }
    this.adopted = true;
  }

  /**
   * Forgets what it knows of the server, so the next sync adopts afresh: used when this node may have
   * been taken for dead meanwhile (another speaker then removed its objects: speaker/stale-status.ts).
   */
  forget(): void {
    this.objects.clear();
    this.adopted = false;
  }

  /**
   * Watches this node's objects: whoever else deletes one (a survivor that took this node for dead,
   * speaker/stale-status.ts; a user; an uninstall) or rewrites its status, the entry is dropped or
   * marked changed and `onChange` asks for a sync, which writes it back. A watch error (events may be
   * missed) makes the next sync re-read them all.
   */
  watch(onChange: () => void): Promise<Watch> {
    return this.kind.watch(this.namespace, this.node, {
      event: (phase, object) => {
        if (this.observe(phase, object)) onChange();
      },
      error: () => {
        this.forget();
        onChange();
      },
    });
  }

  /** One event of the watch; true when a sync is due. */
  observe(phase: WatchPhase, object: KubeObject): boolean {
    // Before adoption nothing is held: the adopting list reads what is there.
    if (!this.adopted) return false;
    const name = object.metadata?.name ?? "";
    const service = serviceOf(object);
    const held = this.objects.get(service);
    if (held?.name !== name) {
      if (phase === "DELETED") {
        this.deletedUnheld.add(name);
        if (this.deletedUnheld.size > DELETED_UNHELD_KEPT) this.deletedUnheld.delete(this.deletedUnheld.values().next().value as string);
      }
      return false;
    }
    if (phase === "DELETED") {
      this.objects.delete(service);
      return true;
    }
    // ADDED carries the object as created, before its status was written (a subresource): only a
    // MODIFIED shows a status someone wrote.
    if (phase !== "MODIFIED") return false;
    const fingerprint = this.kind.storedFingerprint(object);
    if (fingerprint === held.fingerprint) return false;
    held.fingerprint = fingerprint;
    return true;
  }

  /** The Service's object says `body`: created when missing, rewritten when its fingerprint changed. */
  async ensure(service: string, body: Body): Promise<void> {
    const fingerprint = this.kind.fingerprint(body);
    const existing = this.objects.get(service);
    if (!existing) {
      let name = await this.kind.create(this.namespace, body);
      // Deleted before its name came back (its DELETED already seen): once more.
      if (this.deletedUnheld.delete(name)) name = await this.kind.create(this.namespace, body);
      this.objects.set(service, { name, fingerprint });
    } else if (existing.fingerprint !== fingerprint) {
      // Recorded before the write: the watch's MODIFIED for it may come first, and must read as ours.
      const before = existing.fingerprint;
      existing.fingerprint = fingerprint;
      try {
        await this.kind.update(this.namespace, existing.name, body);
      } catch (e) {
        if (existing.fingerprint === fingerprint) existing.fingerprint = before;
        // Gone meanwhile (deleted by someone else): the retry creates it again.
        if (isNotFound(e) && this.objects.get(service) === existing) this.objects.delete(service);
        throw e;
      }
    }
  }

  /** Deletes the object of every Service `keep` rejects; `pause` lets a long pass give way (core/time-slice.ts). */
  async removeAllBut(keep: (service: string) => boolean, pause?: () => Promise<void>): Promise<void> {
    for (const [service, existing] of [...this.objects]) {
      await pause?.();
      if (keep(service)) continue;
      await this.kind.remove(this.namespace, existing.name);
      this.objects.delete(service);
    }
  }
}

const DELETED_UNHELD_KEPT = 1024;

/** The Service key (`namespace/name`) an object is for, from its labels. */
function serviceOf(o: KubeObject): string {
  const labels = o.metadata?.labels ?? {};
  return `${labels[L2_STATUS_LABELS.serviceNamespace] ?? ""}/${labels[L2_STATUS_LABELS.serviceName] ?? ""}`;
}

const names = (list: unknown, pick: (item: unknown) => string | undefined): string[] =>
  Array.isArray(list) ? list.map(pick).filter((n): n is string => n !== undefined) : [];
const statusField = (o: KubeObject, field: string): unknown => (o.status as Record<string, unknown> | undefined)?.[field];

/** ServiceL2Status: rewritten when the interfaces change. */
export function l2StatusKind(port: SpeakerPort): StatusObjectKind<L2StatusBody> {
  return {
    list: (ns, node) => port.listL2Statuses(ns, node),
    create: (ns, body) => port.createL2Status(ns, body),
    update: (ns, name, body) => port.updateL2Status(ns, name, body),
    remove: (ns, name) => port.deleteL2Status(ns, name),
    watch: (ns, node, handler) => port.watchL2Statuses(ns, node, handler),
    fingerprint: body => body.interfaces.map(i => i.name).join(","),
    // An interface entry without a string name still counts as an entry (""), so the object is rewritten.
    storedFingerprint: o =>
      names(statusField(o, "interfaces"), i => {
        const name = typeof i === "object" && i !== null ? (i as { name?: unknown }).name : undefined;
        return typeof name === "string" ? name : "";
      }).join(","),
  };
}

/** ServiceBGPStatus: rewritten when the peers change. */
export function bgpStatusKind(port: SpeakerPort): StatusObjectKind<BgpStatusBody> {
  return {
    list: (ns, node) => port.listBgpStatuses(ns, node),
    create: (ns, body) => port.createBgpStatus(ns, body),
    update: (ns, name, body) => port.updateBgpStatus(ns, name, body),
    remove: (ns, name) => port.deleteBgpStatus(ns, name),
    watch: (ns, node, handler) => port.watchBgpStatuses(ns, node, handler),
    fingerprint: body => body.peers.join(","),
    storedFingerprint: o => names(statusField(o, "peers"), p => (typeof p === "string" ? p : undefined)).join(","),
  };
}
