pragma circom 2.2.0;

include "circomlib/circuits/bitify.circom";
include "circomlib/circuits/comparators.circom";
include "circomlib/circuits/sha256/constants.circom";
include "circomlib/circuits/sha256/sha256compression.circom";
include "state2.circom";

// The input and output proofs of a job (issue 12, item 5; circuits/zkvm/README.md, "The input
// and output commitments"; not wired into the network yet). One of each per job: each commits
// to its bytes as their SHA-256 digest — what a contract computes or opens with the SHA-256
// precompile — and takes its side of the job-wide sum at gammaJob, where every chunk consumes
// the input bytes it reads and produces the output bytes it writes as elements
// e = byte + 2^16 position + 2^96 tag (tag 1 input, 2 output; byte 256 the input's END;
// chunk2.circom; the model: prover/executor/io-elements.ts).

// SHA-256 of b[0 .. len) (len <= MAXB; the slots from len on must hold 0), as two 128-bit
// halves (bytes 0..15 and 16..31, big-endian), and the flags below[i] = [i < len]. Every b[i]
// is range-checked to a byte. The message is padded as SHA-256 pads len bytes (0x80 at len,
// the bit length in the last 8 bytes of block (len + 8) \ 64), every block is compressed in
// turn, and the digest is the one after the length's block: one block per 64 bytes of MAXB.
template Sha256Bytes(MAXB) {
    signal input len;
    signal input b[MAXB];
    signal output digestHi;
    signal output digestLo;
    signal output below[MAXB];

    var NB = (MAXB + 8) \ 64 + 1;      // blocks of the longest message
    var LB = 16;                       // bits of len
    assert(MAXB < (1 << LB));

    // len is one of 0 .. MAXB
    component eq[MAXB + 1];
    var one = 0;
    for (var i = 0; i <= MAXB; i++) {
        eq[i] = IsEqual();
        eq[i].in[0] <== len;
        eq[i].in[1] <== i;
        one += eq[i].out;
    }
    one === 1;
    component lenBits = Num2Bits(LB);
    lenBits.in <== len;

    // below len a byte, from len on 0
    component bb[MAXB];
    var bl = 1;
    for (var i = 0; i < MAXB; i++) {
        bl -= eq[i].out;
        below[i] <== bl;
        (1 - bl) * b[i] === 0;
        bb[i] = Num2Bits(8);
        bb[i].in <== b[i];
    }

    // the last block (the one holding the length): lb[j] = [(len + 8) \ 64 == j]
    var lb[NB];
    for (var j = 0; j < NB; j++) lb[j] = 0;
    for (var i = 0; i <= MAXB; i++) lb[(i + 8) \ 64] += eq[i].out;

    // the padded message, bit by bit (most significant bit of each byte first)
    signal lenAt[NB][LB];
    for (var j = 0; j < NB; j++)
        for (var k = 0; k < LB; k++) lenAt[j][k] <== lb[j] * lenBits.out[k];
    component cmp[NB];
    component h0[8];
    for (var w = 0; w < 8; w++) h0[w] = H(w);
    for (var j = 0; j < NB; j++) {
        cmp[j] = Sha256compression();
        for (var w = 0; w < 8; w++)
            for (var k = 0; k < 32; k++) {
                if (j == 0) cmp[j].hin[32 * w + k] <== h0[w].out[k];
                else cmp[j].hin[32 * w + k] <== cmp[j - 1].out[32 * w + 31 - k];
            }
        for (var p = 0; p < 64; p++) {
            var at = 64 * j + p;
            for (var t = 0; t < 8; t++) {
                var bit = 0;
                if (at < MAXB) bit += bb[at].out[7 - t];
                if (t == 0 && at <= MAXB) bit += eq[at].out;     // the 0x80 after the message
                // bit (7 - t) of byte p of the 64-bit length 8 len (big-endian, bytes 56 .. 63)
                var k = 8 * (63 - p) + 7 - t - 3;
                if (p >= 56 && k >= 0 && k < LB) bit += lenAt[j][k];
                cmp[j].inp[8 * p + t] <== bit;
            }
        }
    }

    // the digest after the last block
    signal dig[NB][256];
    var hi = 0;
    var lo = 0;
    for (var k = 0; k < 256; k++) {
        var acc = 0;
        for (var j = 0; j < NB; j++) {
            dig[j][k] <== lb[j] * cmp[j].out[k];
            acc += dig[j][k];
        }
        if (k < 128) hi += acc * (1 << (127 - k));
        else lo += acc * (1 << (255 - k));
    }
    digestHi <== hi;
    digestLo <== lo;
}

// The output proof: SHA-256 of the output out[0 .. len), and its share of the job-wide sum:
// it consumes (2, i, out[i]) for i < len, the element the chunk that wrote byte i produced.
//
// It also opens the job's final state, so that a contract need not hash it: sFinal is the last
// chunk's sOut (the verifier writes the same value into both proofs), and it must be the state
// digest (state2.circom) of a halted state outside any call (the io state all 0) whose exit
// code is the public exitCode and whose output position is len. The image, t, cycles, pc and
// input position it opens are private: the chain of chunks already fixes them (each chunk
// names the job's image, t steps by one and cycles add up from the entry state the verifier
// computes), and Poseidon's collision resistance makes this opening the last chunk's.
template OutputProof(MAXB) {
    signal input gammaJob;
    signal input sFinal;
    signal input exitCode;
    signal input len;
    signal input out[MAXB];
    signal input imageId;
    signal input t;
    signal input cycles;
    signal input pc;
    signal input inPos;
    signal output digestHi;
    signal output digestLo;
    signal output jobSum;

    component fin = StateDigest2();
    fin.f[0] <== imageId;
    fin.f[1] <== t;
    fin.f[2] <== cycles;
    fin.f[3] <== pc;
    fin.f[4] <== 1;
    fin.f[5] <== exitCode;
    for (var j = 0; j < 6; j++) fin.f[6 + j] <== 0;
    fin.f[12] <== inPos;
    fin.f[13] <== len;
    fin.out === sFinal;

    component sha = Sha256Bytes(MAXB);
    sha.len <== len;
    sha.b <== out;
    digestHi <== sha.digestHi;
    digestLo <== sha.digestLo;

    signal inv[MAXB];
    var sum = 0;
    for (var i = 0; i < MAXB; i++) {
        var e = out[i] + (1 << 16) * i + 2 * (1 << 96);
        inv[i] <-- -sha.below[i] / (gammaJob - e);
        inv[i] * (gammaJob - e) === -sha.below[i];
        sum += inv[i];
    }
    jobSum <== sum;
}

// The input proof: SHA-256 of the job's input in[0 .. len) (the job's input digest), and its
// share of the job-wide sum: it produces (1, i, in[i]) for i < read, the bytes the job's
// chunks read, and (1, len, END) `ends` times, the reads that found the input's end — which
// it allows only when read = len. So a chunk can consume only the input's bytes, in order, and
// find its end only after all of it.
template InputProof(MAXB) {
    signal input gammaJob;
    signal input len;
    signal input in[MAXB];
    signal input read;
    signal input ends;
    signal output digestHi;
    signal output digestLo;
    signal output jobSum;

    component sha = Sha256Bytes(MAXB);
    sha.len <== len;
    sha.b <== in;
    digestHi <== sha.digestHi;
    digestLo <== sha.digestLo;

    // read is one of 0 .. len: eqR one-hot, and [i < read] implies [i < len]
    component eqR[MAXB + 1];
    var one = 0;
    for (var i = 0; i <= MAXB; i++) {
        eqR[i] = IsEqual();
        eqR[i].in[0] <== read;
        eqR[i].in[1] <== i;
        one += eqR[i].out;
    }
    one === 1;
    component endsBits = Num2Bits(32);
    endsBits.in <== ends;
    signal endsLen <== ends * (read - len);
    endsLen === 0;                             // the end is found only after every byte

    signal inv[MAXB];
    signal invEnd;
    var sum = 0;
    var rb = 1;                                // [i < read]
    for (var i = 0; i < MAXB; i++) {
        rb -= eqR[i].out;
        rb * (1 - sha.below[i]) === 0;         // read <= len
        var e = in[i] + (1 << 16) * i + (1 << 96);
        inv[i] <-- rb / (gammaJob - e);
        inv[i] * (gammaJob - e) === rb;
        sum += inv[i];
    }
    var eEnd = 256 + (1 << 16) * len + (1 << 96);
    invEnd <-- ends / (gammaJob - eEnd);
    invEnd * (gammaJob - eEnd) === ends;
    jobSum <== sum + invEnd;
}
