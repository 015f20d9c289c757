pragma circom 2.2.0;

include "circomlib/circuits/bitify.circom";
include "circomlib/circuits/comparators.circom";
include "circomlib/circuits/sha256/constants.circom";
include "circomlib/circuits/sha256/sha256compression.circom";

// The output proof of a job (issue 12, item 5; circuits/zkvm/README.md, "The input and output
// commitments"; not wired into the network yet). One per job: it commits to the job's public
// output as its SHA-256 digest, which a contract opens with the SHA-256 precompile (bytes in,
// digest checked), and consumes the output's bytes from the job-wide sum, so the digest is of
// exactly the bytes the chunks wrote.
//
// Given the output out[0 .. len) (len <= MAXB; the slots from len on hold 0):
// - digestHi, digestLo: SHA-256(out[0 .. len)), its first and last 16 bytes as big-endian
//   integers. The message is padded as SHA-256 pads it for len bytes (0x80 at len, the bit
//   length in the last 8 bytes of block (len + 8) \ 64), every block compressed in turn, and
//   the digest taken after that block: one block per 64 bytes of MAXB, paid once per job;
// - jobSum: its share of the job-wide sum at gammaJob: -1 / (gammaJob - e_i) for i < len,
//   e_i = out[i] + 2^16 i + 2 * 2^96, the element the chunk that wrote byte i produced
//   (chunk2.circom; the model: prover/executor/io-elements.ts).
template OutputProof(MAXB) {
    signal input gammaJob;
    signal input len;
    signal input out[MAXB];
    signal output digestHi;
    signal output digestLo;
    signal output jobSum;

    var NB = (MAXB + 8) \ 64 + 1;      // blocks of the longest output
    var LB = 16;                       // bits of len (MAXB < 2^16)
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

    // the bytes: below len consumed from the job-wide sum, from len on 0; each as bits
    component bb[MAXB];
    signal inv[MAXB];
    var sum = 0;
    var below = 1;                     // [i < len] = 1 - [len <= i]
    for (var i = 0; i < MAXB; i++) {
        below -= eq[i].out;
        (1 - below) * out[i] === 0;
        bb[i] = Num2Bits(8);
        bb[i].in <== out[i];
        var e = out[i] + (1 << 16) * i + 2 * (1 << 96);
        inv[i] <-- -below / (gammaJob - e);
        inv[i] * (gammaJob - e) === -below;
        sum += inv[i];
    }
    jobSum <== sum;

    // the last block (the one holding the length): lb[b] = [(len + 8) \ 64 == b]
    var lb[NB];
    for (var b = 0; b < NB; b++) lb[b] = 0;
    for (var i = 0; i <= MAXB; i++) lb[(i + 8) \ 64] += eq[i].out;

    // the padded message, bit by bit (most significant bit of each byte first)
    signal lenAt[NB][LB];
    for (var b = 0; b < NB; b++)
        for (var k = 0; k < LB; k++) lenAt[b][k] <== lb[b] * lenBits.out[k];
    component cmp[NB];
    component h0[8];
    for (var j = 0; j < 8; j++) h0[j] = H(j);
    for (var b = 0; b < NB; b++) {
        cmp[b] = Sha256compression();
        for (var j = 0; j < 8; j++)
            for (var k = 0; k < 32; k++) {
                if (b == 0) cmp[b].hin[32 * j + k] <== h0[j].out[k];
                else cmp[b].hin[32 * j + k] <== cmp[b - 1].out[32 * j + 31 - k];
            }
        for (var p = 0; p < 64; p++) {
            var at = 64 * b + p;
            for (var t = 0; t < 8; t++) {
                var bit = 0;
                if (at < MAXB) bit += bb[at].out[7 - t];
                if (t == 0 && at <= MAXB) bit += eq[at].out;     // the 0x80 after the output
                // bit (7 - t) of byte p of the 64-bit length 8 len (big-endian, bytes 56 .. 63)
                var k = 8 * (63 - p) + 7 - t - 3;
                if (p >= 56 && k >= 0 && k < LB) bit += lenAt[b][k];
                cmp[b].inp[8 * p + t] <== bit;
            }
        }
    }

    // the digest after the last block
    signal dig[NB][256];
    var hi = 0;
    var lo = 0;
    for (var k = 0; k < 256; k++) {
        var acc = 0;
        for (var b = 0; b < NB; b++) {
            dig[b][k] <== lb[b] * cmp[b].out[k];
            acc += dig[b][k];
        }
        if (k < 128) hi += acc * (1 << (127 - k));
        else lo += acc * (1 << (255 - k));
    }
    digestHi <== hi;
    digestLo <== lo;
}
