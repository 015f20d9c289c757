/**
 * `concentric prove --key-set job2_test` and `concentric verify` of a versioned-cells job proof
 * (prover/zkvm/job2-file.ts; issue 12's circuits at the test configuration, real Groth16
 * proofs): a committed guest and a program that writes its whole 64-byte output with one
 * write(1, buf, 64) call are proven and verified through the installed command; then every
 * part of a proof file a forger would change is refused by the verifier, each with the rule it
 * broke: the exit code, the output bytes, a chunk's prover (its reward address), a proof point,
 * two chunk proofs swapped, a chunk dropped, a field missing.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { getPoseidon } from "../prover/executor/index.ts";
import { ECALL, encI, exitSeq, li, programElf } from "../prover/executor/testing.ts";
import { defaultCacheDir, getCircuitArtifacts } from "../prover/setup/artifacts.ts";
import { getKeySet, REPO_ROOT } from "../prover/setup/registry.ts";
import { JobFileError, verifyJobFile, type JobProofFile } from "../prover/zkvm/job2-file.ts";

const dir = mkdtempSync(join(tmpdir(), "concentric-job2-"));
const cli = (...args: string[]) =>
  spawnSync(process.execPath, ["bin/concentric.mjs", ...args], {
    cwd: REPO_ROOT,
    encoding: "utf8",
    env: { ...process.env, CONCENTRIC_DEBUG: "" },
  });

// write(1, buf, 64) of a 64-byte data segment in one call, then exit(3)
const BYTES = Uint8Array.from({ length: 64 }, (_, i) => (i * 37 + 1) & 0xff);
const WRITE64 = programElf(
  [
    ...li(10, 1),
    ...li(11, 0x2000),
    ...li(12, 64),
    ...li(17, 64),
    ECALL,
    encI(3, 0, 0, 10, 0x13), // a0 = 3
    ...exitSeq(),
  ],
  { vaddr: 0x2000, bytes: BYTES },
);

let fib: JobProofFile;
const verify = async (f: unknown) =>
  verifyJobFile(await getPoseidon(), f, async (set) => {
    const keys = [];
    for (const name of getKeySet(set).circuits)
      keys.push((await getCircuitArtifacts(name, { cacheDir: defaultCacheDir() })).vkey);
    return keys;
  });

beforeAll(() => {
  const r = cli(
    "prove",
    "guests/elf/fibonacci.elf",
    "--input-u32",
    "5",
    "--key-set",
    "job2_test",
    "--prover",
    "0x00000000000000000000000000000000000a11ce",
    "--out",
    join(dir, "fib.json"),
  );
  expect(r.status, r.stderr).toBe(0);
  expect(r.stdout).toMatch(/output \(hex\): +05000000\n/);
  fib = JSON.parse(readFileSync(join(dir, "fib.json"), "utf8")) as JobProofFile;
}, 900_000);

describe("a versioned-cells job proof through the CLI (--key-set)", () => {
  it("proves and verifies a guest; the wrong expected output exits 1", () => {
    const ok = cli("verify", join(dir, "fib.json"), "--expect", "05000000");
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(
      /^valid: \d+ chunk proofs and the job's boundary, input and output proofs \(key set job2_test\), image 0x[0-9a-f]{64}\n/,
    );
    expect(ok.stdout).toMatch(/exit code 0, \d+ cycles, output 05000000\n/);
    const wrong = cli("verify", join(dir, "fib.json"), "--expect", "06000000");
    expect(wrong.status).toBe(1);
    expect(wrong.stderr).toBe("output 05000000 is not the expected 06000000\n");
  });

  it("proves a program whose single write(1, buf, 64) moves all 64 bytes", () => {
    writeFileSync(join(dir, "write64.elf"), WRITE64);
    const p = cli(
      "prove",
      join(dir, "write64.elf"),
      "--key-set",
      "job2_test",
      "--out",
      join(dir, "w.json"),
    );
    expect(p.status, p.stderr).toBe(0);
    const hex = Buffer.from(BYTES).toString("hex");
    expect(p.stdout).toContain(`output (hex):          ${hex}\n`);
    const v = cli("verify", join(dir, "w.json"), "--expect", hex);
    expect(v.status, v.stderr).toBe(0);
    expect(v.stdout).toContain(`exit code 3,`);
  }, 900_000);

  it("refuses every forged part of a proof file, naming the rule broken", async () => {
    await expect(verify(fib)).resolves.toMatchObject({ exitCode: 0, chunks: fib.chunks.length });
    const clone = () => JSON.parse(JSON.stringify(fib)) as JobProofFile;
    const cases: [string, (f: JobProofFile) => void, RegExp][] = [
      ["another exit code", (f) => (f.final.exitCode = 1), /claimed final state/],
      [
        "the output proof opening another exit code",
        (f) => {
          f.final.exitCode = 1;
          f.output.exitCode = "1";
        },
        /claimed final state/,
      ],
      ["other output bytes", (f) => (f.outputBytes = "06000000"), /output bytes are not/],
      [
        "a chunk credited to another prover",
        (f) => (f.chunks[0]!.prover = BigInt("0xbad").toString()),
        /chunk proofs do not verify/,
      ],
      [
        "a point off its curve",
        (f) => (f.proofs.chunks[0]![1] = (BigInt(f.proofs.chunks[0]![1]!) + 1n).toString()),
        /chunk proofs: .*curve/i,
      ],
      [
        "two chunk proofs swapped",
        (f) => {
          const [a, b] = [f.proofs.chunks[0]!, f.proofs.chunks[1]!];
          f.proofs.chunks[0] = b;
          f.proofs.chunks[1] = a;
        },
        /chunk proofs do not verify/,
      ],
      [
        "the first chunk dropped",
        (f) => {
          f.chunks.shift();
          f.proofs.chunks.shift();
        },
        /not the one derived|entry/,
      ],
      [
        "a proof missing",
        (f) => delete (f.proofs as Partial<typeof f.proofs>).boundary,
        /proofs\.boundary/,
      ],
      ["another format", (f) => ((f as { format: string }).format = "x"), /format/],
    ];
    for (const [what, change, message] of cases) {
      const f = clone();
      change(f);
      const r = verify(f);
      await expect(r, what).rejects.toThrow(JobFileError);
      await expect(r, what).rejects.toThrow(message);
    }
    // and through the command: one line, status 1
    const f = clone();
    f.outputBytes = "06000000";
    writeFileSync(join(dir, "forged.json"), JSON.stringify(f));
    const bad = cli("verify", join(dir, "forged.json"));
    expect(bad.status).toBe(1);
    expect(bad.stderr).toBe(
      "invalid: the output bytes are not the ones the output proof commits to\n",
    );
  }, 300_000);
});
