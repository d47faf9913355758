import { afterEach, describe, expect, it } from "vitest";
import { existsSync, readFileSync } from "node:fs";
import { Bed, BRIDGE_MAC, listBedNamespaces, nodeCommand, runInNamespace } from "./bed";
import { run, Spawned } from "./process";

const beds: Bed[] = [];
afterEach(async () => {
  for (const bed of beds.splice(0)) await bed.destroy();
});
async function newBed(nodes: number): Promise<Bed> {
  const bed = await Bed.create({ nodes });
  beds.push(bed);
  return bed;
}

/** Gone: no /proc entry, or a zombie waiting for a parent that is not ours to reap it. */
const gone = (pid: number): boolean =>
  !existsSync(`/proc/${pid}`) || / Z /.test(readFileSync(`/proc/${pid}/stat`, "utf8").replace(/^.*\)/, ""));

const hostLinks = async (): Promise<string[]> =>
  (JSON.parse((await run(["ip", "-json", "link", "show"])).stdout) as { ifname: string }[]).map((l) => l.ifname).sort();

describe("Bed", () => {
  it("builds a router with a bridge and nodes on it, touching nothing in the host namespace", async () => {
    const before = await hostLinks();
    const bed = await newBed(2);
    expect(await hostLinks()).toEqual(before);
    expect(bed.namespaces.map((ns) => ns.name)).toEqual([`ls-${bed.id}-router`, `ls-${bed.id}-node1`, `ls-${bed.id}-node2`]);
    expect(bed.id).toMatch(/^[0-9a-f]{6}$/);
    expect(await listBedNamespaces()).toEqual(expect.arrayContaining(bed.namespaces.map((ns) => ns.name)));
    expect(bed.nodes.map((n) => [n.ifname, n.ipv4, n.ipv6, n.bridgePort])).toEqual([
      ["eth0", "192.0.2.11", "2001:db8::11", "n1"],
      ["eth0", "192.0.2.12", "2001:db8::12", "n2"],
    ]);

    const node = bed.nodes[0]!;
    const addrs = JSON.parse((await node.ns.exec(["ip", "-json", "addr", "show", "eth0"])).stdout) as {
      address: string;
      addr_info: { local: string; prefixlen: number; scope: string }[];
    }[];
    expect(addrs[0]?.address).toBe(node.mac);
    expect(addrs[0]?.addr_info.filter((a) => a.scope === "global").map((a) => `${a.local}/${a.prefixlen}`)).toEqual([
      "192.0.2.11/24",
      "2001:db8::11/64",
    ]);

    const bridge = JSON.parse((await bed.router.exec(["ip", "-d", "-json", "link", "show", "br0"])).stdout) as {
      linkinfo: { info_data: { stp_state: number; forward_delay: number } };
    }[];
    expect(bridge[0]?.linkinfo.info_data).toMatchObject({ stp_state: 0, forward_delay: 0 });
    const ports = (await bed.router.exec(["ip", "-o", "link", "show", "master", "br0"])).stdout;
    expect(ports).toMatch(/n1@if\d+:/);
    expect(ports).toMatch(/n2@if\d+:/);

    const sysctl = async (key: string) => (await node.ns.exec(["sysctl", "-n", key])).stdout.trim();
    expect(await sysctl("net.ipv4.conf.all.arp_ignore")).toBe("1");
    expect(await sysctl("net.ipv4.conf.all.arp_announce")).toBe("2");
    expect(await sysctl("net.ipv6.conf.eth0.accept_dad")).toBe("0");
    expect(await sysctl("net.ipv6.conf.eth0.accept_ra")).toBe("0");
    expect(await sysctl("net.ipv6.conf.eth0.keep_addr_on_down")).toBe("1");
  });

  it("connects nodes to each other and to the router over IPv4 and IPv6", async () => {
    const bed = await newBed(2);
    const [node1, node2] = bed.nodes as [NonNullable<(typeof bed.nodes)[0]>, NonNullable<(typeof bed.nodes)[0]>];
    for (const target of [node2.ipv4, node2.ipv6, "192.0.2.1", "2001:db8::1"]) {
      const { stdout } = await node1.ns.exec(["ping", "-c", "1", "-W", "2", target]);
      expect(stdout).toContain("1 received");
    }
  });

  it("keeps the bridge's MAC when the host whose port has the lowest MAC is deleted (the router's MAC never moves)", async () => {
    const bed = await newBed(2);
    const [node1, node2] = bed.nodes as [NonNullable<(typeof bed.nodes)[0]>, NonNullable<(typeof bed.nodes)[0]>];
    const brMac = async (): Promise<string> => (await bed.router.exec(["cat", "/sys/class/net/br0/address"])).stdout.trim();
    expect(await brMac()).toBe(BRIDGE_MAC);
    // The lowest MAC of all ports: an unset bridge address would follow it, then change when it goes.
    await bed.router.ip([`link set ${node1.bridgePort} address 02:00:00:00:00:01`]);
    await run(["ip", "netns", "del", node1.ns.name]);
    // The namespace (and with it the veth pair) is destroyed asynchronously: wait for the port to go.
    while ((await bed.router.exec(["ip", "-o", "link", "show", "master", "br0"])).stdout.includes(`${node1.bridgePort}@`)) {
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(await brMac()).toBe(BRIDGE_MAC);
    const { stdout } = await node2.ns.exec(["ping", "-c", "1", "-W", "2", "192.0.2.1"]);
    expect(stdout).toContain("1 received");
  });

  it("takes a link down and up and keeps its IPv6 address", async () => {
    const bed = await newBed(1);
    const node = bed.nodes[0]!;
    await node.ns.linkSet("eth0", "down");
    expect((await node.ns.exec(["ip", "-o", "link", "show", "eth0"])).stdout).toContain("state DOWN");
    await node.ns.linkSet("eth0", "up");
    expect((await node.ns.exec(["ip", "-o", "addr", "show", "eth0"])).stdout).toContain("inet6 2001:db8::11/64");
    const { stdout } = await node.ns.exec(["ping", "-6", "-c", "1", "-W", "2", "2001:db8::1"]);
    expect(stdout).toContain("1 received");
  });

  it("runs commands and Node scripts inside a namespace", async () => {
    const bed = await newBed(1);
    const node = bed.nodes[0]!;
    expect((await node.ns.exec(["ip", "-o", "link", "show", "eth0"])).stdout).toContain("eth0@if");
    const child = node.ns.runNode("hack/netns/testkit/fixture.ts", ["interfaces"]);
    expect(await child.waitForLine(/^interfaces/, 20_000)).toBe("interfaces eth0,lo");
    const standalone = runInNamespace(node.ns.name, "hack/netns/testkit/fixture.ts", ["interfaces"]);
    expect(await standalone.waitForLine(/^interfaces/, 20_000)).toBe("interfaces eth0,lo");
    expect(await standalone.exited).toEqual({ code: 0, signal: null });
    await expect(node.ns.exec(["false"])).rejects.toThrow(`ip netns exec ${node.ns.name} false failed (1)`);
  });

  it("teardown kills what it started and what else runs inside, and deletes every namespace", async () => {
    const bed = await newBed(2);
    const spawned = bed.nodes[0]!.ns.spawn(["sleep", "600"]);
    // A daemon that detaches from its parent: found through `ip netns pids`.
    const { stdout } = await bed.nodes[1]!.ns.exec(["sh", "-c", "sleep 600 >/dev/null 2>&1 & echo $!"]);
    const orphan = Number(stdout.trim());
    expect(await bed.nodes[1]!.ns.pids()).toContain(orphan);
    expect(spawned.running).toBe(true);

    const names = bed.namespaces.map((ns) => ns.name);
    await bed.destroy();
    await bed.destroy();
    expect(spawned.running).toBe(false);
    expect(gone(spawned.pid)).toBe(true);
    expect(gone(orphan)).toBe(true);
    const left = await listBedNamespaces();
    expect(names.filter((name) => left.includes(name))).toEqual([]);
  });

  it("tears down when the process exits without calling destroy", async () => {
    const child = new Spawned(nodeCommand("hack/netns/testkit/fixture.ts", ["exit"]), { cwd: process.cwd() });
    const line = await child.waitForLine(/^bed /, 20_000);
    const { namespaces, pid } = JSON.parse(line.slice(4)) as { namespaces: string[]; pid: number };
    expect(await child.exited).toEqual({ code: 0, signal: null });
    expect(gone(pid)).toBe(true);
    const left = await listBedNamespaces();
    expect(namespaces.filter((name) => left.includes(name))).toEqual([]);
  });

  it("tears down when the process is terminated by SIGTERM", async () => {
    const child = new Spawned(nodeCommand("hack/netns/testkit/fixture.ts", ["wait"]), { cwd: process.cwd() });
    const line = await child.waitForLine(/^bed /, 20_000);
    const { namespaces, pid } = JSON.parse(line.slice(4)) as { namespaces: string[]; pid: number };
    expect(await listBedNamespaces()).toEqual(expect.arrayContaining(namespaces));
    process.kill(child.pid, "SIGTERM");
    expect(await child.exited).toEqual({ code: null, signal: "SIGTERM" });
    expect(gone(pid)).toBe(true);
    const left = await listBedNamespaces();
    expect(namespaces.filter((name) => left.includes(name))).toEqual([]);
  });
});
