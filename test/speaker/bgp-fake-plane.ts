/** A BgpDataPlane for tests: records what the speaker gives it; tests drive the session status. */
import type { BgpDataPlane, PeerSessionStatus } from "../../speaker/bgp";
import type { BGPAnnouncement } from "../../core/announce/desired";
import type { Config } from "../../core/config/types";

export class FakeBgpDataPlane implements BgpDataPlane {
  node: { labels: Readonly<Record<string, string>>; addresses: readonly string[] } | undefined;
  config: Config | undefined;
  configCalls = 0;
  announcements: readonly BGPAnnouncement[] = [];
  stopped = false;
  private current: PeerSessionStatus[] = [];
  private readonly listeners = new Set<(status: PeerSessionStatus[]) => void>();

  setNode(labels: Readonly<Record<string, string>>, addresses: readonly string[]): void {
    this.node = { labels, addresses };
  }
  setConfig(config: Config): void {
    this.config = config;
    this.configCalls++;
  }
  setAnnouncements(bgp: readonly BGPAnnouncement[]): void {
    this.announcements = bgp;
  }
  status(): PeerSessionStatus[] {
    return this.current;
  }
  onStatusChange(listener: (status: PeerSessionStatus[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  session(): undefined {
    return undefined;
  }
  stop(): void {
    this.stopped = true;
  }
  /** Test side: the sessions changed. */
  report(status: PeerSessionStatus[]): void {
    this.current = status;
    for (const l of [...this.listeners]) l(status);
  }
}
