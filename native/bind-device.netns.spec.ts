/**
 * SO_BINDTODEVICE through the addon (tcpSocket's and udpSocket's `device`), as a BGPPeer with `vrf`
 * binds its BGP and BFD sockets to the VRF device. A VRF device puts the socket in the VRF's table;
 * binding to a plain device restricts its routes to that device, which is what is checked here (it
 * needs no VRF support in the kernel): the node has two ways to 203.0.113.1, a /32 via eth0 (the
 * bed's bridge) and the connected /24 on eth1; unbound sockets take eth0, sockets bound to eth1 take
 * eth1. Needs root; the bed builds and removes the namespaces.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Bed, ROUTER_IPV4, type Host } from "../hack/netns/bed";

const ROUTER_LINK = "bd0";
const NODE_LINK = "eth1";
const ROUTER_IP = "203.0.113.1";
const NODE_IP = "203.0.113.2";
const PORT = 1790;

let bed: Bed;
let node: Host;

beforeAll(async () => {
  bed = await Bed.create({ nodes: 1 });
  node = bed.nodes[0] as Host;
  await bed.router.ip([`link add ${ROUTER_LINK} type veth peer name ${NODE_LINK} netns ${node.ns.name}`, `addr add ${ROUTER_IP}/24 dev ${ROUTER_LINK}`, `link set ${ROUTER_LINK} up`]);
  await node.ns.ip([`addr add ${NODE_IP}/24 dev ${NODE_LINK}`, `link set ${NODE_LINK} up`, `route add ${ROUTER_IP}/32 via ${ROUTER_IPV4} dev eth0`]);
  bed.router.spawn(["socat", `TCP-LISTEN:${PORT},bind=${ROUTER_IP},fork,reuseaddr`, "EXEC:/bin/true"]);
  // Counting rules (no target): the datagrams to port 3784 that arrive on each of the router's two links.
  for (const link of [ROUTER_LINK, "br0"]) await bed.router.exec(["iptables", "-A", "INPUT", "-i", link, "-p", "udp", "--dport", "3784"]);
});
afterAll(async () => {
  await bed?.destroy();
});

const run = async (...args: string[]): Promise<string> => node.ns.runNode("test/native/bound-socket.ts", args).waitForLine(/^(local|sent|error) /, 20_000);
/** Datagrams to UDP 3784 counted so far on the router's end of eth1 and on its bridge. */
const arrived = async (): Promise<{ eth1: number; bridge: number }> => {
  const { stdout } = await bed.router.exec(["iptables", "-L", "INPUT", "-v", "-x", "-n"]);
  const count = (link: string) => Number(stdout.split("\n").find(l => new RegExp(`\\s${link}\\s`).test(l))?.trim().split(/\s+/)[0] ?? -1);
  return { eth1: count(ROUTER_LINK), bridge: count("br0") };
};

describe("sockets bound to a device", () => {
  it("TCP: unbound it leaves by the /32 via eth0; bound to eth1 it leaves by eth1, from eth1's address", async () => {
    expect(await run("tcp", "-", ROUTER_IP, String(PORT))).toBe(`local ${node.ipv4}`);
    expect(await run("tcp", NODE_LINK, ROUTER_IP, String(PORT))).toBe(`local ${NODE_IP}`);
  });

  it("UDP through dgram's bind({fd}): bound to eth1 the datagrams arrive on the router's end of eth1", async () => {
    expect(await run("udp", "-", NODE_IP, ROUTER_IP, "3784", "5")).toBe("sent 5");
    expect(await arrived()).toEqual({ eth1: 0, bridge: 5 });
    expect(await run("udp", NODE_LINK, NODE_IP, ROUTER_IP, "3784", "5")).toBe("sent 5");
    expect(await arrived()).toEqual({ eth1: 5, bridge: 5 });
  });

  it("refuses an unknown device with the errno and the device named", async () => {
    expect(await run("tcp", "nosuchdev0", ROUTER_IP, String(PORT))).toBe("error setsockopt(SO_BINDTODEVICE) nosuchdev0: No such device (ENODEV)");
  });
});
