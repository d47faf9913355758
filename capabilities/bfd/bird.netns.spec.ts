/**
 * Our BFD session against BIRD 2's BFD in the bed's router namespace. Needs root; the bed builds
 * and removes the namespaces.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Bed, ROUTER_IPV4, type Spawned } from "../../hack/netns";

/** Polls `probe` (birdc has no way to wait for a state) until it holds or the deadline passes. */
async function eventually(probe: () => Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise(r => setTimeout(r, 100));
  }
}

describe("BFD session against BIRD", () => {
  let bed: Bed;
  let dir: string;
  let speaker: Spawned;
  const birdc = async (...args: string[]) => (await bed.router.exec(["birdc", "-s", join(dir, "bird.ctl"), ...args])).stdout;

  beforeAll(async () => {
    bed = await Bed.create({ nodes: 1 });
    dir = mkdtempSync(join(tmpdir(), "lodestone-bfd-"));
    chmodSync(dir, 0o755);
    const node = bed.nodes[0];
    if (!node) throw new Error("no node");
    writeFileSync(
      join(dir, "bird.conf"),
      `router id ${ROUTER_IPV4};
protocol device {}
protocol bfd {
  interface "br0" { min rx interval 300 ms; min tx interval 300 ms; multiplier 3; };
  neighbor ${node.ipv4} local ${ROUTER_IPV4};
}
`,
    );
    bed.router.spawn(["bird", "-f", "-c", join(dir, "bird.conf"), "-s", join(dir, "bird.ctl")]);
    await eventually(async () => (await birdc("show", "status").catch(() => "")).includes("Daemon is up and running"), "BIRD to start");
    speaker = node.ns.runNode("capabilities/bfd/testkit/bfd-speaker.ts", [node.ipv4, ROUTER_IPV4]);
  });

  afterAll(async () => {
    await bed?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("comes Up on both sides, and BIRD sees it go down when we go AdminDown", async () => {
    const node = bed.nodes[0];
    if (!node) throw new Error("no node");
    await speaker.waitForLine("bfd Up diag 0", 15_000);
    const upLine = new RegExp(`${node.ipv4.replace(/\./g, "\\.")}\\s+br0\\s+Up`);
    await eventually(async () => upLine.test(await birdc("show", "bfd", "sessions")), "BIRD to report the session Up");
    speaker.send("stop");
    await eventually(async () => !upLine.test(await birdc("show", "bfd", "sessions")), "BIRD to see the session go down", 5_000);
    expect(await birdc("show", "bfd", "sessions")).toMatch(new RegExp(`${node.ipv4.replace(/\./g, "\\.")}\\s+br0\\s+Down`));
  });
});
