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
