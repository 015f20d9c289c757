/**
 * Signed requests. Every state-changing call to an orchestrator is signed by the caller's
 * wallet key with EIP-191 (`personal_sign`) over a canonical text that binds the method, the
 * path, a timestamp, a one-time nonce and the SHA-256 of the exact body bytes:
 *
 *   Concentric API v1
 *   POST /v1/tasks/lease
 *   address: 0xabc…
 *   timestamp: 1764080000000
 *   nonce: 9f…(32 hex)
 *   body-sha256: e3b0…
 *
 * The server recovers the signer, requires it to equal the `address` header, accepts a
 * timestamp only within ±{@link SIGNATURE_WINDOW_MS} of its clock, and stores each
 * (address, nonce) until the window passes, so a captured request cannot be replayed.
 */
import { randomBytes } from "node:crypto";
import type { DatabaseSync } from "node:sqlite";
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex } from "@noble/hashes/utils.js";
import { getAddress, isAddress, recoverMessageAddress, type Hex } from "viem";
import type { LocalAccount } from "viem/accounts";

export const SIGNATURE_WINDOW_MS = 120_000;

export const HEADERS = {
  address: "x-concentric-address",
  timestamp: "x-concentric-timestamp",
  nonce: "x-concentric-nonce",
  signature: "x-concentric-signature",
} as const;

/** A request the server refuses, with the HTTP status to answer. */
export class AuthError extends Error {
  override readonly name = "AuthError";
  constructor(
    readonly status: 401 | 409,
    message: string,
  ) {
    super(message);
  }
}

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
    `body-sha256: ${bytesToHex(sha256(body))}`,
  ].join("\n");
}

/** The headers that sign a request of `account` (client side). */
export async function signRequest(
  account: Pick<LocalAccount, "address" | "signMessage">,
  method: string,
  path: string,
  body: Uint8Array,
  now = Date.now(),
): Promise<Record<string, string>> {
  const timestamp = String(now);
  const nonce = randomBytes(16).toString("hex");
  const message = canonicalRequest(method, path, account.address, timestamp, nonce, body);
  return {
    [HEADERS.address]: account.address,
    [HEADERS.timestamp]: timestamp,
    [HEADERS.nonce]: nonce,
    [HEADERS.signature]: await account.signMessage({ message }),
  };
}

/**
 * The signature headers of a request, well-formed, without checking the signature: what can be
 * refused before a body is read. @throws AuthError 401 (missing or malformed header).
 */
export function signatureHeaders(headers: Record<string, string | string[] | undefined>) {
  const h = (k: string) => {
    const v = headers[k];
    if (typeof v !== "string" || v.length === 0)
      throw new AuthError(401, `unsigned request: missing header ${k}`);
    return v;
  };
  const address = h(HEADERS.address);
  const timestamp = h(HEADERS.timestamp);
  const nonce = h(HEADERS.nonce);
  const signature = h(HEADERS.signature);
  if (!isAddress(address, { strict: false })) throw new AuthError(401, "malformed address");
  if (!/^[0-9]{1,16}$/.test(timestamp)) throw new AuthError(401, "malformed timestamp");
  if (!/^[0-9a-f]{32}$/.test(nonce)) throw new AuthError(401, "malformed nonce (32 hex digits)");
  if (!/^0x[0-9a-fA-F]{130}$/.test(signature)) throw new AuthError(401, "malformed signature");
  return { address, timestamp, nonce, signature };
}

/**
 * Checks a request's signature and consumes its nonce; returns the signer's checksummed
 * address. @throws AuthError (401 unsigned/bad/stale, 409 replayed).
 */
export async function verifyRequest(
  db: DatabaseSync,
  method: string,
  path: string,
  headers: Record<string, string | string[] | undefined>,
  body: Uint8Array,
  now = Date.now(),
): Promise<`0x${string}`> {
  const { address, timestamp, nonce, signature } = signatureHeaders(headers);
  const t = Number(timestamp);
  if (Math.abs(now - t) > SIGNATURE_WINDOW_MS)
    throw new AuthError(401, `stale request: timestamp ${t} is not within 120 s of ${now}`);
  let signer: string;
  try {
    signer = await recoverMessageAddress({
      message: canonicalRequest(method, path, address, timestamp, nonce, body),
      signature: signature as Hex,
    });
  } catch {
    throw new AuthError(401, "bad signature");
  }
  if (signer.toLowerCase() !== address.toLowerCase())
    throw new AuthError(401, "bad signature: not signed by the address header");
  const who = getAddress(address);
  db.prepare("DELETE FROM nonces WHERE expires < ?").run(now);
  const inserted = db
    .prepare("INSERT OR IGNORE INTO nonces (address, nonce, expires) VALUES (?, ?, ?)")
    .run(who, nonce, t + SIGNATURE_WINDOW_MS);
  if (inserted.changes === 0) throw new AuthError(409, "replayed request: nonce already used");
  return who;
}
