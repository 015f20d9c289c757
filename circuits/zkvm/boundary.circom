pragma circom 2.2.0;

include "circomlib/circuits/bitify.circom";
include "circomlib/circuits/comparators.circom";
include "circomlib/circuits/poseidon.circom";

// The boundary proof of a job (issue 12; circuits/zkvm/README.md, "The image and the end need
// a boundary proof"; not wired into the network yet). One per job. For every cell the job's
// chunks page it produces the image version (cell, image value, 0) and consumes the cell's
// last version (cell, vlast, tlast), as elements e = cell + 2^32 v + 2^64 t of the job-wide
// sum at gammaJob (versions.circom; the model: prover/executor/versions.ts).
//
// - The registers: 32 cells, always; their image values are the entry's (sp = the memory
//   size, every other register 0).
// - Memory: up to NP pages of 16 words at or above RAM_START (0x1000: page 64; below it no
//   cell exists, so a chunk's access there has nothing to consume), listed in strictly
//   increasing order (used pages first), each opened against the image's memory root (a Poseidon Merkle path of depth D:
//   the page's leaf is Poseidon of its 16 words, prover/executor/digest.ts). Each word w of a
//   page is the cell CODE + w when its address is in the code range, else 32 + w (as the
//   chunks name it: witness2.ts). Every word of a listed page is produced and consumed; a word
//   no chunk touched has vlast = its image value and tlast = 0, which cancel.
// - The image: imageId = Poseidon(1, entry, memorySize, codeStart, codeEnd, initRoot) (the
//   image ID every chunk's state carries), memorySize = 64 * 2^D.
//
// Why the listing needs no more: a page listed twice would produce two image versions of its
// cells (refused: strictly increasing order); a touched cell on a page not listed has no image
// version, so the chunk that first pages it consumes an element nobody produces; its
// consumptions (vlast, tlast) need no range check — the sum balances only if each equals an
// element some chunk produced, and those are range-checked. They are fixed before gammaJob:
// `commitment` (Poseidon over the pages and each consumed vlast + 2^32 tlast) is public and
// the verifier derives gammaJob from it with the chunks'.
template MerkleRoot(D) {
    signal input leaf;
    signal input index;
    signal input sib[D];
    signal output root;
    component bits = Num2Bits(D);
    bits.in <== index;
    signal c[D + 1];
    signal l[D];
    component h[D];
    c[0] <== leaf;
    for (var j = 0; j < D; j++) {
        l[j] <== c[j] + bits.out[j] * (sib[j] - c[j]);
        h[j] = Poseidon(2);
        h[j].inputs[0] <== l[j];
        h[j].inputs[1] <== c[j] + sib[j] - l[j];
        c[j + 1] <== h[j].out;
    }
    root <== c[D];
}

template Boundary(NP, D) {
    signal input imageId;
    signal input gammaJob;
    signal input entry;
    signal input memorySize;
    signal input codeStart;
    signal input codeEnd;
    signal input initRoot;
    signal input regV[32];             // the registers' last versions
    signal input regT[32];
    signal input used[NP];
    signal input page[NP];
    signal input words[NP][16];        // the page's image words
    signal input sib[NP][D];
    signal input vlast[NP][16];        // each word's last version
    signal input tlast[NP][16];
    signal output jobSum;
    signal output commitment;

    var T32 = 1 << 32;
    var T64 = 1 << 64;
    var CODE = 1 << 23;
    // Step2 (LOGMEM <= 20) names code words CODE + w and data words 32 + w: with more than
    // 2^20 bytes of memory a data word's cell would alias a code word's
    assert(D + 6 <= 20);

    component img = Poseidon(6);
    img.inputs[0] <== 1;
    img.inputs[1] <== entry;
    img.inputs[2] <== memorySize;
    img.inputs[3] <== codeStart;
    img.inputs[4] <== codeEnd;
    img.inputs[5] <== initRoot;
    img.out === imageId;
    memorySize === 64 * (1 << D);
    component cs = Num2Bits(32);
    cs.in <== codeStart;
    component ce = Num2Bits(32);
    ce.in <== codeEnd;

    var sum = 0;
    // the registers
    signal rp[32];
    signal rc[32];
    for (var r = 0; r < 32; r++) {
        var image = r == 2 ? memorySize : 0;
        var eP = r + T32 * image;
        var eC = r + T32 * regV[r] + T64 * regT[r];
        rp[r] <-- 1 / (gammaJob - eP);
        rp[r] * (gammaJob - eP) === 1;
        rc[r] <-- 1 / (gammaJob - eC);
        rc[r] * (gammaJob - eC) === 1;
        sum += rp[r] - rc[r];
    }

    // the pages
    component leaf[NP];
    component path[NP];
    component gap[NP];
    component lo[NP * 16];
    component hi[NP * 16];
    signal rootOk[NP];
    signal code[NP * 16];
    signal wp[NP * 16];
    signal wc[NP * 16];
    for (var i = 0; i < NP; i++) {
        used[i] * (used[i] - 1) === 0;
        if (i > 0) used[i] * (1 - used[i - 1]) === 0;       // used pages first
        leaf[i] = Poseidon(16);
        for (var j = 0; j < 16; j++) leaf[i].inputs[j] <== words[i][j];
        path[i] = MerkleRoot(D);
        path[i].leaf <== leaf[i].out;
        path[i].index <== page[i];                          // below 2^D: its bits
        path[i].sib <== sib[i];
        rootOk[i] <== used[i] * (path[i].root - initRoot);
        rootOk[i] === 0;
        // nothing below RAM_START (0x1000 = page 64) exists: the first page is at or above it,
        // and the order below keeps every later one above it
        if (i == 0) {
            gap[0] = Num2Bits(D);
            gap[0].in <== used[0] * (page[0] - 64);
        }
        // strictly increasing: page[i] - page[i - 1] - 1 >= 0 (D bits) between used pages
        if (i > 0) {
            gap[i] = Num2Bits(D);
            gap[i].in <== used[i] * (page[i] - page[i - 1] - 1);
        }
        for (var j = 0; j < 16; j++) {
            var k = 16 * i + j;
            var addr = 64 * page[i] + 4 * j;
            // in the code range: codeStart <= addr < codeEnd
            lo[k] = LessThan(33);
            lo[k].in[0] <== addr;
            lo[k].in[1] <== codeStart;
            hi[k] = LessThan(33);
            hi[k].in[0] <== addr;
            hi[k].in[1] <== codeEnd;
            code[k] <== (1 - lo[k].out) * hi[k].out;
            var w = 16 * page[i] + j;
            var cell = 32 + w + code[k] * (CODE - 32);
            var eP = cell + T32 * words[i][j];
            var eC = cell + T32 * vlast[i][j] + T64 * tlast[i][j];
            wp[k] <-- used[i] / (gammaJob - eP);
            wp[k] * (gammaJob - eP) === used[i];
            wc[k] <-- used[i] / (gammaJob - eC);
            wc[k] * (gammaJob - eC) === used[i];
            sum += wp[k] - wc[k];
            // an unused slot holds zeros
            (1 - used[i]) * words[i][j] === 0;
            (1 - used[i]) * vlast[i][j] === 0;
            (1 - used[i]) * tlast[i][j] === 0;
        }
        (1 - used[i]) * page[i] === 0;
        for (var j = 0; j < D; j++) (1 - used[i]) * sib[i][j] === 0;
    }
    jobSum <== sum;

    // the commitment to what it consumes: each consumed element's v + 2^32 t (one field
    // element each: a packing of several unchecked pairs would leave the prover free choices
    // after gammaJob) and the pages' indices; Poseidon(16) over 15 elements at a time
    var NE = 32 + NP * 17;
    var NBLK = (NE + 14) \ 15;
    signal el[NBLK * 15];
    var o = 0;
    for (var r = 0; r < 32; r++) {
        el[o] <== regV[r] + T32 * regT[r];
        o++;
    }
    for (var i = 0; i < NP; i++) {
        el[o] <== page[i];
        o++;
        for (var j = 0; j < 16; j++) {
            el[o] <== vlast[i][j] + T32 * tlast[i][j];
            o++;
        }
    }
    for (var z = o; z < NBLK * 15; z++) el[z] <== 0;
    component hb[NBLK];
    for (var b = 0; b < NBLK; b++) {
        hb[b] = Poseidon(16);
        if (b == 0) hb[b].inputs[0] <== 0;
        else hb[b].inputs[0] <== hb[b - 1].out;
        for (var j = 0; j < 15; j++) hb[b].inputs[1 + j] <== el[15 * b + j];
    }
    commitment <== hb[NBLK - 1].out;
}
