/**
 * Verification on receipt, batched: proofs that arrive close together are checked with one
 * Fiat–Shamir-batched pairing product (prover/verify/batch.ts); only when a batch fails is each
 * of its proofs checked alone, to name the bad ones. A proof waits at most `maxDelayMs`.
 *
 * A failed batch costs a check per proof in it, so a stranger's bad proof would cost everyone
 * batched with it: proofs of nodes not yet trusted go through {@link verifyAlone}, in a batch
 * of their own (the scheduler decides who is trusted).
 */
import {
  BatchVerifyError,
  findInvalid,
  toBatchVerifyingKey,
  verifyBatch,
  type BatchItem,
  type BatchVerifyingKey,
  type Groth16VerificationKey,
} from "../prover/verify/batch.ts";

export type Verdict = { valid: true } | { valid: false; reason: string };

interface Pending {
  item: BatchItem;
  resolve: (v: Verdict) => void;
}

export class BatchingVerifier {
  private readonly vk: BatchVerifyingKey;
  private queue: Pending[] = [];
  private timer: NodeJS.Timeout | undefined;
  /** Batches checked and their sizes, for metrics and tests. */
  readonly batchSizes: number[] = [];

  constructor(
    vk: Groth16VerificationKey,
    private readonly o: { maxBatch?: number; maxDelayMs?: number } = {},
  ) {
    this.vk = toBatchVerifyingKey(vk);
  }

  /** Resolves once the proof's batch has been checked. */
  verify(item: BatchItem): Promise<Verdict> {
    return new Promise((resolve) => {
      this.queue.push({ item, resolve });
      if (this.queue.length >= (this.o.maxBatch ?? 32)) void this.flush();
      else this.timer ??= setTimeout(() => void this.flush(), this.o.maxDelayMs ?? 20);
    });
  }

  /**
   * Checks `items` as one batch of their own, now: never together with queued proofs. Use it
   * for the proofs of one submitter not yet trusted (a bad one then costs only its own batch).
   */
  verifyAlone(items: BatchItem[]): Promise<Verdict[]> {
    const batch: Pending[] = [];
    const verdicts = items.map(
      (item) => new Promise<Verdict>((resolve) => batch.push({ item, resolve })),
    );
    void this.check(batch);
    return Promise.all(verdicts);
  }

  private async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.queue;
    this.queue = [];
    await this.check(batch);
  }

  /** Checks one batch and resolves each of its proofs' verdicts. */
  private async check(batch: Pending[]): Promise<void> {
    if (batch.length === 0) return;
    this.batchSizes.push(batch.length);
    // Malformed items (bad encodings, off-curve points, aliased inputs) are named one by one.
    const wellFormed: Pending[] = [];
    for (const p of batch) {
      try {
        toBatchItemChecked(p.item);
        wellFormed.push(p);
      } catch (e) {
        p.resolve({ valid: false, reason: (e as Error).message });
      }
    }
    if (wellFormed.length === 0) return;
    const items = wellFormed.map((p) => p.item);
    let ok = false;
    try {
      ok = await verifyBatch(this.vk, items);
    } catch (e) {
      if (!(e instanceof BatchVerifyError)) throw e;
    }
    if (ok) {
      for (const p of wellFormed) p.resolve({ valid: true });
      return;
    }
    const bad = new Set(await findInvalid(this.vk, items));
    wellFormed.forEach((p, i) =>
      p.resolve(
        bad.has(i)
          ? { valid: false, reason: "the Groth16 proof does not verify" }
          : { valid: true },
      ),
    );
  }
}

/** Shape checks a batch needs before any curve arithmetic. */
function toBatchItemChecked(item: BatchItem): void {
  const p = item.proof as unknown as Record<string, unknown>;
  if (p.protocol !== "groth16" || p.curve !== "bn128")
    throw new BatchVerifyError("not a bn128 Groth16 proof", { reason: "protocol/curve" });
}
