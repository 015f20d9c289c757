pragma circom 2.2.0;

include "circomlib/circuits/bitify.circom";

// Versioned cells of one chunk: issue 12's memory argument across chunks (circuits/zkvm/README.md,
// "A memory argument that fits the issue"; reference model prover/executor/versions.ts). Not yet
// wired into chunk.circom: built and measured alone, with its attacks in
// test/versions-circuit.test.ts.
//
// The chunk consumes, for each cell it touches, the version (cell, vin, tin) and produces
// (cell, vout, t), t its own version time; it outputs its share of the job-wide sum
//   sum = Σ 1/(γ − e(cell, vout, t)) − 1/(γ − e(cell, vin, tin)),  e = cell + 2^32·v + 2^64·time,
// which the verifier adds over every proof of the job (with the boundary proof's) and checks
// to be 0. What this template constrains, and why:
// - the used slots are a prefix, and an unused slot contributes nothing: its elements are 0
//   (γ ≠ 0, drawn by the verifier), so its inverses are 0 — else a free slot with e = γ
//   would make an inverse (and the sum) whatever the prover likes;
// - cells strictly increase over the used slots, the first below 2^CB: each cell is paged once
//   (a second copy would consume two versions of one cell), and every cell is below
//   NC·2^CB ≤ 2^32, so e is injective together with:
// - vin and vout are 32-bit, tin is below 2^TB and below t (a version older than this chunk:
//   no read from the future), t below 2^TB (the caller's: it is the state's);
// - each inverse is checked by one product: inv·(γ − e) = used.
template CellVersions(NC, CB, TB) {
    signal input gamma;
    signal input t;
    signal input used[NC];
    signal input cell[NC];
    signal input vin[NC];
    signal input tin[NC];
    signal input vout[NC];
    signal output sum;

    assert(NC * (1 << CB) <= 4294967296);
    assert(TB <= 64);

    component order[NC];
    component vinBits[NC];
    component voutBits[NC];
    component tinBits[NC];
    component ageBits[NC];
    signal eIn[NC];
    signal eOut[NC];
    signal invIn[NC];
    signal invOut[NC];
    var acc = 0;
    for (var i = 0; i < NC; i++) {
        used[i] * (used[i] - 1) === 0;
        if (i > 0) used[i] * (1 - used[i - 1]) === 0;

        order[i] = Num2Bits(CB);
        if (i == 0) order[i].in <== used[i] * cell[i];
        else order[i].in <== used[i] * (cell[i] - cell[i - 1] - 1);

        vinBits[i] = Num2Bits(32);
        vinBits[i].in <== vin[i];
        voutBits[i] = Num2Bits(32);
        voutBits[i].in <== vout[i];
        tinBits[i] = Num2Bits(TB);
        tinBits[i].in <== tin[i];
        ageBits[i] = Num2Bits(TB);
        ageBits[i].in <== used[i] * (t - 1 - tin[i]);

        var base = cell[i] + 4294967296 * vin[i];
        eIn[i] <== used[i] * (base + 18446744073709551616 * tin[i]);
        eOut[i] <== used[i] * (cell[i] + 4294967296 * vout[i] + 18446744073709551616 * t);

        invIn[i] <-- used[i] == 1 ? 1 / (gamma - eIn[i]) : 0;
        invIn[i] * (gamma - eIn[i]) === used[i];
        invOut[i] <-- used[i] == 1 ? 1 / (gamma - eOut[i]) : 0;
        invOut[i] * (gamma - eOut[i]) === used[i];
        acc += invOut[i] - invIn[i];
    }
    sum <== acc;
}
