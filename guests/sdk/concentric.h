/*
 * concentric.h — the guest runtime of the Concentric zkVM, in one header.
 *
 * A guest is a RV32IM program: it reads its job input, computes, commits public output and
 * exits with a code. A proof of the run states "image X on input with digest I exits with
 * code c after n cycles and writes output with digest O"; a contract reads exactly that.
 *
 * Build: clang --target=riscv32 -march=rv32im -mabi=ilp32 -mno-relax -nostdlib -static
 *        -fuse-ld=lld -ffreestanding -O2 -T guest.ld   (or: npx concentric build)
 *
 * ABI (ecall, syscall number in a7, arguments in a0..a2, result in a0):
 *
 *   a7   call                         meaning
 *   93   exit(code)                   ends the run; code is the job's exit code
 *   63   read(0, buf, len)            moves up to len bytes of the job input into buf and
 *                                     returns the count (0 at the end of the input); may move
 *                                     fewer than asked: loop (concentric_read does)
 *   64   write(1, buf, len)           appends to the PUBLIC OUTPUT (committed by the proof)
 *   64   write(2, buf, len)           appends to the DEBUG stream (not committed: shown by
 *                                     concentric exec and the orchestrator's logs)
 *   other a7 values trap ("unknown-syscall"); other fds return -1.
 *
 * Memory map: RAM is [0x1000, MEMORY_SIZE), MEMORY_SIZE = 1 MiB (0x100000) on the default
 * circuits; [0, 0x1000) is unmapped (a NULL dereference traps). Code is read-only (a store to
 * it traps) and instructions are fetched only from it. At start every register is 0 but
 * sp = MEMORY_SIZE: the stack grows down from the top of RAM, static data sits just above the
 * code; nothing checks that they meet. Loads and stores must be naturally aligned (a
 * misaligned access traps). `concentric limits` prints these figures.
 *
 * Cost: one cycle per instruction; a syscall moves its bytes in circuit steps (reading and
 * writing in whole buffers is cheaper than byte loops). `concentric exec --profile` shows
 * cycles per function.
 */
#ifndef CONCENTRIC_H
#define CONCENTRIC_H

typedef unsigned int u32;
typedef int i32;
typedef unsigned char u8;
typedef unsigned long size_t;

#define CONCENTRIC_SYS_READ 63
#define CONCENTRIC_SYS_WRITE 64
#define CONCENTRIC_SYS_EXIT 93
#define CONCENTRIC_FD_OUTPUT 1
#define CONCENTRIC_FD_DEBUG 2
/* Exit code of panic(): the proof still settles, with this code and the message on fd 2. */
#define CONCENTRIC_PANIC_EXIT 101

static inline long concentric_syscall(long n, long a, long b, long c) {
  register long a0 __asm__("a0") = a;
  register long a1 __asm__("a1") = b;
  register long a2 __asm__("a2") = c;
  register long a7 __asm__("a7") = n;
  __asm__ volatile("ecall" : "+r"(a0) : "r"(a1), "r"(a2), "r"(a7) : "memory");
  return a0;
}

/* Reads the job input into buf: up to len bytes (fewer only at the end of the input).
 * Returns the number of bytes read. */
static inline u32 concentric_read(void *buf, u32 len) {
  u8 *p = (u8 *)buf;
  u32 n = 0;
  while (n < len) {
    long r = concentric_syscall(CONCENTRIC_SYS_READ, 0, (long)(p + n), len - n);
    if (r <= 0) break;
    n += (u32)r;
  }
  return n;
}

static inline void concentric_write(int fd, const void *buf, u32 len) {
  const u8 *p = (const u8 *)buf;
  u32 n = 0;
  while (n < len) {
    long r = concentric_syscall(CONCENTRIC_SYS_WRITE, fd, (long)(p + n), len - n);
    if (r <= 0) return;
    n += (u32)r;
  }
}

/* Appends len bytes to the public output (what the proof commits and a contract checks). */
static inline void commit(const void *buf, u32 len) { concentric_write(CONCENTRIC_FD_OUTPUT, buf, len); }

/* Appends one u32 to the public output, little-endian. */
static inline void commit_u32(u32 v) { commit(&v, 4); }

static inline u32 concentric_strlen(const char *s) {
  u32 n = 0;
  while (s[n]) n++;
  return n;
}

/* Debug print to fd 2 (not committed, never seen by a contract). */
static inline void debug_print(const char *s) { concentric_write(CONCENTRIC_FD_DEBUG, s, concentric_strlen(s)); }

/* Debug print of "label=<decimal>\n". */
static inline void debug_u32(const char *label, u32 v) {
  char buf[12];
  int i = 11;
  buf[i] = '\n';
  do {
    buf[--i] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  debug_print(label);
  debug_print("=");
  concentric_write(CONCENTRIC_FD_DEBUG, buf + i, 12 - i);
}

/* Ends the run with an exit code (0: success, by convention). */
static inline __attribute__((noreturn)) void exit_guest(int code) {
  concentric_syscall(CONCENTRIC_SYS_EXIT, code, 0, 0);
  __builtin_unreachable();
}

/* Prints "panic: <msg>" on fd 2 and exits with CONCENTRIC_PANIC_EXIT. */
static inline __attribute__((noreturn)) void panic(const char *msg) {
  debug_print("panic: ");
  debug_print(msg);
  debug_print("\n");
  exit_guest(CONCENTRIC_PANIC_EXIT);
}

#define assert(cond) ((cond) ? (void)0 : panic("assertion failed: " #cond))

/* The runtime's definitions: weak, so several files of one guest may include this header. */
int main(void);
void *memcpy(void *d, const void *s, size_t n);
void *memset(void *d, int c, size_t n);

/* Entry: the VM starts here with sp at the top of RAM; main's return value is the exit code. */
__attribute__((weak, naked, section(".text.start"))) void _start(void) {
  __asm__ volatile("call main\n li a7, 93\n ecall\n");
}
__attribute__((weak)) void *memcpy(void *d, const void *s, size_t n) {
  u8 *dd = (u8 *)d;
  const u8 *ss = (const u8 *)s;
  while (n--) *dd++ = *ss++;
  return d;
}
__attribute__((weak)) void *memset(void *d, int c, size_t n) {
  u8 *dd = (u8 *)d;
  while (n--) *dd++ = (u8)c;
  return d;
}

#endif
