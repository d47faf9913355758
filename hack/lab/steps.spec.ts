import { describe, expect, it } from "vitest";
import { StepFailed, Steps, until, withDeadline } from "./steps";

function clockFrom(times: number[]): () => number {
  return () => times.shift() ?? Number.NaN;
}

describe("Steps", () => {
  it("prints one line per step with its duration, then the step's notes", async () => {
    const lines: string[] = [];
    const steps = new Steps((l) => lines.push(l), clockFrom([0, 12.4, 100, 350.6]));
    expect(await steps.run("bed", 1000, async (note) => {
      note("3 nodes\n");
      return 42;
    })).toBe(42);
    await expect(steps.run("speakers", 1000, async () => {
      throw new Error("speaker/main.ts is missing");
    })).rejects.toEqual(new StepFailed("speakers", "speaker/main.ts is missing"));
    expect(lines).toEqual(["[lab] bed ... ok (12 ms)", "      3 nodes", "[lab] speakers ... FAILED (251 ms): speaker/main.ts is missing"]);
    expect(steps.failed).toBe(true);
    expect(steps.results.map((r) => [r.name, r.ok])).toEqual([["bed", true], ["speakers", false]]);
  });

  it("fails a step that overruns its deadline", async () => {
    const lines: string[] = [];
    const steps = new Steps((l) => lines.push(l));
    await expect(steps.run("hang", 20, () => new Promise(() => undefined))).rejects.toThrow("hang: timed out after 20 ms");
    expect(lines[0]).toMatch(/^\[lab\] hang \.\.\. FAILED \(\d+ ms\): timed out after 20 ms$/);
  });
});

describe("withDeadline and until", () => {
  it("passes values through and bounds the wait", async () => {
    expect(await withDeadline(Promise.resolve("x"), 10)).toBe("x");
    await expect(withDeadline(new Promise(() => undefined), 5)).rejects.toThrow("timed out after 5 ms");
  });

  it("polls until a value, and names what it waited for with the last error", async () => {
    let n = 0;
    expect(await until(async () => (++n === 3 ? "ready" : undefined), "answer", 1000, 1)).toBe("ready");
    await expect(until(async () => { throw new Error("connection refused"); }, "EXTERNAL-IP", 5, 1)).rejects.toThrow(
      "no EXTERNAL-IP after 5 ms (last error: connection refused)",
    );
  });
});
