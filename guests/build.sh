#!/bin/sh
# Builds the guest ELFs into guests/elf/ (committed, so tests never need clang).
# Needs Debian clang and lld: apt-get install -y clang lld
set -eu
cd "$(dirname "$0")"
CFLAGS="--target=riscv32 -march=rv32im -mabi=ilp32 -mno-relax -nostdlib -static -fuse-ld=lld -O2 -ffreestanding -fno-builtin"
for src in fibonacci sha256 sort ledger allinsn; do
  clang $CFLAGS -Wl,-e,_start rt.c "$src.c" -o "elf/$src.elf"
  echo "built elf/$src.elf ($(wc -c < "elf/$src.elf") bytes)"
done
