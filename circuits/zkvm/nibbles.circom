pragma circom 2.2.0;

include "circomlib/circuits/bitify.circom";

// The nibble table of the versioned-cells step (step2.circom; issue 12, not wired into a
// chunk yet). Every 32-bit quantity a step needs in range or in parts is given by the prover
// as 8 nibbles (the 66-bit product window as 16 nibbles and 2 bits,
// each access distance as TB \ 4 nibbles and TB % 4 bits), and the chunk proves them below 16
// with log-derivative lookups into one fixed table, at the chunk's challenges theta:
//
//   NIB   x                                       x < 16        (16 entries)
//   AND   x + theta y + theta^2 (x & y) + theta^3   x, y < 16     (256 entries)
//
// A lookup costs one constraint (its inverse) where a bit decomposition costs four per
// nibble; an AND tuple two more (the products by theta), which also prove a's and b's
// nibbles in range and give a AND b without its 32 bit products. A nibble whose bits the step
// uses (a sign, a byte's top bit, an instruction field boundary, a shift amount) is instead
// decomposed into 4 bits (FEAT below). The other nibbles are looked up one each in NIB.
//
// Why tuples are compressed with a challenge and not packed (x + 16 y): a packed key bounds
// the sum, not the parts (x = 23, y = 0 packs as x = 7, y = 1). Compressed with theta, a key
// of advice values fixed before theta equals an entry only if every part does, except with
// probability 3 / r per key (Schwartz-Zippel in theta); the constant theta^3 keeps AND keys
// apart from NIB entries the same way. So soundness needs every advice value fixed before
// the chunk's challenges: the nibbles, bits and AND nibbles are packed into the step's `adv`
// elements, which the chunk absorbs into the transcript its challenges come from (with the
// table's multiplicities).

// Offsets in nib[]: instruction 0, a 8, b 16, rdOld 24, memory word / q 32, r 40, sum 48,
// product window 56 (16), the word after a SYSB 72 (8), distances 80 (5 * (TB \ 4)).
function NNIB(TB) { return 80 + 5 * (TB \ 4); }

// The nibbles decomposed into bits: instruction 1, 2, 3, 5, 6, 7; a 7; b 0, 1, 7; memory
// word 1, 3, 5, 7; r 7; sum 0.
function NFEAT() { return 16; }
function FEAT() {
    return [1, 2, 3, 5, 6, 7, 15, 16, 17, 23, 33, 35, 37, 39, 47, 48];
}

// The nibbles looked up in NIB: all but a's and b's (in AND) and those decomposed into bits.
function NPLAIN(TB) { return 52 + 5 * (TB \ 4); }
function PLAIN(TB) {
    var p[128];
    var n = 0;
    p[n] = 0; n++;
    p[n] = 4; n++;
    for (var k = 24; k < 32; k++) { p[n] = k; n++; }
    for (var k = 32; k < 40; k += 2) { p[n] = k; n++; }
    for (var k = 40; k < 47; k++) { p[n] = k; n++; }
    for (var k = 49; k < 56; k++) { p[n] = k; n++; }
    for (var k = 56; k < NNIB(TB); k++) { p[n] = k; n++; }
    assert(n == NPLAIN(TB));
    return p;
}

// Lookups per step: 8 AND, one NIB per plain nibble.
function NKEYS(TB) { return 8 + NPLAIN(TB); }

// Field elements per step for the advice (478 bits at TB = 13, 443 at TB = 6).
function NADV() { return 2; }

// A nibble whose bits a step uses, split into them: bits 0, 1 and 3 are hints, bit 2 is what
// they leave, and all four are boolean, so x < 16 without a lookup (4 constraints).
template NibbleBits() {
    signal input x;
    signal output b[4];
    b[0] <-- x & 1;
    b[1] <-- (x >> 1) & 1;
    b[3] <-- (x >> 3) & 1;
    b[2] <== (x - b[0] - 2 * b[1] - 8 * b[3]) / 4;
    for (var c = 0; c < 4; c++) {
        b[c] * (b[c] - 1) === 0;
    }
}

// Transcript elements for the multiplicities (one spare: items are not split across elements).
function NADVM(MB, NM) { return (16 * MB + 256 * 4 * NM + 251) \ 252 + 1; }

// The chunk's side of the lookups: every key of its steps is in the table, as
//   sum_i 1 / (gamma - key_i) = sum_j m_j / (gamma - T_j)
// with the multiplicities m_j advice (LogUp). Entries: T_x = x (NIB, x < 16) at j = x, and
// T = x + theta y + theta^2 (x & y) + theta^3 (AND) at j = 16 + x + 16 y.
// The identity holds as rational functions in gamma only if every key is an entry (the field's
// characteristic exceeds the number of keys), so with keys and multiplicities fixed before
// gamma a key outside the table balances with probability below (NK + 272) / r. The
// multiplicities need no bound for that, only to be committed injectively: the 16 NIB counts
// are decomposed into MB bits; each AND count into NM nibbles, which are themselves NIB keys
// (so counted in the NIB counts, which are bits: no cycle). `adv` packs them for the
// transcript. Outputs the balance, which the chunk constrains to 0.
template NibbleLookup(NK, MB, NM) {
    signal input key[NK];
    signal input theta[3];
    signal input gamma;
    signal input m[272];
    signal output balance;
    signal output adv[NADVM(MB, NM)];

    component counts = NibbleCounts(MB, NM);
    counts.m <== m;
    adv <== counts.adv;
    component sums = NibbleSums(NK, NM);
    sums.key <== key;
    sums.theta <== theta;
    sums.gamma <== gamma;
    sums.m <== m;
    sums.mn <== counts.mn;
    balance <== sums.balance;
}

// The multiplicities' decomposition and their packing for the transcript (the part of
// NibbleLookup that comes before the challenges).
template NibbleCounts(MB, NM) {
    signal input m[272];
    signal output mn[256 * NM];
    signal output adv[NADVM(MB, NM)];

    // the AND counts' nibbles (advice) and the NIB counts' bits
    for (var j = 0; j < 256; j++) {
        var s = 0;
        for (var c = 0; c < NM; c++) {
            mn[NM * j + c] <-- (m[16 + j] >> (4 * c)) & 15;
            s += mn[NM * j + c] * (1 << (4 * c));
        }
        m[16 + j] === s;
    }
    component mb[16];
    for (var x = 0; x < 16; x++) {
        mb[x] = Num2Bits(MB);
        mb[x].in <== m[x];
    }

    var acc[NADVM(MB, NM)];
    for (var j = 0; j < NADVM(MB, NM); j++) acc[j] = 0;
    var at = 0;
    var pos = 0;
    for (var x = 0; x < 16; x++) {
        if (pos + MB > 252) { at++; pos = 0; }
        acc[at] += m[x] * (1 << pos);
        pos += MB;
    }
    for (var i = 0; i < 256 * NM; i++) {
        if (pos + 4 > 252) { at++; pos = 0; }
        acc[at] += mn[i] * (1 << pos);
        pos += 4;
    }
    assert(at < NADVM(MB, NM));
    for (var j = 0; j < NADVM(MB, NM); j++) adv[j] <== acc[j];
}

// The balance of the lookups (the part of NibbleLookup that uses the challenges).
template NibbleSums(NK, NM) {
    signal input key[NK];
    signal input theta[3];
    signal input gamma;
    signal input m[272];
    signal input mn[256 * NM];
    signal output balance;

    // the keys' side: the steps' keys and the count nibbles
    var NL = NK + 256 * NM;
    signal inv[NL];
    // Summed in blocks of 256: circom copies a var's linear expression on every +=, so one
    // running sum of NL terms costs the compiler O(NL^2); this one made the K = 1,024 chunk's
    // compile time quadratic in K.
    var lhs = 0;
    var blk = 0;
    for (var i = 0; i < NL; i++) {
        var k = i < NK ? key[i] : mn[i - NK];
        inv[i] <-- 1 / (gamma - k);
        inv[i] * (gamma - k) === 1;
        blk += inv[i];
        if (i % 256 == 255 || i == NL - 1) {
            lhs += blk;
            blk = 0;
        }
    }

    // the table's side
    signal tinv[272];
    signal tm[272];
    var rhs = 0;
    for (var j = 0; j < 272; j++) {
        var t = j;
        if (j >= 16) {
            var x = (j - 16) % 16;
            var y = (j - 16) \ 16;
            t = x + theta[0] * y + theta[1] * (x & y) + theta[2];
        }
        tinv[j] <-- 1 / (gamma - t);
        tinv[j] * (gamma - t) === 1;
        tm[j] <== m[j] * tinv[j];
        rhs += tm[j];
    }
    balance <== lhs - rhs;
}
