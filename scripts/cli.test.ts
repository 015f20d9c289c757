import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sha256 } from "@noble/hashes/sha2.js";
import { describe, expect, it } from "vitest";
import { programElf } from "../prover/executor/testing.ts";

const root = new URL("..", import.meta.url).pathname;
/** The installed command: bin/concentric.mjs, as `npx concentric` runs it. */
const cli = (...args: string[]) =>
  spawnSync(process.execPath, ["bin/concentric.mjs", ...args], {
    cwd: root,
    encoding: "utf8",
    env: { ...process.env, CONCENTRIC_DEBUG: "" },
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
  it("--circuit counts the chunks that configuration really takes", () => {
    const r = cli(
      "exec",
      "guests/elf/fibonacci.elf",
      "--input-u32",
      "5",
      "--circuit",
      "rv32im_K8_P4_IO4_M20",
      "--json",
    );
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.outputHex).toBe("05000000");
    // chunks are cut short at the page and I/O limits: more than cycles / K
    expect(out.chunks).toBeGreaterThan(Math.ceil(out.cycles / 8));
    const bad = cli("exec", "guests/elf/fibonacci.elf", "--circuit", "nope");
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--circuit: .*registered: rv32im_K8_P4_IO4_M20/);
  });
  it("prints the guest's debug stream (fd 2) on stderr", () => {
    // write(2, "hi", 2) byte by byte, then exit(0)
    const elf = join(dir, "debug.elf");
    const li = (rd: number, v: number) => (v << 20) | (rd << 7) | 0x13; // addi rd, x0, v
    const sb = (rs2: number, off: number) =>
      ((off >> 5) << 25) | (rs2 << 20) | (2 << 15) | ((off & 31) << 7) | 0x23; // sb rs2, off(sp)
    const words = [
      0xff010113, // addi sp, sp, -16
      li(5, 0x68),
      sb(5, 0),
      li(5, 0x69),
      sb(5, 1),
      li(10, 2),
      0x00010593, // addi a1, sp, 0
      li(12, 1),
      li(17, 64),
      0x00000073, // ecall (h)
      li(10, 2),
      0x00110593, // addi a1, sp, 1
      li(12, 1),
      li(17, 64),
      0x00000073, // ecall (i)
      li(10, 0),
      li(17, 93),
      0x00000073,
    ];
    writeFileSync(elf, programElf(words));
    const r = cli("exec", elf);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe("hi");
    expect(JSON.parse(cli("exec", elf, "--json").stdout).debugText).toBe("hi");
  });
  it("reports a trap with its pc, the last instructions, and exit status 1", () => {
    const elf = join(dir, "ebreak.elf");
    writeFileSync(elf, programElf([0x00000013, 0x00100073]));
    const r = cli("exec", elf);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("trap ebreak at pc=0x00001004");
    expect(r.stderr).toMatch(/last 2 instructions/);
    expect(r.stderr).toMatch(/0x00001000\s+00000013\s+addi zero, zero, 0/);
    expect(r.stderr).toMatch(/0x00001004\s+00100073\s+ebreak/);
  });
  it("refuses a non-ELF with one line naming the file, status 2", () => {
    const bad = join(dir, "bad");
    writeFileSync(bad, "not an elf file at all, definitely not, really not an ELF header......");
    const r = cli("exec", bad);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(`${bad}: ELF not-elf: missing \\x7fELF magic\n`);
  });
  it("says a missing file is missing, in one line, status 2", () => {
    const r = cli("exec", join(dir, "nope.elf"));
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(`ELF ${join(dir, "nope.elf")} does not exist (check the path)\n`);
    const i = cli("exec", "guests/elf/fibonacci.elf", "--input", join(dir, "nope.bin"));
    expect(i.status).toBe(2);
    expect(i.stderr).toBe(`input file ${join(dir, "nope.bin")} does not exist (check the path)\n`);
  });
});

describe("concentric as a command", () => {
  it("--version prints the package version", () => {
    const r = cli("--version");
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^concentric \d+\.\d+\.\d+\n$/);
    expect(r.stderr).toBe("");
  });
  it("--help lists every command; <command> --help exits 0 for each", () => {
    const r = cli("--help");
    expect(r.status).toBe(0);
    const names = [...r.stdout.matchAll(/^ {2}([a-z][a-z-]*) {2,}/gm)].map((m) => m[1]!);
    expect(names).toEqual(
      expect.arrayContaining(["new", "build", "exec", "prove", "verify", "job", "refund"]),
    );
    expect(names).toEqual(expect.arrayContaining(["slash-missed", "deregister", "limits"]));
    for (const name of names) {
      const h = cli(name, "--help");
      expect(h.status, name).toBe(0);
      expect(h.stdout, name).toMatch(new RegExp(`^usage: concentric ${name}`));
      expect(h.stderr, name).toBe("");
    }
  });
  it("usage errors exit 2 with one line", () => {
    const none = cli();
    expect(none.status).toBe(2);
    const unknown = cli("frobnicate");
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toBe('unknown command "frobnicate"; concentric --help lists them\n');
    const opt = cli("exec", "guests/elf/fibonacci.elf", "--bogus");
    expect(opt.status).toBe(2);
    expect(opt.stderr.trim().split("\n")).toHaveLength(1);
    expect(opt.stderr).toMatch(/--bogus.*\(concentric exec --help\)/);
    const amount = cli("stake", "1.5.5", "--dev-account", "0");
    expect(amount.status).toBe(2);
    expect(amount.stderr).toMatch(/^stake <eth>: an amount in ETH/);
  });
  it("prints no warnings: no RPC node is one line, the orchestrator loads SQLite silently", () => {
    const r = cli("job", "1", "--rpc", "http://127.0.0.1:9");
    expect(r.status).toBe(2);
    expect(r.stderr).toBe("no JSON-RPC node at http://127.0.0.1:9 (start one: npm run devnet)\n");
    const o = cli(
      "orchestrator",
      "--rpc",
      "http://127.0.0.1:9",
      "--dev-account",
      "0",
      "--port",
      "0",
    );
    expect(o.status).toBe(2);
    expect(o.stderr).not.toMatch(/ExperimentalWarning|SQLite/);
    expect(o.stderr).toBe("no JSON-RPC node at http://127.0.0.1:9 (start one: npm run devnet)\n");
  });
  it("a busy port is one line, status 2", async () => {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as { port: number }).port;
    const r = spawnSync(
      process.execPath,
      ["bin/concentric.mjs", "orchestrator", "--port", String(port), "--dev-account", "0"],
      { cwd: root, encoding: "utf8" },
    );
    server.close();
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(
      `port ${port} on 127.0.0.1 is in use (another orchestrator?): stop it or pick another --port\n`,
    );
  });
  it("limits prints the memory map and the job limits", () => {
    const r = cli("limits", "--json");
    expect(r.status).toBe(0);
    const l = JSON.parse(r.stdout);
    expect(l).toMatchObject({
      ramStart: 0x1000,
      ramEnd: 0x100000,
      stackTop: 0x100000,
      stepsPerChunk: 8,
      inlineInputBytes: 64,
    });
    expect(cli("limits").stdout).toMatch(/RAM +\[0x1000, 0x100000\)/);
  });
});
