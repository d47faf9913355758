/**
 * Classic BPF programs for the kernel's socket filters (SO_ATTACH_FILTER).
 *
 * A filter runs in the kernel before a frame is queued on a socket, so a responder only wakes for the
 * frames it answers (ARP requests, NDP solicitations) instead of for every frame of its ethertype, and
 * a BFD socket never sees a packet that crossed a router (GTSM, RFC 5082: TTL must be 255).
 *
 * Programs are written with a tiny label assembler (jump targets by name, resolved to the forward
 * offsets classic BPF needs) and are plain arrays the addon copies into a `struct sock_fprog`.
 * `bpf-interpreter.ts` runs them in TS so their behaviour is unit-tested without a kernel.
 */

/** One classic BPF instruction, as `struct sock_filter`. */
export interface BpfInsn {
  readonly code: number;
  readonly jt: number;
  readonly jf: number;
  readonly k: number;
}

// Instruction classes, sizes, modes, operations (linux/bpf_common.h).
export const BPF = {
  LD: 0x00, LDX: 0x01, ST: 0x02, STX: 0x03, ALU: 0x04, JMP: 0x05, RET: 0x06, MISC: 0x07,
  W: 0x00, H: 0x08, B: 0x10,
  IMM: 0x00, ABS: 0x20, IND: 0x40, MEM: 0x60, LEN: 0x80, MSH: 0xa0,
  ADD: 0x00, SUB: 0x10, MUL: 0x20, DIV: 0x30, OR: 0x40, AND: 0x50, LSH: 0x60, RSH: 0x70, NEG: 0x80, MOD: 0x90, XOR: 0xa0,
  JA: 0x00, JEQ: 0x10, JGT: 0x20, JGE: 0x30, JSET: 0x40,
  K: 0x00, X: 0x08, A: 0x10,
  TAX: 0x00, TXA: 0x80,
} as const;

/** Offset base for loads relative to the network header (linux/filter.h SKF_NET_OFF), for filters on
 * UDP/TCP sockets where offset 0 is the transport header. */
export const SKF_NET_OFF = -0x100000;
/** Offset base for loads relative to the link-layer header (SKF_LL_OFF). */
export const SKF_LL_OFF = -0x200000;
/** Largest program the kernel accepts (BPF_MAXINSNS). */
export const BPF_MAXINSNS = 4096;

/** Return value that accepts the whole frame (anything at least the frame's length does). */
export const ACCEPT = 0x40000;
export const DROP = 0;

/** Ethertypes the responders bind to. */
export const ETH_P_ARP = 0x0806;
export const ETH_P_IP = 0x0800;
export const ETH_P_IPV6 = 0x86dd;

export const ICMPV6_NEIGHBOR_SOLICITATION = 135;
export const ICMPV6_NEIGHBOR_ADVERTISEMENT = 136;
export const BFD_SINGLE_HOP_PORT = 3784;
export const BFD_MULTI_HOP_PORT = 4784;

/* ------------------------------------------------------------------------------------------------ */
/* Label assembler                                                                                   */

/** An assembler step: an instruction whose jumps name labels (undefined = fall through), or a label. */
export type AsmStep =
  | { readonly label: string }
  | { readonly code: number; readonly k: number; readonly jt?: string; readonly jf?: string };

const insn = (code: number, k: number, jt?: string, jf?: string): AsmStep => ({ code, k: k >>> 0, jt, jf });

export const ldb = (k: number): AsmStep => insn(BPF.LD | BPF.B | BPF.ABS, k);
export const ldh = (k: number): AsmStep => insn(BPF.LD | BPF.H | BPF.ABS, k);
export const ldw = (k: number): AsmStep => insn(BPF.LD | BPF.W | BPF.ABS, k);
/** A = half-word at X + k. */
export const ldhInd = (k: number): AsmStep => insn(BPF.LD | BPF.H | BPF.IND, k);
/** X = 4 * (byte at k & 0x0f): the IPv4 header length. */
export const ldxIpHeaderLength = (k: number): AsmStep => insn(BPF.LDX | BPF.B | BPF.MSH, k);
export const rsh = (k: number): AsmStep => insn(BPF.ALU | BPF.RSH | BPF.K, k);
export const jeq = (k: number, jt?: string, jf?: string): AsmStep => insn(BPF.JMP | BPF.JEQ | BPF.K, k, jt, jf);
export const jge = (k: number, jt?: string, jf?: string): AsmStep => insn(BPF.JMP | BPF.JGE | BPF.K, k, jt, jf);
export const jset = (k: number, jt?: string, jf?: string): AsmStep => insn(BPF.JMP | BPF.JSET | BPF.K, k, jt, jf);
export const ret = (k: number): AsmStep => insn(BPF.RET | BPF.K, k);
export const label = (name: string): AsmStep => ({ label: name });

/** Resolves labels into forward jump offsets. Throws on an unknown label, a backward jump (classic BPF
 * has none) or an offset beyond 255. */
export function assemble(steps: readonly AsmStep[]): BpfInsn[] {
  const positions = new Map<string, number>();
  let count = 0;
  for (const step of steps) {
    if ("label" in step) {
      if (positions.has(step.label)) throw new Error(`bpf: label ${step.label} defined twice`);
      positions.set(step.label, count);
    } else {
      count++;
    }
  }
  const program: BpfInsn[] = [];
  const offset = (target: string | undefined, at: number): number => {
    if (target === undefined) return 0;
    const position = positions.get(target);
    if (position === undefined) throw new Error(`bpf: unknown label ${target}`);
    const delta = position - (at + 1);
    if (delta < 0 || delta > 255) throw new Error(`bpf: jump to ${target} out of range (${delta})`);
    return delta;
  };
  for (const step of steps) {
    if ("label" in step) continue;
    const at = program.length;
    program.push({ code: step.code, jt: offset(step.jt, at), jf: offset(step.jf, at), k: step.k });
  }
  return program;
}

/* ------------------------------------------------------------------------------------------------ */
/* The programs Lodestone attaches. Offsets are into an Ethernet frame (AF_PACKET, SOCK_RAW): the      */
/* kernel has already removed an accelerated VLAN tag, so the ethertype sits at 12.                    */

/** ARP over Ethernet for IPv4 (htype 1, ptype 0x0800, hlen 6, plen 4), requests (1) and replies (2). */
export function arpFilter(): BpfInsn[] {
  return assemble([
    ldh(12), jeq(ETH_P_ARP, undefined, "drop"),
    ldw(14), jeq(0x0001_0800, undefined, "drop"),
    ldh(18), jeq(0x0604, undefined, "drop"),
    ldh(20), jeq(1, "accept"), jeq(2, "accept", "drop"),
    label("accept"), ret(ACCEPT),
    label("drop"), ret(DROP),
  ]);
}

/** ICMPv6 neighbour discovery messages of the given types, directly after the IPv6 header and with
 * hop limit 255 (RFC 4861 7.1.1: anything else did not originate on this link). */
export function ndpFilter(
  types: readonly number[] = [ICMPV6_NEIGHBOR_SOLICITATION, ICMPV6_NEIGHBOR_ADVERTISEMENT],
): BpfInsn[] {
  if (types.length === 0) throw new Error("bpf: ndpFilter needs at least one ICMPv6 type");
  return assemble([
    ldh(12), jeq(ETH_P_IPV6, undefined, "drop"),
    ldb(20), jeq(58, undefined, "drop"),
    ldb(21), jeq(255, undefined, "drop"),
    ldb(54),
    ...types.map((type, i) => jeq(type, "accept", i === types.length - 1 ? "drop" : undefined)),
    label("accept"), ret(ACCEPT),
    label("drop"), ret(DROP),
  ]);
}

/** UDP to one of `ports` (BFD single-hop 3784 and multi-hop 4784 by default) over IPv4 or IPv6 with a
 * TTL / hop limit of at least `minTtl`; IPv4 fragments after the first are dropped (no UDP header). */
export function bfdFrameFilter(minTtl = 255, ports: readonly number[] = [BFD_SINGLE_HOP_PORT, BFD_MULTI_HOP_PORT]): BpfInsn[] {
  if (ports.length === 0) throw new Error("bpf: bfdFrameFilter needs at least one port");
  // The last comparison always jumps, so the IPv4 branch never falls into the IPv6 one.
  const portChecks = (): AsmStep[] => ports.map((port, i) => jeq(port, "accept", i === ports.length - 1 ? "drop" : undefined));
  return assemble([
    ldh(12), jeq(ETH_P_IP, "v4"), jeq(ETH_P_IPV6, "v6", "drop"),
    label("v4"),
    ldb(23), jeq(17, undefined, "drop"),
    ldb(22), jge(minTtl, undefined, "drop"),
    ldh(20), jset(0x1fff, "drop"),
    ldxIpHeaderLength(14), ldhInd(14 + 2),
    ...portChecks(),
    label("v6"),
    ldb(20), jeq(17, undefined, "drop"),
    ldb(21), jge(minTtl, undefined, "drop"),
    ldh(14 + 40 + 2),
    ...portChecks(),
    label("accept"), ret(ACCEPT),
    label("drop"), ret(DROP),
  ]);
}

/** For a UDP or TCP socket (IPv4, IPv6 or dual-stack): accept only packets whose IP TTL / hop limit is
 * at least `minTtl`. Loads go through SKF_NET_OFF because a socket filter starts at the transport header. */
export function ttlSocketFilter(minTtl: number): BpfInsn[] {
  if (!Number.isInteger(minTtl) || minTtl < 0 || minTtl > 255) throw new Error(`bpf: minTtl ${minTtl} is not 0..255`);
  return assemble([
    ldb(SKF_NET_OFF), rsh(4), jeq(4, "v4"), jeq(6, "v6", "drop"),
    label("v4"), ldb(SKF_NET_OFF + 8), jge(minTtl, "accept", "drop"),
    label("v6"), ldb(SKF_NET_OFF + 7), jge(minTtl, "accept", "drop"),
    label("accept"), ret(ACCEPT),
    label("drop"), ret(DROP),
  ]);
}
