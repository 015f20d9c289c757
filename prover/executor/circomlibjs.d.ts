declare module "circomlibjs" {
  /** circomlib-compatible Poseidon over BN254; returns a field element in internal form. */
  export interface Poseidon {
    (inputs: (bigint | number)[]): Uint8Array;
    F: { toObject(x: Uint8Array): bigint };
  }
  export function buildPoseidon(): Promise<Poseidon>;
}

declare module "circomlibjs" {
  /** circomlibjs's Poseidon contract generator: EVM bytecode and ABI for 1..8 inputs. */
  export const poseidonContract: {
    createCode(nInputs: number): string;
    generateABI(nInputs: number): unknown[];
  };
}
