/**
 * Bounded polling and scratch directories for the router harnesses. Routers have no way to say "tell
 * me when route X arrives", so tests poll their CLIs; every poll has a deadline and names what it was
 * waiting for when it gives up.
 */
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface PollOptions {
  readonly timeoutMs?: number;
  readonly intervalMs?: number;
}

/** Runs `probe` until it returns something other than undefined, or throws after the deadline. A probe
 * that throws counts as "not yet" (a CLI whose daemon is still starting). */
export async function eventually<T>(probe: () => Promise<T | undefined>, what: string, options: PollOptions = {}): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 15_000;
  const intervalMs = options.intervalMs ?? 100;
  const end = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > end) {
      const why = lastError instanceof Error ? ` (last error: ${lastError.message})` : "";
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${why}`);
    }
    await new Promise(r => setTimeout(r, intervalMs));
  }
}

/** A temporary directory that daemons running as another user (frr) can traverse. */
export function scratchDir(prefix: string): { readonly path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), `lodestone-${prefix}-`));
  chmodSync(path, 0o755);
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}
