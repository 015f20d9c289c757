/*
 * Exercises every RV32IM register-register instruction on the 32-bit edge values via
 * inline assembly: for each (a, b) pair in E x E, in order, the 18 results of
 * add sub sll slt sltu xor srl sra or and mul mulh mulhsu mulhu div divu rem remu are folded
 * into one FNV-1a-style word h = (h ^ result) * 16777619 (from 2166136261), which is the output
 * (LE u32). Folding in registers keeps the run short (a few thousand cycles) so the guest can be
 * proven whole; tests recompute the fold from a BigInt model of each instruction.
 * Then, for each (a, b) in F x F (F = the first five of E), the six conditional branches
 * beq bne blt bge bltu bgeu, each folding 1 if taken and 0 if not; the branch offset is 32, so
 * the encoding's rd field is x0 (a case the decoder must not take for a register write).
 * Immediates, loads/stores and jumps are exercised by the compiled C around it and by the
 * other guests.
 */
#include "rt.h"

static const u32 E[] = {0, 1, 0xffffffff, 0x7fffffff, 0x80000000, 31, 32, 0xfffffff9};
#define OP(name)                                                           \
  do {                                                                     \
    u32 x;                                                                 \
    __asm__ volatile(#name " %0, %1, %2" : "=r"(x) : "r"(a), "r"(b));      \
    h = (h ^ x) * 16777619u;                                               \
  } while (0)

#define BRANCH(name)                                                       \
  do {                                                                     \
    u32 t;                                                                 \
    __asm__ volatile("li %0, 1\n" #name " %1, %2, 1f\n li %0, 0\n j 1f\n"   \
                     ".rept 5\n nop\n .endr\n1:\n"                          \
                     : "=&r"(t) : "r"(a), "r"(b));                         \
    h = (h ^ t) * 16777619u;                                               \
  } while (0)

int main(void) {
  u32 h = 2166136261u;
  for (int i = 0; i < 8; i++) {
    for (int j = 0; j < 8; j++) {
      u32 a = E[i], b = E[j];
      OP(add); OP(sub); OP(sll); OP(slt); OP(sltu); OP(xor); OP(srl); OP(sra); OP(or);
      OP(and); OP(mul); OP(mulh); OP(mulhsu); OP(mulhu); OP(div); OP(divu); OP(rem); OP(remu);
    }
  }
  for (int i = 0; i < 5; i++) {
    for (int j = 0; j < 5; j++) {
      u32 a = E[i], b = E[j];
      BRANCH(beq); BRANCH(bne); BRANCH(blt); BRANCH(bge); BRANCH(bltu); BRANCH(bgeu);
    }
  }
  write_all(1, &h, 4);
  return 0;
}
