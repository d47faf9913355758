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
import { ACCEPT, DROP, ETH_P_ARP, arpFilter, assemble, jeq, label, ldh, ldw, ret, type BpfInsn } from "../../../native/bpf";

export const MAX_FILTERED_IPS = 200;

const ipv4Number = (ip: string): number => ip.split(".").reduce((acc, part) => acc * 256 + Number(part), 0);

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
