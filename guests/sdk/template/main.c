/*
 * A Concentric guest: counts the primes below n.
 * Input: n as a 32-bit little-endian word (default 100). Output: the count, 32-bit LE.
 * Build: npx concentric build    Run: npx concentric exec build/__NAME__.elf --input-u32 100
 */
#include "concentric.h"

__attribute__((noinline)) static int is_prime(u32 k) {
  if (k < 2) return 0;
  for (u32 d = 2; d * d <= k; d++)
    if (k % d == 0) return 0;
  return 1;
}

int main(void) {
  u32 n = 100;
  concentric_read(&n, 4);
  if (n > 1000000) panic("n is too large (at most 1000000)");
  u32 count = 0;
  for (u32 k = 0; k < n; k++) count += is_prime(k);
  debug_u32("count", count);
  commit_u32(count);
  return 0;
}
