/**
 * The input and output of a job in the job-wide sum of the versioned-cells chunk (issue 12,
 * item 5; circuits/zkvm/README.md, "The input and output commitments"), as a reference model
 * beside versions.ts's cells. Not yet used by the network.
 *
 * Every byte a word-mode run moves is an element e = byte + 2^16·position + 2^96·tag (tag 1
 * the input, 2 the public output; byte 256 is the input's END), summed at the same γ as the
 * cells (versions.ts) and with the same sign convention (produced +, consumed −):
 *
 * - a chunk consumes (1, p, b) for each input byte it reads at input position p, and
 *   (1, p, END) for each read that finds the input's end with p bytes read; it produces
 *   (2, p, b) for each public output byte it writes at output position p (circuits/zkvm/
 *   chunk2.circom computes exactly this share from its steps);
 * - the job's input proof produces (1, i, input[i]) for i < R, the bytes the job read, and
 *   (1, n, END) M times, M the reads that found the end, with M > 0 only if R = n, the input's
 *   length (its input is bound to the job's input digest);
 * - the job's output proof consumes (2, i, output[i]) for every byte of the output it
 *   commits to (the SHA-256 digest a contract opens).
 *
 * Each (tag, position) is produced once, so the sum balances only if the chunks read the
 * input's bytes in order, each once, find its end only at its length, and write exactly the
 * output the output proof commits to: a dropped, repeated, reordered, changed or invented
 * byte, or a false end, leaves it unbalanced (with overwhelming probability over γ, drawn
 * after every chunk's transcript — which covers the bytes a read moves — is fixed).
 */
import type { ChunkRecord } from "./chunks.ts";
import { logDerivativeSum, VersionError } from "./versions.ts";

export const IO_INPUT = 1;
export const IO_OUTPUT = 2;
/** The byte value of the input's end. */
export const IO_END = 256;

/** The packed element of a moved byte (or the input's end). */
export const ioElement = (tag: number, position: number, byte: number): bigint =>
  BigInt(byte) + (BigInt(position) << 16n) + (BigInt(tag) << 96n);

/** Elements with their signs (+1 produced, −1 consumed). */
export interface Share {
  xs: bigint[];
  signs: number[];
}

const share = (): Share => ({ xs: [], signs: [] });

/**
 * A chunk's share, from the record of a word-mode run: the bytes it claims to have read and
 * written (inputBytes, outputBytes) at the positions of its start state, and an END for each
 * step that found the input's end.
 */
export function chunkIoShare(chunk: ChunkRecord): Share {
  const out = chunk.stateIn.outputPosition;
  if (out === undefined)
    throw new VersionError(`chunk ${chunk.index}: not from a word-mode run (no output position)`);
  const s = share();
  let inPos = chunk.stateIn.inputPosition;
  let read = 0;
  for (const r of chunk.stepRecords) {
    if (r.io?.kind !== "read") continue;
    for (let j = 0; j < r.io.n; j++) {
      s.xs.push(ioElement(IO_INPUT, inPos, chunk.inputBytes[read]!));
      s.signs.push(-1);
      inPos++;
      read++;
    }
    if (r.io.ended) {
      s.xs.push(ioElement(IO_INPUT, inPos, IO_END));
      s.signs.push(-1);
    }
  }
  if (read !== chunk.inputBytes.length)
    throw new VersionError(`chunk ${chunk.index}: its reads move ${read} bytes, it claims more`);
  chunk.outputBytes.forEach((b, i) => {
    s.xs.push(ioElement(IO_OUTPUT, out + i, b));
    s.signs.push(1);
  });
  return s;
}

/** The input proof's claim: the bytes the job read and how many reads found the end. */
export interface InputClaim {
  input: Uint8Array;
  read: number;
  ends: number;
}

/** The input proof's share, after its own rules (R ≤ n, and M > 0 only if R = n). */
export function inputProofShare(c: InputClaim): Share {
  if (c.read > c.input.length)
    throw new VersionError(`input proof: ${c.read} bytes read of ${c.input.length}`);
  if (c.ends > 0 && c.read !== c.input.length)
    throw new VersionError(`input proof: the end found after ${c.read} of ${c.input.length} bytes`);
  const s = share();
  for (let i = 0; i < c.read; i++) {
    s.xs.push(ioElement(IO_INPUT, i, c.input[i]!));
    s.signs.push(1);
  }
  for (let k = 0; k < c.ends; k++) {
    s.xs.push(ioElement(IO_INPUT, c.input.length, IO_END));
    s.signs.push(1);
  }
  return s;
}

/** The output proof's share: it consumes every byte of the output it commits to. */
export function outputProofShare(output: Uint8Array): Share {
  const s = share();
  output.forEach((b, i) => {
    s.xs.push(ioElement(IO_OUTPUT, i, b));
    s.signs.push(-1);
  });
  return s;
}

/** Σ signs / (γ − x) of a share (mod r). */
export const shareSum = (s: Share, gamma: bigint): bigint => logDerivativeSum(gamma, s.xs, s.signs);

/** What an honest orchestrator claims for the input proof of a word-mode run's chunks. */
export function inputClaim(chunks: ChunkRecord[], input: Uint8Array): InputClaim {
  const last = chunks[chunks.length - 1];
  // counted by the executor when it ran step by step; else from the step records
  const ends = chunks.reduce(
    (n, c) =>
      n + (c.inputEnds ?? c.stepRecords.filter((r) => r.io?.kind === "read" && r.io.ended).length),
    0,
  );
  return { input, read: last ? last.stateOut.inputPosition : 0, ends };
}

/**
 * The I/O part of the job-wide sum: every chunk's share, the input proof's and the output
 * proof's. 0 for a run whose chunks moved exactly the input's bytes and the output.
 */
export function ioBalance(
  chunks: ChunkRecord[],
  claim: InputClaim,
  output: Uint8Array,
  gamma: bigint,
): bigint {
  const all = [...chunks.map(chunkIoShare), inputProofShare(claim), outputProofShare(output)];
  return logDerivativeSum(
    gamma,
    all.flatMap((s) => s.xs),
    all.flatMap((s) => s.signs),
  );
}
