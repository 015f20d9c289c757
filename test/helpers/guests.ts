/** Small inputs for every committed guest, shared by the circuit tests and the harness. */
const words = (...w: number[]) => new Uint8Array(Uint32Array.from(w).buffer);

export const GUEST_INPUTS: Record<string, Uint8Array> = {
  fibonacci: words(5),
  sort: words(5, 1, 0xffffffff),
  ledger: words(1, 5),
  sha256: new TextEncoder().encode("ab"),
  allinsn: new Uint8Array(0),
};
