/**
 * The addon across real links, as root: a bed with a router namespace (bridge br0, 192.0.2.1,
 * 2001:db8::1) and two nodes (eth0 192.0.2.11 / .12). Addon code runs in helper processes inside the
 * node namespaces (test/native/agent.ts); the tests wait on their output lines, never on time.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Bed, REPO_ROOT, type Host } from "../hack/netns/bed";
import { run, type Spawned } from "../hack/netns/process";

let bed: Bed;
let node1: Host;
let node2: Host;

beforeAll(async () => {
  bed = await Bed.create({ nodes: 2 });
  [node1, node2] = bed.nodes as [Host, Host];
});
afterAll(async () => {
  await bed?.destroy();
});

const agent = (host: Host, ...args: string[]): Spawned => host.ns.runNode("test/native/agent.ts", args);
const json = (line: string): unknown => JSON.parse(line.slice(line.indexOf(" ") + 1));

describe("packet sockets", () => {
  it("receives an ARP request through uv_poll and answers it; arping gets the reply", async () => {
    const responder = agent(node1, "arp-responder", "eth0", "192.0.2.200");
    const ready = json(await responder.waitForLine(/^ready /, 20_000)) as { mac: string; ifindex: number };
    expect(ready.mac).toBe(node1.mac);

    const arping = await bed.router.exec(["arping", "-c", "1", "-w", "5", "-I", "br0", "192.0.2.200"]);
    expect(arping.stdout).toContain(`Unicast reply from 192.0.2.200 [${node1.mac.toUpperCase()}]`);
    expect(arping.stdout).toContain("Received 1 response(s)");

    const seen = json(await responder.waitForLine(/^frame .*"targetIp":"192.0.2.200"/)) as Record<string, unknown>;
    expect(seen).toEqual({
      op: 1,
      dstMac: "ff:ff:ff:ff:ff:ff",
      senderMac: expect.stringMatching(/^[0-9a-f:]{17}$/),
      senderIp: "192.0.2.1",
      targetIp: "192.0.2.200",
      ifindex: ready.ifindex,
      pkttype: 1,
    });
    await responder.waitForLine("replied");
    // Our own reply went out on the same socket but is not delivered back (outgoing frames are skipped).
    expect(responder.stdoutLines.filter((line) => line.includes('"op":2'))).toEqual([]);
    await responder.kill();
  });

  it("joins and leaves an IPv6 solicited-node group and receives the solicitation", async () => {
    const sniffer = agent(node1, "sniff", "eth0", String(0x86dd), "ndp");
    await sniffer.waitForLine("ready", 20_000);
    sniffer.send("join 33:33:ff:00:02:00");
    await sniffer.waitForNewLine("done join");
    const groups = async () => (await node1.ns.exec(["ip", "maddr", "show", "dev", "eth0"])).stdout;
    expect(await groups()).toContain("link  33:33:ff:00:02:00");

    // The router resolves 2001:db8::200: a Neighbor Solicitation to ff02::1:ff00:200.
    await bed.router.exec(["ping", "-6", "-c", "1", "-W", "1", "2001:db8::200"]).catch(() => undefined);
    const line = await sniffer.waitForLine(/^frame 86dd 2 3333ff000200/);
    const frame = Buffer.from(line.split(" ")[3] ?? "", "hex");
    expect(frame[20]).toBe(58); // ICMPv6
    expect(frame[21]).toBe(255); // hop limit
    expect(frame[54]).toBe(135); // Neighbor Solicitation
    expect(frame.subarray(62, 78).toString("hex")).toBe("20010db8000000000000000000000200"); // target

    sniffer.send("drop 33:33:ff:00:02:00");
    await sniffer.waitForNewLine("done drop");
    expect(await groups()).not.toContain("33:33:ff:00:02:00");
    sniffer.send("join 01:00:5e:00:00:fb");
    await sniffer.waitForNewLine("done join");
    expect(await groups()).toContain("link  01:00:5e:00:00:fb");
    sniffer.send("close");
    await sniffer.waitForNewLine("done close");
    // Closing the socket leaves every group it joined.
    expect(await groups()).not.toContain("01:00:5e:00:00:fb");
    sniffer.send("join 33:33:ff:00:02:00");
    expect(await sniffer.waitForLine(/^error join/)).toBe("error join EBADF packet socket on eth0 is closed");
    await sniffer.kill();
  });

  it("a BPF filter keeps non-matching frames out of the socket", async () => {
    const all = agent(node1, "sniff", "eth0", "3", "none");
    const arpOnly = agent(node1, "sniff", "eth0", "3", "arp");
    await Promise.all([all.waitForLine("ready", 20_000), arpOnly.waitForLine("ready", 20_000)]);
    await bed.router.exec(["arping", "-c", "1", "-w", "5", "-I", "br0", node1.ipv4]);
    await bed.router.exec(["ping", "-c", "1", "-W", "2", node1.ipv4]);
    // Both sockets get each frame at the same moment; once the unfiltered one has seen the echo request,
    // the filtered one has seen everything it will ever see of this traffic.
    await all.waitForLine(/^frame 800 0 /);
    await arpOnly.waitForLine(/^frame 806 /);
    const types = (p: Spawned) => new Set(p.stdoutLines.filter((l) => l.startsWith("frame ")).map((l) => l.split(" ")[1]));
    expect(types(all)).toContain("800");
    expect(types(arpOnly)).toEqual(new Set(["806"]));
    await Promise.all([all.kill(), arpOnly.kill()]);
  });

  it("changes filter, allmulti, promiscuity and reception on an open socket", async () => {
    const sniffer = agent(node1, "sniff", "eth0", "3", "none", "out");
    await sniffer.waitForLine("ready", 20_000);
    const command = async (line: string): Promise<string> => {
      const reply = sniffer.waitForNewLine(/^(done|error) /);
      sniffer.send(line);
      return reply;
    };
    // Memberships count in the device's promiscuity / allmulti counters (not in its user-set flags).
    const counters = async () => {
      const [link] = JSON.parse((await node1.ns.exec(["ip", "-d", "-json", "link", "show", "eth0"])).stdout) as { promiscuity: number; allmulti: number }[];
      return { promiscuity: link?.promiscuity, allmulti: link?.allmulti };
    };

    // Outgoing frames on request: node1's echo reply (pkttype 4).
    await bed.router.exec(["ping", "-c", "1", "-W", "2", node1.ipv4]);
    await sniffer.waitForLine(/^frame 800 4 /);

    expect(await counters()).toEqual({ promiscuity: 0, allmulti: 0 });
    expect(await command("allmulti on")).toBe("done allmulti");
    expect(await counters()).toEqual({ promiscuity: 0, allmulti: 1 });
    expect(await command("allmulti off")).toBe("done allmulti");
    expect(await command("promisc on")).toBe("done promisc");
    expect(await counters()).toEqual({ promiscuity: 1, allmulti: 0 });
    expect(await command("promisc off")).toBe("done promisc");
    expect(await counters()).toEqual({ promiscuity: 0, allmulti: 0 });

    expect(await command("filter bogus")).toBe("error filter EINVAL setsockopt(SO_ATTACH_FILTER) eth0: Invalid argument (EINVAL)");
    expect(await command("filter arp")).toBe("done filter");
    const afterFilter = sniffer.stdoutLines.length;
    await bed.router.exec(["ping", "-c", "1", "-W", "2", node1.ipv4]);
    await bed.router.exec(["arping", "-c", "1", "-w", "5", "-I", "br0", node1.ipv4]);
    await sniffer.waitForNewLine(/^frame 806 4 /); // node1's ARP reply, after the echo reply would have been
    const typesSince = (from: number) => new Set(sniffer.stdoutLines.slice(from).filter((l) => l.startsWith("frame ")).map((l) => l.split(" ")[1]));
    expect(typesSince(afterFilter)).toEqual(new Set(["806"]));

    // Stopped, the socket keeps queueing in the kernel; started again, the queued frame arrives.
    expect(await command("stop")).toBe("done stop");
    const afterStop = sniffer.stdoutLines.length;
    await bed.router.exec(["arping", "-c", "1", "-w", "5", "-I", "br0", node1.ipv4]);
    expect(sniffer.stdoutLines.slice(afterStop).filter((l) => l.startsWith("frame "))).toEqual([]);
    const queued = sniffer.waitForNewLine(/^frame 806 1 /);
    expect(await command("start")).toBe("done start");
    const frameLine = await queued;
    expect(frameLine).toMatch(/^frame 806 1 ffffffffffff/);
    // Delivered only once started again: the agent printed it after acknowledging "start".
    expect(sniffer.stdoutLines.lastIndexOf(frameLine)).toBeGreaterThan(sniffer.stdoutLines.lastIndexOf("done start"));

    // Unreferenced, a receiving socket no longer keeps the process alive.
    expect(await command("unref")).toBe("done unref");
    sniffer.child.stdin?.end();
    expect(await sniffer.exited).toEqual({ code: 0, signal: null });
  });

  it("throws ENODEV for an interface that exists only in another namespace", async () => {
    const sniffer = agent(node1, "sniff", "br0", "3", "none");
    expect(await sniffer.waitForLine(/^error /, 20_000)).toBe("error ENODEV if_nametoindex br0: No such device (ENODEV)");
  });
});

describe("the benchmark's C ARP client (test/native/arp-flood.c)", () => {
  it("times every answered request, counts the unanswered ones as lost, keeps a window in flight", async () => {
    const dir = mkdtempSync(join(tmpdir(), "lodestone-arp-flood-"));
    const binary = join(dir, "arp-flood");
    const responder = agent(node1, "arp-responder", "eth0", "192.0.2.201");
    try {
      await run(["cc", "-O2", "-Wall", "-Werror", "-o", binary, join(REPO_ROOT, "test", "native", "arp-flood.c")], { timeoutMs: 60_000 });
      await responder.waitForLine(/^ready /, 20_000);
      const flood = async (...args: string[]): Promise<Record<string, unknown>> =>
        JSON.parse((await bed.router.exec([binary, "br0", ...args])).stdout) as Record<string, unknown>;

      const latency = await flood("192.0.2.201", "latency", "20");
      expect(latency).toMatchObject({ requests: 20, lost: 0, client: "c" });
      expect(latency["p50_us"]).toBeGreaterThan(0);
      expect(latency["p99_us"]).toBeGreaterThanOrEqual(latency["p50_us"] as number);
      // The responder saw 20 distinct senders from the RFC 2544 range, one per request.
      await responder.waitForLine('"senderIp":"198.18.0.20"');
      const senders = new Set(responder.stdoutLines.filter(l => l.includes('"targetIp":"192.0.2.201"')).map(l => /"senderIp":"([^"]+)"/.exec(l)?.[1]));
      expect([...senders].sort()).toEqual(Array.from({ length: 20 }, (_, i) => `198.18.0.${i + 1}`).sort());

      // Nobody owns 192.0.2.202: every request is lost after its 200 ms.
      expect(await flood("192.0.2.202", "latency", "3")).toMatchObject({ requests: 3, lost: 3 });

      const throughput = await flood("192.0.2.201", "throughput", "300", "8");
      expect(throughput).toMatchObject({ window: 8, client: "c" });
      const sent = throughput["sent"] as number;
      const replies = throughput["replies"] as number;
      expect(replies).toBeGreaterThan(0);
      // At most a window's worth is still unanswered when the time is up.
      expect(sent - replies).toBeGreaterThanOrEqual(0);
      expect(sent - replies).toBeLessThanOrEqual(8);
    } finally {
      await responder.kill();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("TCP MD5 between namespaces", () => {
  for (const family of ["4", "6"] as const) {
    const server = () => (family === "4" ? node1.ipv4 : node1.ipv6);
    const client = () => (family === "4" ? node2.ipv4 : node2.ipv6);

    it(`IPv${family}: the matching key connects, a wrong or missing key times out`, async () => {
      const port = family === "4" ? "1179" : "1180";
      const listener = agent(node1, "md5-server", server(), port, client(), "bgp-secret");
      await listener.waitForLine("listening", 20_000);
      const good = agent(node2, "md5-client", family, server(), port, "bgp-secret", "3000");
      const wrong = agent(node2, "md5-client", family, server(), port, "not-the-secret", "1500");
      const none = agent(node2, "md5-client", family, server(), port, "-", "1500");
      expect(await good.waitForLine(/^(connected|timeout|error)/, 20_000)).toBe("connected hello from server");
      expect(await wrong.waitForLine(/^(connected|timeout|error)/, 20_000)).toBe("timeout");
      expect(await none.waitForLine(/^(connected|timeout|error)/, 20_000)).toBe("timeout");
      expect(listener.stdoutLines.filter((l) => l.startsWith("accepted"))).toEqual([`accepted ${family === "4" ? client() : client()}`]);
      await listener.kill();
    });
  }
});

describe("TTL filter on UDP between namespaces", () => {
  for (const family of ["4", "6"] as const) {
    it(`IPv${family}: only packets sent with TTL 255 reach the BFD socket`, async () => {
      const address = family === "4" ? node1.ipv4 : node1.ipv6;
      const receiver = agent(node1, "udp-recv", address, "3784", "255");
      await receiver.waitForLine("ready", 20_000);
      const sender = agent(node2, "udp-send", address, "3784", "255:first", "254:low", "1:lowest", "255:last");
      await sender.waitForLine("sent", 20_000);
      await receiver.waitForLine("message last");
      expect(receiver.stdoutLines.filter((l) => l.startsWith("message"))).toEqual(["message first", "message last"]);
      await receiver.kill();
    });
  }
});
