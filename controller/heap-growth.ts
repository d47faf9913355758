/**
 * Bounds how far V8 lets the controller's heap grow between full collections. By default V8 sets the
 * next collection at up to about 4 times the live heap for a heap that is fast to collect, so a
 * controller holding 100 MiB of Services grows to 300 MiB of RSS with garbage nobody reclaims
 * (docs/benchmarks.md, the controller at 10,000 Services). The speaker gets
 * `--heap-growing-percent=25` on its command line (Dockerfile); Pepr starts the controller's module
 * process itself, and Node refuses that flag in NODE_OPTIONS, the one channel package.json's
 * `pepr.env` has. So the module sets it at load time: V8 reads it each time it sets the next limit
 * (https://nodejs.org/api/v8.html#v8setflagsfromstringflags).
 */
import { setFlagsFromString } from "node:v8";

/** The speaker's figure: the next full collection when the heap has grown 25 % past the live heap. */
export const HEAP_GROWING_PERCENT = 25;

export function boundHeapGrowth(percent: number = HEAP_GROWING_PERCENT, setFlags: (flags: string) => void = setFlagsFromString): void {
  if (!(Number.isInteger(percent) && percent > 0)) throw new Error(`heap growing percent must be a positive whole number, got ${percent}`);
  setFlags(`--heap-growing-percent=${percent}`);
}
