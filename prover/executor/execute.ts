import { PAGE_SHIFT, RAM_START, type ProgramImage } from "./elf.ts";
import { Trap } from "./trap.ts";

/** Syscall numbers of the guest ABI (a7). */
export const SYS_READ = 63;
export const SYS_WRITE = 64;
export const SYS_EXIT = 93;

/** Options for {@link execute}. */
export interface ExecuteOptions {
  /** Maximum instructions retired before a cycle-limit trap (default 1e9). */
  maxCycles?: number;
  /**
   * How read and write move bytes. "byte" (default; what today's chunk circuit proves): at
   * most one byte per call. "word" (the versioned-cells chunk of issue 12, what the
   * network's version-2 jobs run): the whole buffer, in transfer steps of at most one memory word each (see
   * {@link execute}).
   */
  io?: IoMode;
}

export type IoMode = "byte" | "word";

/** The outcome of a run that reached its exit ecall. */
export interface ExecutionResult {
  exitCode: number;
  /** Instructions retired, the exit ecall included. */
  cycles: number;
  /** Bytes written to fd 1 (committed public output). */
  output: Uint8Array;
  /** Bytes written to fd 2 (not committed). */
  debug: Uint8Array;
  /** Final registers x0..x31. */
  registers: Int32Array;
}

// Decoded operation codes. 0 marks "no code here" (fetch traps).
const NONE = 0,
  ILLEGAL = 1,
  LUI = 2,
  AUIPC = 3,
  JAL = 4,
  JALR = 5,
  BEQ = 6,
  BNE = 7,
  BLT = 8,
  BGE = 9,
  BLTU = 10,
  BGEU = 11,
  LB = 12,
  LH = 13,
  LW = 14,
  LBU = 15,
  LHU = 16,
  SB = 17,
  SH = 18,
  SW = 19,
  ADDI = 20,
  SLTI = 21,
  SLTIU = 22,
  XORI = 23,
  ORI = 24,
  ANDI = 25,
  SLLI = 26,
  SRLI = 27,
  SRAI = 28,
  ADD = 29,
  SUB = 30,
  SLL = 31,
  SLT = 32,
  SLTU = 33,
  XOR = 34,
  SRL = 35,
  SRA = 36,
  OR = 37,
  AND = 38,
  MUL = 39,
  MULH = 40,
  MULHSU = 41,
  MULHU = 42,
  DIV = 43,
  DIVU = 44,
  REM = 45,
  REMU = 46,
  FENCE = 47,
  ECALL = 48,
  EBREAK = 49;

/** A pre-decoded instruction table for the code range of an image (the decode cache). */
interface Decoded {
  op: Uint8Array;
  rd: Uint8Array;
  rs1: Uint8Array;
  rs2: Uint8Array;
  imm: Int32Array;
  word: Int32Array;
}

/** Decodes one instruction word into [op, rd, rs1, rs2, imm]. */
export function decode(w: number): [number, number, number, number, number] {
  const opcode = w & 0x7f;
  const rd = (w >>> 7) & 31;
  const f3 = (w >>> 12) & 7;
  const rs1 = (w >>> 15) & 31;
  const rs2 = (w >>> 20) & 31;
  const f7 = w >>> 25;
  const immI = w >> 20;
  const immS = ((w >> 25) << 5) | ((w >>> 7) & 31);
  const immB =
    ((w >> 31) << 12) |
    (((w >>> 7) & 1) << 11) |
    (((w >>> 25) & 63) << 5) |
    (((w >>> 8) & 15) << 1);
  const immU = w & 0xfffff000;
  const immJ =
    ((w >> 31) << 20) |
    (((w >>> 12) & 255) << 12) |
    (((w >>> 20) & 1) << 11) |
    (((w >>> 21) & 1023) << 1);
  switch (opcode) {
    case 0x37:
      return [LUI, rd, 0, 0, immU];
    case 0x17:
      return [AUIPC, rd, 0, 0, immU];
    case 0x6f:
      return [JAL, rd, 0, 0, immJ];
    case 0x67:
      return f3 === 0 ? [JALR, rd, rs1, 0, immI] : [ILLEGAL, 0, 0, 0, 0];
    case 0x63: {
      const ops = [BEQ, BNE, ILLEGAL, ILLEGAL, BLT, BGE, BLTU, BGEU];
      const op = ops[f3]!;
      return op === ILLEGAL ? [ILLEGAL, 0, 0, 0, 0] : [op, 0, rs1, rs2, immB];
    }
    case 0x03: {
      const ops = [LB, LH, LW, ILLEGAL, LBU, LHU, ILLEGAL, ILLEGAL];
      const op = ops[f3]!;
      return op === ILLEGAL ? [ILLEGAL, 0, 0, 0, 0] : [op, rd, rs1, 0, immI];
    }
    case 0x23: {
      const ops = [SB, SH, SW, ILLEGAL, ILLEGAL, ILLEGAL, ILLEGAL, ILLEGAL];
      const op = ops[f3]!;
      return op === ILLEGAL ? [ILLEGAL, 0, 0, 0, 0] : [op, 0, rs1, rs2, immS];
    }
    case 0x13: {
      switch (f3) {
        case 0:
          return [ADDI, rd, rs1, 0, immI];
        case 2:
          return [SLTI, rd, rs1, 0, immI];
        case 3:
          return [SLTIU, rd, rs1, 0, immI];
        case 4:
          return [XORI, rd, rs1, 0, immI];
        case 6:
          return [ORI, rd, rs1, 0, immI];
        case 7:
          return [ANDI, rd, rs1, 0, immI];
        case 1:
          return f7 === 0 ? [SLLI, rd, rs1, 0, rs2] : [ILLEGAL, 0, 0, 0, 0];
        default: // 5
          if (f7 === 0) return [SRLI, rd, rs1, 0, rs2];
          if (f7 === 0x20) return [SRAI, rd, rs1, 0, rs2];
          return [ILLEGAL, 0, 0, 0, 0];
      }
    }
    case 0x33: {
      let op = ILLEGAL;
      if (f7 === 0) op = [ADD, SLL, SLT, SLTU, XOR, SRL, OR, AND][f3]!;
      else if (f7 === 0x20) op = f3 === 0 ? SUB : f3 === 5 ? SRA : ILLEGAL;
      else if (f7 === 1) op = [MUL, MULH, MULHSU, MULHU, DIV, DIVU, REM, REMU][f3]!;
      return op === ILLEGAL ? [ILLEGAL, 0, 0, 0, 0] : [op, rd, rs1, rs2, 0];
    }
    case 0x0f:
      // FENCE (f3=0) is a no-op on this single-hart VM; FENCE.I (f3=1) is not supported.
      return f3 === 0 ? [FENCE, 0, 0, 0, 0] : [ILLEGAL, 0, 0, 0, 0];
    case 0x73:
      if (w === 0x00000073) return [ECALL, 0, 0, 0, 0];
      if (w === 0x00100073) return [EBREAK, 0, 0, 0, 0];
      return [ILLEGAL, 0, 0, 0, 0];
    default:
      return [ILLEGAL, 0, 0, 0, 0];
  }
}

const decodeCache = new WeakMap<ProgramImage, Decoded>();

/** Decodes every word of the image's executable segments once (cached per image). */
function decodeImage(image: ProgramImage): Decoded {
  const cached = decodeCache.get(image);
  if (cached) return cached;
  const n = (image.codeEnd - image.codeStart) >>> 2;
  const d: Decoded = {
    op: new Uint8Array(n),
    rd: new Uint8Array(n),
    rs1: new Uint8Array(n),
    rs2: new Uint8Array(n),
    imm: new Int32Array(n),
    word: new Int32Array(n),
  };
  const view = new DataView(image.memory.buffer, image.memory.byteOffset, image.memory.byteLength);
  for (const s of image.segments) {
    if (!s.executable) continue;
    for (let a = s.vaddr; a < s.vaddr + s.memSize; a += 4) {
      const w = view.getInt32(a, true);
      const i = (a - image.codeStart) >>> 2;
      const [op, rd, rs1, rs2, imm] = decode(w);
      d.op[i] = op;
      d.rd[i] = rd;
      d.rs1[i] = rs1;
      d.rs2[i] = rs2;
      d.imm[i] = imm;
      d.word[i] = w;
    }
  }
  decodeCache.set(image, d);
  return d;
}

/** High 32 bits of the unsigned 64-bit product of a and b (as an int32). */
export function mulhu(a: number, b: number): number {
  a >>>= 0;
  b >>>= 0;
  const al = a & 0xffff,
    ah = a >>> 16,
    bl = b & 0xffff,
    bh = b >>> 16;
  const lh = al * bh,
    hl = ah * bl;
  const mid = ((al * bl) >>> 16) + (lh & 0xffff) + (hl & 0xffff);
  return (ah * bh + (lh >>> 16) + (hl >>> 16) + Math.floor(mid / 65536)) | 0;
}

/** High 32 bits of the signed x signed product. */
export function mulh(a: number, b: number): number {
  return (mulhu(a, b) - (a < 0 ? b : 0) - (b < 0 ? a : 0)) | 0;
}

/** High 32 bits of the signed a x unsigned b product. */
export function mulhsu(a: number, b: number): number {
  return (mulhu(a, b) - (a < 0 ? b >>> 0 : 0)) | 0;
}

/** A growable byte buffer. */
export class ByteSink {
  buf = new Uint8Array(64);
  len = 0;
  push(bytes: Uint8Array): void {
    if (this.len + bytes.length > this.buf.length) {
      const next = new Uint8Array(Math.max(this.buf.length * 2, this.len + bytes.length));
      next.set(this.buf.subarray(0, this.len));
      this.buf = next;
    }
    this.buf.set(bytes, this.len);
    this.len += bytes.length;
  }
  pushByte(byte: number): void {
    if (this.len === this.buf.length) {
      const next = new Uint8Array(this.buf.length * 2);
      next.set(this.buf);
      this.buf = next;
    }
    this.buf[this.len++] = byte;
  }
  bytes(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

/**
 * Runs a guest to its exit ecall (the fast path: no per-step records).
 *
 * Semantics: RV32IM, one cycle per retired instruction (the exit ecall counts). Memory is
 * [RAM_START, memorySize); every access outside it traps ("access-fault"), loads and stores
 * must be naturally aligned ("misaligned-access"), taken jumps/branches must target a 4-byte
 * aligned address ("misaligned-jump"), stores into executable segments trap
 * ("store-to-code"), and instructions are fetched only from executable segments.
 * Syscalls (a7), with POSIX short-transfer semantics: every call moves AT MOST ONE BYTE, so
 * a guest loops until it has what it needs (guests/rt.h: read_full, write_all).
 * - 93 exit(a0).
 * - 63 read(fd, buf, len): -1 unless fd is 0; otherwise n = min(len, 1, input bytes left)
 *   and, if n = 1, the next input byte is stored at buf. Returns n (0 at end of input).
 * - 64 write(fd, buf, len): -1 unless fd is 1 (public output) or 2 (debug stream); otherwise
 *   n = min(len, 1) and, if n = 1, the byte at buf is appended to that stream. Returns n.
 * - A byte transferred must lie in RAM ("access-fault"); read may not store into code
 *   ("store-to-code"). A call that transfers nothing (len 0, end of input, a refused fd)
 *   touches no memory and checks no buffer. a0 receives the return value.
 * - Any other a7 traps ("unknown-syscall").
 *
 * With `io: "word"` read and write move whole buffers instead: write(fd, buf, len) appends
 * all len bytes and returns len; read(0, buf, len) moves min(len, input bytes left) and
 * returns that count. The call runs as transfer steps: each moves the bytes of the buffer
 * that lie in one memory word (from buf + done to the word's end or the buffer's), and the
 * pc stays on the ecall until the last one, which writes a0 and retires the instruction
 * (one cycle, as before). A read step that finds the input ended moves what is left and
 * ends the call; a read whose input ends exactly at a word's end ends with a step that moves
 * nothing. `Machine.ioDone` carries the bytes moved so far between steps. Every byte moved is
 * checked as in byte mode, in order, so a fault traps at the first bad byte.
 * @throws Trap when the guest faults or exceeds maxCycles.
 */
export function execute(
  image: ProgramImage,
  input: Uint8Array = new Uint8Array(0),
  options: ExecuteOptions = {},
): ExecutionResult {
  const m = createMachine(image, input, options, false);
  runSteps(m, Infinity);
  return machineResult(m);
}

/** A resumable VM (used by chunked execution). */
export interface Machine {
  readonly image: ProgramImage;
  readonly input: Uint8Array;
  readonly mem: Uint8Array;
  readonly x: Int32Array;
  readonly maxCycles: number;
  pc: number;
  cycles: number;
  inputPos: number;
  readonly output: ByteSink;
  readonly debug: ByteSink;
  halted: boolean;
  exitCode: number;
  /** Pages (address >>> PAGE_SHIFT) written since the caller last cleared the set (null: off). */
  readonly dirty: Set<number> | null;
  /** Memory words (address >>> 2) touched, read or written, fetches included (null: off). */
  touch: WordTouch | null;
  readonly io: IoMode;
  /** Word mode: bytes the read/write ecall at pc has moved so far (0 outside a transfer). */
  ioDone: number;
}

/**
 * First touches of memory words since the caller's last `begin`: for each, its index and its
 * value just before the first access (so, at the start of the span). `stamp[w] === id` marks
 * a word touched in the current span; the caller bumps `id` to start a new span.
 */
export interface WordTouch {
  readonly stamp: Uint32Array;
  id: number;
  readonly words: number[];
  readonly before: number[];
}

/** A fresh machine at the image's entry (sp = memorySize, other registers 0). */
export function createMachine(
  image: ProgramImage,
  input: Uint8Array,
  options: ExecuteOptions,
  trackDirty: boolean,
): Machine {
  const x = new Int32Array(32);
  x[2] = image.memorySize;
  return {
    image,
    input,
    mem: image.memory.slice(),
    x,
    maxCycles: options.maxCycles ?? 1_000_000_000,
    pc: image.entry,
    cycles: 0,
    inputPos: 0,
    output: new ByteSink(),
    debug: new ByteSink(),
    halted: false,
    exitCode: 0,
    dirty: trackDirty ? new Set() : null,
    touch: null,
    io: options.io ?? "byte",
    ioDone: 0,
  };
}

/** The result of a halted machine. */
export function machineResult(m: Machine): ExecutionResult {
  if (!m.halted) throw new Error("machineResult: the machine has not halted");
  return {
    exitCode: m.exitCode,
    cycles: m.cycles,
    output: m.output.bytes(),
    debug: m.debug.bytes(),
    registers: m.x,
  };
}

/**
 * Runs until the guest exits or `budget` more instructions have retired (then returns with
 * the machine resumable). Traps as documented on {@link execute}. With `until`, it also
 * returns before an ecall (`ecall`: the caller runs those one at a time) or before any step
 * that starts with more than `words` memory words touched in the machine's span (`m.touch`).
 */
export function runSteps(
  m: Machine,
  budget: number,
  until?: { ecall: boolean; words: number },
): void {
  if (m.halted) return;
  const image = m.image;
  const input = m.input;
  const maxCycles = m.maxCycles;
  const dirty = m.dirty;
  const touch = m.touch;
  const d = decodeImage(image);
  const { op: OP, rd: RD, rs1: RS1, rs2: RS2, imm: IMM, word: WORD } = d;
  const codeStart = image.codeStart;
  const codeWords = OP.length;
  const memSize = image.memorySize;
  const mem = m.mem;
  const view = new DataView(mem.buffer);
  const x = m.x;
  const output = m.output;
  const debug = m.debug;
  let inputPos = m.inputPos;
  let pc = m.pc;
  let cycles = m.cycles;
  const words = m.io === "word";
  let ioDone = m.ioDone;
  // Transfer steps that did not retire their ecall count against the budget as steps.
  let transferSteps = 0;
  const stop = cycles + budget;
  const save = (): void => {
    m.pc = pc;
    m.cycles = cycles;
    m.inputPos = inputPos;
    m.ioDone = ioDone;
  };

  const trap = (cause: Trap["cause"], detail = ""): never => {
    save();
    const i = (pc - codeStart) >>> 2;
    const w = pc >= codeStart && i < codeWords ? WORD[i]! : 0;
    throw new Trap(cause, pc, w, cycles, detail);
  };
  const checkLoad = (addr: number, size: number): void => {
    if (addr < RAM_START || addr + size > memSize)
      trap("access-fault", `load of ${size} at 0x${addr.toString(16)}`);
    if ((addr & (size - 1)) !== 0)
      trap("misaligned-access", `load of ${size} at 0x${addr.toString(16)}`);
  };
  const checkStore = (addr: number, size: number): void => {
    if (addr < RAM_START || addr + size > memSize)
      trap("access-fault", `store of ${size} at 0x${addr.toString(16)}`);
    if ((addr & (size - 1)) !== 0)
      trap("misaligned-access", `store of ${size} at 0x${addr.toString(16)}`);
    const i = (addr - codeStart) >>> 2;
    if (addr >= codeStart && i < codeWords && OP[i] !== NONE)
      trap("store-to-code", `store at 0x${addr.toString(16)}`);
  };
  /** Checks the one byte a syscall transfers: in RAM and, for read (a store), not code. */
  const checkSyscallByte = (addr: number, store: boolean): void => {
    if (addr < RAM_START || addr >= memSize)
      trap("access-fault", `syscall buffer byte at 0x${addr.toString(16)}`);
    const i = (addr - codeStart) >>> 2;
    if (store && addr >= codeStart && i < codeWords && OP[i] !== NONE)
      trap("store-to-code", `read into 0x${addr.toString(16)}`);
  };

  /** Records the first touch of word w in the current span, with its value before it. */
  const touchWord = (w: number): void => {
    if (touch!.stamp[w] === touch!.id) return;
    touch!.stamp[w] = touch!.id;
    touch!.words.push(w);
    touch!.before.push(view.getUint32(w << 2, true));
  };

  for (;;) {
    if (cycles + transferSteps >= stop) {
      save();
      return;
    }
    const i = (pc - codeStart) >>> 2;
    const op = i < codeWords ? OP[i]! : NONE;
    if (op === NONE) trap("fetch-outside-code");
    if (
      until !== undefined &&
      ((until.ecall && op === ECALL) || (touch !== null && touch.words.length > until.words))
    ) {
      save();
      return;
    }
    if (touch !== null) touchWord(pc >>> 2);
    if (cycles >= maxCycles) trap("cycle-limit", `limit ${maxCycles}`);
    const rd = RD[i]!;
    const a = x[RS1[i]!]!;
    const b = x[RS2[i]!]!;
    const imm = IMM[i]!;
    let v = 0;
    let next = pc + 4;
    switch (op) {
      case LUI:
        v = imm;
        break;
      case AUIPC:
        v = (pc + imm) | 0;
        break;
      case JAL:
        v = next;
        next = (pc + imm) >>> 0;
        if (next & 3) trap("misaligned-jump", `target 0x${next.toString(16)}`);
        break;
      case JALR:
        v = next;
        next = ((a + imm) & ~1) >>> 0;
        if (next & 3) trap("misaligned-jump", `target 0x${next.toString(16)}`);
        break;
      case BEQ:
      case BNE:
      case BLT:
      case BGE:
      case BLTU:
      case BGEU: {
        const taken =
          op === BEQ
            ? a === b
            : op === BNE
              ? a !== b
              : op === BLT
                ? a < b
                : op === BGE
                  ? a >= b
                  : op === BLTU
                    ? a >>> 0 < b >>> 0
                    : a >>> 0 >= b >>> 0;
        if (taken) {
          next = (pc + imm) >>> 0;
          if (next & 3) trap("misaligned-jump", `target 0x${next.toString(16)}`);
        }
        cycles++;
        pc = next;
        continue;
      }
      case LB: {
        const addr = (a + imm) >>> 0;
        checkLoad(addr, 1);
        if (touch !== null) touchWord(addr >>> 2);
        v = view.getInt8(addr);
        break;
      }
      case LBU: {
        const addr = (a + imm) >>> 0;
        checkLoad(addr, 1);
        if (touch !== null) touchWord(addr >>> 2);
        v = mem[addr]!;
        break;
      }
      case LH: {
        const addr = (a + imm) >>> 0;
        checkLoad(addr, 2);
        if (touch !== null) touchWord(addr >>> 2);
        v = view.getInt16(addr, true);
        break;
      }
      case LHU: {
        const addr = (a + imm) >>> 0;
        checkLoad(addr, 2);
        if (touch !== null) touchWord(addr >>> 2);
        v = view.getUint16(addr, true);
        break;
      }
      case LW: {
        const addr = (a + imm) >>> 0;
        checkLoad(addr, 4);
        if (touch !== null) touchWord(addr >>> 2);
        v = view.getInt32(addr, true);
        break;
      }
      case SB: {
        const addr = (a + imm) >>> 0;
        checkStore(addr, 1);
        if (touch !== null) touchWord(addr >>> 2);
        mem[addr] = b;
        if (dirty !== null) dirty.add(addr >>> PAGE_SHIFT);
        cycles++;
        pc = next;
        continue;
      }
      case SH: {
        const addr = (a + imm) >>> 0;
        checkStore(addr, 2);
        if (touch !== null) touchWord(addr >>> 2);
        view.setInt16(addr, b, true);
        if (dirty !== null) dirty.add(addr >>> PAGE_SHIFT);
        cycles++;
        pc = next;
        continue;
      }
      case SW: {
        const addr = (a + imm) >>> 0;
        checkStore(addr, 4);
        if (touch !== null) touchWord(addr >>> 2);
        view.setInt32(addr, b, true);
        if (dirty !== null) dirty.add(addr >>> PAGE_SHIFT);
        cycles++;
        pc = next;
        continue;
      }
      case ADDI:
        v = (a + imm) | 0;
        break;
      case SLTI:
        v = a < imm ? 1 : 0;
        break;
      case SLTIU:
        v = a >>> 0 < imm >>> 0 ? 1 : 0;
        break;
      case XORI:
        v = a ^ imm;
        break;
      case ORI:
        v = a | imm;
        break;
      case ANDI:
        v = a & imm;
        break;
      case SLLI:
        v = a << imm;
        break;
      case SRLI:
        v = (a >>> imm) | 0;
        break;
      case SRAI:
        v = a >> imm;
        break;
      case ADD:
        v = (a + b) | 0;
        break;
      case SUB:
        v = (a - b) | 0;
        break;
      case SLL:
        v = a << (b & 31);
        break;
      case SLT:
        v = a < b ? 1 : 0;
        break;
      case SLTU:
        v = a >>> 0 < b >>> 0 ? 1 : 0;
        break;
      case XOR:
        v = a ^ b;
        break;
      case SRL:
        v = (a >>> (b & 31)) | 0;
        break;
      case SRA:
        v = a >> (b & 31);
        break;
      case OR:
        v = a | b;
        break;
      case AND:
        v = a & b;
        break;
      case MUL:
        v = Math.imul(a, b);
        break;
      case MULH:
        v = mulh(a, b);
        break;
      case MULHSU:
        v = mulhsu(a, b);
        break;
      case MULHU:
        v = mulhu(a, b);
        break;
      case DIV:
        v = b === 0 ? -1 : a === -0x80000000 && b === -1 ? a : (a / b) | 0;
        break;
      case DIVU:
        v = b === 0 ? -1 : ((a >>> 0) / (b >>> 0)) | 0;
        break;
      case REM:
        v = b === 0 ? a : a === -0x80000000 && b === -1 ? 0 : (a % b) | 0;
        break;
      case REMU:
        v = b === 0 ? a : ((a >>> 0) % (b >>> 0)) | 0;
        break;
      case FENCE:
        cycles++;
        pc = next;
        continue;
      case ECALL: {
        const num = x[17]!;
        const a0 = x[10]!;
        const buf = x[11]! >>> 0;
        const len = x[12]! >>> 0;
        if (num === SYS_EXIT) {
          cycles++;
          m.halted = true;
          m.exitCode = a0;
          save();
          return;
        } else if (words && (num === SYS_READ || num === SYS_WRITE)) {
          // one transfer step: the bytes of buf + done .. in one word (see execute's doc)
          const read = num === SYS_READ;
          if (read ? a0 !== 0 : a0 !== 1 && a0 !== 2) {
            v = -1;
          } else if (len === 0) {
            v = 0;
          } else {
            const at = (buf + ioDone) >>> 0;
            const want = Math.min(4 - (at & 3), len - ioDone);
            const n = read ? Math.min(want, input.length - inputPos) : want;
            for (let j = 0; j < n; j++) checkSyscallByte((at + j) >>> 0, read);
            if (n > 0) {
              if (touch !== null) touchWord(at >>> 2);
              if (read && dirty !== null) dirty.add(at >>> PAGE_SHIFT);
            }
            for (let j = 0; j < n; j++) {
              if (read) mem[at + j] = input[inputPos++]!;
              else (a0 === 1 ? output : debug).pushByte(mem[at + j]!);
            }
            ioDone += n;
            if (n === want && ioDone < len) {
              transferSteps++;
              continue;
            }
            v = ioDone;
            ioDone = 0;
          }
        } else if (num === SYS_READ) {
          if (a0 !== 0) {
            v = -1;
          } else if (len === 0 || inputPos >= input.length) {
            v = 0;
          } else {
            checkSyscallByte(buf, true);
            if (touch !== null) touchWord(buf >>> 2);
            mem[buf] = input[inputPos++]!;
            if (dirty !== null) dirty.add(buf >>> PAGE_SHIFT);
            v = 1;
          }
        } else if (num === SYS_WRITE) {
          if (a0 !== 1 && a0 !== 2) {
            v = -1;
          } else if (len === 0) {
            v = 0;
          } else {
            checkSyscallByte(buf, false);
            if (touch !== null) touchWord(buf >>> 2);
            (a0 === 1 ? output : debug).pushByte(mem[buf]!);
            v = 1;
          }
        } else {
          trap("unknown-syscall", `a7=${num}`);
        }
        x[10] = v;
        cycles++;
        pc = next;
        continue;
      }
      case EBREAK:
        trap("ebreak");
        break;
      default:
        trap("illegal-instruction");
    }
    if (rd !== 0) x[rd] = v;
    cycles++;
    pc = next;
  }
}
