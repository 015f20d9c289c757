/* Input: n as a 32-bit little-endian word (default 10). Output: fib(n) mod 2^32, LE. */
#include "rt.h"

int main(void) {
  u32 n = 10;
  read_full(&n, 4);
  u32 a = 0, b = 1;
  for (u32 i = 0; i < n; i++) {
    u32 t = a + b;
    a = b;
    b = t;
  }
  write_all(1, &a, 4);
  return 0;
}
