/**
 * BGP unnumbered against BIRD 2: BIRD advertises itself on a link with nothing but link-local
 * addresses (protocol radv, router lifetime 0), peers with our link-local address
 * (`neighbor fe80::...%'unn'`) and takes IPv4 routes with an IPv6 next hop (`extended next hop on`,
 * RFC 8950). The data plane finds BIRD by its Router Advertisements; BIRD installs the IPv4 VIP in its
 * kernel as `via inet6 fe80::...` and a ping from the router reaches the VIP over that link. Needs
 * root; the bed builds and removes the namespaces and the extra veth.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Bed, Host, Spawned } from "../../../hack/netns";
import type { BGPRoute } from "../../../core/announce/desired";
import type { AgentConfig } from "../dataplane/agent";
import { eventually, scratchDir } from "./routers/poll";
import { createUnnumberedLinkBed, NODE_AS, ROUTER_AS, ROUTER_LINK, unnumberedPeer } from "./testkit/unnumbered-link";

const VIP4 = "198.51.100.30";
const AGENT = "test/bgp/dataplane/agent.ts";

const peer = unnumberedPeer();

function birdConf(nodeLinkLocal: string): string {
  return `${[
    "router id 192.0.2.1;",
    "protocol device {}",
    "protocol kernel { ipv4 { export all; }; }",
    "protocol kernel { ipv6 { export all; }; }",
    // Advertise on the unnumbered link (the speaker finds BIRD so), as nobody's default router.
    `protocol radv { ipv6 { export none; }; interface "${ROUTER_LINK}" { min ra interval 3; max ra interval 4; default lifetime 0; }; }`,
    "protocol bgp node {",
    `  local as ${ROUTER_AS};`,
    `  neighbor ${nodeLinkLocal} % '${ROUTER_LINK}' as ${NODE_AS};`,
    "  hold time 9;",
    "  ipv4 { import all; export none; extended next hop on; };",
    "  ipv6 { import all; export none; };",
    "}",
  ].join("\n")}\n`;
}

describe("BGP unnumbered against BIRD 2 (RFC 8950)", () => {
  let bed: Bed;
  let node: Host;
  let dir: { path: string; remove(): void };
  let agent: Spawned;
  let nodeLinkLocal: string;
  const birdc = async (...args: string[]) => (await bed.router.exec(["birdc", "-s", join(dir.path, "bird.ctl"), ...args])).stdout;

  beforeAll(async () => {
    ({ bed, node, nodeLinkLocal } = await createUnnumberedLinkBed([VIP4]));
    dir = scratchDir("bird-unnumbered");
    writeFileSync(join(dir.path, "bird.conf"), birdConf(nodeLinkLocal));
    bed.router.spawn(["bird", "-f", "-c", join(dir.path, "bird.conf"), "-s", join(dir.path, "bird.ctl")]);
    await eventually(async () => ((await birdc("show", "status")).includes("Daemon is up and running") ? true : undefined), "BIRD to start");
    const config: AgentConfig = { nodeName: node.ns.name, labels: {}, addresses: [node.ipv4, node.ipv6], peers: [peer] };
    agent = node.ns.runNode(AGENT, [JSON.stringify(config)]);
  }, 60_000);

  afterAll(async () => {
    await bed?.destroy();
    dir?.remove();
  });

  it("establishes with BIRD found by its Router Advertisements", async () => {
    await agent.waitForLine(/"state":"Established"/, 60_000);
    expect(await birdc("show", "protocols", "node")).toMatch(/node\s+BGP\s+---\s+up\s+\S+\s+Established/);
  });

  it("gets the IPv4 VIP into BIRD's kernel via inet6 fe80::..., and the VIP answers over the link", async () => {
    agent.send(JSON.stringify({ op: "announce", routes: [{ prefix: `${VIP4}/32`, localPref: 0, communities: [], peers: ["tor"] } satisfies BGPRoute] }));
    const installed = await eventually(async () => {
      const { stdout } = await bed.router.exec(["ip", "-4", "route", "show", VIP4]);
      return stdout.includes("via inet6") ? stdout.trim() : undefined;
    }, "the IPv4 VIP route in BIRD's kernel", { timeoutMs: 15_000 });
    expect(installed).toMatch(new RegExp(`^${VIP4.replace(/\./g, "\\.")} via inet6 ${nodeLinkLocal} dev ${ROUTER_LINK} proto bird`));
    const ping = await bed.router.exec(["ping", "-c", "1", "-W", "2", VIP4]);
    expect(ping.stdout).toMatch(/1 packets transmitted, 1 received/);
  });
});
