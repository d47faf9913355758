/**
 * The ARP socket's kernel filter, narrowed to the IPv4 addresses this node owns: Ethernet/IPv4 ARP
 * requests whose target address is one of them. Every node hears every broadcast ARP request on the
 * segment; with this filter a node wakes up only for the questions it answers, so a flood of requests
 * for other addresses (or for IPs another node owns) costs it nothing. The socket's filter is
 * replaced whenever the owned set changes (ports.ts).
 *
 * Classic BPF jumps reach at most 255 instructions ahead, so beyond MAX_FILTERED_IPS addresses the
 * general ARP filter is used and the responder does the selection.
 */
import { ACCEPT, BPF_MAXINSNS, DROP, ETH_P_ARP, ETH_P_IPV6, ICMPV6_NEIGHBOR_SOLICITATION, arpFilter, assemble, jeq, label, ldb, ldh, ldw, ndpFilter, ret, type AsmStep, type BpfInsn } from "../../native/bpf";
import { ipv4ToNumber } from "../../protocols/l2/arp";
import { ipv6ToBytes } from "../../protocols/l2/ndp";

export const MAX_FILTERED_IPS = 200;

function ipv4Number(ip: string): number {
  const n = ipv4ToNumber(ip);
  if (n === undefined) throw new Error(`not an IPv4 address: ${JSON.stringify(ip)}`);
  return n;
}

export function ownedArpFilter(ips: readonly string[]): BpfInsn[] {
  const v4 = [...new Set(ips.filter(ip => !ip.includes(":")))].sort();
  if (v4.length > MAX_FILTERED_IPS) return arpFilter();
  return assemble([
    ldh(12), jeq(ETH_P_ARP, undefined, "drop"),
    ldw(14), jeq(0x0001_0800, undefined, "drop"),
    ldh(18), jeq(0x0604, undefined, "drop"),
    ldh(20), jeq(1, undefined, "drop"),
    ldw(38),
    ...v4.map(ip => jeq(ipv4Number(ip), "accept")),
    ret(DROP),
    label("accept"), ret(ACCEPT),
    label("drop"), ret(DROP),
  ]);
}

/** Instructions per owned address in ownedNdpFilter (four word compares and an accept). */
const NDP_STEPS_PER_IP = 9;
/** Beyond this many IPv6 addresses the general solicitation filter is used (BPF_MAXINSNS). */
export const MAX_FILTERED_IPV6 = Math.floor((BPF_MAXINSNS - 16) / NDP_STEPS_PER_IP);

/** Goes on when the accumulator equals k, returns DROP otherwise: no jump ever spans more than one. */
const passIf = (k: number, name: string): AsmStep[] => [jeq(k, name), ret(DROP), label(name)];

/**
 * The IPv6 socket's filter, narrowed like the ARP one: Neighbor Solicitations (ICMPv6 type 135, hop
 * limit 255, no extension header) whose target address is one of the owned IPv6 addresses. The
 * socket already joins only the owned addresses' solicited-node groups, but a group is shared by every
 * address ending in the same 24 bits, and unicast probes and other ICMPv6 reach it too. Each address is
 * four 32-bit compares of the target (frame offset 62) with local jumps, so the program grows linearly
 * up to MAX_FILTERED_IPV6 addresses.
 */
export function ownedNdpFilter(ips: readonly string[]): BpfInsn[] {
  const v6 = [...new Set(ips.filter(ip => ip.includes(":")))].sort();
  if (v6.length > MAX_FILTERED_IPV6) return ndpFilter([ICMPV6_NEIGHBOR_SOLICITATION]);
  const steps: AsmStep[] = [
    ldh(12), ...passIf(ETH_P_IPV6, "ipv6"),
    ldb(20), ...passIf(58, "icmpv6"),
    ldb(21), ...passIf(255, "on-link"),
    ldb(54), ...passIf(ICMPV6_NEIGHBOR_SOLICITATION, "solicitation"),
  ];
  v6.forEach((ip, i) => {
    const bytes = ipv6ToBytes(ip);
    const next = `not-${i}`;
    for (let w = 0; w < 4; w++) steps.push(ldw(62 + 4 * w), jeq(bytes.readUInt32BE(4 * w), undefined, next));
    steps.push(ret(ACCEPT), label(next));
  });
  steps.push(ret(DROP));
  return assemble(steps);
}
