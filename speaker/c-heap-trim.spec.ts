import { Subject } from "rxjs";
import { TestScheduler } from "rxjs/testing";
import { describe, expect, it } from "vitest";
import { trimWhenQuiet } from "./c-heap-trim";

describe("trimWhenQuiet", () => {
  it("trims once per burst, quietMs after its last state, and never while states keep coming", () => {
    const scheduler = new TestScheduler(() => {});
    const trims: number[] = [];
    scheduler.run(({ cold }) => {
      // A burst at 0 to 4 ms, one state at 20 ms, then states every 2 ms from 40 to 48 ms.
      const states = cold("a-b-c 15ms d 19ms e-f-g-h-i");
      const sub = trimWhenQuiet(states, () => trims.push(scheduler.now()), 10, scheduler);
      scheduler.schedule(() => sub.unsubscribe(), 100);
    });
    expect(trims).toEqual([14, 30, 58]);
  });

  it("stops with its subscription", () => {
    const states = new Subject<number>();
    let trimmed = 0;
    const sub = trimWhenQuiet(states, () => trimmed++, 0);
    sub.unsubscribe();
    states.next(1);
    expect(trimmed).toBe(0);
  });
});
