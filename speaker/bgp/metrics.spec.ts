import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { FakeClock } from "../../core/clock";
import { parseCidr, parseIP, type Cidr, type IPAddress } from "../../core/net/ip";
import { registerBgpMetrics } from "./metrics";
import { BgpSession } from "../../protocols/bgp/session";

describe("BGP metrics", () => {
  it("reports MetalLB's names and values read from the sessions at scrape time", async () => {
    const session = new BgpSession({
      settings: { myAsn: 64512, peerAsn: 64500, routerId: 1, holdTimeS: 90, families: ["IPv4"] },
      clock: new FakeClock(),
      connect: () => new Promise(() => undefined),
    });
    session.advertise([{ prefix: parseCidr("198.51.100.7/32") as Cidr, nextHop: parseIP("192.0.2.11") as IPAddress, attributes: {} }]);
    const registry = new Registry();
    registerBgpMetrics(registry, () => [{ peer: "192.0.2.1", session }]);
    session.stats.updatesSent = 3;
    session.stats.keepalivesReceived = 2;
    const text = await registry.metrics();
    const lines = text.split("\n").filter(l => l.startsWith("metallb_"));
    expect(lines).toEqual(
      expect.arrayContaining([
        'metallb_bgp_session_up{peer="192.0.2.1"} 0',
        'metallb_bgp_announced_prefixes_total{peer="192.0.2.1"} 0',
        'metallb_bgp_pending_prefixes_total{peer="192.0.2.1"} 1',
        'metallb_bgp_updates_total{peer="192.0.2.1"} 3',
        'metallb_bgp_keepalives_received{peer="192.0.2.1",vrf="default"} 2',
        'metallb_bgp_total_received{peer="192.0.2.1",vrf="default"} 2',
      ]),
    );
    session.stats.updatesSent = 4;
    expect(await registry.metrics()).toContain('metallb_bgp_updates_total{peer="192.0.2.1"} 4');
  });
});
