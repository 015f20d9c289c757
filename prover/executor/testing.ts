/**
 * Test helpers: a tiny RV32 instruction encoder (R/I/S/B/U/J formats, written from the
 * RISC-V spec) and a minimal ELF32 writer, so tests need no toolchain.
 */

/** R-type: funct7 | rs2 | rs1 | funct3 | rd | opcode. */
export const encR = (f7: number, rs2: number, rs1: number, f3: number, rd: number, opc: number) =>
  ((f7 << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | opc) >>> 0;
/** I-type: imm[11:0] | rs1 | funct3 | rd | opcode. */
export const encI = (imm: number, rs1: number, f3: number, rd: number, opc: number) =>
  (((imm & 0xfff) << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | opc) >>> 0;
/** S-type: imm[11:5] | rs2 | rs1 | funct3 | imm[4:0] | opcode. */
export const encS = (imm: number, rs2: number, rs1: number, f3: number, opc = 0x23) =>
  ((((imm >> 5) & 0x7f) << 25) |
    (rs2 << 20) |
    (rs1 << 15) |
    (f3 << 12) |
    ((imm & 31) << 7) |
    opc) >>>
  0;
/** B-type: imm[12|10:5] | rs2 | rs1 | funct3 | imm[4:1|11] | opcode. */
export const encB = (imm: number, rs2: number, rs1: number, f3: number, opc = 0x63) =>
  ((((imm >> 12) & 1) << 31) |
    (((imm >> 5) & 0x3f) << 25) |
    (rs2 << 20) |
    (rs1 << 15) |
    (f3 << 12) |
    (((imm >> 1) & 0xf) << 8) |
    (((imm >> 11) & 1) << 7) |
    opc) >>>
  0;
/** U-type: imm[31:12] | rd | opcode. */
export const encU = (imm: number, rd: number, opc: number) =>
  ((imm & 0xfffff000) | (rd << 7) | opc) >>> 0;
/** J-type: imm[20|10:1|11|19:12] | rd | opcode. */
export const encJ = (imm: number, rd: number, opc = 0x6f) =>
  ((((imm >> 20) & 1) << 31) |
    (((imm >> 1) & 0x3ff) << 21) |
    (((imm >> 11) & 1) << 20) |
    (((imm >> 12) & 0xff) << 12) |
    (rd << 7) |
    opc) >>>
  0;

/** `li rd, value` as lui + addi. */
export function li(rd: number, value: number): number[] {
  const v = value | 0;
  const hi = (v + 0x800) & 0xfffff000;
  const lo = (v - hi) | 0;
  return [encU(hi, rd, 0x37), encI(lo, rd, 0, rd, 0x13)];
}
export const ECALL = 0x00000073;
export const EBREAK = 0x00100073;
/** `li a7, 93; ecall` (exit with a0). */
export const exitSeq = (): number[] => [...li(17, 93), ECALL];

/** A PT_LOAD segment for {@link buildElf}. */
export interface TestSegment {
  vaddr: number;
  data: Uint8Array;
  memSize?: number;
  /** PF_X=1, PF_W=2, PF_R=4. */
  flags: number;
}

/** Writes a minimal ELF32 LE RISC-V ET_EXEC with the given segments. */
export function buildElf(segments: TestSegment[], entry: number): Uint8Array {
  const phoff = 52;
  let off = phoff + 32 * segments.length;
  const total = off + segments.reduce((n, s) => n + s.data.length, 0);
  const out = new Uint8Array(total);
  const v = new DataView(out.buffer);
  out.set([0x7f, 0x45, 0x4c, 0x46, 1, 1, 1]);
  v.setUint16(16, 2, true);
  v.setUint16(18, 243, true);
  v.setUint32(20, 1, true);
  v.setUint32(24, entry, true);
  v.setUint32(28, phoff, true);
  v.setUint16(40, 52, true);
  v.setUint16(42, 32, true);
  v.setUint16(44, segments.length, true);
  segments.forEach((s, i) => {
    const p = phoff + 32 * i;
    v.setUint32(p, 1, true);
    v.setUint32(p + 4, off, true);
    v.setUint32(p + 8, s.vaddr, true);
    v.setUint32(p + 12, s.vaddr, true);
    v.setUint32(p + 16, s.data.length, true);
    v.setUint32(p + 20, s.memSize ?? s.data.length, true);
    v.setUint32(p + 24, s.flags, true);
    v.setUint32(p + 28, 4, true);
    out.set(s.data, off);
    off += s.data.length;
  });
  return out;
}

/** Little-endian bytes of instruction words. */
export function words(ws: number[]): Uint8Array {
  const b = new Uint8Array(ws.length * 4);
  const v = new DataView(b.buffer);
  ws.forEach((w, i) => v.setUint32(i * 4, w >>> 0, true));
  return b;
}

/** An ELF with one code segment at 0x1000 (entry) and an optional RW data segment. */
export function programElf(
  code: number[],
  data?: { vaddr: number; bytes: Uint8Array; memSize?: number },
): Uint8Array {
  const segs: TestSegment[] = [{ vaddr: 0x1000, data: words(code), flags: 5 }];
  if (data) segs.push({ vaddr: data.vaddr, data: data.bytes, memSize: data.memSize, flags: 6 });
  return buildElf(segs, 0x1000);
}

/** xorshift32: a small deterministic PRNG for test and bench data (the same stream every run). */
export function xorshift32(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>>= 0);
  };
}
