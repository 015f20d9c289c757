/**
 * A signed HTTP client of the orchestrator API (used by the delegator daemon and by child
 * orchestrators). Every POST is signed over its exact body bytes (auth.ts).
 */
import type { LocalAccount } from "viem/accounts";
import { signRequest } from "./auth.ts";
import type { BundleProof, ChunkLease, SegmentLease } from "./scheduler.ts";
import type { Address, ChunkProof } from "../prover/zkvm/prover.ts";

/** An answer other than 2xx; `transient` when retrying later may succeed. */
export class ApiError extends Error {
  override readonly name = "ApiError";
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(`${status}: ${message}`);
  }
  get transient(): boolean {
    return this.status === 0 || this.status === 429 || this.status >= 500;
  }
}

export class OrchestratorClient {
  readonly base: string;
  constructor(
    url: string,
    private readonly account: Pick<LocalAccount, "address" | "signMessage">,
  ) {
    this.base = url.replace(/\/+$/, "");
  }

  post<T>(path: string, body: unknown): Promise<T | undefined> {
    return this.send<T>(path, new TextEncoder().encode(JSON.stringify(body)), "application/json");
  }

  /** A signed POST of `bytes` (the signature covers them exactly). */
  private async send<T>(path: string, bytes: Uint8Array, contentType: string) {
    const headers = await signRequest(this.account, "POST", path, bytes);
    let res: Response;
    try {
      res = await fetch(this.base + path, {
        method: "POST",
        headers: { ...headers, "content-type": contentType },
        body: bytes as Uint8Array<ArrayBuffer>,
      });
    } catch (e) {
      throw new ApiError(0, `cannot reach ${this.base}: ${(e as Error).message}`);
    }
    if (res.status === 204) return undefined;
    const text = await res.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new ApiError(res.status, `not JSON: ${text.slice(0, 200)}`);
    }
    if (!res.ok) throw new ApiError(res.status, (json as { error?: string }).error ?? text);
    return json as T | undefined;
  }

  async get<T>(path: string): Promise<T> {
    let res: Response;
    try {
      res = await fetch(this.base + path);
    } catch (e) {
      throw new ApiError(0, `cannot reach ${this.base}: ${(e as Error).message}`);
    }
    const json = (await res.json()) as T & { error?: string };
    if (!res.ok) throw new ApiError(res.status, json.error ?? res.statusText);
    return json;
  }

  register(role: "delegator" | "orchestrator", name?: string) {
    return this.post<{ address: string; accepted: number; rejected: number }>("/v1/nodes", {
      role,
      ...(name ? { name } : {}),
    });
  }

  lease(): Promise<ChunkLease | undefined> {
    return this.post<ChunkLease>("/v1/tasks/lease", {});
  }

  submit(leaseId: string, proof: ChunkProof) {
    return this.post<{ accepted: true; jobId: number; index: number; jobProven: boolean }>(
      `/v1/tasks/${leaseId}/proof`,
      { proof },
    );
  }

  /** Reports a versioned-cells chunk's round-1 commitment (decimal). */
  commit(leaseId: string, commitment: string) {
    return this.post<{ recorded: true; jobId: number; index: number; jobCommitted: boolean }>(
      `/v1/tasks/${leaseId}/commitment`,
      { commitment },
    );
  }

  /** Disputes the commitment a round-2 chunk was leased with: `commitment` is its own. */
  dispute(leaseId: string, commitment: string, index?: number) {
    return this.post<{ disputed: string }>(`/v1/tasks/${leaseId}/dispute`, {
      commitment,
      ...(index !== undefined ? { index } : {}),
    });
  }

  /** Delivers a segment's round-1 commitments (versioned-cells chunks) to the parent. */
  submitCommitments(
    leaseId: string,
    commitments: { index: number; commitment: string; unchecked?: boolean }[],
  ) {
    return this.post<{ recorded: true; jobId: number; chunks: number; jobCommitted: boolean }>(
      `/v1/segments/${leaseId}/commitments`,
      { commitments },
    );
  }

  leaseSegment(maxChunks: number): Promise<SegmentLease | undefined> {
    return this.post<SegmentLease>("/v1/segments/lease", { maxChunks });
  }

  /** `carriers`: the rings below this node that carried chunks of the bundle. */
  submitBundle(leaseId: string, proofs: BundleProof[], carriers: readonly Address[] = []) {
    return this.post<{ accepted: true; jobId: number; chunks: number; jobProven: boolean }>(
      `/v1/segments/${leaseId}/bundle`,
      { proofs, carriers },
    );
  }

  /** Supplies the input bytes of a job submitted by digest (at most MAX_INPUT_BYTES). */
  provideInput(jobId: number, input: Uint8Array) {
    return this.send<{ stored: number; bytes: number }>(
      `/v1/jobs/${jobId}/input`,
      input,
      "application/octet-stream",
    );
  }

  release(leaseId: string) {
    return this.post<{ released: string }>(`/v1/tasks/${leaseId}/release`, {});
  }
}
