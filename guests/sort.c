/* Input: little-endian u32 words (up to 16384). Output: the words sorted ascending. */
#include "rt.h"

static u32 a[16384];

static void sort(u32 *v, long n) {
  /* Shell sort with Ciura-like gaps: no recursion, no extra memory. */
  static const long gaps[] = {1750, 701, 301, 132, 57, 23, 10, 4, 1};
  for (int g = 0; g < 9; g++) {
    long gap = gaps[g];
    for (long i = gap; i < n; i++) {
      u32 t = v[i];
      long j = i;
      for (; j >= gap && v[j - gap] > t; j -= gap) v[j] = v[j - gap];
      v[j] = t;
    }
  }
}

int main(void) {
  u32 n = read_full(a, sizeof a) / 4;
  sort(a, n);
  write_all(1, a, n * 4);
  return 0;
}
