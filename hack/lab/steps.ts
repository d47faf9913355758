/**
 * The lab's step runner: each step prints one line `[lab] <step> ... ok (N ms)` (or `FAILED` with
 * the reason) followed by any notes the step made, indented. Every step has a deadline, so nothing
 * in the lab can hang: a step that overruns fails with `timed out after N ms`.
 */
export type Note = (text: string) => void;

export interface StepResult {
  readonly name: string;
  readonly ok: boolean;
  readonly ms: number;
  readonly error?: string;
}

export class StepFailed extends Error {
  constructor(
    readonly step: string,
    readonly reason: string,
  ) {
    super(`${step}: ${reason}`);
  }
}

/** Rejects with `timed out after N ms` if `work` has not settled by then (the work itself is not
 * cancelled: teardown kills whatever it was waiting on). */
export function withDeadline<T>(work: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

/** Polls `probe` until it returns a value; throws `what` with the last error once `timeoutMs` passed. */
export async function until<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs: number, intervalMs = 100): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last = "";
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    if (Date.now() >= end) throw new Error(`no ${what} after ${timeoutMs} ms${last ? ` (last error: ${last})` : ""}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export function formatStep(result: StepResult): string {
  const ms = Math.round(result.ms);
  return result.ok ? `[lab] ${result.name} ... ok (${ms} ms)` : `[lab] ${result.name} ... FAILED (${ms} ms): ${result.error ?? ""}`;
}

export class Steps {
  readonly results: StepResult[] = [];

  constructor(
    private readonly print: (line: string) => void = (line) => void process.stdout.write(`${line}\n`),
    private readonly now: () => number = () => performance.now(),
  ) {}

  get failed(): boolean {
    return this.results.some((r) => !r.ok);
  }

  /** Runs one step; on failure prints it and throws StepFailed (the caller decides to tear down). */
  async run<T>(name: string, timeoutMs: number, work: (note: Note) => Promise<T>): Promise<T> {
    const notes: string[] = [];
    const note: Note = (text) => notes.push(...text.replace(/\n+$/, "").split("\n"));
    const start = this.now();
    try {
      const value = await withDeadline(work(note), timeoutMs);
      this.#record({ name, ok: true, ms: this.now() - start }, notes);
      return value;
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      this.#record({ name, ok: false, ms: this.now() - start, error: reason }, notes);
      throw new StepFailed(name, reason);
    }
  }

  #record(result: StepResult, notes: readonly string[]): void {
    this.results.push(result);
    this.print(formatStep(result));
    for (const line of notes) this.print(`      ${line}`);
  }
}
