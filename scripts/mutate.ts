/**
 * The mutation harness over the committed guests
 * (`npm run mutate [-- <circuit>] [--guests a,b] [--all]`): for each guest, its first and last
 * chunk and the chunks that cover every step behaviour (see `stepBehaviour`) not covered by
 * the guests before it, or with --all every chunk; every witness input of
 * each, four variants each. Prints how many mutations were tried and every survivor; exits 1
 * if any survives. Slow (about 70 ms per mutation at K=8); `--shard i/n` runs every n-th chunk
 * of the work list, so n processes share it. `npm test` runs a sample of it.
 *
 * Incremental runs: `--record <file>` writes the behaviours this run covered (its whole work
 * list, every shard; write it only from a run with 0 survivors), and `--covered <file>` starts
 * from such a record, so only chunks with behaviours not in it are mutated. The record of the
 * last full run is circuits/zkvm/mutation-covered.json; it holds while the circuit is unchanged.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { executeChunked, imageOpening, loadElf } from "../prover/executor/index.ts";
import { defaultCacheDir, getCircuitArtifacts } from "../prover/setup/artifacts.ts";
import { REPO_ROOT } from "../prover/setup/registry.ts";
import { coveringChunks, loadWitnessCalculator, runMutations } from "../prover/zkvm/mutation.ts";
import { chunkLimits } from "../prover/zkvm/run.ts";
import {
  chunkCircuitConfig,
  chunkWitness,
  type ChunkWitnessInput,
} from "../prover/zkvm/witness.ts";
import { GUEST_INPUTS } from "../test/helpers/guests.ts";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    guests: { type: "string" },
    all: { type: "boolean", default: false },
    shard: { type: "string", default: "1/1" },
    covered: { type: "string" },
    record: { type: "string" },
  },
});
const shard = /^(\d+)\/(\d+)$/.exec(values.shard);
if (!shard || Number(shard[1]) < 1 || Number(shard[1]) > Number(shard[2]))
  throw new Error(`--shard: expected i/n with 1 <= i <= n, got ${values.shard}`);
const [shardIndex, shardCount] = [Number(shard[1]) - 1, Number(shard[2])];
const name = positionals[0] ?? "rv32im_K8_P4_IO4_M20";
const config = chunkCircuitConfig(name);
const a = await getCircuitArtifacts(name, { cacheDir: defaultCacheDir(), log: console.error });
const wc = await loadWitnessCalculator(a.wasmPath);
// allinsn first: it covers the most behaviours, which the other guests then need not repeat.
const guests = values.guests
  ? values.guests.split(",")
  : Object.keys(GUEST_INPUTS).sort((x, y) => Number(y === "allinsn") - Number(x === "allinsn"));

// The work list: (guest, chunk witness), in a fixed order; a shard takes every n-th item.
const covered = new Set<string>(
  values.covered ? (JSON.parse(readFileSync(values.covered, "utf8")) as string[]) : [],
);
const recorded = covered.size;
const work: { guest: string; index: number; witness: ChunkWitnessInput }[] = [];
for (const g of guests) {
  const image = loadElf(new Uint8Array(readFileSync(`${REPO_ROOT}/guests/elf/${g}.elf`)));
  const exec = await executeChunked(image, GUEST_INPUTS[g]!, chunkLimits(config));
  const opening = await imageOpening(image);
  const picked = values.all
    ? exec.chunks.map((_, i) => i)
    : coveringChunks(exec.chunks, covered, { endpoints: !values.covered });
  console.log(`${g}: chunks ${picked.join(",")} of ${exec.chunks.length}`);
  for (const index of picked)
    work.push({
      guest: g,
      index,
      witness: chunkWitness(config, opening, exec.chunks[index]!, 0xc0ffeen),
    });
}
const mine = work.filter((_, i) => i % shardCount === shardIndex);
console.log(`shard ${values.shard}: ${mine.length} of ${work.length} chunks`);
let tried = 0;
let survivors = 0;
const started = performance.now();
for (const [i, w] of mine.entries()) {
  const r = await runMutations(wc, [w.witness]);
  tried += r.tried;
  survivors += r.survivors.length;
  const s = ((performance.now() - started) / 1000).toFixed(0);
  console.log(
    `[${i + 1}/${mine.length}] ${w.guest} chunk ${w.index}: ${r.tried} mutations, ` +
      `${r.survivors.length} survivors (${s} s)`,
  );
  for (const m of r.survivors) console.log(`  survivor: ${m.path} ${m.from} -> ${m.to}`);
}
console.log(`total: ${tried} mutations, ${survivors} survivors`);
if (values.covered)
  console.log(`behaviours: ${recorded} from ${values.covered}, ${covered.size - recorded} new`);
if (values.record && survivors === 0) {
  writeFileSync(values.record, JSON.stringify([...covered].sort(), null, 2) + "\n");
  console.log(`recorded ${covered.size} behaviours in ${values.record}`);
}
process.exitCode = survivors === 0 ? 0 : 1;
