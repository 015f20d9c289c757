pragma circom 2.2.0;

// The nibble table of the versioned-cells step (step2.circom; issue 12, not wired into a
// chunk yet). Every 32-bit quantity a step needs in range or in parts is given by the prover
// as 8 nibbles (the 66-bit product window as 16 nibbles and 2 bits, the input byte as 2,
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
// product window 56 (16), input byte 72 (2), distances 74 (5 * (TB \ 4)).
function NNIB(TB) { return 74 + 5 * (TB \ 4); }

// The nibbles decomposed into bits: instruction 1, 2, 3, 5, 6, 7; a 7; b 0, 1, 7; memory
// word 1, 3, 5, 7; r 7; sum 0.
function NFEAT() { return 16; }
function FEAT() {
    return [1, 2, 3, 5, 6, 7, 15, 16, 17, 23, 33, 35, 37, 39, 47, 48];
}

// The nibbles looked up in NIB: all but a's and b's (in AND) and those decomposed into bits.
function NPLAIN(TB) { return 46 + 5 * (TB \ 4); }
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

// Field elements per step for the advice (446 bits at TB = 13, 411 at TB = 6).
function NADV() { return 2; }
