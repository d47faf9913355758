/** Change detection on the speaker's state stream, shared by the speaker and its capability tables. */
import { distinctUntilChanged, map, type Observable } from "rxjs";

/** A stable text of a value for change detection (Sets as sorted arrays). */
export function signature(value: unknown): string {
  return JSON.stringify(value, (_, v: unknown) => (v instanceof Set ? [...(v as Set<unknown>)].map(String).sort() : v));
}

/** One part of every state, passed on only when its signature changes. */
export function distinctPart<S, T>(states: Observable<S>, pick: (s: S) => T): Observable<T> {
  return states.pipe(
    map(pick),
    distinctUntilChanged((a, b) => signature(a) === signature(b)),
  );
}

/**
 * Whether two lists say the same, entry by entry: the same object (speakerState keeps each Service's
 * entries while nothing they depend on changed) or, failing that, the same signature. At 10,000
 * Services this costs a pointer comparison per entry where one signature of the whole list was tens
 * of milliseconds of JSON.
 */
export function sameEntries(a: readonly unknown[], b: readonly unknown[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i] && signature(a[i]) !== signature(b[i])) return false;
  return true;
}

/** One list of every state, passed on only when an entry changed (sameEntries). */
export function distinctList<S, T>(states: Observable<S>, pick: (s: S) => readonly T[]): Observable<readonly T[]> {
  return states.pipe(map(pick), distinctUntilChanged<readonly T[]>(sameEntries));
}
