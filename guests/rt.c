#include "rt.h"

int main(void);

/* Entry: sp is MEMORY_SIZE (set by the VM); main's return value is the exit code. */
__attribute__((naked, section(".text.start"))) void _start(void) {
  __asm__ volatile("call main\n li a7, 93\n ecall\n");
}

void *memcpy(void *d, const void *s, size_t n) {
  u8 *dd = d;
  const u8 *ss = s;
  while (n--) *dd++ = *ss++;
  return d;
}

void *memset(void *d, int c, size_t n) {
  u8 *dd = d;
  while (n--) *dd++ = (u8)c;
  return d;
}
