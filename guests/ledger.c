/*
 * A small ledger state machine.
 * Input (LE u32 words): n (accounts, <= 1024), n initial balances, then transfers as
 * (from, to, amount) triples until the input ends. A transfer with an unknown account or
 * insufficient funds is skipped. Output: applied transfer count, then the FNV-1a 32-bit
 * hash of the final balances (as LE bytes).
 */
#include "rt.h"

static u32 bal[1024];

static int next(u32 *w) { return read_full(w, 4) == 4; }

int main(void) {
  u32 n;
  if (!next(&n) || n > 1024) return 1;
  for (u32 i = 0; i < n; i++)
    if (!next(&bal[i])) return 1;
  u32 from, to, amount, applied = 0;
  while (next(&from) && next(&to) && next(&amount)) {
    if (from >= n || to >= n || bal[from] < amount) continue;
    bal[from] -= amount;
    bal[to] += amount;
    applied++;
  }
  u32 h = 2166136261u;
  const u8 *p = (const u8 *)bal;
  for (u32 i = 0; i < n * 4; i++) h = (h ^ p[i]) * 16777619u;
  u32 out[2] = {applied, h};
  write_all(1, out, 8);
  return 0;
}
