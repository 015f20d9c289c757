/**
 * The CLI's local commands on one guest: exec (run, debug, profile), prove and verify.
 * Registered by scripts/cli.ts (usage text there); see it for exit statuses.
 */
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import {
  execute,
  executeChunked,
  imageId,
  loadElf,
  Trap,
  ElfError,
  type ProgramImage,
} from "../prover/executor/index.ts";
import { defaultCacheDir, getCircuitArtifacts } from "../prover/setup/artifacts.ts";
import { loadRegistry } from "../prover/setup/registry.ts";
import { addressToField, Groth16ChunkProver, type Address } from "../prover/zkvm/prover.ts";
import {
  chunkLimits,
  proveRun,
  RunVerifyError,
  verifyRun,
  type RunProof,
} from "../prover/zkvm/run.ts";
import { chunkCircuitConfig } from "../prover/zkvm/witness.ts";
import { getPoseidon } from "../prover/executor/index.ts";
import { getKeySet } from "../prover/setup/registry.ts";
import {
  JOB_PROOF_FORMAT,
  JobFileError,
  proveJobFile,
  verifyJobFile,
} from "../prover/zkvm/job2-file.ts";
import { DEVNET_DEFAULTS } from "../ignition/modules/Concentric.ts";
import {
  CliError,
  fileErrorMessage,
  formatDigest,
  parseAddress,
  positiveInt,
  progress,
  readFileOrExplain,
  UsageError,
} from "./cli-common.ts";
import {
  cyclesPerFunction,
  functionSymbols,
  steppedRun,
  trapReport,
  type FunctionSymbol,
} from "./guest-tools.ts";

/**
 * The default chunk circuit of `concentric prove`: K = 64 proves the most cycles per second of
 * the registered configurations on this machine (4.9 on average over the guests, against 4.0 at
 * K = 32 and 1.3 at K = 8; `npm run bench:circuit`); its keys are built on first use (about 6
 * minutes).
 */
export const DEFAULT_CHUNK_CIRCUIT = "rv32im_K64_P6_IO4_M20";

/** The circuit the network settles by default (scripts/lib/deploy.ts), for cost estimates. */
export const NETWORK_CIRCUIT = "rv32im_K8_P4_IO4_M20";

/**
 * Estimated Groth16 proving seconds of one chunk of `nConstraints` (snarkjs, 2 cores): the line
 * through the measured 56,880 constraints in 6.6 s and 124,080 in 9.6 s (docs/DESIGN figures).
 */
export function provingSecondsPerChunk(nConstraints: number): number {
  return 3.66 + 4.46e-5 * nConstraints;
}

/** Seconds for people: 42 s, 12.5 min, 3.2 h. */
function duration(s: number): string {
  if (s < 120) return `${s.toFixed(0)} s`;
  if (s < 7200) return `${(s / 60).toFixed(1)} min`;
  return `${(s / 3600).toFixed(1)} h`;
}

/** Up to this many cycles, --profile counts the network circuit's chunks exactly. */
export const EXACT_CHUNKS_UP_TO = 20_000;

/** Loads an ELF, naming the file and the fix in a one-line error. */
export function loadGuest(path: string): { image: ProgramImage; elf: Uint8Array } {
  const elf = readFileOrExplain(path, "ELF");
  try {
    return { image: loadElf(elf), elf };
  } catch (e) {
    if (e instanceof ElfError) throw new CliError(`${path}: ${e.message}`);
    throw e;
  }
}

/** The job input: --input <file>, --input-hex <hex> or --input-u32 <n> (one LE word), or empty. */
export function readInput(values: {
  input?: string | undefined;
  "input-hex"?: string | undefined;
  "input-u32"?: string | undefined;
}): Uint8Array {
  const given = [values.input, values["input-hex"], values["input-u32"]].filter(
    (v) => v !== undefined,
  );
  if (given.length > 1) throw new UsageError("give one of --input, --input-hex, --input-u32");
  if (values.input !== undefined) return readFileOrExplain(values.input, "input file");
  const hex = values["input-hex"];
  if (hex !== undefined) {
    const h = hex.replace(/^0x/, "");
    if (!/^([0-9a-fA-F]{2})*$/.test(h))
      throw new UsageError(`--input-hex: an even number of hex digits, got ${hex}`);
    return new Uint8Array(Buffer.from(h, "hex"));
  }
  const u = values["input-u32"];
  if (u !== undefined) {
    if (!/^[0-9]+$/.test(u) || Number(u) > 0xffffffff)
      throw new UsageError(`--input-u32: 0..4294967295, got ${u}`);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, Number(u), true);
    return b;
  }
  return new Uint8Array();
}

export const INPUT_OPTIONS = {
  input: { type: "string" },
  "input-hex": { type: "string" },
  "input-u32": { type: "string" },
} as const;

/** The registered chunk circuit with K = `k` steps (the smallest other parameters first). */
function circuitForChunkSize(k: number): string {
  const chunks = loadRegistry().filter((c) => c.template === "Chunk");
  const names = chunks.filter((c) => c.params.K === k).map((c) => c.name);
  if (names.length === 0)
    throw new UsageError(
      `no chunk circuit with K=${k}; registered K: ${chunks.map((c) => c.params.K).join(", ")}`,
    );
  return names[0]!;
}

function circuitConfigOrUsage(name: string) {
  try {
    return chunkCircuitConfig(name);
  } catch (e) {
    const names = loadRegistry()
      .filter((c) => c.template === "Chunk")
      .map((c) => c.name);
    throw new UsageError(`--circuit: ${(e as Error).message}; registered: ${names.join(", ")}`);
  }
}

/** nConstraints of a circuit whose keys are built in the cache, or undefined. */
function cachedConstraints(name: string): number | undefined {
  const dir = join(defaultCacheDir(), "circuits");
  try {
    for (const d of readdirSync(dir))
      if (d.startsWith(`${name}-`)) {
        const m = JSON.parse(readFileSync(join(dir, d, "manifest.json"), "utf8"));
        if (typeof m.nConstraints === "number") return m.nConstraints;
      }
  } catch {
    /* no cache yet */
  }
  return undefined;
}

/** Real chunk count of a run under a circuit configuration's limits (K, pages, I/O). */
async function chunksUnder(
  image: ProgramImage,
  input: Uint8Array,
  circuit: string,
  maxCycles: number | undefined,
): Promise<number> {
  const r = await executeChunked(image, input, {
    ...chunkLimits(chunkCircuitConfig(circuit)),
    ...(maxCycles !== undefined ? { maxCycles } : {}),
    records: false,
  });
  return r.chunks.length;
}

export async function exec(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      ...INPUT_OPTIONS,
      "chunk-size": { type: "string" },
      circuit: { type: "string" },
      "max-cycles": { type: "string" },
      profile: { type: "boolean", default: false },
      top: { type: "string" },
      json: { type: "boolean", default: false },
    },
  });
  const elfPath = positionals[0];
  if (!elfPath || positionals.length > 1) throw new UsageError("exec needs exactly one <elf>");
  if (values.circuit && values["chunk-size"])
    throw new UsageError("give --chunk-size or --circuit, not both");
  const chunkSize = positiveInt("chunk-size", values["chunk-size"]);
  const maxCycles = positiveInt("max-cycles", values["max-cycles"]);
  const top = positiveInt("top", values.top) ?? 10;
  if (values.circuit) circuitConfigOrUsage(values.circuit);
  const { image, elf } = loadGuest(elfPath);
  const input = readInput(values);
  const symbols = (): FunctionSymbol[] => functionSymbols(elf);

  // A plain run is fast; a profile (or a trap) is stepped, to count and trace instructions.
  let result;
  let stepped;
  try {
    if (values.profile) {
      stepped = steppedRun(image, input, maxCycles !== undefined ? { maxCycles } : {});
      if (stepped.trap) throw stepped.trap;
      result = stepped.result!;
    } else result = execute(image, input, maxCycles !== undefined ? { maxCycles } : {});
  } catch (e) {
    if (!(e instanceof Trap)) throw e;
    const run = stepped ?? steppedRun(image, input, maxCycles !== undefined ? { maxCycles } : {});
    for (const l of trapReport(run, symbols())) console.error(l);
    return 1;
  }
  // The guest's debug stream (fd 2) is the guest's stderr.
  if (result.debug.length > 0) process.stderr.write(Buffer.from(result.debug));

  let chunks = 0;
  let circuit: string | undefined;
  if (chunkSize !== undefined) chunks = Math.ceil(result.cycles / chunkSize);
  else if (values.circuit) {
    circuit = values.circuit;
    chunks = await chunksUnder(image, input, circuit, maxCycles);
  }
  const id = formatDigest(await imageId(image));
  const outputHex = Buffer.from(result.output).toString("hex");

  let profile: { name: string; cycles: number }[] | undefined;
  let cost:
    | {
        circuit: string;
        chunks: number;
        chunksExact: boolean;
        provingSeconds?: number;
        gas: number;
      }
    | undefined;
  if (values.profile) {
    profile = cyclesPerFunction(image, symbols(), stepped!.counts);
    // The exact count replays the run with the circuit's Merkle-committed memory (about 4,000
    // cycles a second here): exact for short runs, else the floor of cycles / K, which long
    // runs approach (chunks are cut short only at page and I/O limits).
    const exact = result.cycles <= EXACT_CHUNKS_UP_TO;
    const netChunks = exact
      ? await chunksUnder(image, input, NETWORK_CIRCUIT, maxCycles)
      : Math.ceil(result.cycles / chunkCircuitConfig(NETWORK_CIRCUIT).K);
    const n = cachedConstraints(NETWORK_CIRCUIT);
    cost = {
      circuit: NETWORK_CIRCUIT,
      chunks: netChunks,
      chunksExact: exact,
      ...(n !== undefined ? { provingSeconds: netChunks * provingSecondsPerChunk(n) } : {}),
      gas: Number(DEVNET_DEFAULTS.gasPerJob) + netChunks * Number(DEVNET_DEFAULTS.gasPerChunk),
    };
  }

  if (values.json) {
    console.log(
      JSON.stringify({
        exitCode: result.exitCode,
        cycles: result.cycles,
        outputHex,
        debugText: new TextDecoder().decode(result.debug),
        imageId: id,
        chunks,
        ...(circuit ? { circuit } : {}),
        ...(profile ? { profile: profile.slice(0, top), cost } : {}),
      }),
    );
    return 0;
  }
  console.log(`exit code: ${result.exitCode}`);
  console.log(`cycles:    ${result.cycles}`);
  console.log(`image ID:  ${id}`);
  console.log(
    `chunks:    ${chunks}${circuit ? ` (${circuit})` : chunkSize ? ` (K=${chunkSize})` : " (give --circuit <name> for a real count)"}`,
  );
  console.log(`output (hex):  ${outputHex}`);
  const text = new TextDecoder("utf-8", { fatal: false }).decode(result.output);
  // Text only when it is text: printable characters, tabs and newlines.
  if (result.output.length > 0 && /^[\P{C}\t\n\r]*$/u.test(text) && !text.includes("\uFFFD"))
    console.log(`output (text): ${text}`);
  if (profile && cost) {
    console.log(
      `\ncycles per function (top ${Math.min(top, profile.length)} of ${profile.length}):`,
    );
    for (const p of profile.slice(0, top))
      console.log(
        `  ${String(p.cycles).padStart(10)}  ${((100 * p.cycles) / result.cycles).toFixed(1).padStart(5)}%  ${p.name}`,
      );
    console.log(`\ncost at the network's default configuration (${cost.circuit}):`);
    console.log(
      `  chunks:          ${cost.chunksExact ? cost.chunks : `at least ${cost.chunks} (exact: --circuit ${cost.circuit}, slow for long runs)`}`,
    );
    console.log(
      `  proving time:    ${cost.provingSeconds !== undefined ? `≈ ${duration(cost.provingSeconds)} on one 2-core delegator (divide by the delegators proving in parallel)` : "unknown until the circuit's keys are built (npm run setup)"}`,
    );
    console.log(
      `  gas (share of the epoch's Universal Proof): ≈ ${cost.gas} (${DEVNET_DEFAULTS.gasPerJob} per job + ${DEVNET_DEFAULTS.gasPerChunk} per chunk)`,
    );
    // What a job reserves of its epoch at submission: its bound's worst case in chunks.
    const reserved =
      DEVNET_DEFAULTS.gasPerJob +
      ((BigInt(result.cycles) + DEVNET_DEFAULTS.cyclesPerChunk - 1n) /
        DEVNET_DEFAULTS.cyclesPerChunk) *
        DEVNET_DEFAULTS.gasPerChunk;
    console.log(
      `  epoch room reserved at submission: ${reserved} gas of ${DEVNET_DEFAULTS.epochGas}${reserved > DEVNET_DEFAULTS.epochGas ? ": over it, the devnet refuses this job (Jobs__TooLarge); split the work" : ""}`,
    );
  }
  return 0;
}

export async function prove(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      ...INPUT_OPTIONS,
      "chunk-size": { type: "string" },
      circuit: { type: "string" },
      "key-set": { type: "string" },
      prover: { type: "string", default: "0x0000000000000000000000000000000000000000" },
      out: { type: "string" },
      "max-cycles": { type: "string" },
    },
  });
  const elfPath = positionals[0];
  if (!elfPath || positionals.length > 1 || !values.out)
    throw new UsageError("prove needs <elf> and --out <proof.json>");
  if (values.circuit && values["chunk-size"])
    throw new UsageError("give --chunk-size or --circuit, not both");
  if (values["key-set"]) {
    if (values.circuit || values["chunk-size"] || values["max-cycles"])
      throw new UsageError(
        "--key-set proves a whole job: no --circuit, --chunk-size or --max-cycles",
      );
    return proveJob(elfPath, values["key-set"], values.prover, values.out, readInput(values));
  }
  const k = positiveInt("chunk-size", values["chunk-size"]);
  const maxCycles = positiveInt("max-cycles", values["max-cycles"]);
  const name = values.circuit ?? (k ? circuitForChunkSize(k) : DEFAULT_CHUNK_CIRCUIT);
  const config = circuitConfigOrUsage(name);
  addressToField(parseAddress(values.prover, "--prover"));
  const address = values.prover.toLowerCase() as Address;
  const { image } = loadGuest(elfPath);
  const input = readInput(values);
  // A guest that traps cannot be proven: say so before building keys or proving.
  try {
    execute(image, input, maxCycles !== undefined ? { maxCycles } : {});
  } catch (e) {
    if (!(e instanceof Trap)) throw e;
    console.error(`${elfPath} cannot be proven: ${e.message} (run concentric exec for details)`);
    return 1;
  }
  const keySteps = ["compiling", "ptau", "groth16 setup", "ready"];
  let keyBar: ReturnType<typeof progress> | undefined;
  const artifacts = await getCircuitArtifacts(name, {
    cacheDir: defaultCacheDir(),
    log: (m) => {
      // Keys are built on first use only (minutes): a bar over the build's stages.
      const step = keySteps.findIndex((s) => m.includes(s));
      if (step < 0) return;
      keyBar ??= progress(`keys ${name}`, keySteps.length, "stages");
      keyBar.update(step + 1, m.replace(`${name}: `, ""));
      if (step === keySteps.length - 1) keyBar.stop();
    },
  });
  const start = performance.now();
  let bar: ReturnType<typeof progress> | undefined;
  const { run, stats } = await proveRun(image, input, {
    config,
    prover: new Groth16ChunkProver(artifacts),
    address,
    vk: artifacts.vkey,
    ...(maxCycles !== undefined ? { maxCycles } : {}),
    onChunk: (done, total) => {
      bar ??= progress("proving", total, "chunks", { startedAt: start });
      bar.update(done);
      if (done === total) bar.stop();
    },
  });
  try {
    writeFileSync(values.out, JSON.stringify(run, null, 1) + "\n");
  } catch (e) {
    throw new CliError(fileErrorMessage(e, values.out, "--out"));
  }
  const seconds = (performance.now() - start) / 1000;
  console.log(`circuit:               ${name} (${artifacts.nConstraints} constraints)`);
  console.log(`image ID:              ${formatDigest(BigInt(run.imageId))}`);
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

/**
 * `concentric prove --key-set <set>`: a versioned-cells job (issue 12's circuits: chunks,
 * boundary, input and output proofs; word-mode I/O) proven with the key set's four circuits.
 */
async function proveJob(
  elfPath: string,
  keySet: string,
  proverArg: string,
  out: string,
  input: Uint8Array,
): Promise<number> {
  try {
    getKeySet(keySet);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  addressToField(parseAddress(proverArg, "--prover"));
  const { image } = loadGuest(elfPath);
  try {
    execute(image, input);
  } catch (e) {
    if (!(e instanceof Trap)) throw e;
    console.error(`${elfPath} cannot be proven: ${e.message} (run concentric exec for details)`);
    return 1;
  }
  const cacheDir = defaultCacheDir();
  const log = (m: string) => console.error(m);
  const start = performance.now();
  let file, job;
  try {
    ({ file, job } = await proveJobFile(
      await getPoseidon(),
      keySet,
      (name) => getCircuitArtifacts(name, { cacheDir, log }),
      image,
      input,
      { prover: proverArg.toLowerCase() as Address, cacheDir, log },
    ));
  } catch (e) {
    // a job the key set cannot hold (I/O beyond its proofs' bytes, more pages than the
    // boundary proof lists) is the user's to know, not a crash
    if (e instanceof Error && /bytes of I\/O|pages|boundary/.test(e.message)) {
      console.error(`${elfPath} cannot be proven with key set ${keySet}: ${e.message}`);
      return 1;
    }
    throw e;
  }
  try {
    writeFileSync(out, JSON.stringify(file, null, 1) + "\n");
  } catch (e) {
    throw new CliError(fileErrorMessage(e, out, "--out"));
  }
  const seconds = (performance.now() - start) / 1000;
  console.log(`key set:               ${keySet}`);
  console.log(`image ID:              ${formatDigest(job.boundary.imageId)}`);
  console.log(`cycles:                ${job.final.cycles}`);
  console.log(`chunks:                ${job.chunks.length} (+ boundary, input, output proofs)`);
  console.log(`exit code:             ${job.final.exitCode}`);
  console.log(`output (hex):          ${file.outputBytes}`);
  console.log(`seconds:               ${seconds.toFixed(1)}`);
  console.log(`wrote ${out}`);
  return 0;
}

export async function verify(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { expect: { type: "string" } },
  });
  if (positionals.length !== 1) throw new UsageError("verify needs exactly one <proof.json>");
  const text = new TextDecoder().decode(readFileOrExplain(positionals[0]!, "proof"));
  let run: RunProof;
  try {
    run = JSON.parse(text) as RunProof;
  } catch (e) {
    console.error(`invalid: ${positionals[0]} is not JSON: ${(e as Error).message}`);
    return 1;
  }
  if ((run as { format?: unknown })?.format === JOB_PROOF_FORMAT)
    return verifyJob(run, values.expect);
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
    const out = Buffer.from(v.output).toString("hex");
    console.log(`valid: ${v.chunks} chunk proofs, image ${formatDigest(v.imageId)}`);
    console.log(`exit code ${v.exitCode}, ${v.cycles} cycles, output ${out}`);
    if (values.expect !== undefined && values.expect.replace(/^0x/, "").toLowerCase() !== out) {
      console.error(`output ${out} is not the expected ${values.expect}`);
      return 1;
    }
    return 0;
  } catch (e) {
    if (e instanceof RunVerifyError || e instanceof TypeError || e instanceof SyntaxError) {
      console.error(`invalid: ${e.message}`);
      return 1;
    }
    throw e;
  }
}

/** `concentric verify` of a versioned-cells job proof (prover/zkvm/job2-file.ts). */
async function verifyJob(raw: unknown, expect: string | undefined): Promise<number> {
  const cacheDir = defaultCacheDir();
  const log = (m: string) => console.error(m);
  try {
    const v = await verifyJobFile(await getPoseidon(), raw, async (keySet) => {
      const keys = [];
      for (const name of getKeySet(keySet).circuits)
        keys.push((await getCircuitArtifacts(name, { cacheDir, log })).vkey);
      return keys;
    });
    const out = Buffer.from(v.output).toString("hex");
    console.log(
      `valid: ${v.chunks} chunk proofs and the job's boundary, input and output proofs (key set ${v.keySet}), image ${formatDigest(v.imageId)}`,
    );
    console.log(`exit code ${v.exitCode}, ${v.cycles} cycles, output ${out}`);
    console.log(`input SHA-256 ${v.inputDigest}`);
    if (expect !== undefined && expect.replace(/^0x/, "").toLowerCase() !== out) {
      console.error(`output ${out} is not the expected ${expect}`);
      return 1;
    }
    return 0;
  } catch (e) {
    if (e instanceof JobFileError) {
      console.error(`invalid: ${e.message}`);
      return 1;
    }
    throw e;
  }
}
