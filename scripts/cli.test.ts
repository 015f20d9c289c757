import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sha256 } from "@noble/hashes/sha2.js";
import { describe, expect, it } from "vitest";
import { programElf } from "../prover/executor/testing.ts";

const root = new URL("..", import.meta.url).pathname;
const cli = (...args: string[]) =>
  spawnSync(process.execPath, ["--import", "tsx", "scripts/cli.ts", ...args], {
    cwd: root,
    encoding: "utf8",
  });

describe("concentric exec", () => {
  const dir = mkdtempSync(join(tmpdir(), "concentric-cli-"));
  it("--json prints exit code, cycles, output, image ID and chunks", () => {
    const input = join(dir, "in");
    writeFileSync(input, "abc");
    const r = cli(
      "exec",
      "guests/elf/sha256.elf",
      "--input",
      input,
      "--chunk-size",
      "2000",
      "--json",
    );
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.exitCode).toBe(0);
    expect(out.outputHex).toBe(
      Buffer.from(sha256(new TextEncoder().encode("abc"))).toString("hex"),
    );
    expect(out.chunks).toBe(Math.ceil(out.cycles / 2000));
    expect(out.imageId).toMatch(/^0x[0-9a-f]{64}$/);
  });
  it("exits non-zero on a trap with the trap on stderr", () => {
    const elf = join(dir, "ebreak.elf");
    writeFileSync(elf, programElf([0x00100073]));
    const r = cli("exec", elf);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("trap ebreak at pc=0x00001000");
  });
  it("refuses a non-ELF with status 2", () => {
    const bad = join(dir, "bad");
    writeFileSync(bad, "not an elf file at all, definitely not, really not an ELF header......");
    expect(cli("exec", bad).status).toBe(2);
  });
});
