/**
 * How the data plane runs its BFD sessions, whatever thread they live on. A PeerSession asks for a
 * session (addresses, path, intervals) and hears its state changes; it never touches the packets.
 *
 * Two implementations: inProcessBfd (below: the session's timers and sockets on the calling thread,
 * for tests on a fake clock and fake transports) and isolatedBfd (./bfd-isolated.ts: the same sessions
 * in a process of their own, so that nothing the speaker does delays a transmit or a detection timer;
 * docs/adr/0007-bfd-in-a-process-of-its-own.md).
 */
import { isIPv4 } from "node:net";
import type { Clock } from "../../core/clock";
import { BfdSession, reportToClient, type BfdSettings, type SendEcho } from "../../protocols/bfd/session";
import { BfdState, type BfdStateCode } from "../../protocols/bfd/packet";
import type { BfdTransport } from "./bfd-udp";
import type { EchoTransport, OpenEchoTransport } from "./bfd-echo";
import type { BfdCounters } from "./bfd-metrics";
import type { BfdPath, OpenBfdTransport } from "./bfd-udp";

/** Everything that identifies and tunes one BFD session (plain data: it crosses to the worker). */
export interface BfdSessionSpec {
  readonly localAddress: string;
  readonly peerAddress: string;
  readonly path: BfdPath;
  readonly settings: BfdSettings;
}

export interface BfdListener {
  /** `peer`: the state the peer last sent. */
  state(to: BfdStateCode, from: BfdStateCode, diag: number, peer: BfdStateCode): void;
  /** The session could not run (no socket): the message says why. */
  failed(message: string): void;
}

export interface BfdLink {
  /** The last state the session reported. */
  readonly state: BfdStateCode;
  /** Whom state changes go to from now on (a BGP session restarted over a BFD session that keeps running). */
  listen(listener: BfdListener): void;
  /** AdminDown to the peer, then the socket closes. */
  close(): void;
}

export interface BfdControl {
  /** Starts a session; packet counts go to `counters` (control packets in and out). */
  open(spec: BfdSessionSpec, counters: BfdCounters, listener: BfdListener): BfdLink;
  /** Ends whatever runs the sessions (the BFD process); sessions still open are closed first. */
  shutdown(): void;
}

/** A BfdLink whose listener can be replaced and whose state is the last one reported. */
export class ListenedLink implements BfdLink {
  state: BfdStateCode = BfdState.Down;
  constructor(
    private listener: BfdListener,
    private readonly onClose: () => void,
  ) {}

  listen(listener: BfdListener): void {
    this.listener = listener;
  }

  report(to: BfdStateCode, from: BfdStateCode, diag: number, peer: BfdStateCode): void {
    this.state = to;
    this.listener.state(to, from, diag, peer);
  }

  fail(message: string): void {
    this.listener.failed(message);
  }

  close(): void {
    this.onClose();
  }
}

export type SessionCounters = Pick<BfdCounters, "controlPacketInput" | "controlPacketOutput" | "echoPacketInput" | "echoPacketOutput">;

/**
 * Whether a session runs the echo function here: echo mode in its settings, single hop (RFC 5883 3:
 * no echo over multihop, as FRR's bfdd), IPv4 (echo frames are built for IPv4 only; an IPv6 session
 * offers no echo, Required Min Echo RX 0), and a way to send echoes.
 */
export const runsEcho = (spec: BfdSessionSpec, openEcho: OpenEchoTransport | undefined): openEcho is OpenEchoTransport =>
  spec.settings.echoIntervalMs !== undefined && !spec.path.multihop && isIPv4(spec.localAddress) && isIPv4(spec.peerAddress) && openEcho !== undefined;

/** Runs `spec` on this thread: the session's timers on `clock`, its packets through `openBfd` (echoes through `openEcho`). */
export function runBfdSession(
  spec: BfdSessionSpec,
  clock: Clock,
  openBfd: OpenBfdTransport,
  counters: SessionCounters,
  report: Pick<BfdListener, "state" | "failed">,
  openEcho?: OpenEchoTransport,
): { close(): void } {
  let transport: BfdTransport | undefined;
  let echo: EchoTransport | undefined;
  let closed = false;
  const sendEcho: SendEcho | undefined = runsEcho(spec, openEcho)
    ? payload => {
        if (!echo || !echo.send(payload)) return false;
        counters.echoPacketOutput++;
        return true;
      }
    : undefined;
  const session = new BfdSession(
    spec.settings,
    clock,
    packet => {
      if (!transport) return;
      counters.controlPacketOutput++;
      transport.send(packet);
    },
    Math.random,
    sendEcho,
  );
  reportToClient(session, (to, from, diag, peer) => report.state(to, from, diag, peer));
  openBfd(
    spec.localAddress,
    spec.peerAddress,
    packet => {
      counters.controlPacketInput++;
      session.receive(packet);
    },
    spec.path,
  ).then(
    opened => {
      if (closed) {
        opened.close();
        return;
      }
      transport = opened;
      if (sendEcho && openEcho) {
        try {
          echo = openEcho(spec.localAddress, spec.peerAddress, spec.settings.localDiscriminator, payload => {
            counters.echoPacketInput++;
            session.receiveEcho(payload);
          });
        } catch (error) {
          report.failed(`no BFD echo: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
      session.start();
    },
    (error: unknown) => {
      if (!closed) report.failed(error instanceof Error ? error.message : String(error));
    },
  );
  return {
    close: () => {
      if (closed) return;
      closed = true;
      session.stop(); // AdminDown to the peer, while the socket is still open
      transport?.close();
      echo?.close();
    },
  };
}

/** BFD sessions on the calling thread (tests: a fake clock, transports in memory). */
export function inProcessBfd(openBfd: OpenBfdTransport, clock: Clock, openEcho?: OpenEchoTransport): BfdControl {
  const open = new Set<{ close(): void }>();
  return {
    open(spec, counters, listener) {
      let running: { close(): void } | undefined;
      const link = new ListenedLink(listener, () => {
        if (!running) return;
        open.delete(running);
        running.close();
        running = undefined;
      });
      running = runBfdSession(spec, clock, openBfd, counters, {
        state: (to, from, diag, peer) => link.report(to, from, diag, peer),
        failed: message => link.fail(message),
      }, openEcho);
      open.add(running);
      return link;
    },
    shutdown() {
      for (const r of [...open]) r.close();
      open.clear();
    },
  };
}
