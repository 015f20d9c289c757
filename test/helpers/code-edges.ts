/**
 * A small hand-assembled program on the edges of its code range (no toolchain needed): it loads
 * code words (LW, LBU, LH), stores just past and just below the code, writes five bytes of the
 * code itself to fd 1 and reads one input byte just past the code. The versioned-cells step and
 * chunk tests run it because the committed guests never read their own code.
 */
import type { ProgramImage } from "../../prover/executor/index.ts";
import { loadElf } from "../../prover/executor/index.ts";
import { buildElf, ECALL, encI, encR, encS, li, words } from "../../prover/executor/testing.ts";

export function codeEdges(): { name: string; image: ProgramImage; input: Uint8Array } {
  const BASE = 0x2000;
  const [t0, t1, t2, s5, s6] = [5, 6, 7, 21, 22];
  const [a0, a1, a2, a7] = [10, 11, 12, 17];
  const program = (codeEnd: number) => [
    ...li(s5, BASE),
    encI(0, s5, 2, t0, 0x03), // LW t0, 0(code start)
    encI(7, s5, 4, t1, 0x03), // LBU t1, 7(code start)
    encI(2, s5, 1, t2, 0x03), // LH t2, 2(code start)
    encR(0, t1, t0, 0, t2, 0x33), // ADD
    ...li(s6, codeEnd),
    encS(0, t0, s6, 2), // SW just past the code
    encI(0, s6, 2, t1, 0x03), // LW it back
    ...li(s6, BASE - 4),
    encS(0, t0, s6, 0), // SB just below the code
    // write(1, code start, 5): bytes of the code itself
    ...li(a7, 64),
    ...li(a0, 1),
    ...li(a1, BASE),
    ...li(a2, 5),
    ECALL,
    // read(0, codeEnd + 8, 1)
    ...li(a7, 63),
    ...li(a0, 0),
    ...li(a1, codeEnd + 8),
    ...li(a2, 1),
    ECALL,
    ...li(a0, 0),
    ...li(a7, 93),
    ECALL,
  ];
  const n = program(0).length;
  const elf = buildElf([{ vaddr: BASE, data: words(program(BASE + 4 * n)), flags: 5 }], BASE);
  return { name: "code-edges", image: loadElf(elf), input: new TextEncoder().encode("Z") };
}
