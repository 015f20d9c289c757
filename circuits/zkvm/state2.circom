pragma circom 2.2.0;

include "circomlib/circuits/poseidon.circom";

// A state digest of Chunk2 (witness2.ts, digestOfState2Fields): image, t, cycles, pc, halted,
// exit code, the io state, the input and output positions, hashed as
// Poseidon(Poseidon(f[0..5]), Poseidon(f[6..11]), f[12], f[13]) so that a contract computes it
// with circomlibjs's Poseidon contracts (at most 6 inputs each).
template StateDigest2() {
    signal input f[14];
    signal output out;
    component head = Poseidon(6);
    component io = Poseidon(6);
    for (var j = 0; j < 6; j++) {
        head.inputs[j] <== f[j];
        io.inputs[j] <== f[6 + j];
    }
    component all = Poseidon(4);
    all.inputs[0] <== head.out;
    all.inputs[1] <== io.out;
    all.inputs[2] <== f[12];
    all.inputs[3] <== f[13];
    out <== all.out;
}
