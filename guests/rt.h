/* Tiny guest runtime for the Concentric zkVM: start-up, syscalls, memcpy/memset. */
#pragma once
typedef unsigned int u32;
typedef unsigned char u8;
typedef unsigned long size_t;

static inline long sys3(long n, long a, long b, long c) {
  register long a0 __asm__("a0") = a;
  register long a1 __asm__("a1") = b;
  register long a2 __asm__("a2") = c;
  register long a7 __asm__("a7") = n;
  __asm__ volatile("ecall" : "+r"(a0) : "r"(a1), "r"(a2), "r"(a7) : "memory");
  return a0;
}
/* read(0, buf, len): bytes read from the job input. */
static inline long read_input(void *buf, u32 len) { return sys3(63, 0, (long)buf, len); }
/* write to fd 1 (public output) or 2 (debug). */
static inline long write_fd(int fd, const void *buf, u32 len) { return sys3(64, fd, (long)buf, len); }
static inline void exit_guest(int code) {
  sys3(93, code, 0, 0);
  __builtin_unreachable();
}
void *memcpy(void *d, const void *s, size_t n);
void *memset(void *d, int c, size_t n);
