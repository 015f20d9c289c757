/**
 * Ready-to-use circuit artifacts (r1cs, witness wasm, zkey, verifying key), built once per
 * machine and cached under a key that hashes everything they depend on: the circuit sources
 * (with every included file), the template and parameters, the compiler and snarkjs versions,
 * and the ceremony. A changed circuit never reuses stale keys.
 *
 * Layout of the cache directory:
 *   ptau/dev_<power>.ptau                      development ceremonies, shared by circuits
 *   circuits/<name>-<key>/manifest.json        what was built, from what, and how
 *   circuits/<name>-<key>/<name>.{r1cs,zkey}, <name>_js/<name>.wasm, vkey.json
 *
 * Ceremonies: by default a development ceremony with a KNOWN τ (insecure, fast; see
 * ceremony.ts). For production pass `ptauPath`, a prepared phase-2 file from a public
 * ceremony, and `beaconHex`, a public random beacon for the circuit-specific phase 2.
 * Keys made from a development ceremony are refused on any chain that is not a development
 * chain: `assertKeysAllowedOnChain`.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join, relative, resolve } from "node:path";
import { promisify } from "node:util";
import * as snarkjs from "snarkjs";
import { DEV_BEACON_HASH, DEV_BEACON_ITERATIONS_EXP, makeDevPtau } from "./ceremony.ts";
import { makeDevZKey } from "./dev-zkey.ts";
import type { Groth16VerificationKey } from "../verify/batch.ts";
import { getCircuit, REPO_ROOT, type CircuitEntry } from "./registry.ts";

const run = promisify(execFile);
const require = createRequire(import.meta.url);

/** Chain ids of local development chains (hardhat, geth --dev / ganache). */
export const DEVELOPMENT_CHAIN_IDS: readonly number[] = [31337, 1337];

export type CeremonyKind = "development" | "public";

export interface CircuitArtifacts {
  name: string;
  /** Cache key: hash of sources, parameters, tool versions and ceremony. */
  key: string;
  dir: string;
  r1csPath: string;
  wasmPath: string;
  zkeyPath: string;
  vkeyPath: string;
  /** snarkjs verifying key JSON. */
  vkey: Groth16VerificationKey;
  ceremony: CeremonyKind;
  nConstraints: number;
  nPublic: number;
  ptauPower: number;
  publicInputs: string[];
  buildSeconds: number;
}

export interface GetCircuitArtifactsOptions {
  /** Root of the artifact cache (see `defaultCacheDir`). */
  cacheDir: string;
  /** A prepared public-ceremony ptau file. Omitted: a development ceremony is used. */
  ptauPath?: string;
  /** Public beacon (hex) for the phase-2 contribution when `ptauPath` is given. */
  beaconHex?: string;
  log?: (message: string) => void;
  /**
   * A circuit that is not in the registry (benchmark baselines). Its name must be `name`; it
   * is cached like a registered one.
   */
  entry?: CircuitEntry;
}

export class DevelopmentKeysRefusedError extends Error {
  constructor(
    readonly circuit: string,
    readonly chainId: number,
  ) {
    super(
      `circuit ${circuit} has development keys (known τ: anyone can forge proofs); ` +
        `refusing chain id ${chainId}, which is not a development chain ` +
        `(${DEVELOPMENT_CHAIN_IDS.join(", ")}). Build keys from a public ceremony: ` +
        `npm run setup -- ${circuit} --ptau <file> --beacon <hex>`,
    );
    this.name = "DevelopmentKeysRefusedError";
  }
}

/** Throws unless the keys may be used on `chainId`: development keys only on dev chains. */
export function assertKeysAllowedOnChain(
  artifacts: Pick<CircuitArtifacts, "name" | "ceremony">,
  chainId: number,
): void {
  if (artifacts.ceremony === "development" && !DEVELOPMENT_CHAIN_IDS.includes(chainId)) {
    throw new DevelopmentKeysRefusedError(artifacts.name, chainId);
  }
}

/** CONCENTRIC_CACHE_DIR when set, else `<repo>/.cache` (git-ignored). */
export function defaultCacheDir(): string {
  return process.env.CONCENTRIC_CACHE_DIR ?? join(REPO_ROOT, ".cache");
}

/** Every file a circom source pulls in, itself first, each once (the harness uses it too). */
export function collectSources(
  file: string,
  seen = new Map<string, string>(),
): Map<string, string> {
  if (seen.has(file)) return seen;
  const text = readFileSync(file, "utf8");
  seen.set(file, text);
  for (const m of text.matchAll(/^\s*include\s+"([^"]+)"\s*;/gm)) {
    const spec = m[1]!;
    const candidates = [
      resolve(dirname(file), spec),
      join(REPO_ROOT, "node_modules", spec),
      join(REPO_ROOT, "circuits", spec),
    ];
    const found = candidates.find((c) => existsSync(c));
    if (!found) throw new Error(`${relative(REPO_ROOT, file)}: cannot resolve include "${spec}"`);
    collectSources(found, seen);
  }
  return seen;
}

function packageVersion(name: string): string {
  // Read by path: some packages (snarkjs) do not export their package.json.
  const text = readFileSync(join(REPO_ROOT, "node_modules", name, "package.json"), "utf8");
  return (JSON.parse(text) as { version: string }).version;
}

/** Cache key of a circuit's artifacts under a given ceremony. */
export async function artifactKey(entry: CircuitEntry, ceremonyId: string): Promise<string> {
  const sources = collectSources(resolve(REPO_ROOT, entry.file));
  const h = createHash("sha256");
  h.update(
    JSON.stringify({
      template: entry.template,
      params: entry.params,
      publicInputs: entry.publicInputs,
      circom2: packageVersion("circom2"),
      snarkjs: packageVersion("snarkjs"),
      ceremonyId,
    }),
  );
  for (const [path, text] of [...sources].sort(([a], [b]) => a.localeCompare(b))) {
    h.update(`\n--- ${relative(REPO_ROOT, path)}\n`);
    h.update(text);
  }
  return h.digest("hex").slice(0, 16);
}

/** Smallest power of two snarkjs accepts for a circuit (its `cirPower`). */
export function requiredPtauPower(nConstraints: number, nPublic: number, nOutputs = 0): number {
  const v = nConstraints + nPublic + nOutputs;
  return Math.max(1, v.toString(2).length);
}

async function sha256File(path: string): Promise<string> {
  return createHash("sha256")
    .update(await readFile(path))
    .digest("hex");
}

/** Wait for another process building the same artifacts, or take the lock. */
async function acquireLock(lockDir: string, done: () => boolean): Promise<boolean> {
  const staleMs = 60 * 60 * 1000;
  for (;;) {
    if (done()) return false;
    try {
      await mkdir(lockDir);
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      const age = Date.now() - (await stat(lockDir)).mtimeMs;
      if (age > staleMs) await rm(lockDir, { recursive: true, force: true });
      else await new Promise((r) => setTimeout(r, 500));
    }
  }
}

/** Get (or make a) development ptau file of at least `power`, cached per power. */
export async function getDevPtau(
  cacheDir: string,
  power: number,
  log?: (m: string) => void,
): Promise<string> {
  const dir = join(cacheDir, "ptau");
  await mkdir(dir, { recursive: true });
  const path = join(dir, `dev_${power}.ptau`);
  const lock = `${path}.lock`;
  if (await acquireLock(lock, () => existsSync(path))) {
    try {
      const tmp = join(dir, `tmp-${process.pid}-${power}`);
      await mkdir(tmp, { recursive: true });
      const started = performance.now();
      await makeDevPtau({
        power,
        outPath: `${tmp}/out.ptau`,
        tmpDir: tmp,
        ...(log ? { log } : {}),
      });
      await rename(`${tmp}/out.ptau`, path);
      await rm(tmp, { recursive: true, force: true });
      log?.(`dev ptau 2^${power} ready in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    } finally {
      await rm(lock, { recursive: true, force: true });
    }
  }
  return path;
}

/**
 * The one entry point tests and scripts use: returns ready artifacts for a registered
 * circuit, building them if this machine has not yet.
 *
 * @example
 * const a = await getCircuitArtifacts("poseidon_chain_N4", { cacheDir: defaultCacheDir() });
 * const { proof, publicSignals } = await snarkjs.groth16.fullProve(input, a.wasmPath, a.zkeyPath);
 */
export async function getCircuitArtifacts(
  name: string,
  options: GetCircuitArtifactsOptions,
): Promise<CircuitArtifacts> {
  if (options.entry && options.entry.name !== name)
    throw new Error(`circuit entry ${options.entry.name} passed for ${name}`);
  const entry = options.entry ?? getCircuit(name);
  const { cacheDir, ptauPath } = options;
  if (ptauPath && !options.beaconHex) {
    throw new Error("a public-ceremony setup needs --beacon <hex> for its phase-2 contribution");
  }
  const ceremony: CeremonyKind = ptauPath ? "public" : "development";
  const ceremonyId = ptauPath
    ? `public:${await sha256File(ptauPath)}:${options.beaconHex}`
    : `development:${DEV_BEACON_HASH}`;
  const key = await artifactKey(entry, ceremonyId);
  const dir = join(cacheDir, "circuits", `${name}-${key}`);
  const manifestPath = join(dir, "manifest.json");
  const lock = `${dir}.lock`;
  await mkdir(join(cacheDir, "circuits"), { recursive: true });
  if (await acquireLock(lock, () => existsSync(manifestPath))) {
    try {
      await build(entry, dir, key, ceremony, options);
    } finally {
      await rm(lock, { recursive: true, force: true });
    }
  }
  const manifest = JSON.parse(await readFile(manifestPath, "utf8")) as Omit<
    CircuitArtifacts,
    "dir" | "r1csPath" | "wasmPath" | "zkeyPath" | "vkeyPath" | "vkey"
  >;
  const vkeyPath = join(dir, "vkey.json");
  return {
    ...manifest,
    dir,
    r1csPath: join(dir, `${name}.r1cs`),
    wasmPath: join(dir, `${name}_js`, `${name}.wasm`),
    zkeyPath: join(dir, `${name}.zkey`),
    vkeyPath,
    vkey: JSON.parse(await readFile(vkeyPath, "utf8")) as Groth16VerificationKey,
  };
}

async function build(
  entry: CircuitEntry,
  dir: string,
  key: string,
  ceremony: CeremonyKind,
  { cacheDir, ptauPath, beaconHex, log }: GetCircuitArtifactsOptions,
): Promise<void> {
  const started = performance.now();
  const tmp = `${dir}.tmp-${process.pid}`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  const { name } = entry;

  // 1. Compile. The main component is generated so that parameters live in the registry.
  const args = Object.values(entry.params).join(", ");
  const mainPath = join(tmp, `${name}.circom`);
  await writeFile(
    mainPath,
    `pragma circom 2.2.0;\n// Generated from circuits/circuits.json entry "${name}".\n` +
      // Relative: circom2 runs under WASI and sees the file system through relative preopens.
      `include "${relative(tmp, resolve(REPO_ROOT, entry.file))}";\n` +
      `component main {public [${entry.publicInputs.join(", ")}]} = ${entry.template}(${args});\n`,
  );
  log?.(`${name}: compiling with circom2 --O2`);
  const circom = require.resolve("circom2/cli.js");
  // circom prints nothing until it is done (2 minutes for the production chunk): a heartbeat.
  const compileStarted = performance.now();
  const heartbeat = setInterval(() => {
    const s = Math.round((performance.now() - compileStarted) / 1000);
    log?.(`${name}: compiling, ${s} s`);
  }, 20_000);
  try {
    await run(
      process.execPath,
      [
        circom,
        mainPath,
        "--r1cs",
        "--wasm",
        "--O2",
        "-l",
        join(REPO_ROOT, "node_modules"),
        "-o",
        tmp,
      ],
      // cwd "/": circom2 (WASI) preopens the working directory and its parents only.
      { maxBuffer: 64 * 1024 * 1024, cwd: "/" },
    );
  } catch (e) {
    const err = e as { stderr?: string; stdout?: string };
    throw new Error(`circom failed on ${entry.file}:\n${err.stderr || err.stdout || String(e)}`);
  } finally {
    clearInterval(heartbeat);
  }
  log?.(`${name}: compiled in ${((performance.now() - compileStarted) / 1000).toFixed(1)} s`);
  const r1csPath = join(tmp, `${name}.r1cs`);
  const info = (await snarkjs.r1cs.info(r1csPath)) as {
    nConstraints: number;
    nPubInputs: number;
    nOutputs: number;
  };
  const nPublic = info.nPubInputs + info.nOutputs;
  const power = requiredPtauPower(info.nConstraints, info.nPubInputs, info.nOutputs);
  log?.(`${name}: ${info.nConstraints} constraints, ${nPublic} public, ptau 2^${power}`);

  // 2–3. A public ceremony: snarkjs's phase 2 on the given file, with one beacon contribution
  // (so δ is not the generator). The development ceremony: the same key, byte for byte,
  // computed from its known τ (dev-zkey.ts) without a ptau file: minutes instead of the
  // better part of an hour for a 2^20 circuit.
  const zkeyPath = join(tmp, `${name}.zkey`);
  const phase2Name =
    ceremony === "development" ? "concentric-dev-phase2 (INSECURE)" : "concentric-phase2-beacon";
  if (ptauPath) {
    const zkey0 = join(tmp, `${name}_0.zkey`);
    log?.(`${name}: groth16 setup (snarkjs, public ceremony)`);
    await snarkjs.zKey.newZKey(r1csPath, ptauPath, zkey0);
    await snarkjs.zKey.beacon(zkey0, zkeyPath, phase2Name, beaconHex!, DEV_BEACON_ITERATIONS_EXP);
    await rm(zkey0);
  } else {
    log?.(`${name}: groth16 setup (development key from the known tau)`);
    await makeDevZKey({
      r1csPath,
      outPath: zkeyPath,
      ptauBeaconHex: DEV_BEACON_HASH,
      ptauIterationsExp: DEV_BEACON_ITERATIONS_EXP,
      ptauPower: power,
      beaconName: phase2Name,
      beaconHex: DEV_BEACON_HASH,
      beaconIterationsExp: DEV_BEACON_ITERATIONS_EXP,
      ...(log ? { log: (m: string) => log(`${name}:${m}`) } : {}),
    });
  }
  const vkey = await snarkjs.zKey.exportVerificationKey(zkeyPath);
  await writeFile(join(tmp, "vkey.json"), JSON.stringify(vkey, null, 2));
  await rm(mainPath);

  const manifest = {
    name,
    key,
    ceremony,
    nConstraints: info.nConstraints,
    nPublic,
    ptauPower: power,
    publicInputs: entry.publicInputs,
    buildSeconds: Math.round((performance.now() - started) / 100) / 10,
  };
  await writeFile(join(tmp, "manifest.json"), JSON.stringify(manifest, null, 2));
  await rm(dir, { recursive: true, force: true });
  await rename(tmp, dir);
  log?.(`${name}: ready in ${manifest.buildSeconds} s (${dir})`);
}
