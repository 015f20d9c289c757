/*
 * Exercises every RV32IM register-register instruction on the 32-bit edge values via
 * inline assembly; output: for each (a, b) pair in E x E, the 18 results in the order
 * add sub sll slt sltu xor srl sra or and mul mulh mulhsu mulhu div divu rem remu (LE u32).
 * Immediates, loads/stores, branches and jumps are exercised by the compiled C around it.
 */
#include "rt.h"

static const u32 E[] = {0, 1, 0xffffffff, 0x7fffffff, 0x80000000, 31, 32, 0xfffffff9};
#define OP(name) __asm__ volatile(#name " %0, %1, %2" : "=r"(r[k++]) : "r"(a), "r"(b))

int main(void) {
  static u32 r[8 * 8 * 18];
  u32 k = 0;
  for (int i = 0; i < 8; i++) {
    for (int j = 0; j < 8; j++) {
      u32 a = E[i], b = E[j];
      OP(add); OP(sub); OP(sll); OP(slt); OP(sltu); OP(xor); OP(srl); OP(sra); OP(or);
      OP(and); OP(mul); OP(mulh); OP(mulhsu); OP(mulhu); OP(div); OP(divu); OP(rem); OP(remu);
    }
  }
  write_all(1, r, k * 4);
  return 0;
}
