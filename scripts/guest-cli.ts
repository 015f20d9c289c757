/**
 * The guest SDK's commands: `new` scaffolds a C guest from guests/sdk/template, `build`
 * compiles one with clang/lld (the flags of guests/sdk/concentric.h), `limits` prints the
 * memory map and the limits a job must fit. Registered by scripts/cli.ts.
 */
import { spawnSync } from "node:child_process";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from "node:fs";
import { basename, join, relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import { DEFAULT_MEMORY_SIZE, RAM_START } from "../prover/executor/elf.ts";
import { CliError, UsageError } from "./cli-common.ts";

/** The SDK's files: the runtime header, the linker script and the template. */
export const SDK_DIR = resolve(import.meta.dirname, "../guests/sdk");

/** clang flags of a guest (also in the template's Makefile and concentric.h). */
export const GUEST_CFLAGS = [
  "--target=riscv32",
  "-march=rv32im",
  "-mabi=ilp32",
  "-mno-relax",
  "-nostdlib",
  "-static",
  "-fuse-ld=lld",
  "-ffreestanding",
  "-fno-builtin",
  "-g",
];

const INSTALL_HINT = "apt-get install -y clang lld (Debian/Ubuntu; both are needed)";

/** The first working clang and whether lld is there; undefined when clang is missing. */
export function findToolchain(): { clang: string; lld: boolean } | undefined {
  for (const c of [process.env.CONCENTRIC_CLANG, "clang", "clang-16", "clang-15", "clang-14"]) {
    if (!c) continue;
    const r = spawnSync(c, ["--version"], { encoding: "utf8" });
    if (r.status === 0) {
      const lld = spawnSync("ld.lld", ["--version"], { encoding: "utf8" }).status === 0;
      return { clang: c, lld };
    }
  }
  return undefined;
}

function guestName(dir: string): string {
  return (
    basename(resolve(dir))
      .replace(/[^A-Za-z0-9_-]/g, "_")
      .replace(/^[^A-Za-z_]/, "g") || "guest"
  );
}

async function newGuest(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { name: { type: "string" } },
  });
  const dir = positionals[0];
  if (!dir || positionals.length > 1) throw new UsageError("new needs exactly one <dir>");
  if (existsSync(dir) && readdirSync(dir).length > 0)
    throw new CliError(`${dir} already exists and is not empty: choose a new directory`);
  const name = values.name ?? guestName(dir);
  if (!/^[A-Za-z_][A-Za-z0-9_-]*$/.test(name))
    throw new UsageError(`--name: letters, digits, _ and -, got ${name}`);
  mkdirSync(dir, { recursive: true });
  const fill = (s: string) => s.replaceAll("__NAME__", name);
  for (const f of ["main.c", "Makefile"])
    writeFileSync(join(dir, f), fill(readFileSync(join(SDK_DIR, "template", f), "utf8")));
  writeFileSync(join(dir, ".gitignore"), readFileSync(join(SDK_DIR, "template", "gitignore")));
  copyFileSync(join(SDK_DIR, "concentric.h"), join(dir, "concentric.h"));
  copyFileSync(join(SDK_DIR, "guest.ld"), join(dir, "guest.ld"));
  console.log(`created ${dir}/: main.c concentric.h guest.ld Makefile .gitignore`);
  console.log(`next: npx concentric build ${dir}`);
  console.log(
    `      npx concentric exec ${join(dir, "build", `${name}.elf`)} --input-u32 100 --profile`,
  );
  return 0;
}

/**
 * Compiles the .c files of `dir` into `out`; returns clang's stderr on failure.
 * @throws CliError when clang or lld is missing (naming the packages to install).
 */
export function buildGuest(dir: string, out: string, opt = "2"): { ok: boolean; log: string } {
  const tc = findToolchain();
  if (!tc) throw new CliError(`clang is not installed: ${INSTALL_HINT}`);
  if (!tc.lld) throw new CliError(`lld (ld.lld) is not installed: ${INSTALL_HINT}`);
  const sources = readdirSync(dir)
    .filter((f) => f.endsWith(".c"))
    .map((f) => join(dir, f));
  if (sources.length === 0)
    throw new CliError(`no .c files in ${dir} (concentric new <dir> makes one)`);
  const script = existsSync(join(dir, "guest.ld"))
    ? join(dir, "guest.ld")
    : join(SDK_DIR, "guest.ld");
  mkdirSync(resolve(out, ".."), { recursive: true });
  const args = [
    ...GUEST_CFLAGS,
    `-O${opt}`,
    `-I${dir}`,
    `-I${SDK_DIR}`,
    "-T",
    script,
    ...sources,
    "-o",
    out,
  ];
  const r = spawnSync(tc.clang, args, { encoding: "utf8" });
  return { ok: r.status === 0, log: `${r.stdout ?? ""}${r.stderr ?? ""}` };
}

async function build(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { out: { type: "string" }, opt: { type: "string", default: "2" } },
  });
  if (positionals.length > 1) throw new UsageError("build takes at most one <dir>");
  if (!/^(0|1|2|3|s|z)$/.test(values.opt)) throw new UsageError(`--opt: 0, 1, 2, 3, s or z`);
  const dir = positionals[0] ?? ".";
  if (!existsSync(dir))
    throw new CliError(`${dir} does not exist (concentric new ${dir} makes a guest)`);
  const out = values.out ?? join(dir, "build", `${guestName(dir)}.elf`);
  const { ok, log } = buildGuest(dir, out, values.opt);
  if (!ok) {
    process.stderr.write(log);
    console.error(`build failed: clang exited with an error (above)`);
    return 1;
  }
  if (log.trim()) process.stderr.write(log);
  // Load it as the network will, so a layout problem shows here rather than at submit-job.
  const { loadGuest } = await import("./run-cli.ts");
  const { image, elf } = loadGuest(out);
  const { imageId } = await import("../prover/executor/index.ts");
  const { formatDigest } = await import("./cli-common.ts");
  const code = image.codeEnd - image.codeStart;
  console.log(
    `built ${relative(process.cwd(), out) || out} (${elf.length} bytes, code ${code} bytes)`,
  );
  console.log(`image ID: ${formatDigest(await imageId(image))}`);
  return 0;
}

async function limits(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { circuit: { type: "string" }, json: { type: "boolean", default: false } },
  });
  const { chunkCircuitConfig } = await import("../prover/zkvm/witness.ts");
  const { NETWORK_CIRCUIT } = await import("./run-cli.ts");
  const { MAX_INPUT_BYTES: UPLOAD } = await import("../orchestrator/api.ts");
  const { DEVNET_DEFAULTS } = await import("../ignition/modules/Concentric.ts");
  const name = values.circuit ?? NETWORK_CIRCUIT;
  let c;
  try {
    c = chunkCircuitConfig(name);
  } catch (e) {
    throw new UsageError(`--circuit: ${(e as Error).message}`);
  }
  const memorySize = 2 ** c.M;
  const l = {
    circuit: name,
    ramStart: RAM_START,
    ramEnd: memorySize,
    stackTop: memorySize,
    defaultMemorySize: DEFAULT_MEMORY_SIZE,
    stepsPerChunk: c.K,
    pagesPerChunk: c.P,
    pageBytes: 64,
    inputBytesPerChunk: c.IO,
    outputBytesPerChunk: c.IO,
    inlineInputBytes: 64,
    uploadedInputBytes: UPLOAD,
    maxCyclesPerJob: 2 ** 40 - 1,
    refundTimeoutSeconds: Number(DEVNET_DEFAULTS.refundTimeout),
    epochSeconds: Number(DEVNET_DEFAULTS.epochLength),
  };
  if (values.json) {
    console.log(JSON.stringify(l));
    return 0;
  }
  const hex = (n: number) => `0x${n.toString(16)}`;
  console.log(`limits of a guest on ${name}:`);
  console.log(
    `  RAM                  [${hex(l.ramStart)}, ${hex(l.ramEnd)}) (${l.ramEnd / 1024} KiB); [0, ${hex(l.ramStart)}) traps`,
  );
  console.log(
    `  stack top (sp)       ${hex(l.stackTop)} at entry, grows down; code and data start at ${hex(l.ramStart)}`,
  );
  console.log(
    `  code                 read-only, fetched only from executable segments; RV32IM, no compressed instructions`,
  );
  console.log(
    `  cycles per job       at most ${l.maxCyclesPerJob} (declared as the job's cycle bound)`,
  );
  console.log(
    `  input per job        ${l.inlineInputBytes} bytes on chain (submitJobWithInput), else committed by digest and`,
  );
  console.log(
    `                       uploaded to the orchestrator: at most ${l.uploadedInputBytes} bytes`,
  );
  console.log(
    `  per chunk            ${l.stepsPerChunk} steps, ${l.pagesPerChunk} memory pages of ${l.pageBytes} bytes, ${l.inputBytesPerChunk} input and ${l.outputBytesPerChunk} output bytes`,
  );
  console.log(`                       (a chunk is cut short when it would exceed one of these)`);
  console.log(
    `  devnet epochs        ${l.epochSeconds} s; an unsettled job is refundable ${l.refundTimeoutSeconds} s after submission`,
  );
  return 0;
}

export const guestCommands: Record<string, (args: string[]) => Promise<number>> = {
  new: newGuest,
  build,
  limits,
};
