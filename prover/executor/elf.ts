/** Lowest guest address: [0, RAM_START) is unmapped so that null pointers trap. */
export const RAM_START = 0x1000;
/** Default guest memory size (exclusive upper bound of RAM): 1 MiB. */
export const DEFAULT_MEMORY_SIZE = 1 << 20;
/** Words per memory page: the leaf of the memory commitment (digest.ts) and the unit of paging. */
export const PAGE_WORDS = 16;
/** Bytes per memory page (64). */
export const PAGE_BYTES = PAGE_WORDS * 4;
/** log2(PAGE_BYTES): the page of an address is `address >>> PAGE_SHIFT`. */
export const PAGE_SHIFT = 6;

const PT_LOAD = 1;
const PF_X = 1;
const EM_RISCV = 243;
const ET_EXEC = 2;

/** Why an ELF file was refused. */
export type ElfErrorReason =
  | "truncated"
  | "not-elf"
  | "not-32-bit"
  | "not-little-endian"
  | "not-executable"
  | "wrong-machine"
  | "bad-segment"
  | "segment-out-of-range"
  | "overlapping-segments"
  | "no-code"
  | "bad-entry"
  | "bad-memory-size"
  | "compressed-instructions"
  | "unsupported-abi";

/** An ELF file that is not a loadable RV32 guest. */
export class ElfError extends Error {
  override readonly name = "ElfError";
  constructor(
    readonly reason: ElfErrorReason,
    message: string,
  ) {
    super(`ELF ${reason}: ${message}`);
  }
}

/** One PT_LOAD segment as placed in guest memory. */
export interface LoadedSegment {
  vaddr: number;
  memSize: number;
  fileSize: number;
  executable: boolean;
  writable: boolean;
}

/**
 * A loaded program: the initial guest memory (index = guest address; bytes below RAM_START
 * are never accessible) and the executable range. Code (every executable segment; together
 * they must form one contiguous range) is read-only: stores to it trap, and instructions
 * are fetched only from it. Non-executable segments are writable RAM even without PF_W
 * (read-only data is not enforced), as is every other address in [RAM_START, memorySize).
 */
export interface ProgramImage {
  entry: number;
  memorySize: number;
  /** Initial memory, length memorySize. Do not mutate: the executor copies it. */
  memory: Uint8Array;
  segments: LoadedSegment[];
  /** Lowest and exclusive highest address covered by executable segments. */
  codeStart: number;
  codeEnd: number;
}

/** Options for {@link loadElf}. */
export interface LoadOptions {
  /**
   * Guest memory size in bytes: a power of two above RAM_START, at most 2^31 (default 1 MiB).
   * A power of two because memory is committed as a full binary Merkle tree of pages.
   */
  memorySize?: number;
}

/**
 * Parses a 32-bit little-endian RISC-V ET_EXEC ELF and lays out its PT_LOAD segments in
 * guest memory (file bytes copied, the rest of each segment, i.e. bss, zeroed).
 * @throws ElfError naming what is wrong with the file.
 */
export function loadElf(bytes: Uint8Array, options: LoadOptions = {}): ProgramImage {
  const memorySize = options.memorySize ?? DEFAULT_MEMORY_SIZE;
  // A power of two, so that memory is a whole binary tree of pages (see digest.ts).
  if (
    !Number.isInteger(memorySize) ||
    memorySize <= RAM_START ||
    memorySize > 0x8000_0000 ||
    (memorySize & (memorySize - 1)) !== 0
  ) {
    throw new ElfError(
      "bad-memory-size",
      `memory size ${memorySize} is not a power of two in (0x1000, 2^31]`,
    );
  }
  if (bytes.length < 52)
    throw new ElfError("truncated", `file has ${bytes.length} bytes, an ELF32 header needs 52`);
  if (bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[2] !== 0x4c || bytes[3] !== 0x46) {
    throw new ElfError("not-elf", "missing \\x7fELF magic");
  }
  if (bytes[4] !== 1)
    throw new ElfError("not-32-bit", `EI_CLASS is ${bytes[4]}, expected 1 (ELFCLASS32)`);
  if (bytes[5] !== 1)
    throw new ElfError("not-little-endian", `EI_DATA is ${bytes[5]}, expected 1 (ELFDATA2LSB)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const type = view.getUint16(16, true);
  if (type !== ET_EXEC)
    throw new ElfError("not-executable", `e_type is ${type}, expected 2 (ET_EXEC)`);
  const machine = view.getUint16(18, true);
  if (machine !== EM_RISCV)
    throw new ElfError("wrong-machine", `e_machine is ${machine}, expected 243 (RISC-V)`);
  // e_flags: the RISC-V extensions and ABI the file was built for (RVC, float ABI, RVE).
  const flags = view.getUint32(36, true);
  if (flags & 0x1)
    throw new ElfError(
      "compressed-instructions",
      "built with compressed instructions (the C extension): build with -march=rv32im",
    );
  if (flags & 0x6)
    throw new ElfError("unsupported-abi", "built for a hard-float ABI: build with -mabi=ilp32");
  if (flags & 0x8)
    throw new ElfError("unsupported-abi", "built for RV32E: build with -march=rv32im -mabi=ilp32");
  const entry = view.getUint32(24, true);
  const phoff = view.getUint32(28, true);
  const phentsize = view.getUint16(42, true);
  const phnum = view.getUint16(44, true);
  if (phnum > 0 && phentsize < 32)
    throw new ElfError("bad-segment", `e_phentsize ${phentsize} < 32`);
  if (phoff + phnum * phentsize > bytes.length) {
    throw new ElfError(
      "truncated",
      `program headers end at ${phoff + phnum * phentsize}, file has ${bytes.length} bytes`,
    );
  }
  const memory = new Uint8Array(memorySize);
  const segments: LoadedSegment[] = [];
  // lld's default layouts map the ELF and program headers in a read-only PT_LOAD of their
  // own (offset 0, no section in it). A guest never reads them: such a segment is skipped
  // where it would collide with the program (overlap another segment, or lie outside RAM), as
  // with `-Ttext=0x1000`, whose headers land at 0x10000, inside a large .rodata. Elsewhere it
  // is loaded as before, so the image IDs of programs that loaded already do not change.
  const headersEnd = Math.max(52, phoff + phnum * phentsize);
  const loads: {
    i: number;
    offset: number;
    vaddr: number;
    fileSize: number;
    memSize: number;
    flags: number;
  }[] = [];
  for (let i = 0; i < phnum; i++) {
    const o = phoff + i * phentsize;
    if (view.getUint32(o, true) !== PT_LOAD) continue;
    loads.push({
      i,
      offset: view.getUint32(o + 4, true),
      vaddr: view.getUint32(o + 8, true),
      fileSize: view.getUint32(o + 16, true),
      memSize: view.getUint32(o + 20, true),
      flags: view.getUint32(o + 24, true),
    });
  }
  const headersOnly = (l: (typeof loads)[number]) =>
    l.offset === 0 &&
    (l.flags & PF_X) === 0 &&
    l.fileSize === l.memSize &&
    l.fileSize <= headersEnd;
  const collides = (l: (typeof loads)[number]) =>
    l.vaddr < RAM_START ||
    l.vaddr + l.memSize > memorySize ||
    loads.some(
      (m) =>
        m !== l && m.memSize > 0 && l.vaddr < m.vaddr + m.memSize && m.vaddr < l.vaddr + l.memSize,
    );
  for (const l of loads) {
    const { i, offset, vaddr, fileSize, memSize, flags } = l;
    if (memSize === 0) continue;
    if (headersOnly(l) && collides(l)) continue;
    if (fileSize > memSize)
      throw new ElfError("bad-segment", `segment ${i}: p_filesz ${fileSize} > p_memsz ${memSize}`);
    if (offset + fileSize > bytes.length) {
      throw new ElfError(
        "truncated",
        `segment ${i}: bytes [${offset}, ${offset + fileSize}) beyond file end ${bytes.length}`,
      );
    }
    if (vaddr < RAM_START || vaddr + memSize > memorySize) {
      throw new ElfError(
        "segment-out-of-range",
        `segment ${i}: [0x${vaddr.toString(16)}, 0x${(vaddr + memSize).toString(16)}) outside RAM [0x1000, 0x${memorySize.toString(16)})`,
      );
    }
    const executable = (flags & PF_X) !== 0;
    if (executable && (vaddr % 4 !== 0 || memSize % 4 !== 0)) {
      throw new ElfError("bad-segment", `segment ${i}: executable segment not 4-byte aligned`);
    }
    for (const s of segments) {
      if (vaddr < s.vaddr + s.memSize && s.vaddr < vaddr + memSize) {
        throw new ElfError(
          "overlapping-segments",
          `segment ${i} at 0x${vaddr.toString(16)} overlaps segment at 0x${s.vaddr.toString(16)}`,
        );
      }
    }
    memory.set(bytes.subarray(offset, offset + fileSize), vaddr);
    segments.push({ vaddr, memSize, fileSize, executable, writable: (flags & 2) !== 0 });
  }
  const code = segments.filter((s) => s.executable);
  if (code.length === 0) throw new ElfError("no-code", "no executable PT_LOAD segment");
  const codeStart = Math.min(...code.map((s) => s.vaddr));
  const codeEnd = Math.max(...code.map((s) => s.vaddr + s.memSize));
  if (code.reduce((n, s) => n + s.memSize, 0) !== codeEnd - codeStart) {
    throw new ElfError("bad-segment", "executable segments must be contiguous (code is one range)");
  }
  if (entry % 4 !== 0 || !code.some((s) => entry >= s.vaddr && entry < s.vaddr + s.memSize)) {
    throw new ElfError(
      "bad-entry",
      `entry 0x${entry.toString(16)} is not an aligned address in a code segment`,
    );
  }
  return { entry, memorySize, memory, segments, codeStart, codeEnd };
}
