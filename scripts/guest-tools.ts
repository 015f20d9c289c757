/**
 * Debugging and profiling a guest on the reference executor: function symbols from the ELF,
 * cycles per function, and what a trap looked like (the faulting function and offset, the
 * guest's fd-2 output, the last instructions retired). Used by `concentric exec`.
 *
 * The profiler steps the executor one instruction at a time (`runSteps(m, 1)`), so its counts
 * are exact (every retired instruction is attributed to the function holding its pc) and
 * it is about 10x slower than a plain run; a plain run is what `exec` does without --profile
 * unless the guest traps, when it is run again stepping, to report the trap.
 */
import {
  createMachine,
  decode,
  machineResult,
  runSteps,
  Trap,
  type ExecutionResult,
  type ProgramImage,
} from "../prover/executor/index.ts";

/** A function symbol of the ELF (STT_FUNC, or a global code label without a type). */
export interface FunctionSymbol {
  name: string;
  address: number;
  size: number;
}

const SHT_SYMTAB = 2;
const STT_FUNC = 2;
const STT_NOTYPE = 0;

/**
 * The function symbols of an ELF32 file, sorted by address (empty when the file is
 * stripped). Sizeless labels get the distance to the next symbol.
 */
export function functionSymbols(elf: Uint8Array): FunctionSymbol[] {
  const view = new DataView(elf.buffer, elf.byteOffset, elf.byteLength);
  if (elf.length < 52) return [];
  const shoff = view.getUint32(32, true);
  const shentsize = view.getUint16(46, true);
  const shnum = view.getUint16(48, true);
  if (shoff === 0 || shentsize < 40 || shoff + shnum * shentsize > elf.length) return [];
  const section = (i: number) => {
    const o = shoff + i * shentsize;
    return {
      type: view.getUint32(o + 4, true),
      flags: view.getUint32(o + 8, true),
      offset: view.getUint32(o + 16, true),
      size: view.getUint32(o + 20, true),
      link: view.getUint32(o + 24, true),
      entsize: view.getUint32(o + 36, true),
    };
  };
  const out: FunctionSymbol[] = [];
  for (let i = 0; i < shnum; i++) {
    const s = section(i);
    if (s.type !== SHT_SYMTAB || s.entsize < 16 || s.link >= shnum) continue;
    const strtab = section(s.link);
    const name = (off: number) => {
      let end = strtab.offset + off;
      while (end < elf.length && elf[end] !== 0) end++;
      return new TextDecoder().decode(elf.subarray(strtab.offset + off, end));
    };
    for (let o = s.offset; o + 16 <= s.offset + s.size && o + 16 <= elf.length; o += s.entsize) {
      const info = elf[o + 12]!;
      const type = info & 15;
      const shndx = view.getUint16(o + 14, true);
      if (shndx === 0 || shndx >= 0xff00) continue; // undefined, absolute or common
      const secFlags = section(shndx).flags;
      if ((secFlags & 4) === 0) continue; // SHF_EXECINSTR: code only
      if (type !== STT_FUNC && type !== STT_NOTYPE) continue;
      const n = name(view.getUint32(o, true));
      if (!n || n.startsWith(".L") || n === "$x" || n.startsWith("$")) continue;
      out.push({
        name: n,
        address: view.getUint32(o + 4, true),
        size: view.getUint32(o + 8, true),
      });
    }
  }
  out.sort((a, b) => a.address - b.address || b.size - a.size);
  const unique = out.filter((s, i) => i === 0 || s.address !== out[i - 1]!.address);
  for (let i = 0; i < unique.length; i++) {
    if (unique[i]!.size === 0 && i + 1 < unique.length)
      unique[i]!.size = unique[i + 1]!.address - unique[i]!.address;
  }
  return unique;
}

/** `name+0x1c` for a pc inside a function symbol, else the bare hex pc. */
export function symbolize(symbols: FunctionSymbol[], pc: number): string {
  const s = symbolAt(symbols, pc);
  const hex = `0x${(pc >>> 0).toString(16).padStart(8, "0")}`;
  return s ? `${s.name}+0x${(pc - s.address).toString(16)} (${hex})` : hex;
}

export function symbolAt(symbols: FunctionSymbol[], pc: number): FunctionSymbol | undefined {
  let lo = 0,
    hi = symbols.length - 1,
    best: FunctionSymbol | undefined;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (symbols[mid]!.address <= pc) {
      best = symbols[mid];
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return best && pc < best.address + Math.max(best.size, 4) ? best : undefined;
}

// Mnemonics by the executor's operation code (decode()'s first element; 0 and 1: none/illegal).
const MNEMONICS = (
  "- illegal lui auipc jal jalr beq bne blt bge bltu bgeu lb lh lw lbu lhu sb sh sw addi slti " +
  "sltiu xori ori andi slli srli srai add sub sll slt sltu xor srl sra or and mul mulh mulhsu " +
  "mulhu div divu rem remu fence ecall ebreak"
).split(" ");
const REG = (
  "zero ra sp gp tp t0 t1 t2 s0 s1 a0 a1 a2 a3 a4 a5 a6 a7 s2 s3 s4 s5 s6 s7 s8 s9 s10 s11 " +
  "t3 t4 t5 t6"
).split(" ");

/** A one-line disassembly of a 32-bit instruction word (RV32IM; "illegal" otherwise). */
export function disassemble(word: number): string {
  const [op, rd, rs1, rs2, imm] = decode(word | 0);
  const m = MNEMONICS[op] ?? "?";
  if (op <= 1) return `illegal 0x${(word >>> 0).toString(16).padStart(8, "0")}`;
  const opcode = word & 0x7f;
  switch (opcode) {
    case 0x37:
    case 0x17:
      return `${m} ${REG[rd]}, 0x${((imm >>> 12) & 0xfffff).toString(16)}`;
    case 0x6f:
      return `${m} ${REG[rd]}, ${imm}`;
    case 0x67:
    case 0x03:
      return `${m} ${REG[rd]}, ${imm}(${REG[rs1]})`;
    case 0x23:
      return `${m} ${REG[rs2]}, ${imm}(${REG[rs1]})`;
    case 0x63:
      return `${m} ${REG[rs1]}, ${REG[rs2]}, ${imm}`;
    case 0x13:
      return `${m} ${REG[rd]}, ${REG[rs1]}, ${imm}`;
    case 0x33:
      return `${m} ${REG[rd]}, ${REG[rs1]}, ${REG[rs2]}`;
    default:
      return m;
  }
}

/** One retired (or faulting) instruction of a trace. */
export interface TracedInstruction {
  pc: number;
  word: number;
}

/** What a stepped run saw: cycles per pc and the last instructions. */
export interface SteppedRun {
  result?: ExecutionResult;
  trap?: Trap;
  /** Cycles retired per code word (index = (pc - codeStart) / 4). */
  counts: Float64Array;
  /** The last `traceLength` instructions, oldest first (the faulting one last on a trap). */
  last: TracedInstruction[];
  /** Bytes the guest wrote to fd 2 (also when it trapped). */
  debug: Uint8Array;
  /** Bytes written to fd 1 so far. */
  output: Uint8Array;
}

/** Runs a guest one instruction at a time, counting cycles per pc and keeping the last ones. */
export function steppedRun(
  image: ProgramImage,
  input: Uint8Array,
  options: { maxCycles?: number; traceLength?: number } = {},
): SteppedRun {
  const traceLength = options.traceLength ?? 16;
  const m = createMachine(
    image,
    input,
    options.maxCycles !== undefined ? { maxCycles: options.maxCycles } : {},
    false,
  );
  const view = new DataView(image.memory.buffer, image.memory.byteOffset, image.memory.byteLength);
  const words = (image.codeEnd - image.codeStart) >>> 2;
  const counts = new Float64Array(words);
  const ring: TracedInstruction[] = [];
  const wordAt = (pc: number) =>
    pc >= image.codeStart && pc < image.codeEnd && pc % 4 === 0 ? view.getInt32(pc, true) : 0;
  let trap: Trap | undefined;
  try {
    while (!m.halted) {
      const pc = m.pc;
      ring.push({ pc, word: wordAt(pc) });
      if (ring.length > traceLength) ring.shift();
      const i = (pc - image.codeStart) >>> 2;
      runSteps(m, 1);
      if (i < words) counts[i]! += 1;
    }
  } catch (e) {
    if (!(e instanceof Trap)) throw e;
    trap = e;
  }
  return {
    ...(trap ? { trap } : { result: machineResult(m) }),
    counts,
    last: ring,
    debug: m.debug.bytes(),
    output: m.output.bytes(),
  };
}

/** Cycles per function, most first. Code outside any symbol is counted as "(no symbol)". */
export function cyclesPerFunction(
  image: ProgramImage,
  symbols: FunctionSymbol[],
  counts: Float64Array,
): { name: string; cycles: number }[] {
  const by = new Map<string, number>();
  for (let i = 0; i < counts.length; i++) {
    const n = counts[i]!;
    if (n === 0) continue;
    const s = symbolAt(symbols, image.codeStart + i * 4);
    const name = s?.name ?? "(no symbol)";
    by.set(name, (by.get(name) ?? 0) + n);
  }
  return [...by].map(([name, cycles]) => ({ name, cycles })).sort((a, b) => b.cycles - a.cycles);
}

/** The lines of a trap report: the trap, where (function+offset), fd-2 output, last instructions. */
export function trapReport(run: SteppedRun, symbols: FunctionSymbol[]): string[] {
  const t = run.trap!;
  const lines = [`${t.message}`, `  in ${symbolize(symbols, t.pc)} after ${t.cycles} cycles`];
  if (symbols.length === 0)
    lines.push("  (the ELF has no symbols: build without -s/--strip-all to see function names)");
  const debug = new TextDecoder().decode(run.debug);
  if (debug.length > 0) {
    lines.push("  guest fd 2 (debug) before the trap:");
    for (const l of debug.replace(/\n$/, "").split("\n").slice(-20)) lines.push(`    | ${l}`);
  }
  lines.push(`  last ${run.last.length} instructions (the faulting one last):`);
  for (const ins of run.last)
    lines.push(
      `    ${symbolize(symbols, ins.pc).padEnd(36)} ${(ins.word >>> 0).toString(16).padStart(8, "0")}  ${disassemble(ins.word)}`,
    );
  return lines;
}
