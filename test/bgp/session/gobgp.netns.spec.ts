/**
 * Our session against GoBGP (gobgpd in the bed's router namespace, our speaker in a node
 * namespace): GoBGP's decoder checks our UPDATEs, including 4-octet AS paths and MP_REACH_NLRI.
 * Needs root; the bed builds and removes the namespaces.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Bed, ROUTER_IPV4, type Spawned } from "../../../hack/netns";

const API = "127.0.0.1";
const API_PORT = "50151";

interface RibPath {
  nlri: { prefix: string };
  attrs: { type: number; value?: unknown; nexthop?: string; as_paths?: { segment_type: number; num: number; asns: number[] }[] }[];
}

async function eventually<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise(r => setTimeout(r, 200));
  }
}

describe("BGP session against GoBGP", () => {
  let bed: Bed;
  let dir: string;
  let speaker: Spawned;
  const gobgp = async (...args: string[]) => (await bed.router.exec(["gobgp", "-u", API, "-p", API_PORT, ...args]).catch(() => ({ stdout: "" }))).stdout;

  beforeAll(async () => {
    bed = await Bed.create({ nodes: 1 });
    dir = mkdtempSync(join(tmpdir(), "lodestone-gobgp-"));
    const node = bed.nodes[0];
    if (!node) throw new Error("no node");
    writeFileSync(
      join(dir, "gobgpd.toml"),
      `[global.config]
  as = 64500
  router-id = "${ROUTER_IPV4}"
  port = 179
  local-address-list = ["${ROUTER_IPV4}"]

[[neighbors]]
  [neighbors.config]
    neighbor-address = "${node.ipv4}"
    peer-as = 4200000001
  [neighbors.transport.config]
    passive-mode = true
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "ipv4-unicast"
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "ipv6-unicast"
`,
    );
    bed.router.spawn(["gobgpd", "-f", join(dir, "gobgpd.toml"), "--api-hosts", `${API}:${API_PORT}`, "--pprof-disable"]);
    await eventually(async () => ((await gobgp("global")).includes("AS") ? true : undefined), "gobgpd to start");
    speaker = node.ns.runNode("test/bgp/testkit/speaker.ts", [ROUTER_IPV4, node.ipv4, "4200000001", "64500"]);
  });

  afterAll(async () => {
    await bed?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("accepts our 4-octet-AS session and decodes our IPv4 and IPv6 routes", async () => {
    const node = bed.nodes[0];
    if (!node) throw new Error("no node");
    await speaker.waitForLine("state Established", 20_000);
    speaker.send(`announce 198.51.100.9/32 ${node.ipv4}`);
    speaker.send(`announce 2001:db8:5::9/128 ${node.ipv6}`);
    const rib = async (family: string[]) => {
      const out = await gobgp("global", "rib", ...family, "-j");
      const parsed = out.trim() === "" ? {} : (JSON.parse(out) as Record<string, RibPath[]>);
      return Object.keys(parsed).length > 0 ? parsed : undefined;
    };
    const v4 = await eventually(() => rib([]), "the IPv4 route in GoBGP");
    const path = v4["198.51.100.9/32"]?.[0];
    expect(path?.attrs.find(a => a.type === 3)?.nexthop).toBe(node.ipv4);
    expect(path?.attrs.find(a => a.type === 2)?.as_paths).toEqual([{ segment_type: 2, num: 1, asns: [4200000001] }]);
    const v6 = await eventually(() => rib(["-a", "ipv6"]), "the IPv6 route in GoBGP");
    const mp = v6["2001:db8:5::9/128"]?.[0]?.attrs.find(a => a.type === 14) as { nexthop?: string } | undefined;
    expect(mp?.nexthop).toBe(node.ipv6);

    speaker.send("withdraw 198.51.100.9/32");
    await eventually(async () => ((await rib([]))?.["198.51.100.9/32"] ? undefined : true), "the route to go");
  });
});
