/**
 * Lease receipts: an orchestrator signs, for every chunk it leases, which node it leased which
 * chunk (of which statement) to, until when. The delegator keeps the receipt with its proof:
 * if the ring above later re-proves that chunk under its own address or withholds the result,
 * the delegator holds the ring's own signature that the work was leased to it. EIP-191 over
 * a canonical text, like the API's request signatures.
 */
import { getAddress, verifyMessage } from "viem";
import type { LocalAccount } from "viem/accounts";
import type { Address } from "../prover/zkvm/prover.ts";

export interface LeaseReceiptFields {
  /** The orchestrator that leased the chunk (the signer). */
  orchestrator: Address;
  leaseId: string;
  jobId: number;
  index: number;
  sIn: string;
  sOut: string;
  cyclesRetired: string;
  /** The node the chunk was leased to: the prover address its proof must carry. */
  prover: Address;
  /** Lease deadline, ms since the epoch. */
  deadline: number;
}

export interface LeaseReceipt extends LeaseReceiptFields {
  signature: `0x${string}`;
}

/** The text an orchestrator signs for a lease. */
export function leaseReceiptMessage(f: LeaseReceiptFields): string {
  return [
    "concentric lease receipt v1",
    `orchestrator: ${getAddress(f.orchestrator)}`,
    `lease: ${f.leaseId}`,
    `job: ${f.jobId}`,
    `chunk: ${f.index}`,
    `sIn: ${f.sIn}`,
    `sOut: ${f.sOut}`,
    `cycles: ${f.cyclesRetired}`,
    `prover: ${getAddress(f.prover)}`,
    `deadline: ${f.deadline}`,
  ].join("\n");
}

export async function signLeaseReceipt(
  account: Pick<LocalAccount, "address" | "signMessage">,
  f: Omit<LeaseReceiptFields, "orchestrator">,
): Promise<LeaseReceipt> {
  const fields = { ...f, orchestrator: account.address };
  return {
    ...fields,
    signature: await account.signMessage({ message: leaseReceiptMessage(fields) }),
  };
}

/** True when `r` is signed by its orchestrator (and, if given, that is `orchestrator`). */
export async function verifyLeaseReceipt(
  r: LeaseReceipt,
  orchestrator?: Address,
): Promise<boolean> {
  if (orchestrator && getAddress(orchestrator) !== getAddress(r.orchestrator)) return false;
  try {
    return await verifyMessage({
      address: r.orchestrator,
      message: leaseReceiptMessage(r),
      signature: r.signature,
    });
  } catch {
    return false;
  }
}
