/**
 * ExaBGP 4.2 in a bed namespace, as a peer that sends what it is told, including path attributes it
 * does not understand: `attribute [ CODE FLAGS DATA ]` puts any type code, flags and payload on the
 * wire unchecked, which is how the robustness test crafts malformed UPDATEs.
 *
 * ExaBGP talks to the outside through "API processes" it runs itself: what the process prints is a
 * command for ExaBGP, what ExaBGP writes to the process's stdin is a JSON event. Ours is a small shell
 * script that relays lines appended to a command file, and appends each event to an event file; the
 * harness writes the first and polls the second. ExaBGP 4.2 has no command for raw messages, so OPEN
 * header faults (marker, length, version) and an attribute length that overruns the message cannot be
 * produced with it; testkit/raw-peer.ts covers those.
 */
import { appendFileSync, chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Namespace, Spawned } from "../../../../hack/netns";
import { eventually, scratchDir } from "./poll";

export interface ExaBgpConfig {
  readonly routerId: string;
  /** Our side's address: ExaBGP listens here (its sessions are passive; ours dial). */
  readonly localAddress: string;
  readonly localAs: number;
  readonly peerAddress: string;
  readonly peerAs: number;
  readonly holdTimeS?: number;
  /** Leave out the 4-octet AS capability (RFC 6793) from ExaBGP's OPEN. */
  readonly noAsn4?: boolean;
  /** `route ...` statements of the static section: sent as soon as the session is up. */
  readonly routes?: readonly string[];
}

/** One JSON event from ExaBGP's API, reduced to what the tests read. */
export interface ExaBgpEvent {
  readonly type: string;
  /** For "state" events: connected, up, down. */
  readonly state?: string;
  /** For "down": ExaBGP's explanation, which names a NOTIFICATION we sent as "notification received (C,S)". */
  readonly reason?: string;
}

export function exabgpConfig(c: ExaBgpConfig, apiScript: string): string {
  return [
    "process lodestone {",
    `  run ${apiScript};`,
    "  encoder json;",
    "}",
    `neighbor ${c.peerAddress} {`,
    `  router-id ${c.routerId};`,
    `  local-address ${c.localAddress};`,
    `  local-as ${c.localAs};`,
    `  peer-as ${c.peerAs};`,
    `  hold-time ${c.holdTimeS ?? 9};`,
    "  passive true;",
    ...(c.noAsn4 ? ["  capability { asn4 disable; }"] : []),
    "  api { processes [ lodestone ]; neighbor-changes; }",
    "  static {",
    ...(c.routes ?? []).map(r => `    ${r};`),
    "  }",
    "}",
    "",
  ].join("\n");
}

/** The API process: relays the command file to ExaBGP and the events to the event file. When ExaBGP
 * goes away, its stdin closes, cat returns, and the relay is stopped by its PID. */
const apiScript = (commands: string, events: string) =>
  ["#!/bin/sh", `tail -n +1 -f ${commands} &`, `cat >> ${events}`, "kill $!", ""].join("\n");

const withoutControlCharacters = (text: string) => Array.from(text, c => (c.charCodeAt(0) < 0x20 ? " " : c)).join("");

export class ExaBgpRouter {
  private constructor(
    readonly ns: Namespace,
    readonly daemon: Spawned,
    private readonly commandFile: string,
    private readonly eventFile: string,
    private readonly removeDir: () => void,
  ) {}

  static async start(ns: Namespace, config: ExaBgpConfig, timeoutMs = 15_000): Promise<ExaBgpRouter> {
    const scratch = scratchDir("exabgp");
    const commands = join(scratch.path, "commands");
    const events = join(scratch.path, "events");
    const script = join(scratch.path, "api.sh");
    const conf = join(scratch.path, "exabgp.conf");
    writeFileSync(commands, "");
    writeFileSync(script, apiScript(commands, events));
    chmodSync(script, 0o755);
    writeFileSync(conf, exabgpConfig(config, script));
    const env = {
      ...process.env,
      "exabgp.tcp.bind": config.localAddress,
      "exabgp.api.cli": "false",
      "exabgp.daemon.user": "root",
      "exabgp.log.destination": "stdout",
    };
    const router = new ExaBgpRouter(ns, ns.spawn(["exabgp", conf], { env }), commands, events, scratch.remove);
    await eventually(
      async () => {
        if (!router.daemon.running) throw new Error(`exabgp exited: ${router.daemon.stdoutLines.slice(-5).join(" / ")}`);
        return router.daemon.stdoutLines.some(l => l.includes("loaded new configuration successfully")) ? true : undefined;
      },
      "ExaBGP to load its configuration",
      { timeoutMs },
    );
    return router;
  }

  /** Every event ExaBGP has reported so far, oldest first. */
  events(): ExaBgpEvent[] {
    if (!existsSync(this.eventFile)) return [];
    const out: ExaBgpEvent[] = [];
    for (const line of readFileSync(this.eventFile, "utf8").split("\n")) {
      // Besides events, ExaBGP acknowledges each command with "done"; and it copies the NOTIFICATION's
      // data into the reason unescaped, control characters included.
      if (!line.startsWith("{")) continue;
      const e = JSON.parse(withoutControlCharacters(line)) as { type?: unknown; neighbor?: { state?: unknown; reason?: unknown } };
      out.push({
        type: String(e.type),
        ...(typeof e.neighbor?.state === "string" ? { state: e.neighbor.state } : {}),
        ...(typeof e.neighbor?.reason === "string" ? { reason: e.neighbor.reason } : {}),
      });
    }
    return out;
  }

  /** Waits for the session to reach `state` for the `nth` time (1-based). */
  waitForState(state: string, nth = 1, timeoutMs = 15_000): Promise<ExaBgpEvent> {
    return eventually(async () => this.events().filter(e => e.type === "state" && e.state === state)[nth - 1], `ExaBGP session state ${state} #${nth}`, { timeoutMs });
  }

  /** The first NOTIFICATION ExaBGP received, as "code/subcode", waiting for the session to go down. */
  async receivedNotification(timeoutMs = 15_000): Promise<string> {
    const down = await this.waitForState("down", 1, timeoutMs);
    const m = /notification received \((\d+),(\d+)\)/.exec(down.reason ?? "");
    return m ? `${m[1]}/${m[2]}` : `no notification: ${down.reason ?? "?"}`;
  }

  /** Hands ExaBGP one API command, e.g. `announce route 198.51.100.41/32 next-hop 192.0.2.1`. */
  command(line: string): void {
    appendFileSync(this.commandFile, `${line}\n`);
  }

  async stop(): Promise<void> {
    await this.daemon.kill();
    this.removeDir();
  }
}
