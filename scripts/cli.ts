/**
 * The concentric CLI.
 *
 *   concentric exec <elf> [--input <file>] [--chunk-size K] [--max-cycles N] [--json]
 *
 *   concentric prove <elf> [--input <file>] [--chunk-size K | --circuit <name>]
 *                    [--prover <address>] --out <proof.json>
 *   concentric verify <proof.json>
 *
 * exec prints exit code, cycles, output (text and hex), image ID and chunk count (chunks: 0
 * without --chunk-size); it exits 0 when the guest reached its exit ecall, whatever its exit
 * code, 1 on a trap (printed to stderr). prove executes, proves every chunk with Groth16
 * (progress on stderr) and writes the run proof; verify checks one off chain and exits 0
 * only if it is valid (1 if not). Every command exits 2 on a usage or load error.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import {
  execute,
  executeChunked,
  imageId,
  loadElf,
  Trap,
  ElfError,
} from "../prover/executor/index.ts";
import { defaultCacheDir, getCircuitArtifacts } from "../prover/setup/artifacts.ts";
import { loadRegistry } from "../prover/setup/registry.ts";
import { addressToField, Groth16ChunkProver, type Address } from "../prover/zkvm/prover.ts";
import { proveRun, RunVerifyError, verifyRun, type RunProof } from "../prover/zkvm/run.ts";
import { chunkCircuitConfig, WitnessError } from "../prover/zkvm/witness.ts";
import { chainCommands, WalletError } from "./chain-cli.ts";
import { networkCommands } from "./network-cli.ts";

const usage = [
  "usage: concentric exec <elf> [--input <file>] [--chunk-size K] [--max-cycles N] [--json]",
  "       concentric prove <elf> [--input <file>] [--chunk-size K | --circuit <name>] [--prover <address>] --out <proof.json>",
  "       concentric verify <proof.json>",
  "       concentric keystore-new --out <file>",
  "       concentric stake <eth> | unstake <eth> | withdraw",
  "       concentric register-orchestrator --endpoint <url> [--parent <address>]",
  "       concentric approve-child <address> [--revoke]   (the parent, before a child registers)",
  "       concentric evict-child <address>",
  "       concentric submit-job <elf> [--input <file>] [--cycles <bound>] [--fee <eth>]",
  "       concentric job <id> | epoch [<n>] | rewards [<address>] [--withdraw [--to <address>]]",
  "       concentric orchestrator [--port 7001] [--db <file>] [--lease-seconds 60] [--prove-locally] [--parent <url> [--segment-chunks 8]]",
  "       concentric delegator --orchestrator <url> [--workers N] [--name <s>]",
  "  chain commands: [--rpc <url>] [--deployment <file>] [--keystore <file> [--password-file <file>] | --dev-account <i>]",
].join("\n");

/**
 * The default chunk circuit of `concentric prove`: K = 64 proves the most cycles per second of
 * the registered configurations on this machine (4.9 on average over the guests, against 4.0 at
 * K = 32 and 1.3 at K = 8; `npm run bench:circuit`); its keys are built on first use (about 6
 * minutes).
 */
export const DEFAULT_CHUNK_CIRCUIT = "rv32im_K64_P6_IO4_M20";

/** A usage error: printed with the usage text, exit status 2. */
class UsageError extends Error {}

async function exec(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      input: { type: "string" },
      "chunk-size": { type: "string" },
      "max-cycles": { type: "string" },
      json: { type: "boolean", default: false },
    },
  });
  const elfPath = positionals[0];
  if (!elfPath || positionals.length > 1) {
    console.error(usage);
    return 2;
  }
  const positiveInt = (name: string, v: string | undefined): number | undefined => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isSafeInteger(n) || n < 1)
      throw new RangeError(`--${name} must be a positive integer, got ${v}`);
    return n;
  };
  const chunkSize = positiveInt("chunk-size", values["chunk-size"]);
  const maxCycles = positiveInt("max-cycles", values["max-cycles"]);
  const image = loadElf(new Uint8Array(readFileSync(elfPath)));
  const input = values.input ? new Uint8Array(readFileSync(values.input)) : new Uint8Array();
  const opts = maxCycles === undefined ? {} : { maxCycles };
  let result;
  let chunks = 0;
  try {
    if (chunkSize !== undefined) {
      const r = await executeChunked(image, input, { ...opts, chunkSize, records: false });
      result = r;
      chunks = r.chunks.length;
    } else {
      result = execute(image, input, opts);
    }
  } catch (e) {
    if (e instanceof Trap) {
      console.error(e.message);
      return 1;
    }
    throw e;
  }
  const id = `0x${(await imageId(image)).toString(16).padStart(64, "0")}`;
  const outputHex = Buffer.from(result.output).toString("hex");
  if (values.json) {
    console.log(
      JSON.stringify({
        exitCode: result.exitCode,
        cycles: result.cycles,
        outputHex,
        imageId: id,
        chunks,
      }),
    );
  } else {
    console.log(`exit code: ${result.exitCode}`);
    console.log(`cycles:    ${result.cycles}`);
    console.log(`image ID:  ${id}`);
    console.log(`chunks:    ${chunks}`);
    console.log(`output (hex):  ${outputHex}`);
    console.log(`output (text): ${new TextDecoder().decode(result.output)}`);
  }
  return 0;
}

/** The registered chunk circuit with K = `k` steps (the smallest other parameters first). */
function circuitForChunkSize(k: number): string {
  const names = loadRegistry()
    .filter((c) => c.template === "Chunk" && c.params.K === k)
    .map((c) => c.name);
  if (names.length === 0) {
    const ks = loadRegistry()
      .filter((c) => c.template === "Chunk")
      .map((c) => c.params.K);
    throw new UsageError(`no chunk circuit with K=${k}; registered K: ${ks.join(", ")}`);
  }
  return names[0]!;
}

function progressBar(done: number, total: number, startMs: number): string {
  const width = 30;
  const full = Math.round((done / total) * width);
  const secs = (performance.now() - startMs) / 1000;
  return `[${"#".repeat(full)}${".".repeat(width - full)}] ${done}/${total} chunks, ${secs.toFixed(1)} s`;
}

async function prove(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      input: { type: "string" },
      "chunk-size": { type: "string" },
      circuit: { type: "string" },
      prover: { type: "string", default: "0x0000000000000000000000000000000000000000" },
      out: { type: "string" },
      "max-cycles": { type: "string" },
    },
  });
  const elfPath = positionals[0];
  if (!elfPath || positionals.length > 1 || !values.out)
    throw new UsageError("prove needs <elf> and --out");
  if (values.circuit && values["chunk-size"])
    throw new UsageError("give --chunk-size or --circuit, not both");
  const k = values["chunk-size"];
  if (k !== undefined && !/^[1-9][0-9]*$/.test(k))
    throw new UsageError(`--chunk-size must be a positive integer, got ${k}`);
  const name = values.circuit ?? (k ? circuitForChunkSize(Number(k)) : DEFAULT_CHUNK_CIRCUIT);
  addressToField(values.prover);
  const address = values.prover.toLowerCase() as Address;
  const image = loadElf(new Uint8Array(readFileSync(elfPath)));
  const input = values.input ? new Uint8Array(readFileSync(values.input)) : new Uint8Array();
  const config = chunkCircuitConfig(name);
  const artifacts = await getCircuitArtifacts(name, {
    cacheDir: defaultCacheDir(),
    log: (m) => console.error(m),
  });
  const start = performance.now();
  const tty = process.stderr.isTTY;
  const { run, stats } = await proveRun(image, input, {
    config,
    prover: new Groth16ChunkProver(artifacts),
    address,
    vk: artifacts.vkey,
    ...(values["max-cycles"] ? { maxCycles: Number(values["max-cycles"]) } : {}),
    onChunk: (done, total) => {
      const line = progressBar(done, total, start);
      if (tty) process.stderr.write(`\r${line}${done === total ? "\n" : ""}`);
      else console.error(line);
    },
  });
  writeFileSync(values.out, JSON.stringify(run, null, 1) + "\n");
  const seconds = (performance.now() - start) / 1000;
  console.log(`circuit:               ${name} (${artifacts.nConstraints} constraints)`);
  console.log(`cycles:                ${stats.cycles}`);
  console.log(`chunks:                ${stats.chunks}`);
  console.log(
    `constraints per cycle: ${((artifacts.nConstraints * stats.chunks) / stats.cycles).toFixed(0)}`,
  );
  console.log(`exit code:             ${run.final.exitCode}`);
  console.log(`output (hex):          ${run.output}`);
  console.log(
    `seconds:               ${seconds.toFixed(1)} (proving ${stats.provingSeconds.toFixed(1)})`,
  );
  console.log(`wrote ${values.out}`);
  return 0;
}

async function verify(args: string[]): Promise<number> {
  const { positionals } = parseArgs({ args, allowPositionals: true, options: {} });
  if (positionals.length !== 1) throw new UsageError("verify needs exactly one <proof.json>");
  let run: RunProof;
  try {
    run = JSON.parse(readFileSync(positionals[0]!, "utf8")) as RunProof;
  } catch (e) {
    console.error(`invalid: cannot read ${positionals[0]}: ${(e as Error).message}`);
    return 1;
  }
  if (typeof run?.circuit !== "string") {
    console.error("invalid: not a run proof (no circuit)");
    return 1;
  }
  let vkey;
  try {
    vkey = (
      await getCircuitArtifacts(chunkCircuitConfig(run.circuit).name, {
        cacheDir: defaultCacheDir(),
        log: (m) => console.error(m),
      })
    ).vkey;
  } catch (e) {
    console.error(`invalid: ${(e as Error).message}`);
    return 1;
  }
  try {
    const v = await verifyRun(vkey, run);
    console.log(`valid: ${v.chunks} chunk proofs, image 0x${v.imageId.toString(16)}`);
    console.log(
      `exit code ${v.exitCode}, ${v.cycles} cycles, output ${Buffer.from(v.output).toString("hex")}`,
    );
    return 0;
  } catch (e) {
    if (e instanceof RunVerifyError || e instanceof TypeError || e instanceof SyntaxError) {
      console.error(`invalid: ${e.message}`);
      return 1;
    }
    throw e;
  }
}

const commands: Record<string, (args: string[]) => Promise<number>> = {
  exec,
  prove,
  verify,
  ...chainCommands,
  ...networkCommands,
};

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const run = command ? commands[command] : undefined;
  if (!run) {
    console.error(usage);
    return 2;
  }
  try {
    return await run(rest);
  } catch (e) {
    if (e instanceof WalletError) {
      console.error(e.message);
      return 2;
    }
    if (e instanceof UsageError) {
      console.error(`${e.message}\n${usage}`);
      return 2;
    }
    if (e instanceof ElfError || e instanceof RangeError || e instanceof TypeError) {
      console.error(e.message);
      return 2;
    }
    if (e instanceof Trap || e instanceof WitnessError) {
      console.error(e.message);
      return 1;
    }
    throw e;
  }
}

// snarkjs keeps worker threads alive after proving: exit explicitly once the command is done.
process.exit(await main(process.argv.slice(2)));
