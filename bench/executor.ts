/**
 * Executor throughput: cycles per second on a synthetic ALU/memory loop, plain and chunked
 * (with and without per-step records). Usage: npx tsx bench/executor.ts [iterations]
 */
import { executeChunked, execute, loadElf } from "../prover/executor/index.ts";
import { encB, encI, encR, encS, exitSeq, li, programElf } from "../prover/executor/testing.ts";

const iterations = Number(process.argv[2] ?? 2_000_000);
// loop: x8 = x8*x5 + x5; mem[0x2000 + (i&255)*4] = x8; x9 += mem[...]; i++; blt i, n
const image = loadElf(
  programElf([
    ...li(5, 0),
    ...li(6, iterations),
    ...li(8, 1),
    encR(1, 5, 8, 0, 8, 0x33), // mul x8, x8, x5
    encR(0, 5, 8, 0, 8, 0x33), // add x8, x8, x5
    encI(255, 5, 7, 7, 0x13), // andi x7, x5, 255
    encI(2, 7, 1, 7, 0x13), // slli x7, x7, 2
    encI(0x200, 7, 0, 7, 0x13), // addi x7, x7, 0x200
    encI(4, 7, 1, 7, 0x13), // slli x7, x7, 4 -> 0x2000 + 16*... stays in RAM
    encS(0, 8, 7, 2), // sw x8, 0(x7)
    encI(0, 7, 2, 10, 0x03), // lw x10, 0(x7)
    encR(0, 10, 9, 0, 9, 0x33), // add x9, x9, x10
    encI(1, 5, 0, 5, 0x13), // addi x5, x5, 1
    encB(-40, 6, 5, 4), // blt x5, x6, loop
    ...li(10, 0),
    ...exitSeq(),
  ]),
);

function report(label: string, cycles: number, ms: number): void {
  console.log(
    `${label.padEnd(28)} ${cycles} cycles in ${ms.toFixed(0)} ms: ${(((cycles / ms) * 1000) / 1e6).toFixed(3)} M cycles/s`,
  );
}

execute(image); // warm-up
let t = performance.now();
const plain = execute(image);
report("plain", plain.cycles, performance.now() - t);

const small = loadElf(
  programElf([
    ...li(5, 0),
    ...li(6, 20000),
    encI(1, 5, 0, 5, 0x13),
    encB(-4, 6, 5, 4),
    ...li(10, 0),
    ...exitSeq(),
  ]),
);
t = performance.now();
const noRec = await executeChunked(small, new Uint8Array(), { chunkSize: 1024, records: false });
report("chunked K=1024, no records", noRec.cycles, performance.now() - t);
t = performance.now();
const rec = await executeChunked(small, new Uint8Array(), { chunkSize: 1024 });
report("chunked K=1024, records", rec.cycles, performance.now() - t);

// Guests (committed ELFs built by guests/build.sh).
const { readFileSync } = await import("node:fs");
const guest = (name: string) =>
  loadElf(new Uint8Array(readFileSync(new URL(`../guests/elf/${name}.elf`, import.meta.url))));
const guestInputs: [string, Uint8Array][] = [
  ["sha256", Uint8Array.from({ length: 65536 }, (_, i) => i & 255)],
  [
    "sort",
    new Uint8Array(
      Uint32Array.from({ length: 16384 }, (_, i) => Math.imul(i, 2654435761) >>> 0).buffer,
    ),
  ],
  ["fibonacci", new Uint8Array(new Uint32Array([5_000_000]).buffer)],
];
for (const [name, input] of guestInputs) {
  const img = guest(name);
  execute(img, input);
  t = performance.now();
  const r = execute(img, input);
  report(`${name} plain`, r.cycles, performance.now() - t);
}

// Issue 12's design (prover/executor/versions.ts, not yet used by the circuit): what the
// orchestrator would compute per job — execution cut into chunks with the versions of every
// cell each chunk touches, and one small state digest per chunk boundary (a Poseidon(6)) —
// against what each delegator would add for its own chunk (the commitment C_i, chunkCommitment:
// a Poseidon(16) sponge over its paged cells, two cells per field element). Medians of 3.
const { chunkCommitment, executeVersioned } = await import("../prover/executor/versions.ts");
const { getPoseidon, hash } = await import("../prover/executor/digest.ts");
const poseidon = await getPoseidon();
const median = (xs: number[]) => xs.sort((a, b) => a - b)[xs.length >> 1]!;
for (const [name, input] of guestInputs.slice(0, 2)) {
  const img = guest(name);
  for (const k of [1024, 4096]) {
    const prep: number[] = [];
    let run: ReturnType<typeof executeVersioned> | undefined;
    for (let rep = 0; rep < 3; rep++) {
      t = performance.now();
      run = executeVersioned(img, input, k);
      for (const c of run.chunks) hash(poseidon, [BigInt(c.end), BigInt(c.start), 1n, 2n, 3n, 4n]); // the state's share
      prep.push(performance.now() - t);
    }
    const cycles = run!.result.cycles;
    report(`${name} versioned K=${k} prep`, cycles, median(prep));
    const cells = run!.chunks.map((c) => c.cells.length);
    const sample = run!.chunks.slice(0, 50);
    // The circuit's slot count: the most cells a chunk of the run has, up to 30 per block.
    const slots = Math.ceil(Math.max(...cells) / 30) * 30;
    t = performance.now();
    for (const c of sample) chunkCommitment(poseidon, c, slots);
    const perChunk = (performance.now() - t) / sample.length;
    console.log(
      `${`${name} versioned K=${k}`.padEnd(28)} ${run!.chunks.length} chunks, cells per chunk max ${Math.max(...cells)} / mean ${(cells.reduce((a, b) => a + b, 0) / cells.length).toFixed(0)}, delegator commitment ${perChunk.toFixed(1)} ms per chunk`,
    );
  }
}

// Issue 12 item 6: the orchestrator's preparation of a versioned-cells job as the network runs
// it (prover/zkvm/prepare2.ts, prepareJob2: the run cut as the production chunk circuit takes
// it, every chunk's cell versions and state digests, the boundary cells, the I/O claim; the
// image opening is computed once per image, at registration, so outside the timing), against
// today's chunked run with the Merkle memory (records off) as the baseline, run alongside.
// Then what a delegator adds per lease: rebuilding its chunk's inputs (leaseInputs2 runs the job
// up to its chunk; the last chunk is the worst case). Medians of 3.
{
  const { prepareJob2, leaseInputs2 } = await import("../prover/zkvm/prepare2.ts");
  const { imageOpening } = await import("../prover/executor/digest.ts");
  const { keySetCircuits } = await import("../prover/zkvm/job2-file.ts");
  const { cfg } = keySetCircuits("job2_production");
  const median3 = async (f: () => Promise<unknown>) => {
    const xs: number[] = [];
    for (let rep = 0; rep < 3; rep++) {
      const t0 = performance.now();
      await f();
      xs.push(performance.now() - t0);
    }
    return median(xs);
  };
  const rates: number[] = [];
  // inputs a quarter of the size above: the baseline runs at about 0.1 M cycles/s
  const prepInputs: [string, Uint8Array][] = [
    ["sha256", guestInputs[0]![1].subarray(0, 16384)],
    ["sort", guestInputs[1]![1].subarray(0, 16384)],
    ["fibonacci", new Uint8Array(new Uint32Array([250_000]).buffer)],
  ];
  for (const [name, input] of prepInputs) {
    const img = guest(name);
    const opening = await imageOpening(img);
    let prep: Awaited<ReturnType<typeof prepareJob2>> | undefined;
    const ms = await median3(async () => {
      prep = await prepareJob2(poseidon, cfg, img, opening, input);
    });
    const cycles = prep!.cycles;
    rates.push(cycles / ms / 1e3);
    report(`${name} prepareJob2 K=${cfg.K}`, cycles, ms);
    const base = await median3(() =>
      executeChunked(img, input, { chunkSize: cfg.K, records: false }),
    );
    report(`${name} Merkle chunks (baseline)`, cycles, base);
    const lastLease = prep!.leases[prep!.leases.length - 1]!;
    const rebuild = await median3(() =>
      leaseInputs2(poseidon, cfg, img, opening, input, lastLease, { gammaJob: 1n, prover: 1n }),
    );
    console.log(
      `${`${name} K=${cfg.K}`.padEnd(28)} ${prep!.leases.length} chunks; ${(base / ms).toFixed(1)}× the baseline; a delegator rebuilds the last chunk's inputs in ${rebuild.toFixed(0)} ms`,
    );
  }
  const sorted = [...rates].sort((a, b) => a - b);
  console.log(
    `orchestrator preparation (prepareJob2, K=${cfg.K}): ${rates.map((r) => r.toFixed(2)).join(" / ")} M cycles/s (${prepInputs.map(([n]) => n).join(" / ")}), lowest ${sorted[0]!.toFixed(2)}`,
  );
}
