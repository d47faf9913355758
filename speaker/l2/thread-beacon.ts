/**
 * The speaker's heartbeat sender: the addon's heartbeat thread (native/heartbeat_thread.c) sends every
 * 75 ms, whatever the main thread is doing; this class keeps its template current. The template is what
 * protocols/l2/heartbeat.ts encodes for this moment (flags, acks, incarnation) with the signing key and
 * the peers; the thread fills in the sequence and the time and signs each send.
 *
 * The template changes when what a heartbeat says does: an explicit send (acks, view, leaving: also sent
 * at once, outside the thread's rhythm), new
 * peers, a membership change (standby), and the signing key's switch after a rotation (time-driven,
 * picked up by `changed()` once a second from heartbeat-control.ts). An unchanged template is not
 * handed over again. docs/adr/0013-heartbeats-from-a-thread-of-the-addon.md says why a thread.
 */
import type { HeartbeatThread } from "../../native/index";
import { beaconHeartbeat, type BeaconOptions, type HeartbeatBeacon } from "../../protocols/l2/beacon";
import { checkKey, encodeHeartbeatBody } from "../../protocols/l2/heartbeat";
import type { HeartbeatPeer } from "./heartbeat-udp";

export class ThreadBeacon implements HeartbeatBeacon {
  private leaving = false;
  private started = false;
  private template: { readonly body: Buffer; readonly key: Buffer; readonly peers: string } | undefined;

  constructor(
    private readonly options: BeaconOptions,
    private readonly thread: Pick<HeartbeatThread, "set" | "sendNow">,
    private readonly peers: () => readonly HeartbeatPeer[],
  ) {
    checkKey(options.key());
  }

  /** Hands the thread its first template: it sends at once and then every interval. Sends asked for before this are not made. */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.changed();
  }

  changed(): void {
    if (!this.started) return;
    const body = encodeHeartbeatBody(beaconHeartbeat(this.options, this.leaving, 0, 0));
    const key = this.options.key();
    const peerList = this.peers();
    const peers = peerList.map(p => `${p.address}:${p.port}`).join(",");
    const last = this.template;
    if (last && last.peers === peers && last.body.equals(body) && last.key.equals(key)) return;
    this.thread.set(body, key, peerList);
    this.template = { body, key, peers };
  }

  /** The template as it is now, sent at once (a leaver's peers, or one it acks, should not wait for the next tick). */
  sendNow(): void {
    if (!this.started) return;
    this.changed();
    this.thread.sendNow();
  }

  startLeaving(): void {
    this.leaving = true;
    this.sendNow();
  }

  isLeaving(): boolean {
    return this.leaving;
  }

  /** Sends no more templates (the thread itself is stopped with its channel). */
  stop(): void {
    this.started = false;
    this.template = undefined;
  }
}
