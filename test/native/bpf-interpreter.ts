/**
 * A classic BPF checker and interpreter in TS, modelled on the kernel's (net/core/filter.c): enough to
 * unit-test the programs of bpf.ts on sample frames without root, and to refuse a malformed program
 * with a clear message before the kernel answers a bare EINVAL.
 *
 * Semantics kept from the kernel: a load outside the packet ends the program with 0 (drop); division
 * by a zero X returns 0; negative offsets address the network header (SKF_NET_OFF) or the link-layer
 * header (SKF_LL_OFF); ancillary loads (SKF_AD_OFF) are not modelled and throw.
 */
import { BPF, BPF_MAXINSNS, SKF_LL_OFF, SKF_NET_OFF, type BpfInsn } from "../../native/bpf";

const SKF_AD_OFF = -0x1000;
const MEMWORDS = 16;

const cls = (code: number): number => code & 0x07;
const size = (code: number): number => code & 0x18;
const mode = (code: number): number => code & 0xe0;
const op = (code: number): number => code & 0xf0;
const src = (code: number): number => code & 0x08;

const LOADS = new Set<number>([
  BPF.LD | BPF.W | BPF.ABS, BPF.LD | BPF.H | BPF.ABS, BPF.LD | BPF.B | BPF.ABS,
  BPF.LD | BPF.W | BPF.IND, BPF.LD | BPF.H | BPF.IND, BPF.LD | BPF.B | BPF.IND,
  BPF.LD | BPF.W | BPF.LEN, BPF.LDX | BPF.W | BPF.LEN,
  BPF.LD | BPF.IMM, BPF.LDX | BPF.IMM, BPF.LD | BPF.MEM, BPF.LDX | BPF.MEM,
  BPF.LDX | BPF.B | BPF.MSH, BPF.ST, BPF.STX,
]);
const ALU_OPS = new Set<number>([BPF.ADD, BPF.SUB, BPF.MUL, BPF.DIV, BPF.OR, BPF.AND, BPF.LSH, BPF.RSH, BPF.MOD, BPF.XOR]);
const JUMPS = new Set<number>([BPF.JEQ, BPF.JGT, BPF.JGE, BPF.JSET]);
/** Ancillary loads the kernel knows (SKF_AD_PROTOCOL 0 ... SKF_AD_VLAN_TPID 60, every 4 bytes). */
const isKnownAncillary = (k: number): boolean => {
  const offset = (k | 0) - SKF_AD_OFF;
  return offset >= 0 && offset <= 60 && offset % 4 === 0;
};

/** Why the kernel would refuse `program` (EINVAL), or undefined when it is acceptable. */
export function checkProgram(program: readonly BpfInsn[]): string | undefined {
  if (program.length === 0) return "program is empty";
  if (program.length > BPF_MAXINSNS) return `program has ${program.length} instructions, more than ${BPF_MAXINSNS}`;
  for (const [i, ins] of program.entries()) {
    const { code, jt, jf, k } = ins;
    if (![code, jt, jf, k].every(Number.isInteger) || code < 0 || code > 0xffff || jt < 0 || jt > 255 || jf < 0 || jf > 255 || k < -0x80000000 || k > 0xffffffff) {
      return `instruction ${i} has fields out of range`;
    }
    const where = `instruction ${i} (code 0x${code.toString(16)})`;
    switch (cls(code)) {
      case BPF.LD:
      case BPF.LDX:
      case BPF.ST:
      case BPF.STX:
        if (!LOADS.has(code)) return `${where} is not a known load or store`;
        // The kernel compares k unsigned: everything from 0xfffff000 up is ancillary, and must be known.
        if (cls(code) === BPF.LD && mode(code) === BPF.ABS && (k >>> 0) >= SKF_AD_OFF >>> 0 && !isKnownAncillary(k)) {
          return `${where} loads unknown ancillary data ${(k | 0) - SKF_AD_OFF}`;
        }
        if ((mode(code) === BPF.MEM || cls(code) === BPF.ST || cls(code) === BPF.STX) && (k >>> 0) >= MEMWORDS) {
          return `${where} addresses scratch memory word ${k >>> 0}`;
        }
        break;
      case BPF.ALU:
        if (op(code) === BPF.NEG) {
          if (code !== (BPF.ALU | BPF.NEG)) return `${where} is not a known ALU operation`;
          break;
        }
        if (!ALU_OPS.has(op(code)) || (code & ~0xf8) !== BPF.ALU) return `${where} is not a known ALU operation`;
        if (src(code) === BPF.K && (op(code) === BPF.DIV || op(code) === BPF.MOD) && k === 0) return `${where} divides by zero`;
        if (src(code) === BPF.K && (op(code) === BPF.LSH || op(code) === BPF.RSH) && (k >>> 0) >= 32) return `${where} shifts by ${k >>> 0}`;
        break;
      case BPF.JMP:
        if (code === (BPF.JMP | BPF.JA)) {
          if (i + 1 + (k >>> 0) >= program.length) return `${where} jumps beyond the end`;
          break;
        }
        if (!JUMPS.has(op(code)) || (code & ~0xf8) !== BPF.JMP) return `${where} is not a known jump`;
        if (i + 1 + jt >= program.length || i + 1 + jf >= program.length) return `${where} jumps beyond the end`;
        break;
      case BPF.RET:
        if (code !== (BPF.RET | BPF.K) && code !== (BPF.RET | BPF.A)) return `${where} is not a known return`;
        break;
      case BPF.MISC:
        if (code !== (BPF.MISC | BPF.TAX) && code !== (BPF.MISC | BPF.TXA)) return `${where} is not a known misc operation`;
        break;
    }
  }
  const last = program[program.length - 1];
  if (last === undefined || cls(last.code) !== BPF.RET) return "program does not end with a return";
  return undefined;
}

/** Where the packet's headers start, for negative (SKF_NET_OFF / SKF_LL_OFF) loads. */
export interface PacketLayout {
  /** Offset of the network header in `packet` (14 for an Ethernet frame). */
  readonly networkOffset?: number;
  /** Offset of the link-layer header in `packet`. */
  readonly linkOffset?: number;
}

class OutOfBounds extends Error {}

/** Runs a checked program on `packet`: the number of bytes the kernel would accept (0 = drop). */
export function runProgram(program: readonly BpfInsn[], packet: Uint8Array, layout: PacketLayout = {}): number {
  const problem = checkProgram(program);
  if (problem !== undefined) throw new Error(`bpf: ${problem}`);
  const view = new DataView(packet.buffer, packet.byteOffset, packet.byteLength);
  const resolve = (offset: number, bytes: number): number => {
    let at: number;
    if (offset >= 0) at = offset;
    else if (offset >= SKF_AD_OFF) throw new Error(`bpf: ancillary load at ${offset} is not modelled`);
    else if (offset >= SKF_NET_OFF) at = (layout.networkOffset ?? 0) + (offset - SKF_NET_OFF);
    else if (offset >= SKF_LL_OFF) at = (layout.linkOffset ?? 0) + (offset - SKF_LL_OFF);
    else throw new OutOfBounds();
    if (at < 0 || at + bytes > packet.byteLength) throw new OutOfBounds();
    return at;
  };
  const load = (offset: number, sz: number): number => {
    if (sz === BPF.W) return view.getUint32(resolve(offset, 4));
    if (sz === BPF.H) return view.getUint16(resolve(offset, 2));
    return view.getUint8(resolve(offset, 1));
  };
  const signed = (k: number): number => k | 0;
  const mem = new Uint32Array(MEMWORDS);
  let a = 0;
  let x = 0;
  try {
    for (let pc = 0; pc < program.length; pc++) {
      const ins = program[pc];
      if (ins === undefined) break;
      const { code, jt, jf } = ins;
      const k = ins.k >>> 0;
      switch (cls(code)) {
        case BPF.LD:
          if (mode(code) === BPF.ABS) a = load(signed(k), size(code));
          else if (mode(code) === BPF.IND) a = load(signed((x + k) >>> 0), size(code));
          else if (mode(code) === BPF.LEN) a = packet.byteLength;
          else if (mode(code) === BPF.IMM) a = k;
          else a = mem[k] ?? 0;
          break;
        case BPF.LDX:
          if (mode(code) === BPF.MSH) x = (load(signed(k), BPF.B) & 0x0f) * 4;
          else if (mode(code) === BPF.LEN) x = packet.byteLength;
          else if (mode(code) === BPF.IMM) x = k;
          else x = mem[k] ?? 0;
          break;
        case BPF.ST:
          mem[k] = a;
          break;
        case BPF.STX:
          mem[k] = x;
          break;
        case BPF.ALU: {
          const operand = src(code) === BPF.X ? x : k;
          switch (op(code)) {
            case BPF.ADD: a = (a + operand) >>> 0; break;
            case BPF.SUB: a = (a - operand) >>> 0; break;
            case BPF.MUL: a = Math.imul(a, operand) >>> 0; break;
            case BPF.DIV: if (operand === 0) return 0; a = Math.floor(a / operand) >>> 0; break;
            case BPF.MOD: if (operand === 0) return 0; a = (a % operand) >>> 0; break;
            case BPF.OR: a = (a | operand) >>> 0; break;
            case BPF.AND: a = (a & operand) >>> 0; break;
            case BPF.XOR: a = (a ^ operand) >>> 0; break;
            case BPF.LSH: a = operand >= 32 ? 0 : (a << operand) >>> 0; break;
            case BPF.RSH: a = operand >= 32 ? 0 : a >>> operand; break;
            case BPF.NEG: a = -a >>> 0; break;
          }
          break;
        }
        case BPF.JMP: {
          if (code === (BPF.JMP | BPF.JA)) {
            pc += k;
            break;
          }
          const operand = src(code) === BPF.X ? x : k;
          let taken: boolean;
          if (op(code) === BPF.JEQ) taken = a === operand;
          else if (op(code) === BPF.JGT) taken = a > operand;
          else if (op(code) === BPF.JGE) taken = a >= operand;
          else taken = (a & operand) !== 0;
          pc += taken ? jt : jf;
          break;
        }
        case BPF.RET:
          return code === (BPF.RET | BPF.A) ? a : k;
        case BPF.MISC:
          if (code === (BPF.MISC | BPF.TAX)) x = a;
          else a = x;
          break;
      }
    }
  } catch (error) {
    if (error instanceof OutOfBounds) return 0;
    throw error;
  }
  return 0;
}
