/**
 * Our session against a real router: BIRD 2 in the bed's router namespace, our speaker in a node
 * namespace. Needs root; the bed builds and removes the namespaces.
 */
import { mkdtempSync, rmSync, writeFileSync, chmodSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Bed, ROUTER_IPV4, type Spawned } from "../../hack/netns";

const POLL_MS = 100;

/** Runs `probe` until it returns a value or the deadline passes (birdc has no way to wait for a route). */
async function eventually<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 15_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise(r => setTimeout(r, POLL_MS));
  }
}

describe("BGP session against BIRD", () => {
  let bed: Bed;
  let dir: string;
  let speaker: Spawned;
  const socket = () => join(dir, "bird.ctl");
  const birdc = async (...args: string[]) => (await bed.router.exec(["birdc", "-s", socket(), ...args])).stdout;

  beforeAll(async () => {
    bed = await Bed.create({ nodes: 1 });
    dir = mkdtempSync(join(tmpdir(), "lodestone-bird-"));
    chmodSync(dir, 0o755);
    const node = bed.nodes[0];
    if (!node) throw new Error("no node");
    writeFileSync(
      join(dir, "bird.conf"),
      `router id ${ROUTER_IPV4};
protocol device {}
protocol kernel { ipv4 { export all; }; }
protocol kernel { ipv6 { export all; }; }
protocol bgp lodestone {
  local ${ROUTER_IPV4} as 64500;
  neighbor ${node.ipv4} as 64512;
  passive on;
  hold time 9;
  ipv4 { import all; export none; };
  ipv6 { import all; export none; };
}
`,
    );
    const bird = bed.router.spawn(["bird", "-f", "-c", join(dir, "bird.conf"), "-s", socket()]);
    void bird;
    await eventually(async () => ((await birdc("show", "status").catch(() => "")).includes("Daemon is up and running") ? true : undefined), "BIRD to start");
    speaker = node.ns.runNode("capabilities/bgp/testkit/speaker.ts", [ROUTER_IPV4, node.ipv4, "64512", "64500"]);
  });

  afterAll(async () => {
    await bed?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("comes up, and BIRD installs our /32 and /128 with the node as next hop, then removes them", async () => {
    const node = bed.nodes[0];
    if (!node) throw new Error("no node");
    await speaker.waitForLine("state Established", 20_000);
    speaker.send(`announce 198.51.100.7/32 ${node.ipv4}`);
    speaker.send(`announce 2001:db8:5::7/128 ${node.ipv6}`);

    const v4 = await eventually(async () => {
      const out = (await bed.router.exec(["ip", "-4", "route", "show", "198.51.100.7"])).stdout.trim();
      return out === "" ? undefined : out;
    }, "the IPv4 route in the router's kernel");
    expect(v4).toBe(`198.51.100.7 via ${node.ipv4} dev br0 proto bird metric 32`);
    const table = await birdc("show", "route", "198.51.100.7/32", "all");
    expect(table).toContain(`via ${node.ipv4} on br0`);
    expect(table).toContain("BGP.as_path: 64512");
    expect(table).toContain(`BGP.next_hop: ${node.ipv4}`);

    const v6 = await eventually(async () => {
      const out = (await bed.router.exec(["ip", "-6", "route", "show", "2001:db8:5::7"])).stdout.trim();
      return out === "" ? undefined : out;
    }, "the IPv6 route in the router's kernel");
    expect(v6).toMatch(new RegExp(`^2001:db8:5::7 via ${node.ipv6} dev br0 proto bird metric 32`));

    speaker.send("withdraw 198.51.100.7/32");
    await eventually(async () => ((await bed.router.exec(["ip", "-4", "route", "show", "198.51.100.7"])).stdout.trim() === "" ? true : undefined), "the route to go");
    expect(await birdc("show", "protocols", "lodestone")).toMatch(/lodestone\s+BGP\s+---\s+up\s+\S+\s+Established/);
  });
});
