/**
 * Keeps a watch on this node's own per-Service status objects (ServiceStatusObjects.watch), so that
 * whoever deletes or rewrites them (a survivor that took this node for dead, speaker/stale-status.ts;
 * `kubectl delete servicel2status`; an uninstall and reinstall) the writer hears it and writes them
 * back in its next sync: one watch per kind and node, no traffic while nothing changes. A watch that
 * cannot be opened (API unreachable at start) is tried again after `retryMs`.
 */
import type { Clock, TimerHandle } from "../core/clock";
import type { Watch } from "../kube/controller-port";
import type { ServiceStatusObjects } from "../kube/service-status-objects";
import type { Logger } from "../observability/log";

export class OwnStatusWatch {
  private watch: Watch | undefined;
  private retry: TimerHandle | undefined;
  private stopped = false;

  constructor(
    private readonly objects: Pick<ServiceStatusObjects<unknown>, "watch" | "forget">,
    private readonly kindName: string,
    /** Asks the writer for a sync. */
    private readonly onChange: () => void,
    private readonly clock: Clock,
    private readonly retryMs: number,
    private readonly log: Logger,
  ) {}

  /** Resolves after the first attempt (the watch open, or a retry scheduled). */
  async start(): Promise<void> {
    if (this.stopped || this.watch) return;
    try {
      const watch = await this.objects.watch(this.onChange);
      if (this.stopped) return watch.stop();
      this.watch = watch;
      // Whatever was read before the watch began may have changed before it did: read it again.
      this.objects.forget();
      this.onChange();
    } catch (e) {
      this.log.warn(`watching this node's ${this.kindName} objects failed, retrying in ${this.retryMs} ms: ${String(e)}`);
      if (!this.stopped) this.retry = this.clock.setTimeout(() => void this.start(), this.retryMs);
    }
  }

  stop(): void {
    this.stopped = true;
    this.retry?.cancel();
    this.watch?.stop();
  }
}
