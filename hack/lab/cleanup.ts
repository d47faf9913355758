/**
 * Everything the lab started, undone in reverse order: async on the normal paths (--once, Ctrl-C,
 * a failed step), and a synchronous last resort on process exit that SIGKILLs the lab's own
 * processes outside the namespaces by PID (the bed deletes its namespaces in its own exit hook).
 */
import { signal } from "../netns";

interface Undo {
  readonly name: string;
  readonly run: () => Promise<void>;
}

export class Cleanup {
  readonly #undo: Undo[] = [];
  readonly #pids = new Set<number>();
  #done: Promise<void> | undefined;

  constructor(private readonly print: (line: string) => void) {
    process.on("exit", () => {
      for (const pid of this.#pids) signal(pid, "SIGKILL");
    });
  }

  /** Registers an undo action (run last-registered first). */
  add(name: string, run: () => Promise<void>): void {
    this.#undo.push({ name, run });
  }

  /** A PID outside the bed that must not outlive the lab, even if it crashes. */
  trackPid(pid: number): void {
    this.#pids.add(pid);
  }

  untrackPid(pid: number): void {
    this.#pids.delete(pid);
  }

  /** Runs every undo once (later calls wait for the first), each bounded by `timeoutMs`. */
  run(timeoutMs = 15_000): Promise<void> {
    this.#done ??= (async () => {
      for (const undo of this.#undo.splice(0).reverse()) {
        let timer: NodeJS.Timeout | undefined;
        try {
          await Promise.race([
            undo.run(),
            new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs))),
          ]);
        } catch (error) {
          this.print(`[lab] teardown: ${undo.name}: ${error instanceof Error ? error.message : String(error)}`);
        } finally {
          clearTimeout(timer);
        }
      }
      for (const pid of this.#pids) signal(pid, "SIGKILL");
    })();
    return this.#done;
  }
}
