/**
 * Commands and long-running processes for the test bed: `run` for one-shot commands (stdout back,
 * an error naming the command and its stderr on failure) and `Spawned` for daemons and helper
 * scripts, killed by their own PID only, with line-oriented stdout for tests to wait on.
 */
import { execFile, spawn as spawnChild, type ChildProcess } from "node:child_process";

export interface RunResult {
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  /** Text written to the command's stdin (for `ip -batch -`). */
  readonly input?: string;
  readonly timeoutMs?: number;
}

/** Runs argv[0] with the rest as arguments (no shell). Rejects with the command line, exit status and
 * stderr when it fails. */
export function run(argv: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const [file, ...args] = argv;
  if (file === undefined) return Promise.reject(new Error("run: empty command"));
  return new Promise((resolve, reject) => {
    const child = execFile(file, args, { timeout: options.timeoutMs ?? 20_000, maxBuffer: 16 << 20 }, (error, stdout, stderr) => {
      if (error) {
        const status = error.code ?? error.signal ?? "?";
        reject(new Error(`${argv.join(" ")} failed (${status}): ${stderr.trim() || error.message}`));
        return;
      }
      resolve({ stdout, stderr });
    });
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** A process the bed started. Only ever killed by its own PID. */
export class Spawned {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly argv: readonly string[];
  /** Resolves when the process has exited (never rejects). */
  readonly exited: Promise<Exit>;
  readonly stdoutLines: string[] = [];
  #stderr = "";
  #exit: Exit | undefined;
  #waiters: { match: (line: string) => boolean; resolve: (line: string) => void }[] = [];

  constructor(argv: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) {
    const [file, ...args] = argv;
    if (file === undefined) throw new Error("spawn: empty command");
    this.argv = argv;
    this.child = spawnChild(file, args, { cwd: options.cwd, env: options.env, stdio: ["pipe", "pipe", "pipe"] });
    if (this.child.pid === undefined) throw new Error(`spawn ${argv.join(" ")} failed`);
    this.pid = this.child.pid;
    let partial = "";
    this.child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
      partial += chunk;
      const lines = partial.split("\n");
      partial = lines.pop() ?? "";
      for (const line of lines) this.#line(line);
    });
    this.child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
      // Keep the tail only: enough to explain a failure.
      this.#stderr = (this.#stderr + chunk).slice(-8192);
    });
    this.child.on("error", () => undefined);
    this.exited = new Promise((resolve) => {
      this.child.on("close", (code, signal) => {
        if (partial !== "") this.#line(partial);
        this.#exit = { code, signal };
        resolve(this.#exit);
      });
    });
  }

  #line(line: string): void {
    this.stdoutLines.push(line);
    this.#waiters = this.#waiters.filter((waiter) => {
      if (!waiter.match(line)) return true;
      waiter.resolve(line);
      return false;
    });
  }

  get running(): boolean {
    return this.#exit === undefined;
  }

  get stderr(): string {
    return this.#stderr;
  }

  /** Resolves with the first stdout line (already printed or still to come) that matches; rejects when
   * the process exits first or `timeoutMs` passes, with its stderr in the message. */
  waitForLine(pattern: RegExp | string, timeoutMs = 10_000): Promise<string> {
    const seen = this.stdoutLines.find((line) => matches(pattern, line));
    return seen !== undefined ? Promise.resolve(seen) : this.waitForNewLine(pattern, timeoutMs);
  }

  /** Like waitForLine, but ignores the lines printed so far (for replies to repeated commands). */
  waitForNewLine(pattern: RegExp | string, timeoutMs = 10_000): Promise<string> {
    const match = (line: string): boolean => matches(pattern, line);
    return new Promise((resolve, reject) => {
      const fail = (why: string): void =>
        reject(new Error(`${this.argv.join(" ")}: ${why} before a line matching ${String(pattern)}; stderr: ${this.#stderr.trim()}`));
      const timer = setTimeout(() => fail(`no line in ${timeoutMs} ms`), timeoutMs);
      const waiter = {
        match,
        resolve: (line: string) => {
          clearTimeout(timer);
          resolve(line);
        },
      };
      this.#waiters.push(waiter);
      void this.exited.then((exit) => {
        if (!this.#waiters.includes(waiter)) return;
        clearTimeout(timer);
        fail(`exited (${exit.code ?? exit.signal})`);
      });
    });
  }

  /** Writes a line to the process's stdin. */
  send(line: string): void {
    this.child.stdin?.write(`${line}\n`);
  }

  /** SIGTERM, then SIGKILL if still alive after `graceMs`; resolves once it has exited. */
  async kill(graceMs = 2_000): Promise<Exit> {
    if (this.#exit !== undefined) return this.#exit;
    signal(this.pid, "SIGTERM");
    const timer = setTimeout(() => signal(this.pid, "SIGKILL"), graceMs);
    const exit = await this.exited;
    clearTimeout(timer);
    return exit;
  }
}

const matches = (pattern: RegExp | string, line: string): boolean =>
  typeof pattern === "string" ? line.includes(pattern) : pattern.test(line);

/** Sends a signal to one PID; a process that is already gone is not an error. */
export function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ESRCH") throw error;
  }
}
