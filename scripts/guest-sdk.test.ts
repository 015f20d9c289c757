/**
 * The guest SDK end to end, as a developer meets it: `concentric new` scaffolds a guest from
 * the template, `build` compiles it with clang/lld, `exec` runs it (debug stream, profile,
 * trap report, panic). Proving it (`prove`/`verify` at the test circuit) is the README path's
 * job: test/devkit-path.test.ts runs those steps on the same template guest.
 * Needs Debian's clang and lld (CI installs them); skipped with the reason when absent.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadElf } from "../prover/executor/index.ts";
import { programElf } from "../prover/executor/testing.ts";
import { findToolchain, GUEST_CFLAGS } from "./guest-cli.ts";

const root = new URL("..", import.meta.url).pathname;
const cli = (args: string[], env: NodeJS.ProcessEnv = process.env) =>
  spawnSync(process.execPath, [join(root, "bin/concentric.mjs"), ...args], {
    cwd: root,
    encoding: "utf8",
    env,
  });

const tc = findToolchain();
const missing = !tc
  ? "clang is not installed (apt-get install -y clang lld)"
  : !tc.lld
    ? "lld is not installed (apt-get install -y lld)"
    : undefined;
if (missing) console.warn(`guest SDK tests skipped: ${missing}`);

describe("ELF errors name the fix (no clang needed)", () => {
  it("refuses compressed instructions: build with -march=rv32im", () => {
    const dir = mkdtempSync(join(tmpdir(), "concentric-elf-"));
    const elf = programElf([0x00000073]);
    new DataView(elf.buffer, elf.byteOffset).setUint32(36, 0x1, true); // EF_RISCV_RVC
    writeFileSync(join(dir, "c.elf"), elf);
    const r = cli(["exec", join(dir, "c.elf")]);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(
      `${join(dir, "c.elf")}: ELF compressed-instructions: built with compressed instructions (the C extension): build with -march=rv32im\n`,
    );
  });
});

describe.skipIf(missing !== undefined)("guest SDK: new, build, exec, profile, prove", () => {
  const base = mkdtempSync(join(tmpdir(), "concentric-sdk-"));
  const dir = join(base, "primes");
  const elf = join(dir, "build", "primes.elf");

  it("scaffolds a guest and refuses to overwrite one", () => {
    const r = cli(["new", dir]);
    expect(r.status).toBe(0);
    for (const f of ["main.c", "concentric.h", "guest.ld", "Makefile", ".gitignore"])
      expect(existsSync(join(dir, f)), f).toBe(true);
    expect(readFileSync(join(dir, "Makefile"), "utf8")).toContain("build/primes.elf");
    const again = cli(["new", dir]);
    expect(again.status).toBe(2);
    expect(again.stderr).toBe(`${dir} already exists and is not empty: choose a new directory\n`);
  });

  it("builds it with clang/lld and prints its image ID", () => {
    const r = cli(["build", dir]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(
      /^built .*primes\.elf \(\d+ bytes, code \d+ bytes\)\nimage ID: 0x[0-9a-f]{64}\n$/,
    );
    expect(loadElf(readFileSync(elf)).entry).toBe(0x1000); // _start first, at the bottom of RAM
  });

  it("says which packages to install when clang is missing", () => {
    const r = cli(["build", dir], { PATH: dirname(process.execPath) });
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(
      "clang is not installed: apt-get install -y clang lld (Debian/Ubuntu; both are needed)\n",
    );
  });

  it("runs it: output committed, debug stream on stderr, panic with exit 101", () => {
    const r = cli(["exec", elf, "--input-u32", "100"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("output (hex):  19000000"); // 25 primes below 100
    expect(r.stderr).toBe("count=25\n");
    const p = cli(["exec", elf, "--input-u32", "2000000"]);
    expect(p.status).toBe(0); // the guest exited (with its code), it did not trap
    expect(p.stdout).toContain("exit code: 101");
    expect(p.stderr).toBe("panic: n is too large (at most 1000000)\n");
  });

  it("profiles it: cycles per function from the ELF's symbols, and the run's cost", () => {
    const r = cli(["exec", elf, "--input-u32", "100", "--profile", "--json"]);
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout);
    const names = out.profile.map((p: { name: string }) => p.name);
    expect(names[0]).toBe("is_prime"); // the hot function first
    expect(names).toContain("main");
    const total = out.profile.reduce((n: number, p: { cycles: number }) => n + p.cycles, 0);
    expect(total).toBe(out.cycles); // every cycle attributed
    expect(out.cost.circuit).toBe("rv32im_K8_P4_IO4_M20");
    expect(out.cost.chunks).toBeGreaterThan(out.cycles / 8);
    expect(out.cost.gas).toBe(150_000 + out.cost.chunks * 75_000);
    expect(out.cost.chunksExact).toBe(true);
    // a long run: the floor of cycles / K (the exact count replays it with Merkle memory)
    const long = JSON.parse(
      cli(["exec", elf, "--input-u32", "1000", "--profile", "--json"]).stdout,
    );
    expect(long.cycles).toBeGreaterThan(20_000);
    expect(long.cost).toMatchObject({ chunksExact: false, chunks: Math.ceil(long.cycles / 8) });
    const text = cli(["exec", elf, "--input-u32", "100", "--profile", "--top", "1"]).stdout;
    expect(text).toMatch(/cycles per function \(top 1 of \d+\):\n +\d+ +\d+\.\d% +is_prime\n/);
  });

  it("reports a trap with the function and offset of the pc and the guest's fd-2 output", () => {
    const t = join(base, "trap");
    expect(cli(["new", t]).status).toBe(0);
    writeFileSync(
      join(t, "main.c"),
      `#include "concentric.h"
__attribute__((noinline)) u32 load(u32 *p) { return *p; }
int main(void) { debug_print("about to load\\n"); return (int)load((u32 *)0x10); }
`,
    );
    expect(cli(["build", t]).status).toBe(0);
    const r = cli(["exec", join(t, "build", "trap.elf")]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^trap access-fault at pc=0x[0-9a-f]{8} .*load of 4 at 0x10\n/);
    expect(r.stderr).toMatch(/ {2}in load\+0x[0-9a-f]+ \(0x[0-9a-f]{8}\) after \d+ cycles\n/);
    expect(r.stderr).toContain("    | about to load\n");
    expect(r.stderr).toMatch(/load\+0x[0-9a-f]+ \(0x[0-9a-f]{8}\) +[0-9a-f]{8} +lw a0, 0\(a0\)\n$/);
  });

  it("loads lld's default layout whose header segment lands inside the data (-Ttext=0x1000)", () => {
    const src = join(base, "big.c");
    writeFileSync(
      src,
      `static const char table[70000] = {1, 2, 3};
volatile int idx = 2;
int main(void) { return table[idx]; }
__attribute__((naked)) void _start(void) { __asm__ volatile("call main\\n li a7, 93\\n ecall\\n"); }
`,
    );
    const out = join(base, "big.elf");
    const flags = GUEST_CFLAGS.filter((f) => f !== "-g");
    const c = spawnSync(
      tc!.clang,
      [...flags, "-O2", "-Wl,-e,_start", "-Wl,-Ttext=0x1000", src, "-o", out],
      {
        encoding: "utf8",
      },
    );
    expect(c.status, c.stderr).toBe(0);
    const r = cli(["exec", out]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("exit code: 3");
  });
});
