pragma circom 2.2.0;

include "circomlib/circuits/bitify.circom";
include "circomlib/circuits/poseidon.circom";

// Versioned cells of one chunk: issue 12's memory argument across chunks (circuits/zkvm/README.md,
// "A memory argument that fits the issue"; reference model prover/executor/versions.ts). Not yet
// wired into chunk.circom: built and measured alone, with its attacks in
// test/versions-circuit.test.ts.
//
// The chunk consumes, for each cell it touches, the version (cell, vin, tin) and produces
// (cell, vout, t), t its own version time (its number in the job + 1); it outputs its share of
// the job-wide sum
//   sum = Σ 1/(γ − e(cell, vout, t)) − 1/(γ − e(cell, vin, tin)),  e = cell + 2^32·v + 2^64·time,
// which the verifier adds over every proof of the job (with the boundary proof's) and checks
// to be 0. Slots 0..31 are the registers, always paged, cell i in slot i; slots 32.. are memory
// cells. What this template constrains, and why:
// - the used memory slots are a prefix, and an unused slot contributes nothing: its elements
//   are 0 (γ ≠ 0, drawn by the verifier), so its inverses are 0 — else a free slot with e = γ
//   would make an inverse (and the sum) whatever the prover likes;
// - memory cells strictly increase over the used slots, the first at least 32: each cell is
//   paged once (a second copy would consume two versions of one cell), and every cell is below
//   NC·2^CB ≤ 2^32;
// - vin is 32-bit, and so is vout when VOUT_CHECKED (a chunk that hands over values its own
//   memory check already range-checked passes 0);
// - 0 ≤ t − 1 − tin < 2^TB: a version older than this chunk, no read from the future. tin
//   itself is not range-checked: a "negative" tin = r − j packs to cell + 2^32·vin − 2^64·j,
//   and since cell and vin are in range and every produced element has all three parts in
//   range (below r), no produced element equals it — the sum cannot balance (the model's
//   test "refuses a version at a negative time"). t < 2^TB is the caller's (the state's);
// - each inverse is checked by one product: inv·(γ − e) = used.
// Together these make e injective on what a chunk may consume or produce.
template CellVersions(NC, CB, TB, VOUT_CHECKED) {
    signal input gamma;
    signal input t;
    signal input used[NC];
    signal input cell[NC];
    signal input vin[NC];
    signal input tin[NC];
    signal input vout[NC];
    signal output sum;

    var REGS = 32;
    assert(NC > REGS);
    assert(NC * (1 << CB) <= 4294967296);
    assert(TB <= 64);

    component order[NC];
    component vinBits[NC];
    component voutBits[NC];
    component ageBits[NC];
    signal eIn[NC];
    signal eOut[NC];
    signal invIn[NC];
    signal invOut[NC];
    var acc = 0;
    for (var i = 0; i < NC; i++) {
        if (i < REGS) {
            used[i] === 1;
            cell[i] === i;
        } else {
            used[i] * (used[i] - 1) === 0;
            if (i > REGS) used[i] * (1 - used[i - 1]) === 0;
            order[i] = Num2Bits(CB);
            if (i == REGS) order[i].in <== used[i] * (cell[i] - REGS);
            else order[i].in <== used[i] * (cell[i] - cell[i - 1] - 1);
        }

        vinBits[i] = Num2Bits(32);
        vinBits[i].in <== vin[i];
        if (VOUT_CHECKED == 1) {
            voutBits[i] = Num2Bits(32);
            voutBits[i].in <== vout[i];
        }
        ageBits[i] = Num2Bits(TB);
        if (i < REGS) ageBits[i].in <== t - 1 - tin[i];
        else ageBits[i].in <== used[i] * (t - 1 - tin[i]);

        if (i < REGS) {
            eIn[i] <== i + 4294967296 * vin[i] + 18446744073709551616 * tin[i];
            eOut[i] <== i + 4294967296 * vout[i] + 18446744073709551616 * t;
        } else {
            eIn[i] <== used[i] * (cell[i] + 4294967296 * vin[i] + 18446744073709551616 * tin[i]);
            eOut[i] <== used[i] * (cell[i] + 4294967296 * vout[i] + 18446744073709551616 * t);
        }

        invIn[i] <-- used[i] == 1 ? 1 / (gamma - eIn[i]) : 0;
        invIn[i] * (gamma - eIn[i]) === used[i];
        invOut[i] <-- used[i] == 1 ? 1 / (gamma - eOut[i]) : 0;
        invOut[i] * (gamma - eOut[i]) === used[i];
        acc += invOut[i] - invIn[i];
    }
    sum <== acc;
}

// The commitment C_i of a chunk's versioned cells: what the verifier derives γ from (γ =
// keccak(context, C_1 … C_N) mod r), so no prover can choose an element after γ is known.
// Each used slot packs (cell, vin, age = t − 1 − tin, vout) into 120 bits — 32 + 32 + 24 + 32,
// each part range-checked by CellVersions (cell by the order check, age by its range check),
// so the packing is injective — two slots per field element (240 bits < 253), an unused slot
// as 0; the elements are absorbed 15 at a time, C = Poseidon(C, e_1 … e_15) from C = 0.
// Reference: chunkCommitment in prover/executor/versions.ts.
template CellCommitment(NC, TB) {
    signal input t;
    signal input used[NC];
    signal input cell[NC];
    signal input vin[NC];
    signal input tin[NC];
    signal input vout[NC];
    signal output c;

    assert(TB <= 24);
    var NE = (NC + 1) \ 2;
    var NB = (NE + 14) \ 15;
    signal packed[NC];
    for (var i = 0; i < NC; i++) {
        packed[i] <== used[i] * (cell[i] + 4294967296 * vin[i]
            + 18446744073709551616 * (t - 1 - tin[i])
            + 309485009821345068724781056 * vout[i]);
    }
    component h[NB];
    for (var b = 0; b < NB; b++) {
        h[b] = Poseidon(16);
        if (b == 0) h[b].inputs[0] <== 0;
        else h[b].inputs[0] <== h[b - 1].out;
        for (var j = 0; j < 15; j++) {
            var k = b * 15 + j;
            if (k < NE) {
                if (2 * k + 1 < NC)
                    h[b].inputs[1 + j] <== packed[2 * k] + 1329227995784915872903807060280344576 * packed[2 * k + 1];
                else
                    h[b].inputs[1 + j] <== packed[2 * k];
            } else {
                h[b].inputs[1 + j] <== 0;
            }
        }
    }
    c <== h[NB - 1].out;
}
