/**
 * Fixed-base scalar multiplication on BN254 with precomputed windows, on ffjavascript's wasm
 * curve code, spread over worker threads.
 *
 * A development ceremony with known τ needs s_i·G for millions of scalars s_i and one base G.
 * A generic scalar multiplication costs ~254 doublings and ~127 additions; with a table
 * T[j][d] = d·2^(8j)·G (32 windows of 8 bits) it costs at most 32 mixed additions.
 */
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import type { Bn128Curve, FieldElement, PointBytes } from "ffjavascript";
import type { FixedBaseWorkerData } from "./fixed-base-worker.ts";

/** 8-bit windows: 32 windows cover a 256-bit scalar. */
const WINDOW_BITS = 8;
const WINDOW_SIZE = 1 << WINDOW_BITS;
const WINDOWS = 32;
/** Points per message to a worker. */
const BATCH = 8192;

export type GroupName = "G1" | "G2";

export class FixedBaseMultiplier {
  readonly #curve: Bn128Curve;
  readonly #group: GroupName;
  readonly #base: PointBytes;
  #workers: Worker[] | null = null;
  #nextId = 0;
  /** Batches in flight, by id: one listener per worker answers them all. */
  readonly #pending = new Map<
    number,
    { resolve: (p: Uint8Array) => void; reject: (e: unknown) => void }
  >();

  /** @param base a point of the group (defaults to the generator) */
  constructor(curve: Bn128Curve, group: GroupName, base?: PointBytes) {
    this.#curve = curve;
    this.#group = group;
    this.#base = base ?? curve[group].g;
  }

  async #start(): Promise<Worker[]> {
    if (this.#workers) return this.#workers;
    const G = this.#curve[this.#group];
    const sJac = G.F.n8 * 3;
    const jac = new Uint8Array(WINDOWS * WINDOW_SIZE * sJac);
    let windowBase = this.#base;
    for (let j = 0; j < WINDOWS; j++) {
      let acc = G.zero;
      for (let d = 0; d < WINDOW_SIZE; d++) {
        jac.set(acc, (j * WINDOW_SIZE + d) * sJac);
        acc = G.add(acc, windowBase);
      }
      windowBase = acc; // 2^8 · (previous window base)
    }
    const table = await G.batchToAffine(jac);
    const workerData: FixedBaseWorkerData = {
      group: this.#group,
      table,
      windowSize: WINDOW_SIZE,
      windows: WINDOWS,
      maxBatch: BATCH,
    };
    const url = new URL("./fixed-base-worker.ts", import.meta.url);
    this.#workers = Array.from({ length: availableParallelism() }, () => {
      const w = new Worker(url, { workerData });
      w.unref();
      w.on("message", (msg: { id: number; points: Uint8Array }) => {
        const job = this.#pending.get(msg.id);
        this.#pending.delete(msg.id);
        job?.resolve(msg.points);
      });
      const fail = (e: unknown) => {
        for (const job of this.#pending.values()) job.reject(e);
        this.#pending.clear();
        // the next call starts a fresh pool
        const pool = this.#workers;
        this.#workers = null;
        for (const other of pool ?? []) void other.terminate();
      };
      w.on("error", fail);
      w.on("exit", (code) => {
        if (this.#pending.size > 0) fail(new Error(`fixed-base worker exited (code ${code})`));
      });
      return w;
    });
    return this.#workers;
  }

  /**
   * s_i · base for every scalar (ffjavascript Fr elements, Montgomery form), as affine points
   * in the little-endian Montgomery layout of ptau and zkey files.
   */
  async mulMany(scalars: FieldElement[]): Promise<Uint8Array> {
    const workers = await this.#start();
    const Fr = this.#curve.Fr;
    const sAff = this.#curve[this.#group].F.n8 * 2;
    const out = new Uint8Array(scalars.length * sAff);
    const jobs: Promise<void>[] = [];
    let k = 0;
    for (let start = 0; start < scalars.length; start += BATCH, k++) {
      const n = Math.min(BATCH, scalars.length - start);
      const bytes = new Uint8Array(n * WINDOWS);
      for (let i = 0; i < n; i++) Fr.toRprLE(bytes, i * WINDOWS, scalars[start + i]!);
      const worker = workers[k % workers.length]!;
      const id = this.#nextId++;
      const offset = start * sAff;
      jobs.push(
        new Promise<Uint8Array>((resolve, reject) => {
          this.#pending.set(id, { resolve, reject });
          worker.postMessage({ id, scalars: bytes }, [bytes.buffer]);
        }).then((points) => out.set(points, offset)),
      );
    }
    await Promise.all(jobs);
    return out;
  }

  async close(): Promise<void> {
    const workers = this.#workers ?? [];
    this.#workers = null;
    await Promise.all(workers.map((w) => w.terminate()));
  }
}
