import { describe, expect, it } from "vitest";
import { ApiError } from "../kube/controller-port";
import { FakeControllerPort } from "../test/kube/fake-controller-port";
import { FakeClock } from "../core/clock";
import { EventRecorder } from "./event-recorder";
import { WorkQueue } from "./work-queue";

const svc = { apiVersion: "v1", kind: "Service", metadata: { name: "web", namespace: "shop", uid: "u-1", resourceVersion: "7" } };

function setup() {
  const port = new FakeControllerPort();
  const clock = new FakeClock(0, Date.UTC(2026, 10, 21, 23, 31, 4));
  const queue = new WorkQueue({ clock, baseDelayMs: 10 });
  return { port, clock, queue, recorder: new EventRecorder(port, clock, queue) };
}

describe("EventRecorder", () => {
  it("creates an Event the way client-go does, then patches count and lastTimestamp on a repeat", async () => {
    const { port, clock, queue, recorder } = setup();
    recorder.record(svc, "Normal", "IPAllocated", 'Assigned IP ["192.168.10.1"]');
    await queue.settled();
    clock.advance(45_000);
    recorder.record(svc, "Normal", "IPAllocated", 'Assigned IP ["192.168.10.1"]');
    await queue.settled();
    const [created, patched] = port.writes;
    expect(created).toMatchObject({ verb: "createEvent", namespace: "shop" });
    expect(created?.body).toEqual({
      metadata: { name: `web.${(BigInt(Date.UTC(2026, 10, 21, 23, 31, 4)) * 1_000_000n).toString(16)}`, namespace: "shop" },
      involvedObject: { kind: "Service", namespace: "shop", name: "web", uid: "u-1", apiVersion: "v1", resourceVersion: "7" },
      reason: "IPAllocated",
      message: 'Assigned IP ["192.168.10.1"]',
      type: "Normal",
      source: { component: "lodestone-controller" },
      firstTimestamp: "2026-11-21T23:31:04Z",
      lastTimestamp: "2026-11-21T23:31:04Z",
      count: 1,
    });
    expect(patched).toMatchObject({
      verb: "patchEvent",
      name: created?.name,
      body: { count: 2, lastTimestamp: "2026-11-21T23:31:49Z", message: 'Assigned IP ["192.168.10.1"]' },
    });
  });

  it("starts a new series for another message, and gives events of one millisecond distinct names", async () => {
    const { port, queue, recorder } = setup();
    recorder.record(svc, "Warning", "AllocationFailed", "a");
    recorder.record(svc, "Warning", "AllocationFailed", "b");
    await queue.settled();
    const names = port.done("createEvent").map(w => w.name);
    expect(names).toHaveLength(2);
    expect(new Set(names).size).toBe(2);
  });

  it("folds repeats queued behind a failing create into the retried write", async () => {
    const { port, clock, queue, recorder } = setup();
    let fail = true;
    port.beforeWrite = () => (fail ? new ApiError(503, "unavailable") : undefined);
    recorder.record(svc, "Normal", "IPAllocated", "x");
    await queue.settled();
    recorder.record(svc, "Normal", "IPAllocated", "x");
    fail = false;
    clock.advance(10);
    await queue.settled();
    expect(port.done("createEvent").map(w => (w.body as { count: number }).count)).toEqual([2]);
    expect(port.done("patchEvent")).toEqual([]);
  });

  it("creates a new Event when the old one expired (404 on the patch)", async () => {
    const { port, clock, queue, recorder } = setup();
    recorder.record(svc, "Normal", "IPAllocated", "x");
    await queue.settled();
    port.remove("Event", "shop", port.done("createEvent")[0]?.name ?? "");
    clock.advance(1000);
    recorder.record(svc, "Normal", "IPAllocated", "x");
    await queue.settled();
    expect(port.writes.map(w => w.verb + (w.error ? ` (${w.error.status})` : ""))).toEqual(["createEvent", "patchEvent (404)", "createEvent"]);
    expect(port.done("createEvent")[1]?.body).toMatchObject({ count: 1, firstTimestamp: "2026-11-21T23:31:05Z" });
  });

  it("writes every queued event even when more series than the aggregation cache holds are pending", async () => {
    const { port, queue, recorder } = setup();
    for (let i = 0; i < 4200; i++) recorder.record(svc, "Normal", "IPAllocated", `Assigned IP ["198.18.${i >> 8}.${i & 255}"]`);
    await queue.settled();
    expect(port.done("createEvent")).toHaveLength(4200);
  });

  it("takes a fresh name when the Event name is already taken", async () => {
    const { port, clock, queue, recorder } = setup();
    const taken = `web.${(BigInt(clock.wallNow()) * 1_000_000n).toString(16)}`;
    port.put("Event", { metadata: { name: taken, namespace: "shop" }, reason: "Other" });
    recorder.record(svc, "Normal", "IPAllocated", "x");
    await queue.settled();
    clock.advance(100);
    await queue.settled();
    const creates = port.writes.filter(w => w.verb === "createEvent");
    expect(creates.map(w => [w.name === taken, w.error?.status])).toEqual([
      [true, 409],
      [false, undefined],
    ]);
    expect(port.objects("Event")).toHaveLength(2);
  });
});
