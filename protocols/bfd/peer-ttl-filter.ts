/**
 * The socket filter of a multihop BFD receiving socket (RFC 5883 5): each peer has its own lowest
 * acceptable TTL (its BFDProfile's minimumTtl), and one socket on (local address, 4784) receives for
 * all of them, since the kernel delivers a unicast datagram to one socket only. Node cannot read a
 * datagram's TTL, so the kernel checks it: the program compares the source address with each peer's,
 * then the TTL with that peer's minimum; packets from anyone else are dropped (no session would take
 * them anyway).
 *
 * Every block ends in its own returns, so every jump is short; a program too long for the kernel
 * (thousands of peers on one address) is refused, and the caller falls back to the lowest minimum.
 */
import { ACCEPT, assemble, BPF_MAXINSNS, DROP, jeq, jge, label, ldb, ldw, ret, rsh, SKF_NET_OFF, type AsmStep, type BpfInsn } from "../../native/bpf";
import { parseIP } from "../../core/net/ip";

/** IPv4: TTL at 8, source at 12. IPv6: hop limit at 7, source at 8..23. */
const TTL_OFFSET = { IPv4: 8, IPv6: 7 } as const;
const SOURCE_OFFSET = { IPv4: 12, IPv6: 8 } as const;

/** `minimumTtl` by peer address; all peers of one family (the socket's). */
export function peerTtlFilter(minimumTtlByPeer: ReadonlyMap<string, number>): BpfInsn[] {
  const peers = [...minimumTtlByPeer].map(([address, minTtl]) => {
    const ip = parseIP(address);
    if (!ip) throw new Error(`bfd filter: ${address} is not an IP address`);
    if (!Number.isInteger(minTtl) || minTtl < 0 || minTtl > 255) throw new Error(`bfd filter: minimum TTL ${minTtl} for ${address} is not 0..255`);
    return { ip, minTtl };
  });
  const family = peers[0]?.ip.family ?? "IPv4";
  if (peers.some(p => p.ip.family !== family)) throw new Error("bfd filter: peers of both families on one socket");
  const steps: AsmStep[] = [ldb(SKF_NET_OFF), rsh(4), jeq(family === "IPv4" ? 4 : 6, "peers"), ret(DROP), label("peers")];
  peers.forEach(({ ip, minTtl }, i) => {
    const words = family === "IPv4" ? 1 : 4;
    for (let w = 0; w < words; w++) {
      const word = Number((ip.value >> BigInt(32 * (words - 1 - w))) & 0xffffffffn);
      steps.push(ldw(SKF_NET_OFF + SOURCE_OFFSET[family] + 4 * w), jeq(word, undefined, `next${i}`));
    }
    steps.push(ldb(SKF_NET_OFF + TTL_OFFSET[family]), jge(minTtl, `accept${i}`, `drop${i}`));
    steps.push(label(`accept${i}`), ret(ACCEPT), label(`drop${i}`), ret(DROP), label(`next${i}`));
  });
  steps.push(ret(DROP));
  const program = assemble(steps);
  if (program.length > BPF_MAXINSNS) throw new Error(`bfd filter: ${program.length} instructions for ${peers.length} peers is more than the kernel takes`);
  return program;
}
