/**
 * Gives the C heap's free pages back to the kernel once the speaker's state has been quiet for a
 * while. glibc keeps the pages freed in the middle of its heap resident (native/c_heap.c): after
 * start-up, a relist of thousands of Services or a burst of changes, the TLS and HTTP buffers, list
 * bodies and V8's compiler zones that served them stay in the speaker's RSS on every node until it
 * ends. Trimming after the burst, not during it, costs one walk of the free lists per burst.
 */
import { debounceTime, type Observable, type SchedulerLike, type Subscription, asyncScheduler } from "rxjs";

/** Quiet this long after the last state before the heap is trimmed. */
export const TRIM_AFTER_QUIET_MS = 5_000;

export function trimWhenQuiet(states: Observable<unknown>, trim: () => unknown, quietMs = TRIM_AFTER_QUIET_MS, scheduler: SchedulerLike = asyncScheduler): Subscription {
  return states.pipe(debounceTime(quietMs, scheduler)).subscribe(() => void trim());
}
