import { afterEach, describe, expect, it } from "vitest";
import { encodeHeartbeat, type Heartbeat, type HeartbeatRejectReason } from "../../protocols/l2/heartbeat";
import { UdpHeartbeatTransport } from "./heartbeat-udp";

const KEY = Buffer.from("0123456789abcdef0123456789abcdef");
const HB: Heartbeat = { node: "node-a", incarnation: 1n, sequence: 1, sentAtMs: 1_800_000_000_000, leaving: false, acks: [] };

describe("UdpHeartbeatTransport (loopback)", () => {
  const open: UdpHeartbeatTransport[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map(t => t.close()));
  });

  it("delivers verified heartbeats and reports rejected ones", async () => {
    let gotHeartbeat: (hb: Heartbeat) => void = () => {};
    let gotReject: (r: HeartbeatRejectReason) => void = () => {};
    const heartbeat = new Promise<Heartbeat>(r => (gotHeartbeat = r));
    const rejected = new Promise<HeartbeatRejectReason>(r => (gotReject = r));
    const b = await UdpHeartbeatTransport.open({
      bindAddress: "127.0.0.1", port: 0, keys: () => [KEY],
      onHeartbeat: hb => gotHeartbeat(hb), onReject: r => gotReject(r),
    });
    const a = await UdpHeartbeatTransport.open({ bindAddress: "127.0.0.1", port: 0, keys: () => [KEY], onHeartbeat: () => {} });
    open.push(a, b);
    a.setPeers([{ node: "node-b", address: "127.0.0.1", port: b.localPort() }]);
    a.send(encodeHeartbeat({ ...HB, node: "intruder" }, Buffer.from("not-the-cluster-key-at-all!!")));
    expect(await rejected).toBe("bad-mac");
    a.send(encodeHeartbeat(HB, KEY));
    expect(await heartbeat).toEqual(HB);
  });

  it("reports a send failure per peer without throwing", async () => {
    let failed: (node: string) => void = () => {};
    const failure = new Promise<string>(r => (failed = r));
    const a = await UdpHeartbeatTransport.open({
      bindAddress: "127.0.0.1", port: 0, keys: () => [KEY], onHeartbeat: () => {},
      onSendError: peer => failed(peer.node),
    });
    open.push(a);
    // An IPv6 destination on an IPv4 socket fails in the send callback.
    a.setPeers([{ node: "node-v6", address: "2001:db8::1", port: 7946 }]);
    a.send(encodeHeartbeat(HB, KEY));
    expect(await failure).toBe("node-v6");
  });
});
