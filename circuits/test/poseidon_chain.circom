pragma circom 2.2.0;

include "circomlib/circuits/poseidon.circom";

// PoseidonChain(N): a small real circuit used to exercise the trusted-setup pipeline and the
// batched Groth16 verifier before the zkVM circuit exists.
//
// Statement: digest = H^N(seed) where H(x) = Poseidon(x, tag). `tag` is public and stands in for
// the prover address that chunk proofs bind: changing it changes the statement, so a proof
// cannot be re-attributed.
template PoseidonChain(N) {
    signal input seed;
    signal input tag;
    signal input digest;

    signal acc[N + 1];
    component h[N];
    acc[0] <== seed;
    for (var i = 0; i < N; i++) {
        h[i] = Poseidon(2);
        h[i].inputs[0] <== acc[i];
        h[i].inputs[1] <== tag;
        acc[i + 1] <== h[i].out;
    }
    // The claimed digest must be the end of the chain.
    digest === acc[N];
}
