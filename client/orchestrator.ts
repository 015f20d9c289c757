/**
 * Signed requests to an orchestrator's API, from the SDK (browser-safe: no node builtins).
 * Every state-changing call is signed by the caller's wallet key with EIP-191
 * (`personal_sign`) over a canonical text that binds the method, the path, a timestamp, a
 * one-time nonce and the SHA-256 of the exact body bytes (the server side, which checks it, is
 * orchestrator/auth.ts):
 *
 *   Concentric API v1
 *   POST /v1/jobs/7/input
 *   address: 0xabc…
 *   timestamp: 1764080000000
 *   nonce: 9f…(32 hex)
 *   body-sha256: e3b0…
 *
 * The signer is a local key (viem `LocalAccount`) or a browser wallet (the SDK client's wallet
 * client over `custom(window.ethereum)`, which asks the person to sign).
 *
 * @example
 * // a job whose input is over 64 bytes: committed by digest, its bytes uploaded after
 * const r = await submitJob(client, { imageId, input, inputDigest, cycleBound });
 * if (!r.inputOnChain) await provideInput(client, { orchestrator: url, jobId: r.jobId, input });
 */
import { bytesToHex, sha256, type Address, type Hex } from "viem";
import { ConcentricError, type ConcentricClient } from "./actions.ts";

/**
 * The largest job input an orchestrator takes over `POST /v1/jobs/:jobId/input`, in bytes
 * (64 KiB): checking one costs a Poseidon hash per byte, seconds of a core at this size.
 */
export const MAX_INPUT_BYTES = 64 * 1024;

/** The headers that carry a request's signature. */
export const HEADERS = {
  address: "x-concentric-address",
  timestamp: "x-concentric-timestamp",
  nonce: "x-concentric-nonce",
  signature: "x-concentric-signature",
} as const;

/** Who signs a request: a viem local account, or {@link walletSigner} of a client. */
export interface RequestSigner {
  address: Address;
  signMessage(p: { message: string }): Promise<Hex>;
}

/** The text a request's signature covers. */
export function canonicalRequest(
  method: string,
  path: string,
  address: string,
  timestamp: string,
  nonce: string,
  body: Uint8Array,
): string {
  return [
    "Concentric API v1",
    `${method.toUpperCase()} ${path}`,
    `address: ${address}`,
    `timestamp: ${timestamp}`,
    `nonce: ${nonce}`,
    `body-sha256: ${sha256(body).slice(2)}`,
  ].join("\n");
}

/** The headers that sign a request of `signer` (client side). */
export async function signRequest(
  signer: RequestSigner,
  method: string,
  path: string,
  body: Uint8Array,
  now = Date.now(),
): Promise<Record<string, string>> {
  const timestamp = String(now);
  const nonce = bytesToHex(globalThis.crypto.getRandomValues(new Uint8Array(16))).slice(2);
  const message = canonicalRequest(method, path, signer.address, timestamp, nonce, body);
  return {
    [HEADERS.address]: signer.address,
    [HEADERS.timestamp]: timestamp,
    [HEADERS.nonce]: nonce,
    [HEADERS.signature]: await signer.signMessage({ message }),
  };
}

/** The client's account as a request signer (a browser wallet asks its person to sign). */
export function walletSigner(client: ConcentricClient): RequestSigner {
  const { account, wallet } = client;
  if (!account || !wallet)
    throw new ConcentricError("signing a request needs a client with an account");
  return {
    address: account.address,
    signMessage: ({ message }) => wallet.signMessage({ account, message }),
  };
}

/** An orchestrator answered other than 2xx (`status` 0: it could not be reached). */
export class OrchestratorRequestError extends ConcentricError {
  override name = "OrchestratorRequestError";
  constructor(
    readonly status: number,
    readonly reason: string,
    url: string,
  ) {
    super(status ? `${url}: ${status} ${reason}` : `cannot reach ${url}: ${reason}`);
  }
}

export interface ProvideInputParameters {
  /** The orchestrator's base URL (`""` for the origin a page was served from). */
  orchestrator: string;
  jobId: bigint | number;
  /** The input bytes: they must hash to the digest the job committed on chain. */
  input: Uint8Array;
}
export interface ProvideInputReturnType {
  jobId: number;
  bytes: number;
}

/**
 * Uploads the input bytes of a job submitted by digest to an orchestrator, signed by the
 * client's account (a browser wallet asks to sign first: a refusal is viem's
 * `UserRejectedRequestError`, and nothing is sent). The orchestrator keeps them if they hash to
 * the job's digest. @throws ConcentricError over {@link MAX_INPUT_BYTES};
 * OrchestratorRequestError for its refusal (404: it has not seen the job yet; 409: it has the
 * input already; 422: another digest; 429/503: busy, retry later).
 * @example await provideInput(client, { orchestrator: "http://127.0.0.1:7021", jobId, input });
 */
export async function provideInput(
  client: ConcentricClient,
  p: ProvideInputParameters,
): Promise<ProvideInputReturnType> {
  if (p.input.length > MAX_INPUT_BYTES)
    throw new ConcentricError(
      `the input is ${p.input.length} bytes; an orchestrator takes at most ${MAX_INPUT_BYTES}`,
    );
  const base = p.orchestrator.replace(/\/+$/, "");
  const path = `/v1/jobs/${p.jobId}/input`;
  const headers = await signRequest(walletSigner(client), "POST", path, p.input);
  let res: Response;
  try {
    res = await fetch(base + path, {
      method: "POST",
      headers: { ...headers, "content-type": "application/octet-stream" },
      body: p.input as Uint8Array<ArrayBuffer>,
    });
  } catch (e) {
    throw new OrchestratorRequestError(0, (e as Error).message, base || "the orchestrator");
  }
  const body = (await res.json().catch(() => ({}))) as {
    error?: string;
    stored?: number;
    bytes?: number;
  };
  if (!res.ok)
    throw new OrchestratorRequestError(
      res.status,
      body.error ?? res.statusText,
      base || "the orchestrator",
    );
  return { jobId: Number(body.stored ?? p.jobId), bytes: body.bytes ?? p.input.length };
}
