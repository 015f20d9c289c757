/**
 * Worker thread of `FixedBaseMultiplier`: instantiates the same BN254 wasm code that
 * ffjavascript (snarkjs's curve library) runs, keeps a window table of the base point in its
 * memory, and answers batches of scalars with affine points, calling the wasm exports in a
 * tight loop: no per-operation message passing.
 *
 * It does not import ffjavascript: that package loads `web-worker`, which, imported in any
 * worker thread, takes the thread over as one of its own workers.
 * (Erasable TypeScript only: Node runs it with or without a loader.)
 */
import { parentPort, workerData } from "node:worker_threads";
import { ModuleBuilder } from "wasmbuilder";
import { buildBn128 } from "wasmcurves";

export interface FixedBaseWorkerData {
  group: "G1" | "G2";
  /** Affine Montgomery table, WINDOWS × WINDOW_SIZE points. */
  table: Uint8Array;
  windowSize: number;
  windows: number;
  maxBatch: number;
}

export interface FixedBaseRequest {
  id: number;
  /** n scalars, 32 bytes each, standard little-endian. */
  scalars: Uint8Array;
}

const data = workerData as FixedBaseWorkerData;
/** BN254 base field elements are 32 bytes; G2 coordinates are pairs of them. */
const n8 = data.group === "G1" ? 32 : 64;
const sAff = n8 * 2;
const sJac = n8 * 3;
const INITIAL_PAGES = 25; // what ffjavascript reserves for the module's own constants

const builder = new ModuleBuilder();
builder.setMemory(INITIAL_PAGES);
buildBn128(builder);
const need = data.table.length + data.maxBatch * (sJac + sAff);
const memory = new WebAssembly.Memory({
  initial: INITIAL_PAGES + Math.ceil(need / 65536) + 1,
});
const instance = await WebAssembly.instantiate(await WebAssembly.compile(builder.build()), {
  env: { memory },
});
const ex = instance.exports as Record<string, (...args: number[]) => void>;
const u8 = new Uint8Array(memory.buffer);
// The module keeps its free-memory pointer in the first word; allocate after it.
let free = new Uint32Array(memory.buffer)[0]!;
const alloc = (length: number): number => {
  free = (free + 7) & ~7;
  const p = free;
  free += length;
  return p;
};
const pTable = alloc(data.table.length);
u8.set(data.table, pTable);
const pAcc = alloc(data.maxBatch * sJac);
const pOut = alloc(data.maxBatch * sAff);
new Uint32Array(memory.buffer)[0] = free;
const prefix = data.group === "G1" ? "g1m" : "g2m";
const zero = ex[`${prefix}_zero`]!;
const addMixed = ex[`${prefix}_addMixed`]!;
const batchToAffine = ex[`${prefix}_batchToAffine`]!;

parentPort!.on("message", (req: FixedBaseRequest) => {
  const n = req.scalars.length / data.windows;
  if (n > data.maxBatch) throw new Error(`batch of ${n} exceeds ${data.maxBatch}`);
  for (let i = 0; i < n; i++) {
    const acc = pAcc + i * sJac;
    zero(acc);
    const row = i * data.windows;
    for (let j = 0; j < data.windows; j++) {
      const d = req.scalars[row + j]!;
      if (d !== 0) addMixed(acc, pTable + (j * data.windowSize + d) * sAff, acc);
    }
  }
  batchToAffine(pAcc, n, pOut);
  const points = u8.slice(pOut, pOut + n * sAff);
  parentPort!.postMessage({ id: req.id, points }, [points.buffer as ArrayBuffer]);
});
