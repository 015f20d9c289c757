/**
 * circomlib-compatible Poseidon contracts for the chain side: circomlibjs generates their EVM
 * bytecode (`poseidonContract.createCode(n)`), which we wrap in Hardhat artifacts so Ignition
 * and viem deploy them like any compiled contract. The contracts use Poseidon with 2, 3, 4 and 6
 * inputs (input digest; state digest; a versioned-cells state digest; image ID and state core); createCode fails above 6
 * inputs (an EVM DUP beyond 16). See contracts/interfaces/IPoseidon.sol.
 */
import { poseidonContract } from "circomlibjs";
import type { Abi } from "viem";

/** The arities the contracts call. */
export const POSEIDON_ARITIES = [2, 3, 4, 6] as const;
export type PoseidonArity = (typeof POSEIDON_ARITIES)[number];

export interface PoseidonArtifact {
  _format: "hh3-artifact-1";
  contractName: string;
  sourceName: string;
  abi: Abi;
  bytecode: `0x${string}`;
  deployedBytecode: `0x${string}`;
  linkReferences: Record<string, never>;
  deployedLinkReferences: Record<string, never>;
}

/** The artifact of the Poseidon contract with `n` inputs (named PoseidonT{n+1}, as t = n + 1). */
export function poseidonArtifact(n: PoseidonArity): PoseidonArtifact {
  const bytecode = poseidonContract.createCode(n);
  return {
    _format: "hh3-artifact-1",
    contractName: `PoseidonT${n + 1}`,
    sourceName: "circomlibjs/src/poseidon_gencontract.js",
    abi: poseidonContract.generateABI(n) as Abi,
    bytecode: (bytecode.startsWith("0x") ? bytecode : `0x${bytecode}`) as `0x${string}`,
    // Not needed to deploy; circomlibjs returns creation code only.
    deployedBytecode: "0x",
    linkReferences: {},
    deployedLinkReferences: {},
  };
}
