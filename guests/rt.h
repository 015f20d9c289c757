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
/*
 * The raw syscalls transfer at most ONE byte per call (POSIX short reads and writes, the
 * zkVM's I/O semantics); use read_full and write_all below to move whole buffers.
 * read(0, buf, len): bytes read from the job input (0 or 1; 0 at end of input).
 */
static inline long read_input(void *buf, u32 len) { return sys3(63, 0, (long)buf, len); }
/* write(fd, buf, len), fd 1 (public output) or 2 (debug): bytes written (0 or 1); -1 bad fd. */
static inline long write_fd(int fd, const void *buf, u32 len) { return sys3(64, fd, (long)buf, len); }
/* Reads until len bytes or the end of the input; returns the bytes read. */
static inline u32 read_full(void *buf, u32 len) {
  u8 *p = buf;
  u32 n = 0;
  while (n < len) {
    long r = read_input(p + n, len - n);
    if (r <= 0) break;
    n += (u32)r;
  }
  return n;
}
/* Writes all len bytes to fd; returns len, or -1 if the fd is refused. */
static inline long write_all(int fd, const void *buf, u32 len) {
  const u8 *p = buf;
  u32 n = 0;
  while (n < len) {
    long r = write_fd(fd, p + n, len - n);
    if (r <= 0) return -1;
    n += (u32)r;
  }
  return (long)n;
}
static inline void exit_guest(int code) {
  sys3(93, code, 0, 0);
  __builtin_unreachable();
}
void *memcpy(void *d, const void *s, size_t n);
void *memset(void *d, int c, size_t n);
