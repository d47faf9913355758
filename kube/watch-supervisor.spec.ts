import { describe, expect, it } from "vitest";
import { recordingLogger } from "../test/observability/recording-logger";
import { FakeClock } from "../core/clock";
import type { KubeObject, WatchPhase } from "./controller-port";
import { tombstoneOf, WatchStatusError, WatchSupervisor, type ListResult, type WatchSource, type WatchStreamHandlers, type WatchSupervisorOptions } from "./watch-supervisor";

interface Pending<T> {
  resolve(value: T): void;
  reject(error: unknown): void;
  signal: AbortSignal;
}

function pending<T>(signal: AbortSignal): { promise: Promise<T>; handle: Pending<T> } {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  signal.addEventListener("abort", () => reject(signal.reason));
  return { promise, handle: { resolve, reject, signal } };
}

interface Stream extends Pending<void> {
  rv: string;
  handlers: WatchStreamHandlers;
  at: number;
}

class FakeSource implements WatchSource {
  readonly lists: (Pending<ListResult> & { at: number })[] = [];
  readonly streams: Stream[] = [];
  constructor(
    private readonly clock: FakeClock,
    readonly name = "Service",
  ) {}
  list(signal: AbortSignal): Promise<ListResult> {
    const p = pending<ListResult>(signal);
    this.lists.push({ ...p.handle, at: this.clock.now() });
    return p.promise;
  }
  watch(resourceVersion: string, signal: AbortSignal, handlers: WatchStreamHandlers): Promise<void> {
    const p = pending<void>(signal);
    this.streams.push({ ...p.handle, rv: resourceVersion, handlers, at: this.clock.now() });
    return p.promise;
  }
  lastStream(): Stream {
    const s = this.streams[this.streams.length - 1];
    if (!s) throw new Error("no stream");
    return s;
  }
}

class FakeProbe {
  calls: Pending<void>[] = [];
  probe = (signal: AbortSignal): Promise<void> => {
    const p = pending<void>(signal);
    this.calls.push(p.handle);
    return p.promise;
  };
  /** Answers every probe still waiting. */
  answerAll(): void {
    for (const c of this.calls) if (!c.signal.aborted) c.resolve();
  }
}

const svc = (name: string, rv: string): KubeObject => ({ apiVersion: "v1", kind: "Service", metadata: { name, namespace: "shop", resourceVersion: rv } });

/** Lets promise callbacks run (the supervisor's loop awaits the fake source). */
const flush = async (): Promise<void> => {
  for (let i = 0; i < 10; i++) await new Promise<void>(r => setImmediate(r));
};

function bench(opts: Partial<WatchSupervisorOptions> = {}) {
  const clock = new FakeClock();
  const probe = new FakeProbe();
  const recorded = recordingLogger();
  const logs = recorded.messages;
  const sup = new WatchSupervisor({ clock, probe: probe.probe, log: recorded.log, ...opts });
  const source = new FakeSource(clock);
  const events: string[] = [];
  const currents: boolean[] = [];
  sup.onCurrentChange(c => currents.push(c));
  const w = sup.watch(source, (phase: WatchPhase, o: KubeObject) => events.push(`${phase} ${o.metadata?.name} ${o.metadata?.resourceVersion}`));
  /** Advances in steps of 50 ms so the loop's awaits run between timers. */
  const advance = async (ms: number): Promise<void> => {
    for (let t = 0; t < ms; t += 50) {
      clock.advance(Math.min(50, ms - t));
      await flush();
    }
  };
  return { clock, probe, logs, sup, source, events, currents, w, advance };
}

/** A bench whose watch has listed nothing (resourceVersion 7) and is streaming. */
async function streamingBench(): Promise<ReturnType<typeof bench>> {
  const b = bench();
  await flush();
  b.source.lists[0]?.resolve({ items: [], resourceVersion: "7" });
  await b.w.ready;
  await flush();
  b.source.lastStream().handlers.onOpen();
  return b;
}

describe("WatchSupervisor", () => {
  it("applies a long list in slices, giving the event loop a turn every 10 ms, deletions last", async () => {
    const clock = new FakeClock();
    const sup = new WatchSupervisor({ clock, probe: new FakeProbe().probe, log: recordingLogger().log });
    const source = new FakeSource(clock);
    const handled: string[] = [];
    let turns = 0;
    // Each object costs 1 ms to handle: 60 of them are 60 ms of the thread.
    const w = sup.watch(source, (phase, o) => {
      const until = performance.now() + 1;
      while (performance.now() < until);
      handled.push(`${phase} ${o.metadata?.name}`);
    });
    await flush();
    source.lists[0]?.resolve({ items: [svc("gone", "1")], resourceVersion: "2" });
    await w.ready;
    await flush();
    source.lastStream().reject(new WatchStatusError(410, "too old"));
    await flush();
    handled.length = 0;
    const ticking = setInterval(() => void turns++, 0);
    const items = Array.from({ length: 60 }, (_, i) => svc(`s${i}`, "3"));
    source.lists[1]?.resolve({ items, resourceVersion: "3" });
    const turnsAt: number[] = [];
    while (handled.length < 61) {
      turnsAt.push(handled.length);
      await new Promise<void>(r => setImmediate(r));
    }
    clearInterval(ticking);
    expect(turns).toBeGreaterThanOrEqual(3);
    // The handler saw the list over several turns, never more than a slice's worth (10 ms) and one more in one.
    const perTurn = turnsAt.map((n, i) => n - (turnsAt[i - 1] ?? 0));
    expect(Math.max(...perTurn)).toBeLessThanOrEqual(12);
    expect(handled.slice(-2)).toEqual(["ADDED s59", "DELETED gone"]);
    sup.stop();
  });

  it("a watch added to a current view (a Secret the config now names) keeps the view current while it lists; one that does not list in staleAfterMs makes it not current", async () => {
    const b = await streamingBench();
    expect(b.sup.isCurrent()).toBe(true);
    const logsBefore = b.logs.length;
    /** Time passing with the API server answering every probe. */
    const heard = async (ms: number): Promise<void> => {
      for (let t = 0; t < ms; t += 250) {
        await b.advance(250);
        b.probe.answerAll();
        await flush();
      }
    };

    const secret = new FakeSource(b.clock, "Secret");
    const added = b.sup.watch(secret, () => undefined);
    await flush();
    expect(b.sup.isCurrent()).toBe(true);
    await heard(1_000);
    secret.lists[0]?.resolve({ items: [], resourceVersion: "8" });
    await added.ready;
    await flush();
    secret.lastStream().handlers.onOpen();
    await heard(5_000);
    expect([b.sup.isCurrent(), b.currents, b.logs.slice(logsBefore)]).toEqual([true, [true], []]);

    const silent = new FakeSource(b.clock, "ConfigMap");
    b.sup.watch(silent, () => undefined);
    await heard(3_000);
    expect(b.sup.isCurrent()).toBe(true);
    await heard(500);
    expect([b.sup.isCurrent(), b.currents, b.logs.slice(logsBefore)]).toEqual([false, [true, false], ["view of the cluster not current: watches down: ConfigMap"]]);
  });

  it("a watch outside the view (partOfView: false) that never lists (403: no grant) leaves the view current", async () => {
    const b = await streamingBench();
    const own = new FakeSource(b.clock, "ServiceL2Status of node-a");
    b.sup.watch(own, () => undefined, { partOfView: false });
    for (let t = 0; t < 10_000; t += 250) {
      for (const l of own.lists) if (!l.signal.aborted) l.reject(new WatchStatusError(403, "servicel2statuses.metallb.io is forbidden"));
      await b.advance(250);
      b.probe.answerAll();
      await flush();
    }
    expect(own.lists.length).toBeGreaterThan(3);
    expect([b.sup.isCurrent(), b.currents]).toEqual([true, [true]]);
  });

  it("lists, delivers the list as ADDED, then streams from the list's resourceVersion; the view is current once streaming", async () => {
    const b = bench();
    await flush();
    expect(b.source.lists).toHaveLength(1);
    b.source.lists[0]?.resolve({ items: [svc("a", "5")], resourceVersion: "7" });
    await b.w.ready;
    await flush();
    expect(b.events).toEqual(["ADDED a 5"]);
    const s = b.source.lastStream();
    expect(s.rv).toBe("7");
    expect(b.sup.isCurrent()).toBe(true);
    s.handlers.onOpen();
    s.handlers.onLine({ type: "MODIFIED", object: svc("a", "9") });
    s.handlers.onLine({ type: "ADDED", object: svc("b", "10") });
    expect(b.events).toEqual(["ADDED a 5", "MODIFIED a 9", "ADDED b 10"]);
    expect(b.currents).toEqual([true]);
  });

  it("reconnects a failed stream from the last resourceVersion (bookmarks included) with backoff doubling from 100 ms and capped at 1 s", async () => {
    const b = bench();
    await flush();
    b.source.lists[0]?.resolve({ items: [], resourceVersion: "1" });
    await flush();
    const first = b.source.lastStream();
    first.handlers.onOpen();
    first.handlers.onLine({ type: "BOOKMARK", object: { metadata: { resourceVersion: "42" } } });
    const starts: number[] = [];
    for (let i = 0; i < 7; i++) {
      const s = b.source.lastStream();
      s.reject(new Error("connection refused"));
      await flush();
      const failedAt = b.clock.now();
      while (b.source.lastStream() === s) await b.advance(50);
      starts.push(b.source.lastStream().at - failedAt);
      expect(b.source.lastStream().rv).toBe("42");
    }
    expect(starts).toEqual([100, 200, 400, 800, 1000, 1000, 1000]);
    expect(b.source.lists).toHaveLength(1);
    expect(b.logs.filter(l => l.startsWith("watch Service failed"))).toEqual(["watch Service failed (1x), retrying in 100 ms (at most 1000 ms apart): connection refused"]);
  });

  it("relists on 410 Gone and tells the handler what was created, changed and deleted meanwhile", async () => {
    const b = bench();
    await flush();
    b.source.lists[0]?.resolve({ items: [svc("a", "5"), svc("b", "6")], resourceVersion: "7" });
    await flush();
    const s = b.source.lastStream();
    s.handlers.onOpen();
    s.handlers.onLine({ type: "ERROR", object: { kind: "Status", code: 410, reason: "Expired", message: "too old resource version: 7 (100)" } as KubeObject });
    await flush();
    expect(s.signal.aborted).toBe(true);
    expect(b.source.lists).toHaveLength(2);
    b.source.lists[1]?.resolve({ items: [svc("a", "50"), svc("c", "60")], resourceVersion: "100" });
    await flush();
    expect(b.events).toEqual(["ADDED a 5", "ADDED b 6", "MODIFIED a 50", "ADDED c 60", "DELETED b 6"]);
    expect(b.source.lastStream().rv).toBe("100");
  });

  it("keep: the watch remembers and delivers only what keep kept, one copy shared with the handler", async () => {
    const clock = new FakeClock();
    const sup = new WatchSupervisor({ clock, probe: new FakeProbe().probe, log: recordingLogger().log });
    const source = new FakeSource(clock);
    const delivered: [WatchPhase, KubeObject][] = [];
    const full = (name: string, rv: string): KubeObject => ({ ...svc(name, rv), spec: { ports: [{ port: 80 }] }, metadata: { name, namespace: "shop", resourceVersion: rv, managedFields: [{ manager: "kubectl" }] } }) as KubeObject;
    const keep = (o: KubeObject): KubeObject => ({ kind: o.kind, metadata: { name: o.metadata?.name, namespace: o.metadata?.namespace, resourceVersion: o.metadata?.resourceVersion } }) as KubeObject;
    sup.watch(source, (phase, o) => delivered.push([phase, o]), { keep });
    await flush();
    source.lists[0]?.resolve({ items: [full("a", "5"), full("b", "6")], resourceVersion: "7" });
    await flush();
    const s = source.lastStream();
    s.handlers.onOpen();
    s.handlers.onLine({ type: "MODIFIED", object: full("a", "8") });
    s.handlers.onLine({ type: "ERROR", object: { kind: "Status", code: 410, reason: "Expired", message: "too old" } as KubeObject });
    await flush();
    source.lists[1]?.resolve({ items: [full("a", "8")], resourceVersion: "9" });
    await flush();
    expect(delivered.map(([phase, o]) => [phase, o])).toEqual([
      ["ADDED", { kind: "Service", metadata: { name: "a", namespace: "shop", resourceVersion: "5" } }],
      ["ADDED", { kind: "Service", metadata: { name: "b", namespace: "shop", resourceVersion: "6" } }],
      ["MODIFIED", { kind: "Service", metadata: { name: "a", namespace: "shop", resourceVersion: "8" } }],
      ["DELETED", { kind: "Service", metadata: { name: "b", namespace: "shop", resourceVersion: "6" } }],
    ]);
    // The deletion replayed after the relist is the very object the handler was given when b was added.
    expect(delivered[3]?.[1]).toBe(delivered[1]?.[1]);
    sup.stop();
  });

  it("remember identity: the watch holds tombstones only; a relist still diffs by resourceVersion and replays a deletion as the tombstone", async () => {
    const clock = new FakeClock();
    const sup = new WatchSupervisor({ clock, probe: new FakeProbe().probe, log: recordingLogger().log });
    const source = new FakeSource(clock, "EndpointSlice");
    const delivered: [WatchPhase, KubeObject][] = [];
    const slice = (name: string, rv: string): KubeObject =>
      ({
        apiVersion: "discovery.k8s.io/v1",
        kind: "EndpointSlice",
        metadata: { name, namespace: "shop", uid: `uid-${name}`, resourceVersion: rv, generation: 1, labels: { "kubernetes.io/service-name": "web" }, annotations: { a: "b" } },
        addressType: "IPv4",
        endpoints: [{ addresses: ["192.0.2.10"], nodeName: "node1" }],
      }) as KubeObject;
    sup.watch(source, (phase, o) => delivered.push([phase, o]), { remember: "identity" });
    await flush();
    const a5 = slice("a", "5");
    const b6 = slice("b", "6");
    source.lists[0]?.resolve({ items: [a5, b6], resourceVersion: "7" });
    await flush();
    source.lastStream().handlers.onOpen();
    source.lastStream().handlers.onLine({ type: "ERROR", object: { kind: "Status", code: 410, reason: "Expired", message: "too old" } as KubeObject });
    await flush();
    // a unchanged (same resourceVersion), b gone, c new.
    source.lists[1]?.resolve({ items: [slice("a", "5"), slice("c", "9")], resourceVersion: "10" });
    await flush();
    expect(delivered.map(([phase, o]) => `${phase} ${o.metadata?.name} ${o.metadata?.resourceVersion}`)).toEqual(["ADDED a 5", "ADDED b 6", "ADDED c 9", "DELETED b 6"]);
    // The handler was given the objects as they came; the deletion a relist found is b's tombstone.
    expect(delivered[1]?.[1]).toBe(b6);
    expect(delivered[3]?.[1]).toEqual({
      apiVersion: "discovery.k8s.io/v1",
      kind: "EndpointSlice",
      metadata: { namespace: "shop", name: "b", resourceVersion: "6", labels: { "kubernetes.io/service-name": "web" } },
    });
    sup.stop();
  });

  it("tombstoneOf keeps namespace, name, resourceVersion and labels, and nothing it was not given", () => {
    expect(tombstoneOf({ kind: "Node", metadata: { name: "node1", resourceVersion: "3", annotations: { x: "y" } }, status: { addresses: [] } } as KubeObject)).toEqual({
      kind: "Node",
      metadata: { name: "node1", resourceVersion: "3" },
    });
    expect(tombstoneOf({} as KubeObject)).toEqual({ metadata: {} });
  });

  it("a path that drops packets: silent streams are noticed by the probe, the view goes stale, and every stream restarts from its resourceVersion at the first answer", async () => {
    const b = bench();
    await flush();
    b.source.lists[0]?.resolve({ items: [svc("a", "5")], resourceVersion: "7" });
    await flush();
    const s = b.source.lastStream();
    s.handlers.onOpen();
    expect(b.sup.isCurrent()).toBe(true);
    let returns = 0;
    b.sup.onPathReturn(() => returns++);
    // The path dies: nothing arrives, nothing fails. Probes start after 1 s of silence and time out after 2 s.
    await b.advance(1000);
    expect(b.probe.calls).toHaveLength(1);
    await b.advance(2000);
    expect(b.probe.calls[0]?.signal.aborted).toBe(true);
    expect(b.logs).toContain("API server not answering: no answer within 2000 ms");
    // Stale 3 s after the last contact (within one tick).
    await b.advance(250);
    expect(b.sup.isCurrent()).toBe(false);
    expect(b.currents).toEqual([true, false]);
    expect(s.signal.aborted).toBe(false);
    await b.advance(56_000);
    expect(b.sup.isCurrent()).toBe(false);
    // The path is back: the next probe (every 250 ms while they fail) is answered and the stream restarts at once.
    const before = b.source.streams.length;
    const back = b.clock.now();
    while (b.source.streams.length === before) {
      b.probe.answerAll();
      await b.advance(50);
    }
    expect(b.clock.now() - back).toBeLessThanOrEqual(300);
    expect(s.signal.aborted).toBe(true);
    expect(returns).toBe(1);
    const again = b.source.lastStream();
    expect(again.rv).toBe("7");
    expect(b.source.lists).toHaveLength(1);
    // Not current before the stream is open again: it has been of no use since the path died.
    expect(b.sup.isCurrent()).toBe(false);
    again.handlers.onOpen();
    again.handlers.onLine({ type: "ADDED", object: svc("made-meanwhile", "80") });
    expect(b.sup.isCurrent()).toBe(true);
    expect(b.currents).toEqual([true, false, true]);
    expect(b.events).toEqual(["ADDED a 5", "ADDED made-meanwhile 80"]);
    expect(b.sup.pathRestarts).toBe(1);
  });

  it("a watch waiting out its backoff reconnects at once when the API server answers again", async () => {
    const b = bench({ backoff: { initialMs: 1000, maxMs: 1000 } });
    await flush();
    b.source.lists[0]?.resolve({ items: [], resourceVersion: "3" });
    await flush();
    b.source.lastStream().handlers.onOpen();
    await b.advance(2500);
    b.source.lastStream().reject(new Error("socket hang up"));
    await flush();
    const count = b.source.streams.length;
    b.probe.answerAll();
    await flush();
    expect(b.source.streams.length).toBe(count + 1);
  });

  it("restarts a stream that stays silent for idleMs while the API server answers", async () => {
    const b = bench({ idleMs: 5000 });
    await flush();
    b.source.lists[0]?.resolve({ items: [], resourceVersion: "3" });
    await flush();
    const s = b.source.lastStream();
    s.handlers.onOpen();
    for (let t = 0; t < 5000; t += 500) {
      b.probe.answerAll();
      await b.advance(500);
    }
    expect(s.signal.aborted).toBe(false);
    b.probe.answerAll();
    await b.advance(500);
    expect(s.signal.aborted).toBe(true);
    expect(b.source.lastStream()).not.toBe(s);
    expect(b.source.lastStream().rv).toBe("3");
    expect(b.logs.some(l => /^watch Service: nothing for 5\d\d\d ms, restarting it$/.test(l))).toBe(true);
  });

  it("reopens a stream the server ended after a while at once, and backs off from one it ended at once", async () => {
    const b = bench();
    await flush();
    b.source.lists[0]?.resolve({ items: [], resourceVersion: "3" });
    await flush();
    const s = b.source.lastStream();
    s.handlers.onOpen();
    b.probe.answerAll();
    await b.advance(1500);
    s.resolve();
    await flush();
    const reopened = b.source.lastStream();
    expect(reopened).not.toBe(s);
    expect(reopened.at).toBe(b.clock.now());
    reopened.handlers.onOpen();
    reopened.resolve();
    await flush();
    expect(b.source.lastStream()).toBe(reopened);
    await b.advance(100);
    expect(b.source.lastStream()).not.toBe(reopened);
  });

  it("an ERROR other than 410 relists after the backoff; a handler that throws does not end the watch", async () => {
    const clock = new FakeClock();
    const probe = new FakeProbe();
    const { log, messages: logs } = recordingLogger();
    const sup = new WatchSupervisor({ clock, probe: probe.probe, log });
    const source = new FakeSource(clock, "IPAddressPool");
    const seen: string[] = [];
    sup.watch(source, (phase, o) => {
      if (o.metadata?.name === "bad") throw new Error("boom");
      seen.push(`${phase} ${o.metadata?.name}`);
    });
    await flush();
    source.lists[0]?.resolve({ items: [svc("bad", "1"), svc("good", "2")], resourceVersion: "2" });
    await flush();
    expect(seen).toEqual(["ADDED good"]);
    expect(logs).toContain("watch IPAddressPool: handling ADDED shop/bad failed: boom");
    const s = source.lastStream();
    s.handlers.onOpen();
    s.handlers.onLine({ type: "ERROR", object: { kind: "Status", code: 500, message: "etcd timeout" } as KubeObject });
    await flush();
    expect(source.lists).toHaveLength(1);
    clock.advance(100);
    await flush();
    expect(source.lists).toHaveLength(2);
    expect(logs).toContain("watch IPAddressPool failed (1x), retrying in 100 ms (at most 1000 ms apart): server error 500: etcd timeout");
  });

  it("a list that does not answer is abandoned after listTimeoutMs and retried", async () => {
    const b = bench({ listTimeoutMs: 5000 });
    await flush();
    const first = b.source.lists[0];
    await b.advance(5000);
    expect(first?.signal.aborted).toBe(true);
    await b.advance(100);
    expect(b.source.lists).toHaveLength(2);
  });

  it("a watch request whose response does not begin within connectTimeoutMs is abandoned and retried", async () => {
    const b = bench({ connectTimeoutMs: 4000 });
    await flush();
    b.source.lists[0]?.resolve({ items: [], resourceVersion: "3" });
    await flush();
    const s = b.source.lastStream();
    await b.advance(3950);
    expect(s.signal.aborted).toBe(false);
    await b.advance(100);
    expect(s.signal.aborted).toBe(true);
    await b.advance(100);
    expect(b.source.lastStream()).not.toBe(s);
    expect(b.logs).toContain("watch Service failed (1x), retrying in 100 ms (at most 1000 ms apart): watch not answered within 4000 ms");
  });

  it("stop() aborts the stream and ends the loop", async () => {
    const b = bench();
    await flush();
    b.source.lists[0]?.resolve({ items: [], resourceVersion: "3" });
    await flush();
    const s = b.source.lastStream();
    b.w.stop();
    await b.advance(5000);
    expect(s.signal.aborted).toBe(true);
    expect(b.source.streams).toHaveLength(1);
  });

  it("a status failure on the watch request relists after the backoff", async () => {
    const b = bench();
    await flush();
    b.source.lists[0]?.resolve({ items: [], resourceVersion: "3" });
    await flush();
    b.source.lastStream().reject(new WatchStatusError(403, "forbidden"));
    await flush();
    await b.advance(100);
    expect(b.source.lists).toHaveLength(2);
  });
});
