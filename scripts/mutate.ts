/**
 * The full mutation harness (`npm run mutate [-- <circuit>] [--guests a,b]`): every chunk of
 * every guest, every witness input, four variants each. Prints how many mutations were tried
 * and every survivor; exits 1 if any survives. Slow (about 70 ms per mutation on 2 cores);
 * `npm test` runs a sample of it.
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { executeChunked, imageOpening, loadElf } from "../prover/executor/index.ts";
import { defaultCacheDir, getCircuitArtifacts } from "../prover/setup/artifacts.ts";
import { REPO_ROOT } from "../prover/setup/registry.ts";
import { loadWitnessCalculator, runMutations } from "../prover/zkvm/mutation.ts";
import { chunkLimits } from "../prover/zkvm/run.ts";
import { chunkCircuitConfig, chunkWitness } from "../prover/zkvm/witness.ts";
import { GUEST_INPUTS } from "../test/helpers/guests.ts";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { guests: { type: "string" } },
});
const name = positionals[0] ?? "rv32im_K8_P4_IO4_M20";
const config = chunkCircuitConfig(name);
const a = await getCircuitArtifacts(name, { cacheDir: defaultCacheDir(), log: console.error });
const wc = await loadWitnessCalculator(a.wasmPath);
const guests = values.guests ? values.guests.split(",") : Object.keys(GUEST_INPUTS);
let tried = 0;
let survivors = 0;
for (const g of guests) {
  const image = loadElf(new Uint8Array(readFileSync(`${REPO_ROOT}/guests/elf/${g}.elf`)));
  const exec = await executeChunked(image, GUEST_INPUTS[g]!, chunkLimits(config));
  const opening = await imageOpening(image);
  const witnesses = exec.chunks.map((c) => chunkWitness(config, opening, c, 0xc0ffeen));
  const t = performance.now();
  const r = await runMutations(wc, witnesses);
  tried += r.tried;
  survivors += r.survivors.length;
  console.log(
    `${g}: ${exec.chunks.length} chunks, ${r.tried} mutations, ${r.survivors.length} survivors ` +
      `(${((performance.now() - t) / 1000).toFixed(0)} s)`,
  );
  for (const s of r.survivors) console.log(`  survivor: ${s.path} ${s.from} -> ${s.to}`);
}
console.log(`total: ${tried} mutations, ${survivors} survivors`);
process.exitCode = survivors === 0 ? 0 : 1;
