/**
 * Starting node-speaker.ts processes inside bed namespaces and talking to them.
 */
import type { Host, Spawned } from "../../../../hack/netns";
import type { SpeakerConfig } from "./node-speaker";
import type { RouteSpec } from "./route-spec";

export const SPEAKER_SCRIPT = "test/bgp/interop/testkit/node-speaker.ts";

export class NodeSpeaker {
  constructor(
    readonly host: Host,
    readonly process: Spawned,
  ) {}

  static start(host: Host, config: SpeakerConfig): NodeSpeaker {
    return new NodeSpeaker(host, host.ns.runNode(SPEAKER_SCRIPT, [JSON.stringify(config)]));
  }

  announce(routes: readonly RouteSpec[]): Promise<string> {
    this.process.send(JSON.stringify({ op: "announce", routes }));
    return this.process.waitForNewLine(`announced ${routes.length}`);
  }

  withdraw(prefixes: readonly string[]): Promise<string> {
    this.process.send(JSON.stringify({ op: "withdraw", prefixes }));
    return this.process.waitForNewLine(`withdrawn ${prefixes.length}`);
  }

  /** The session's message counters, read from the process. */
  async stats(): Promise<Record<string, number | string>> {
    this.process.send(JSON.stringify({ op: "stats" }));
    const line = await this.process.waitForNewLine(/^stats /);
    return JSON.parse(line.slice("stats ".length)) as Record<string, number | string>;
  }

  established(timeoutMs = 20_000): Promise<string> {
    return this.process.waitForLine("state Established", timeoutMs);
  }
}
