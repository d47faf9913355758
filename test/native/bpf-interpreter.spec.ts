import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { createSocket } from "node:dgram";
import { BPF, SKF_LL_OFF, type BpfInsn } from "../../native/bpf";
import { checkProgram, runProgram } from "./bpf-interpreter";
import { attachFilter, isNativeError, socketFd } from "../../native/index";

const I = (code: number, k = 0, jt = 0, jf = 0): BpfInsn => ({ code, jt, jf, k });
const RET_A = I(BPF.RET | BPF.A);
const LD_IMM = (k: number): BpfInsn => I(BPF.LD | BPF.IMM, k);
const LDX_IMM = (k: number): BpfInsn => I(BPF.LDX | BPF.IMM, k);
const alu = (operation: number, k: number, a: number): number =>
  runProgram([LD_IMM(a), I(BPF.ALU | operation | BPF.K, k), RET_A], Buffer.alloc(0));

describe("checkProgram", () => {
  it("explains why the kernel would refuse a program", () => {
    expect(checkProgram([])).toBe("program is empty");
    expect(checkProgram(Array.from({ length: 4097 }, () => I(BPF.RET)))).toBe("program has 4097 instructions, more than 4096");
    expect(checkProgram([I(BPF.LD | BPF.B | BPF.ABS)])).toBe("program does not end with a return");
    expect(checkProgram([I(0x0e), I(BPF.RET)])).toBe("instruction 0 (code 0xe) is not a known return");
    expect(checkProgram([I(BPF.LD | BPF.W | BPF.ABS, 0xffffffff), I(BPF.RET)])).toBe("instruction 0 (code 0x20) loads unknown ancillary data 4095");
    expect(checkProgram([I(BPF.LD | BPF.W | BPF.ABS, 0xfffff004), I(BPF.RET)])).toBeUndefined();
    expect(checkProgram([I(BPF.LD | BPF.B | BPF.IMM), I(BPF.RET)])).toBe("instruction 0 (code 0x10) is not a known load or store");
    expect(checkProgram([I(BPF.ST, 16), I(BPF.RET)])).toBe("instruction 0 (code 0x2) addresses scratch memory word 16");
    expect(checkProgram([I(BPF.ALU | BPF.DIV | BPF.K, 0), I(BPF.RET)])).toBe("instruction 0 (code 0x34) divides by zero");
    expect(checkProgram([I(BPF.ALU | BPF.LSH | BPF.K, 32), I(BPF.RET)])).toBe("instruction 0 (code 0x64) shifts by 32");
    expect(checkProgram([I(BPF.JMP | BPF.JEQ, 0, 1, 0), I(BPF.RET)])).toBe("instruction 0 (code 0x15) jumps beyond the end");
    expect(checkProgram([I(BPF.JMP | BPF.JA, 1), I(BPF.RET)])).toBe("instruction 0 (code 0x5) jumps beyond the end");
    expect(checkProgram([I(BPF.RET, 0, 256)])).toBe("instruction 0 has fields out of range");
    expect(checkProgram([I(BPF.MISC | 0x40), I(BPF.RET)])).toBe("instruction 0 (code 0x47) is not a known misc operation");
    expect(checkProgram([I(BPF.RET, 5)])).toBeUndefined();
  });

  it("refuses to run a program it rejects", () => {
    expect(() => runProgram([], Buffer.alloc(1))).toThrow("bpf: program is empty");
  });
});

describe("runProgram", () => {
  it("computes ALU operations on 32-bit unsigned values", () => {
    expect(alu(BPF.ADD, 1, 0xffffffff)).toBe(0);
    expect(alu(BPF.SUB, 2, 1)).toBe(0xffffffff);
    expect(alu(BPF.MUL, 0x10000, 0x10001)).toBe(0x10000);
    expect(alu(BPF.DIV, 3, 10)).toBe(3);
    expect(alu(BPF.MOD, 3, 10)).toBe(1);
    expect(alu(BPF.OR, 0xf0, 0x0f)).toBe(0xff);
    expect(alu(BPF.AND, 0xf0, 0xff)).toBe(0xf0);
    expect(alu(BPF.XOR, 0xff, 0x0f)).toBe(0xf0);
    expect(alu(BPF.LSH, 31, 3)).toBe(0x80000000);
    expect(alu(BPF.RSH, 4, 0x80)).toBe(8);
    expect(runProgram([LD_IMM(1), I(BPF.ALU | BPF.NEG), RET_A], Buffer.alloc(0))).toBe(0xffffffff);
  });

  it("returns 0 when X is a zero divisor (as the kernel does)", () => {
    expect(runProgram([LD_IMM(5), LDX_IMM(0), I(BPF.ALU | BPF.DIV | BPF.X), RET_A], Buffer.alloc(0))).toBe(0);
    expect(runProgram([LD_IMM(5), LDX_IMM(0), I(BPF.ALU | BPF.MOD | BPF.X), RET_A], Buffer.alloc(0))).toBe(0);
  });

  it("loads words, half-words, bytes, indirect, length and scratch memory", () => {
    const packet = Buffer.from([1, 2, 3, 4, 5, 6]);
    expect(runProgram([I(BPF.LD | BPF.W | BPF.ABS, 1), RET_A], packet)).toBe(0x02030405);
    expect(runProgram([I(BPF.LD | BPF.H | BPF.ABS, 4), RET_A], packet)).toBe(0x0506);
    expect(runProgram([LDX_IMM(2), I(BPF.LD | BPF.B | BPF.IND, 3), RET_A], packet)).toBe(6);
    expect(runProgram([I(BPF.LD | BPF.W | BPF.LEN), RET_A], packet)).toBe(6);
    expect(runProgram([I(BPF.LDX | BPF.B | BPF.MSH, 0), I(BPF.MISC | BPF.TXA), RET_A], Buffer.from([0x45]))).toBe(20);
    expect(runProgram([LD_IMM(7), I(BPF.ST, 3), LD_IMM(0), I(BPF.LD | BPF.MEM, 3), RET_A], packet)).toBe(7);
    expect(runProgram([LDX_IMM(9), I(BPF.STX, 15), I(BPF.LDX | BPF.MEM, 15), I(BPF.MISC | BPF.TXA), RET_A], packet)).toBe(9);
    expect(runProgram([LD_IMM(4), I(BPF.MISC | BPF.TAX), I(BPF.LDX | BPF.W | BPF.LEN), I(BPF.MISC | BPF.TXA), RET_A], packet)).toBe(6);
  });

  it("drops (returns 0) on a load past the end", () => {
    expect(runProgram([I(BPF.LD | BPF.W | BPF.ABS, 3), RET_A], Buffer.from([1, 2, 3, 4, 5, 6]))).toBe(0);
    expect(runProgram([I(BPF.LD | BPF.B | BPF.ABS, 0), RET_A], Buffer.alloc(0))).toBe(0);
  });

  it("resolves link-layer relative loads and refuses ancillary ones", () => {
    const packet = Buffer.from([9, 8, 7]);
    expect(runProgram([I(BPF.LD | BPF.B | BPF.ABS, (SKF_LL_OFF + 1) >>> 0), RET_A], packet, { linkOffset: 0 })).toBe(8);
    expect(() => runProgram([I(BPF.LD | BPF.B | BPF.ABS, -0x1000 >>> 0), RET_A], packet)).toThrow("bpf: ancillary load at -4096 is not modelled");
  });

  it("takes jumps on K and X, including JA and JSET", () => {
    const pick = (jump: BpfInsn, a: number, x = 0) =>
      runProgram([LD_IMM(a), LDX_IMM(x), jump, I(BPF.RET, 2), I(BPF.RET, 1)], Buffer.alloc(0));
    expect(pick(I(BPF.JMP | BPF.JEQ | BPF.K, 5, 1, 0), 5)).toBe(1);
    expect(pick(I(BPF.JMP | BPF.JEQ | BPF.K, 5, 1, 0), 6)).toBe(2);
    expect(pick(I(BPF.JMP | BPF.JGT | BPF.X, 0, 1, 0), 6, 5)).toBe(1);
    expect(pick(I(BPF.JMP | BPF.JGT | BPF.X, 0, 1, 0), 5, 5)).toBe(2);
    expect(pick(I(BPF.JMP | BPF.JGE | BPF.K, 5, 1, 0), 5)).toBe(1);
    expect(pick(I(BPF.JMP | BPF.JSET | BPF.K, 4, 1, 0), 6)).toBe(1);
    expect(pick(I(BPF.JMP | BPF.JSET | BPF.K, 8, 1, 0), 6)).toBe(2);
    expect(pick(I(BPF.JMP | BPF.JA, 1), 0)).toBe(1);
  });
});

describe("checkProgram against the kernel", () => {
  // Codes without scratch-memory loads: the kernel also refuses programs that may read a scratch word
  // before writing it, a data-flow check this checker does not model.
  const codes = [
    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x0c, 0x14, 0x15, 0x16, 0x1c, 0x20, 0x24, 0x25, 0x28, 0x30, 0x34,
    0x35, 0x3c, 0x40, 0x44, 0x45, 0x48, 0x50, 0x54, 0x64, 0x74, 0x80, 0x81, 0x84, 0x87, 0x94, 0xa4, 0xb1, 0x0e, 0x10,
    0x17, 0x26, 0x8c, 0xe4, 0xff,
  ];
  const insnArb = fc.record({
    code: fc.constantFrom(...codes),
    jt: fc.integer({ min: 0, max: 4 }),
    jf: fc.integer({ min: 0, max: 4 }),
    k: fc.oneof(fc.integer({ min: 0, max: 40 }), fc.constantFrom(0, 16, 32, 0xffffffff, 0xfffff000, 0xfffff004, 0xfffff040, 0xffefffff, 0xfff00008)),
  });

  it("accepts exactly what SO_ATTACH_FILTER accepts (property)", async () => {
    const socket = createSocket("udp4");
    await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
    try {
      const fd = socketFd(socket);
      fc.assert(
        fc.property(fc.array(insnArb, { minLength: 1, maxLength: 6 }), fc.boolean(), (body, endWithReturn) => {
          const program = endWithReturn ? [...body, I(BPF.RET, 1)] : body;
          let kernel: string | undefined;
          try {
            attachFilter(fd, program);
          } catch (error) {
            kernel = isNativeError(error) ? error.code : String(error);
          }
          expect({ program, kernel }).toEqual({ program, kernel: checkProgram(program) === undefined ? undefined : "EINVAL" });
        }),
        { numRuns: 3000 },
      );
    } finally {
      socket.close();
    }
  });
});
