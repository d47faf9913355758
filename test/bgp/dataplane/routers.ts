/**
 * In-memory peers for data-plane tests: each connection the data plane opens gets a fresh BgpSession
 * on the far end of a stream pair (a "router" that accepts), so a test can count connections per peer,
 * see every UPDATE the peer receives, and tell a restarted session from an untouched one.
 */
import { Duplex, PassThrough } from "node:stream";
import type { Clock } from "../../../core/clock";
import type { BgpSession as BgpSessionType, ReceivedUpdate } from "../../../protocols/bgp/session";
import { BgpSession } from "../../../protocols/bgp/session";
import type { BgpSessionSpec } from "../../../speaker/bgp/sessions";

export function duplexPair(): [Duplex, Duplex] {
  const ab = new PassThrough();
  const ba = new PassThrough();
  return [Duplex.from({ readable: ba, writable: ab }), Duplex.from({ readable: ab, writable: ba })];
}

/** A queue of events that tests await one at a time, so none is missed between two awaits. */
export class EventQueue<T> {
  private readonly items: T[] = [];
  private wake: (() => void) | undefined;

  push(item: T): void {
    this.items.push(item);
    this.wake?.();
  }

  async next(): Promise<T> {
    while (this.items.length === 0) await new Promise<void>(r => (this.wake = r));
    return this.items.shift() as T;
  }

  get pending(): number {
    return this.items.length;
  }
}

/** One accepted connection: the router's side of one session. */
export interface RouterSide {
  readonly session: BgpSessionType;
  readonly updates: EventQueue<ReceivedUpdate>;
  readonly downs: string[];
  readonly established: Promise<void>;
}

export class MemoryRouters {
  /** Every connection per peer name, oldest first. */
  readonly connections = new Map<string, RouterSide[]>();
  /** A router's own AS by peer name, where it is not the peer's peerASN (a dynamicASN peer's has none). */
  readonly asns = new Map<string, number>();

  constructor(
    private readonly clock: Clock,
    /** The hold time the routers propose. */
    private readonly holdTimeS = 90,
  ) {}

  /** The data plane's `connect` seam. */
  readonly connect = async (spec: BgpSessionSpec, key: string): Promise<Duplex> => {
    const [ours, theirs] = duplexPair();
    let handed = false;
    const session = new BgpSession({
      settings: { myAsn: this.asns.get(key) ?? spec.peerAsn, peerAsn: spec.myAsn, routerId: 0xc0000201, holdTimeS: this.holdTimeS, families: ["IPv4", "IPv6"] },
      clock: this.clock,
      // The first dial gets this connection; a router never dials again (the node redials).
      connect: () => (handed ? new Promise<Duplex>(() => undefined) : ((handed = true), Promise.resolve(theirs))),
    });
    const updates = new EventQueue<ReceivedUpdate>();
    const downs: string[] = [];
    session.on("update", u => updates.push(u));
    session.on("down", reason => downs.push(reason));
    const established = new Promise<void>(resolve => session.once("established", () => resolve()));
    const list = this.connections.get(key) ?? [];
    list.push({ session, updates, downs, established });
    this.connections.set(key, list);
    session.start();
    return ours;
  };

  /** The latest connection to `key`. */
  latest(key: string): RouterSide {
    const side = this.connections.get(key)?.at(-1);
    if (!side) throw new Error(`no connection to ${key} yet`);
    return side;
  }

  count(key: string): number {
    return this.connections.get(key)?.length ?? 0;
  }
}
