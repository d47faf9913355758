/**
 * The speaker's heartbeat sender: the addon's thread (native/beacon_thread.c) sends every 75 ms on the
 * heartbeat socket, whatever the main thread is doing; this class keeps its template current. The
 * template is what protocols/l2/heartbeat.ts encodes for this moment (flags, acks, incarnation) with
 * the signing key and the peers; the thread fills in the sequence and the time and signs each send.
 *
 * The template changes when what a heartbeat says does: an explicit send (acks, view, leaving), new
 * peers, a membership change (standby), and the signing key's switch after a rotation (time-driven,
 * picked up by `changed()` once a second from heartbeat-control.ts). An unchanged template is not
 * handed over again. docs/adr/0013-heartbeats-from-a-thread-of-the-addon.md says why a thread.
 */
import { startBeaconThread, type BeaconThread, type BeaconThreadStats } from "../../native/index";
import { beaconHeartbeat, DEFAULT_HEARTBEAT_INTERVAL_MS, type BeaconOptions, type HeartbeatBeacon } from "../../protocols/l2/beacon";
import { checkKey, encodeHeartbeatBody } from "../../protocols/l2/heartbeat";
import type { HeartbeatPeer } from "./heartbeat-udp";

/** The socket the thread sends on (the one heartbeats arrive on) and whom it sends to. */
export interface BeaconSocket {
  fd(): number;
  peers(): readonly HeartbeatPeer[];
}

export class ThreadBeacon implements HeartbeatBeacon {
  private leaving = false;
  private thread: BeaconThread | undefined;
  private template: { readonly body: Buffer; readonly key: Buffer; readonly peers: string } | undefined;

  /** @param realtimePriority SCHED_RR priority the thread takes (1..99; else nice -10; 0 leaves it) */
  constructor(
    private readonly options: BeaconOptions,
    private readonly socket: BeaconSocket,
    private readonly realtimePriority: number,
  ) {
    checkKey(options.key());
  }

  /** Starts the thread; it sends at once and then every interval. Sends asked for before this are not made. */
  start(): void {
    if (this.thread) return;
    this.thread = startBeaconThread(this.socket.fd(), this.options.intervalMs ?? DEFAULT_HEARTBEAT_INTERVAL_MS, this.realtimePriority);
    this.changed();
  }

  changed(): void {
    if (!this.thread) return;
    const body = encodeHeartbeatBody(beaconHeartbeat(this.options, this.leaving, 0, 0));
    const key = this.options.key();
    const peerList = this.socket.peers();
    const peers = peerList.map(p => `${p.address}:${p.port}`).join(",");
    const last = this.template;
    if (last && last.peers === peers && last.body.equals(body) && last.key.equals(key)) return;
    this.thread.set(body, key, peerList);
    this.template = { body, key, peers };
  }

  sendNow(): void {
    if (!this.thread) return;
    this.changed();
  }

  startLeaving(): void {
    this.leaving = true;
    this.sendNow();
  }

  isLeaving(): boolean {
    return this.leaving;
  }

  /** The thread's totals (undefined before start); reading resets its lateness. */
  stats(): BeaconThreadStats | undefined {
    return this.thread?.stats();
  }

  stop(): void {
    this.thread?.stop();
    this.thread = undefined;
    this.template = undefined;
  }
}
