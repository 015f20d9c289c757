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
 * (address, nonce) until the window passes, so a captured request cannot be replayed. The
 * signing side is the SDK's (client/orchestrator.ts), which the web app uses too.
 */
import type { DatabaseSync } from "node:sqlite";
import { getAddress, isAddress, recoverMessageAddress, type Hex } from "viem";
import { canonicalRequest, HEADERS, signRequest } from "../client/orchestrator.ts";

// The client side (the canonical text, the headers, signing) is the SDK's, browser-safe.
export { canonicalRequest, HEADERS, signRequest };

export const SIGNATURE_WINDOW_MS = 120_000;

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
