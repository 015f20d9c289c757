declare module "circomlibjs" {
  /** circomlib-compatible Poseidon over BN254; returns a field element in internal form. */
  export interface Poseidon {
    (inputs: (bigint | number)[]): Uint8Array;
    F: { toObject(x: Uint8Array): bigint };
  }
  export function buildPoseidon(): Promise<Poseidon>;
}
