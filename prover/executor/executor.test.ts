import { describe, expect, it } from "vitest";
import { ElfError, loadElf } from "./elf.ts";
import { execute } from "./execute.ts";
import { Trap, type TrapCause } from "./trap.ts";
import {
  buildElf,
  EBREAK,
  ECALL,
  encB,
  encI,
  encJ,
  encR,
  encS,
  encU,
  exitSeq,
  li,
  programElf,
  words,
} from "./testing.ts";

const EDGES = [0, 1, -1, 0x7fffffff, -0x80000000, 0xffffffff | 0, 5, -7, 31, 32, 33];
const u = (x: number) => BigInt(x >>> 0);
const s = (x: number) => BigInt(x | 0);
const i32 = (x: bigint) => Number(BigInt.asIntN(32, x));

function run(code: number[], input?: Uint8Array) {
  return execute(loadElf(programElf(code)), input);
}
function trapOf(fn: () => unknown): Trap {
  try {
    fn();
  } catch (e) {
    if (e instanceof Trap) return e;
    throw e;
  }
  throw new Error("expected a trap");
}

// Reference semantics written from the RISC-V unprivileged spec (chapters RV32I and M),
// computed with BigInt, independent of the interpreter's int32 tricks.
const R_OPS: [string, number, number, (a: number, b: number) => number][] = [
  ["add", 0, 0, (a, b) => i32(s(a) + s(b))],
  ["sub", 0x20, 0, (a, b) => i32(s(a) - s(b))],
  ["sll", 0, 1, (a, b) => i32(u(a) << (u(b) & 31n))],
  ["slt", 0, 2, (a, b) => (s(a) < s(b) ? 1 : 0)],
  ["sltu", 0, 3, (a, b) => (u(a) < u(b) ? 1 : 0)],
  ["xor", 0, 4, (a, b) => i32(u(a) ^ u(b))],
  ["srl", 0, 5, (a, b) => i32(u(a) >> (u(b) & 31n))],
  ["sra", 0x20, 5, (a, b) => i32(s(a) >> (u(b) & 31n))],
  ["or", 0, 6, (a, b) => i32(u(a) | u(b))],
  ["and", 0, 7, (a, b) => i32(u(a) & u(b))],
  ["mul", 1, 0, (a, b) => i32(s(a) * s(b))],
  ["mulh", 1, 1, (a, b) => i32((s(a) * s(b)) >> 32n)],
  ["mulhsu", 1, 2, (a, b) => i32((s(a) * u(b)) >> 32n)],
  ["mulhu", 1, 3, (a, b) => i32((u(a) * u(b)) >> 32n)],
  ["div", 1, 4, (a, b) => (b === 0 ? -1 : a === -0x80000000 && b === -1 ? a : i32(s(a) / s(b)))],
  ["divu", 1, 5, (a, b) => (b === 0 ? -1 : i32(u(a) / u(b)))],
  ["rem", 1, 6, (a, b) => (b === 0 ? a : a === -0x80000000 && b === -1 ? 0 : i32(s(a) % s(b)))],
  ["remu", 1, 7, (a, b) => (b === 0 ? a : i32(u(a) % u(b)))],
];

describe("R-type and M instructions at edge values", () => {
  for (const [name, f7, f3, ref] of R_OPS) {
    it(name, () => {
      for (const a of EDGES) {
        for (const b of EDGES) {
          const r = run([...li(5, a), ...li(6, b), encR(f7, 6, 5, f3, 7, 0x33), ...exitSeq()]);
          expect(r.registers[7], `${name} ${a} ${b}`).toBe(ref(a, b));
        }
      }
    });
  }
  it("writes to x0 are discarded", () => {
    const r = run([...li(5, 7), encR(0, 5, 5, 0, 0, 0x33), encI(5, 0, 0, 0, 0x13), ...exitSeq()]);
    expect(r.registers[0]).toBe(0);
  });
});

const IMMS = [0, 1, -1, 2047, -2048, 31];
const I_OPS: [string, number, (a: number, imm: number) => number][] = [
  ["addi", 0, (a, i) => i32(s(a) + s(i))],
  ["slti", 2, (a, i) => (s(a) < s(i) ? 1 : 0)],
  ["sltiu", 3, (a, i) => (u(a) < u(i) ? 1 : 0)],
  ["xori", 4, (a, i) => i32(u(a) ^ u(i))],
  ["ori", 6, (a, i) => i32(u(a) | u(i))],
  ["andi", 7, (a, i) => i32(u(a) & u(i))],
];

describe("I-type ALU instructions", () => {
  for (const [name, f3, ref] of I_OPS) {
    it(`${name} sign-extends its immediate`, () => {
      for (const a of EDGES) {
        for (const imm of IMMS) {
          const r = run([...li(5, a), encI(imm, 5, f3, 7, 0x13), ...exitSeq()]);
          expect(r.registers[7], `${name} ${a} ${imm}`).toBe(ref(a, imm));
        }
      }
    });
  }
  it("slli/srli/srai for every shamt", () => {
    for (const a of EDGES) {
      for (let sh = 0; sh < 32; sh++) {
        const r = run([
          ...li(5, a),
          encI(sh, 5, 1, 7, 0x13),
          encI(sh, 5, 5, 8, 0x13),
          encI(sh | 0x400, 5, 5, 9, 0x13),
          ...exitSeq(),
        ]);
        expect(r.registers[7]).toBe(i32(u(a) << BigInt(sh)));
        expect(r.registers[8]).toBe(i32(u(a) >> BigInt(sh)));
        expect(r.registers[9]).toBe(i32(s(a) >> BigInt(sh)));
      }
    }
  });
  it("shift with shamt bit 5 set is illegal in RV32", () => {
    const t = trapOf(() => run([encI(32, 5, 1, 7, 0x13), ...exitSeq()]));
    expect(t.cause).toBe("illegal-instruction");
  });
});

describe("upper immediates and jumps", () => {
  it("lui and auipc", () => {
    const r = run([encU(0xfffff000, 5, 0x37), encU(0x80000000, 6, 0x17), ...exitSeq()]);
    expect(r.registers[5]).toBe(0xfffff000 | 0);
    expect(r.registers[6]).toBe((0x80000000 + 0x1004) | 0);
  });
  it("jal links pc+4 and jumps; jalr clears bit 0", () => {
    // 0x1000: jal x1, +8 ; 0x1004: ebreak ; 0x1008: auipc x5,0 ; addi x5,x5,13 ; jalr x6, 0(x5)
    // -> target 0x1008+12 = 0x1014 (13 & ~1 = 12)
    const r = run([
      encJ(8, 1),
      EBREAK,
      encU(0, 5, 0x17),
      encI(13, 5, 0, 5, 0x13),
      encI(0, 5, 0, 6, 0x67),
      ...exitSeq(),
    ]);
    expect(r.registers[1]).toBe(0x1004);
    expect(r.registers[6]).toBe(0x1014);
  });
  it("jalr with rd == rs1 uses the old rs1", () => {
    const r = run([...li(5, 0x1010), encI(0, 5, 0, 5, 0x67), EBREAK, ...exitSeq()]);
    expect(r.registers[5]).toBe(0x100c);
  });
  it("backward jal", () => {
    // 0x1000 jal +12 -> 0x100c; 0x1004 exit seq (3 words) at 0x1004.. ; 0x100c jal -8 -> 0x1004
    const r = run([encJ(16, 0), ...exitSeq(), encJ(-12, 0)]);
    expect(r.exitCode).toBe(0);
  });
});

describe("branches", () => {
  const BR: [string, number, (a: number, b: number) => boolean][] = [
    ["beq", 0, (a, b) => a === b],
    ["bne", 1, (a, b) => a !== b],
    ["blt", 4, (a, b) => s(a) < s(b)],
    ["bge", 5, (a, b) => s(a) >= s(b)],
    ["bltu", 6, (a, b) => u(a) < u(b)],
    ["bgeu", 7, (a, b) => u(a) >= u(b)],
  ];
  for (const [name, f3, ref] of BR) {
    it(name, () => {
      for (const a of EDGES) {
        for (const b of EDGES) {
          // taken -> skip "li x7,1" (2 words) -> x7 stays 0
          const r = run([...li(5, a), ...li(6, b), encB(12, 6, 5, f3), ...li(7, 1), ...exitSeq()]);
          expect(r.registers[7], `${name} ${a} ${b}`).toBe(ref(a, b) ? 0 : 1);
        }
      }
    });
  }
});

describe("loads and stores", () => {
  const DATA = 0x2000;
  it("sign/zero extension of lb/lbu/lh/lhu/lw and sb/sh/sw", () => {
    const r = run([
      ...li(5, DATA),
      ...li(6, 0x80ff7f01 | 0),
      encS(0, 6, 5, 2), // sw
      encI(0, 5, 0, 7, 0x03), // lb  0x01
      encI(3, 5, 0, 8, 0x03), // lb  0x80 -> -128
      encI(3, 5, 4, 9, 0x03), // lbu 0x80
      encI(2, 5, 1, 10, 0x03), // lh  0x80ff -> sign
      encI(2, 5, 5, 11, 0x03), // lhu
      encI(0, 5, 2, 12, 0x03), // lw
      encS(5, 6, 5, 0), // sb 0x01 at +5
      encS(6, 6, 5, 1), // sh 0x7f01 at +6
      encI(4, 5, 2, 13, 0x03), // lw +4
      encI(-4, 5, 2, 14, 0x03), // lw -4 (negative offset) = 0
      ...li(10, 0),
      ...li(17, 93),
      ECALL,
    ]);
    expect(r.registers[7]).toBe(1);
    expect(r.registers[8]).toBe(-128);
    expect(r.registers[9]).toBe(0x80);
    expect(r.registers[10]).toBe(0);
    expect(r.registers[11]).toBe(0x80ff);
    expect(r.registers[12]).toBe(0x80ff7f01 | 0);
    expect(r.registers[13]).toBe(0x7f010100);
    expect(r.registers[14]).toBe(0);
  });
  it("lh sign-extends", () => {
    const r = run([
      ...li(5, DATA),
      ...li(6, 0x8000),
      encS(0, 6, 5, 1),
      encI(0, 5, 1, 7, 0x03),
      ...exitSeq(),
    ]);
    expect(r.registers[7]).toBe(-32768);
  });
  it("code is readable, data segment bss is zeroed", () => {
    const elf = programElf(
      [
        ...li(5, 0x3000),
        encI(8, 5, 2, 6, 0x03),
        ...li(8, 0x1000),
        encI(0, 8, 2, 7, 0x03),
        ...exitSeq(),
      ],
      {
        vaddr: 0x3000,
        bytes: new Uint8Array([1, 2, 3, 4]),
        memSize: 64,
      },
    );
    const r = execute(loadElf(elf));
    expect(r.registers[6]).toBe(0);
    expect(r.registers[7]! >>> 0).toBe(li(5, 0x3000)[0]);
  });
});

describe("syscalls", () => {
  const READ = 63,
    WRITE = 64;
  /** `a7 = num; a0 = fd; a1 = buf; a2 = len; ecall; x<save> = a0`. */
  const sys = (num: number, fd: number, buf: number, len: number, save: number) => [
    ...li(17, num),
    ...li(10, fd),
    ...li(11, buf),
    ...li(12, len),
    ECALL,
    encI(0, 10, 0, save, 0x13),
  ];
  const hello = new TextEncoder().encode("hello");

  it("exit code, sp initialised, one byte per read and write", () => {
    const code = [
      ...sys(READ, 0, 0x2000, 100, 5), // 1 byte: "h"
      ...sys(READ, 0, 0x2001, 100, 6), // 1 byte: "e"
      ...sys(WRITE, 1, 0x2000, 2, 7), // 1 byte: "h"
      ...sys(WRITE, 2, 0x2001, 50, 8), // 1 byte: "e" to debug
      ...li(10, -3),
      ...exitSeq(),
    ];
    const r = run(code, hello);
    expect(r.exitCode).toBe(-3);
    expect([r.registers[5], r.registers[6], r.registers[7], r.registers[8]]).toEqual([1, 1, 1, 1]);
    expect(new TextDecoder().decode(r.output)).toBe("h");
    expect(new TextDecoder().decode(r.debug)).toBe("e");
    expect(r.registers[2]).toBe(1 << 20);
    expect(r.cycles).toBe(code.length);
  });

  it("a read loop gets the whole input, then 0 at the end of input", () => {
    // loop: read(0, x9, 4); if a0 == 0 goto done; x9 += a0; goto loop; done: write it back
    const code = [
      ...li(9, 0x2000),
      ...li(17, READ),
      ...li(10, 0), // loop:
      encI(0, 9, 0, 11, 0x13), // a1 = x9
      ...li(12, 4),
      ECALL,
      encB(16, 0, 10, 0), // beq a0, x0, done
      encR(0, 10, 9, 0, 9, 0x33), // x9 += a0
      encJ(-32, 0), // j loop
      EBREAK,
      ...sys(READ, 0, 0x3000, 10, 8), // done: again at EOF -> 0
      ...li(5, 0x2000),
      encR(0x20, 5, 9, 0, 6, 0x33), // x6 = bytes read
      ...li(10, 0),
      ...exitSeq(),
    ];
    const image = loadElf(programElf(code));
    const r = execute(image, hello);
    expect(r.registers[6]).toBe(5);
    expect(r.registers[8]).toBe(0);
    const again = execute(image, new Uint8Array(0));
    expect(again.registers[6]).toBe(0);
  });

  it("len 0 and end of input transfer nothing and check no buffer", () => {
    // buffers at 0 (unmapped) and 0x1000 (code) would trap if a byte moved
    const r = run(
      [
        ...sys(READ, 0, 0, 0, 5), // len 0
        ...sys(WRITE, 1, 0, 0, 6), // len 0
        ...sys(READ, 0, 0x1000, 0, 7), // len 0 into code
        ...sys(READ, 0, 0x2000, 1, 8), // the only byte
        ...sys(READ, 0, 0x1000, 4, 9), // EOF: into code, no trap
        ...sys(READ, 0, 0, 4, 13), // EOF: unmapped, no trap
        ...li(10, 0),
        ...exitSeq(),
      ],
      new Uint8Array([42]),
    );
    expect([5, 6, 7, 8, 9, 13].map((i) => r.registers[i])).toEqual([0, 0, 0, 1, 0, 0]);
    expect(r.output.length).toBe(0);
  });

  it("a refused fd returns -1 and touches nothing", () => {
    const r = run(
      [
        ...sys(READ, 1, 0, 4, 5),
        ...sys(READ, -1, 0x2000, 4, 6),
        ...sys(WRITE, 0, 0, 4, 7),
        ...sys(WRITE, 3, 0x2000, 4, 8),
        ...sys(READ, 0, 0x2000, 4, 9), // the input is still unread
        ...li(10, 0),
        ...exitSeq(),
      ],
      new Uint8Array([7]),
    );
    expect([5, 6, 7, 8, 9].map((i) => r.registers[i])).toEqual([-1, -1, -1, -1, 1]);
    expect(r.output.length + r.debug.length).toBe(0);
  });

  it("the byte transferred must be in RAM (and not code, for read)", () => {
    const t1 = trapOf(() => run(sys(WRITE, 1, 0xfff, 4, 5), hello));
    expect(t1.cause).toBe("access-fault");
    const t2 = trapOf(() => run(sys(WRITE, 1, 1 << 20, 4, 5), hello));
    expect(t2.cause).toBe("access-fault");
    const t3 = trapOf(() => run(sys(READ, 0, 0x1003, 4, 5), hello));
    expect(t3.cause).toBe("store-to-code");
    // the last byte of RAM is fine, and a length running past it is not checked
    const ok = run([...sys(WRITE, 1, (1 << 20) - 1, 4, 5), ...li(10, 0), ...exitSeq()], hello);
    expect(ok.registers[5]).toBe(1);
  });
});

describe("traps", () => {
  const cases: [string, number[], TrapCause, number][] = [
    ["misaligned lw", [...li(5, 0x2002), encI(0, 5, 2, 6, 0x03)], "misaligned-access", 0x1008],
    ["misaligned sh", [...li(5, 0x2001), encS(0, 5, 5, 1)], "misaligned-access", 0x1008],
    ["load below RAM", [encI(0, 0, 2, 6, 0x03)], "access-fault", 0x1000],
    ["store past memory", [encU(0x100000, 5, 0x37), encS(0, 5, 5, 2)], "access-fault", 0x1004],
    ["illegal instruction", [0xffffffff], "illegal-instruction", 0x1000],
    ["all-zero word", [0], "illegal-instruction", 0x1000],
    ["ebreak", [EBREAK], "ebreak", 0x1000],
    ["fall off code", [encI(0, 0, 0, 0, 0x13)], "fetch-outside-code", 0x1004],
    ["jump to data", [...li(5, 0x2000), encI(0, 5, 0, 0, 0x67)], "fetch-outside-code", 0x2000],
    ["misaligned jump", [...li(5, 0x1002), encI(0, 5, 0, 0, 0x67)], "misaligned-jump", 0x1008],
    ["store to code", [...li(5, 0x1000), encS(0, 5, 5, 2)], "store-to-code", 0x1008],
    [
      "read into code",
      [...li(11, 0x1000), ...li(12, 4), ...li(17, 63), ECALL],
      "store-to-code",
      0x1018,
    ],
    ["unknown syscall", [...li(17, 1), ECALL], "unknown-syscall", 0x1008],
    ["fence.i unsupported", [encI(0, 0, 1, 0, 0x0f)], "illegal-instruction", 0x1000],
  ];
  for (const [name, code, cause, pc] of cases) {
    it(name, () => {
      const t = trapOf(() => run(code, new Uint8Array([1, 2, 3, 4])));
      expect(t.cause).toBe(cause);
      expect(t.pc).toBe(pc);
      if (cause !== "fetch-outside-code")
        expect(t.instruction >>> 0).toBe(code[(pc - 0x1000) / 4]! >>> 0);
    });
  }
  it("cycle limit", () => {
    const t = trapOf(() =>
      execute(loadElf(programElf([encJ(0, 0)])), undefined, { maxCycles: 1000 }),
    );
    expect(t.cause).toBe("cycle-limit");
    expect(t.cycles).toBe(1000);
    expect(t.instruction).toBe(encJ(0, 0) | 0);
  });
});

describe("ELF loader", () => {
  const good = programElf(exitSeq());
  const mutate = (f: (b: Uint8Array, v: DataView) => void) => {
    const b = good.slice();
    f(b, new DataView(b.buffer));
    return b;
  };
  const reasonOf = (b: Uint8Array) => {
    try {
      loadElf(b);
    } catch (e) {
      if (e instanceof ElfError) return e.reason;
      throw e;
    }
    return "ok";
  };
  it("accepts a valid image", () => expect(reasonOf(good)).toBe("ok"));
  it("refuses 64-bit", () => expect(reasonOf(mutate((b) => (b[4] = 2)))).toBe("not-32-bit"));
  it("refuses big-endian", () =>
    expect(reasonOf(mutate((b) => (b[5] = 2)))).toBe("not-little-endian"));
  it("refuses wrong machine", () =>
    expect(reasonOf(mutate((_, v) => v.setUint16(18, 62, true)))).toBe("wrong-machine"));
  it("refuses non-ET_EXEC", () =>
    expect(reasonOf(mutate((_, v) => v.setUint16(16, 3, true)))).toBe("not-executable"));
  it("refuses bad magic", () => expect(reasonOf(mutate((b) => (b[1] = 0)))).toBe("not-elf"));
  it("refuses truncated files", () => {
    expect(reasonOf(good.subarray(0, 20))).toBe("truncated");
    expect(reasonOf(good.subarray(0, 60))).toBe("truncated");
    expect(reasonOf(good.subarray(0, good.length - 1))).toBe("truncated");
  });
  it("refuses out-of-range segments", () => {
    expect(reasonOf(buildElf([{ vaddr: 0, data: words(exitSeq()), flags: 5 }], 0))).toBe(
      "segment-out-of-range",
    );
    expect(
      reasonOf(
        buildElf([{ vaddr: 0x1000, data: words(exitSeq()), memSize: 1 << 20, flags: 5 }], 0x1000),
      ),
    ).toBe("segment-out-of-range");
  });
  it("refuses overlapping segments", () => {
    const elf = buildElf(
      [
        { vaddr: 0x1000, data: words(exitSeq()), flags: 5 },
        { vaddr: 0x1008, data: new Uint8Array(8), flags: 6 },
      ],
      0x1000,
    );
    expect(reasonOf(elf)).toBe("overlapping-segments");
  });
  it("refuses an entry outside code", () => {
    expect(reasonOf(buildElf([{ vaddr: 0x1000, data: words(exitSeq()), flags: 5 }], 0x2000))).toBe(
      "bad-entry",
    );
  });
  it("zeroes bss and honours memorySize", () => {
    const img = loadElf(
      buildElf(
        [
          { vaddr: 0x1000, data: words(exitSeq()), flags: 5 },
          { vaddr: 0x2000, data: new Uint8Array([9]), memSize: 16, flags: 6 },
        ],
        0x1000,
      ),
      { memorySize: 1 << 16 },
    );
    expect(img.memory.length).toBe(1 << 16);
    expect([...img.memory.subarray(0x2000, 0x2010)]).toEqual([9, ...new Array(15).fill(0)]);
    expect(execute(img).registers[2]).toBe(1 << 16);
  });
  it("refuses a memory size that is not a power of two in (0x1000, 2^31]", () => {
    for (const memorySize of [0x1000, 0x3000, (1 << 20) + 16, 2 ** 32, 1.5]) {
      const err = (() => {
        try {
          loadElf(good, { memorySize });
        } catch (e) {
          return e;
        }
      })();
      expect(err, `${memorySize}`).toBeInstanceOf(ElfError);
      expect((err as ElfError).reason).toBe("bad-memory-size");
    }
    expect(loadElf(good, { memorySize: 0x2000 }).memorySize).toBe(0x2000);
  });
});
