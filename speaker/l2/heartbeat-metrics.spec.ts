import { Registry } from "prom-client";
import { afterEach, describe, expect, it } from "vitest";
import { FakeClock } from "../../core/clock";
import { encodeHeartbeat, type Heartbeat } from "../../protocols/l2/heartbeat";
import { HEARTBEAT_REFUSALS, PromHeartbeatMetrics } from "./heartbeat-metrics";
import { UdpHeartbeatTransport } from "./heartbeat-udp";
import { Membership } from "../../core/election/liveness";

const KEY = Buffer.from("0123456789abcdef0123456789abcdef");
const WRONG_KEY = Buffer.from("another-clusters-key-32-bytes!!!");
const WALL = 1_800_000_000_000;
const HB: Heartbeat = { node: "node-a", incarnation: 1n, sequence: 1, sentAtMs: WALL, leaving: false, acks: [] };

/** The registry's lodestone_layer2_heartbeat* sample lines, in exposition order. */
async function heartbeatLines(registry: Registry): Promise<string[]> {
  return (await registry.metrics()).split("\n").filter(l => l.startsWith("lodestone_layer2_heartbeat"));
}

const refusedLines = (counts: Partial<Record<(typeof HEARTBEAT_REFUSALS)[number], number>>): string[] =>
  HEARTBEAT_REFUSALS.map(r => `lodestone_layer2_heartbeats_refused_total{reason="${r}"} ${counts[r] ?? 0}`);

describe("PromHeartbeatMetrics", () => {
  it("starts every series at 0, each refusal reason included", async () => {
    const registry = new Registry();
    new PromHeartbeatMetrics(registry);
    expect(await heartbeatLines(registry)).toEqual([
      "lodestone_layer2_heartbeats_sent_total 0",
      "lodestone_layer2_heartbeat_send_errors_total 0",
      "lodestone_layer2_heartbeats_received_total 0",
      ...refusedLines({}),
      "lodestone_layer2_heartbeat_peers_alive 0",
      "lodestone_layer2_heartbeat_peers_expected 0",
    ]);
  });

  it("counts Membership's verdicts and peer counts as they happen", async () => {
    const registry = new Registry();
    const clock = new FakeClock();
    const membership = new Membership(clock, { self: "node-b", wallNow: () => WALL + clock.now(), observer: new PromHeartbeatMetrics(registry) });
    membership.setExpectedPeers(["node-a", "node-b", "node-c"]);
    membership.receive(HB);
    membership.receive(HB); // the same sequence again
    membership.receive({ ...HB, node: "node-b", sequence: 2 });
    membership.receive({ ...HB, node: "node-z", sequence: 3 });
    membership.receive({ ...HB, node: "node-c", sentAtMs: WALL - 31_000 });
    membership.rejected("bad-version");
    expect(await heartbeatLines(registry)).toContain("lodestone_layer2_heartbeat_peers_alive 1");
    clock.advance(250); // node-a falls silent
    expect(await heartbeatLines(registry)).toEqual([
      "lodestone_layer2_heartbeats_sent_total 0",
      "lodestone_layer2_heartbeat_send_errors_total 0",
      "lodestone_layer2_heartbeats_received_total 1",
      ...refusedLines({ "bad-version": 1, self: 1, "unknown-peer": 1, stale: 1, replay: 1 }),
      "lodestone_layer2_heartbeat_peers_alive 0",
      "lodestone_layer2_heartbeat_peers_expected 2",
    ]);
    membership.close();
  });
});

describe("PromHeartbeatMetrics on the UDP path (loopback, wired as the data plane wires it)", () => {
  const open: UdpHeartbeatTransport[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map(t => t.close()));
  });

  it("counts a good heartbeat, one signed with another key and a malformed datagram, and what was sent", async () => {
    const registry = new Registry();
    const metrics = new PromHeartbeatMetrics(registry);
    const clock = new FakeClock();
    const membership = new Membership(clock, { self: "node-b", wallNow: () => WALL, observer: metrics });
    membership.setExpectedPeers(["node-a", "node-c"]);
    // Each datagram's handling resolves the next waiter, so the test awaits exactly the three arrivals.
    const handled: (() => void)[] = [];
    const arrival = (): Promise<void> => new Promise(r => void handled.push(r));
    const b = await UdpHeartbeatTransport.open({
      bindAddress: "127.0.0.1", port: 0, keys: () => [KEY],
      onHeartbeat: hb => void (membership.receive(hb), handled.shift()?.()),
      onReject: reason => void (membership.rejected(reason), handled.shift()?.()),
    });
    let sends = 0;
    let allSent: () => void = () => {};
    const threeSent = new Promise<void>(r => (allSent = r));
    const a = await UdpHeartbeatTransport.open({
      bindAddress: "127.0.0.1", port: 0, keys: () => [KEY], onHeartbeat: () => {},
      onSent: () => {
        metrics.sent();
        if (++sends === 3) allSent();
      },
      onSendError: () => metrics.sendFailed(),
    });
    open.push(a, b);
    a.setPeers([{ node: "node-b", address: "127.0.0.1", port: b.localPort() }]);

    let next = arrival();
    a.send(encodeHeartbeat(HB, KEY));
    await next;
    next = arrival();
    a.send(encodeHeartbeat({ ...HB, sequence: 2 }, WRONG_KEY));
    await next;
    next = arrival();
    a.send(Buffer.from("LSHB\x01 not a heartbeat", "latin1"));
    await Promise.all([next, threeSent]);

    expect(await heartbeatLines(registry)).toEqual([
      "lodestone_layer2_heartbeats_sent_total 3",
      "lodestone_layer2_heartbeat_send_errors_total 0",
      "lodestone_layer2_heartbeats_received_total 1",
      ...refusedLines({ truncated: 1, "bad-mac": 1 }),
      "lodestone_layer2_heartbeat_peers_alive 1",
      "lodestone_layer2_heartbeat_peers_expected 2",
    ]);
    membership.close();
  });

  it("counts failed sends, one that Node refuses at once included, and still sends to the other peers", async () => {
    const registry = new Registry();
    const metrics = new PromHeartbeatMetrics(registry);
    const failedPeers: string[] = [];
    let failedTwice: () => void = () => {};
    const failures = new Promise<void>(r => (failedTwice = r));
    let sentOnce: () => void = () => {};
    const sent = new Promise<void>(r => (sentOnce = r));
    const a = await UdpHeartbeatTransport.open({
      bindAddress: "127.0.0.1", port: 0, keys: () => [KEY], onHeartbeat: () => {},
      onSent: () => void (metrics.sent(), sentOnce()),
      onSendError: peer => {
        metrics.sendFailed();
        if (failedPeers.push(peer.node) === 2) failedTwice();
      },
    });
    const b = await UdpHeartbeatTransport.open({ bindAddress: "127.0.0.1", port: 0, keys: () => [KEY], onHeartbeat: () => {} });
    open.push(a, b);
    a.setPeers([
      { node: "node-port0", address: "127.0.0.1", port: 0 }, // dgram throws synchronously
      { node: "node-v6", address: "2001:db8::1", port: 7946 }, // an IPv6 destination on an IPv4 socket fails in the callback
      { node: "node-b", address: "127.0.0.1", port: b.localPort() },
    ]);
    a.send(encodeHeartbeat(HB, KEY));
    await Promise.all([failures, sent]);
    expect(failedPeers).toEqual(["node-port0", "node-v6"]);
    expect((await heartbeatLines(registry)).slice(0, 2)).toEqual(["lodestone_layer2_heartbeats_sent_total 1", "lodestone_layer2_heartbeat_send_errors_total 2"]);
  });
});
