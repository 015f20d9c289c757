pragma circom 2.2.0;

include "circomlib/circuits/bitify.circom";
include "circomlib/circuits/comparators.circom";
include "kinds.circom";
include "nibbles.circom";

// One step of the RV32IM machine for the versioned-cells chunk (issue 12; not wired into a
// chunk yet: chunk.circom still uses step.circom). Same statement as step.circom, except
// where memory's shape is checked. Memory and registers are not signals here: the step reads
// and writes them through five access slots, FETCH, RS1, RS2, MEM and RD, each a read of
// (cell, value, previous timestamp) followed by a write of (cell, new value, now), checked
// together by the chunk's offline memory check. A slot the instruction does not need
// accesses x0 and writes back 0.
//
// Cells: 0..31 are the registers (x0 always holds 0); 32 + w is the data word w (byte
// address 4w); CODE + w (CODE = 2^23) is the code word w. Which cells exist is decided once
// per job, not per step: the job's boundary proof produces the first version of exactly
// the registers, the data words at or above RAM_START (0x1000) outside the code range, and
// the code words inside it, each under its one cell. So the checks step.circom makes on every
// step are the existence of a cell here:
//   - fetch inside the code range: the fetch reads CODE + pc/4. From a code word, one
//     transition reaches a pc in [-2^20, 2^32 + 2^20) (JAL, branches, JALR mod 2^32), 4-aligned
//     (the targets' alignment is checked below), so CODE + pc/4 lies in [2^23 - 2^18, 2^31)
//     and is a cell that exists exactly when pc is in the code range. (A misaligned pc would
//     make pc/4 a field element far from every integer below 2^90.) The chunk packs cells
//     in 32 bits, so none of these aliases another.
//   - no store into the code, nothing below RAM_START: a data access (load, store, the byte
//     of a read or write ecall) names 32 + w, or, for a load or a write ecall's byte, CODE + w
//     when the prover says it reads code (isCodeLoad, part of the transcript element). A
//     store or a read ecall cannot name a code cell, and 32 + w does not exist for a code
//     word or below RAM_START: such an access has nothing to consume.
//   - below MEMORY_SIZE stays here (the high address bits are zero), so w < 2^(LOGMEM-2).
// This moves about 60 constraints per step (two fetch range checks, the store side check,
// the RAM_START test) to one comparison per touched cell in the boundary proof.
//
// Read and write ecalls move whole buffers (executor's io: "word"): SYSA reads a7, a2 and a0
// (the fd) and decides whether the call transfers (fd valid, len > 0); then SYSB steps follow,
// each moving the buffer's bytes that lie in one memory word, from buf + done (done: bytes
// moved before it, carried in the io state) to the word's end or the buffer's. The pc stays on
// the ecall until the last SYSB, which writes a0 and retires the instruction. A read step
// moves a prefix of the bytes it asks for; moving fewer says the input ended (the chunk ties
// that to the input's length), and ends the call. Every SYSB re-reads a1 and a2, so the io
// state carried from step to step (and across chunk boundaries) is only: the next step is a
// SYSB (ioOn), the call is a read (ioRead), transfers (ioGo), has a valid fd (ioFdOk), writes
// the public output (ioFd1), and done (ioDone).
//
// Inputs from the prover: the five values read (val) and the distances to the timestamps of
// their previous writes (d: t_prev = t_now - 1 - d), for a SYSB the bytes it moves (ioN) and
// the memory word after it (ioNew; the input bytes of a read are in it), and isCodeLoad.
// Every other signal is computed here and constrained; `<--` lines are only hints.
// A transfer step's xD (below), as the prover computes it before the step's other hints: the
// bytes left after it, minus 1 unless it is its call's last (0 for any other step).
function xferLeft(go, buf, done, len, n) {
    var o = (buf + done) % 4;
    var rem = len - done;
    var ask = 4 - o;
    if (rem < ask) {
        ask = rem;
    }
    var more = 0;
    if (rem > ask && n == ask) {
        more = 1;
    }
    var out = 0;
    if (go == 1) {
        out = rem - ask - more;
    }
    return out;
}

template Step2(LOGMEM, TB) {
    assert(LOGMEM == 16 || LOGMEM == 20);   // whole nibbles of the address; cells below 2^23
    assert(TB <= 16);              // the advice fits NADV() elements (checked at the end)
    signal input t0;               // timestamp of slot 0 in this step (1 + 5k)
    signal input pc;
    signal input halted;
    signal input exitIn;
    signal input ioOn;             // io state (see the header): this step is a SYSB
    signal input ioRead;           // ... of a read
    signal input ioGo;             // ... that transfers (fd valid, len > 0)
    signal input ioFdOk;           // ... whose fd is valid
    signal input ioFd1;            // ... a write to fd 1 (public output)
    signal input ioDone;           // ... which has moved ioDone bytes so far
    signal input val[5];
    signal input d[5];
    signal input ioN;              // SYSB: bytes moved (0 otherwise)
    signal input ioNew;            // SYSB that transfers: the word after it (0 otherwise)
    signal input isCodeLoad;       // the MEM slot reads a code word (loads and writes only)

    signal output nextPc;
    signal output nextHalted;
    signal output nextExit;
    signal output cycInc;
    signal output cell[5];
    signal output newVal[5];
    signal output adv[NADV()];     // this step's advice, packed for the chunk's transcript
    signal output andT[24];        // this step's AND lookups: tuples (a_k, b_k, a_k & b_k)
    signal output nibKey[NPLAIN(TB)]; // and its NIB lookups (nibbles.circom)
    signal output ioOnOut;         // the io state after this step
    signal output ioReadOut;
    signal output ioGoOut;
    signal output ioFdOkOut;
    signal output ioFd1Out;
    signal output ioDoneOut;
    signal output ioMask[4];       // the bytes of the word this step moves (a SYSB), ...
    signal output ioByte[4];       // ... their values (the word after the step's bytes) ...
    signal output ioInput;         // ... from the input (a read) ...
    signal output ioOutput;        // ... or to the public output (a write to fd 1),
    signal output ioEnd;           // ... and a read found the input's end

    var TWO32 = 4294967296;
    var CODE = 1 << 23;            // cell of the code word w: CODE + w
    var inv4 = 1 / 4;

    // ---- nibbles (advice; the chunk's lookups prove each one below 16) ---------------------
    // Every 32-bit quantity the step needs in range or in parts is given as 8 nibbles, the
    // 66-bit product window as 16 nibbles and 2 bits, the word after a SYSB (ioNew) as 8,
    // each distance as ND nibbles and NR bits. nib[] holds them at the offsets of nibbles.circom.
    var ND = TB \ 4;
    var NR = TB % 4;
    signal nib[NNIB(TB)];
    component nb[NFEAT()];         // the bits of the nibbles FEAT() lists
    signal andn[8];                // nibble k of a AND b
    signal carry;                  // bit 32 of the adder's sum
    signal ptop[2];                // bits 64, 65 of the multiplier's window
    signal xE[4];                  // SYSB: the requested bytes end at byte 1 + j of the word
    signal xV[4];                  // SYSB: byte j of the word moves
    signal xLast;                  // SYSB: the last step of its call
    signal xD;                     // SYSB: bytes left after it, minus 1 unless it is the last
    signal dtop[5 * NR + 1];       // the distances' bits above their nibbles (+1: never empty)
    var feat[NFEAT()] = FEAT();

    // ---- decode -----------------------------------------------------------------------
    signal f[50];
    var kind = kindOf(val[0], val[1], ioOn);
    var fsum = 0;
    for (var k = 0; k < 50; k++) {
        f[k] <-- k == kind ? 1 : 0;
        f[k] * (f[k] - 1) === 0;
        fsum += f[k];
    }
    fsum === 1;

    var NI = 0;                    // offsets of the quantities in nib[]
    var NA = 8;
    var NBo = 16;
    var NRD = 24;
    var NW = 32;
    var NRm = 40;
    var NS = 48;
    var NP = 56;
    var NIN = 72;
    var NDs = 80;
    // The quantities' nibbles, as hints where each is known; then the feature bits.
    for (var k = 0; k < 8; k++) {
        nib[NI + k] <-- (val[0] >> (4 * k)) & 15;
    }
    for (var k = 0; k < 8; k++) {
        nib[NA + k] <-- (val[1] >> (4 * k)) & 15;
    }
    for (var k = 0; k < 8; k++) {
        nib[NRD + k] <-- (val[4] >> (4 * k)) & 15;
    }
    for (var k = 0; k < 8; k++) {
        nib[NIN + k] <-- (ioNew >> (4 * k)) & 15;
    }
    for (var s = 0; s < 5; s++) {
        for (var k = 0; k < ND; k++) {
            nib[NDs + ND * s + k] <-- (d[s] >> (4 * k)) & 15;
        }
        for (var j = 0; j < NR; j++) {
            dtop[NR * s + j] <-- (d[s] >> (4 * ND + j)) & 1;
        }
    }
    dtop[5 * NR] <-- 0;
    dtop[5 * NR] === 0;
    // bit c of the feature nibble FEAT()[j], set as each quantity's nibbles are known
    var FB[NFEAT()][4];
    for (var j = 0; j < 7; j++) {
        nb[j] = NibbleBits();
        nb[j].x <== nib[feat[j]];
        for (var c = 0; c < 4; c++) FB[j][c] = nb[j].b[c];
    }

    // the instruction: nibbles 1, 2, 3, 5, 6, 7 have their bits (features 0..5)
    var instr = val[0];
    var in0 = 0;
    for (var k = 0; k < 8; k++) in0 += nib[NI + k] * (1 << (4 * k));
    instr === in0;
    var i31 = FB[5][3];
    var opcode = nib[NI] + 16 * (nib[NI + 1] - 8 * FB[0][3]);
    var rdF = FB[0][3] + 2 * nib[NI + 2];
    var f3 = nib[NI + 3] - 8 * FB[2][3];
    var rs1F = FB[2][3] + 2 * nib[NI + 4];
    var rs2F = nib[NI + 5] + 16 * FB[4][0];
    var f7 = (nib[NI + 6] - FB[4][0]) / 2 + 8 * nib[NI + 7];

    var opc[50] = OPC();
    var tf3[50] = F3();
    var tf7[50] = F7();
    var expOpc = 0;
    var hasF3 = 0;
    var expF3 = 0;
    var hasF7 = 0;
    var expF7 = 0;
    for (var k = 0; k < 50; k++) {
        expOpc += f[k] * opc[k];
        if (tf3[k] >= 0) { hasF3 += f[k]; expF3 += f[k] * tf3[k]; }
        if (tf7[k] >= 0) { hasF7 += f[k]; expF7 += f[k] * tf7[k]; }
    }
    opcode === expOpc;
    f3 * hasF3 === expF3;
    f7 * hasF7 === expF7;
    // ecall kinds: the whole word is 0x00000073; idle: the word is 0.
    (instr - 0x73) * (f[47] + f[48] + f[49]) === 0;
    instr * f[0] === 0;

    // Immediates as unsigned 32-bit values (sign-extended), linear in the instruction's
    // nibbles and bits: bits 20..30 are nibbles 5, 6 and 7 without bit 31; bits 25..30 are
    // nibble 6 without bit 24 and nibble 7 without bit 31; bits 21..23 nibble 5 without bit 20.
    var hi25 = 16 * (nib[NI + 6] - FB[4][0]) + 256 * (nib[NI + 7] - 8 * i31); // bits 25..30 at 5..10
    var immI = i31 * (TWO32 - 2048) + nib[NI + 5] + 16 * nib[NI + 6] + 256 * (nib[NI + 7] - 8 * i31);
    var immS = i31 * (TWO32 - 2048) + FB[0][3] + 2 * nib[NI + 2] + hi25;
    var immBs = FB[0][3] * 2048 - i31 * 4096 + 2 * nib[NI + 2] + hi25;          // signed
    var immU = instr - nib[NI] - 16 * nib[NI + 1] - 256 * nib[NI + 2];
    var immJs = FB[3][0] * 2048 - i31 * 1048576 + (nib[NI + 5] - FB[3][0])
        + 16 * nib[NI + 6] + 256 * (nib[NI + 7] - 8 * i31)
        + 4096 * nib[NI + 3] + 65536 * nib[NI + 4];                              // signed

    // Kind groups (linear).
    var branches = f[5] + f[6] + f[7] + f[8] + f[9] + f[10];
    var loads = f[11] + f[12] + f[13] + f[14] + f[15];
    var stores = f[16] + f[17] + f[18];
    var aluImm = f[19] + f[20] + f[21] + f[22] + f[23] + f[24] + f[25] + f[26] + f[27];
    var aluReg = 0;
    for (var k = 28; k < 46; k++) aluReg += f[k];      // base R-type and M
    var usesRs1 = f[4] + branches + loads + stores + aluImm + aluReg;
    var usesRs2 = branches + stores + aluReg;
    var hasRd = f[1] + f[2] + f[3] + f[4] + loads + aluImm + aluReg;
    var isImm = aluImm + loads + f[4];
    var isU = f[1] + f[2];
    var addB = f[28] + f[19] + loads + f[4] + f[2];
    var subB = f[29] + f[31] + f[20] + f[32] + f[21] + branches;
    var divlike = f[42] + f[43] + f[44] + f[45];
    var signedDiv = f[42] + f[44];
    var active = 1 - f[0];

    // ---- operands -----------------------------------------------------------------------
    var a = val[1];
    var rs2v = val[2];
    var memOld = val[3];
    var rdOld = val[4];
    var a0 = 0;
    for (var k = 0; k < 8; k++) a0 += nib[NA + k] * (1 << (4 * k));
    a === a0;
    signal pImmI <== isImm * immI;
    signal pImmU <== isU * immU;
    signal b <== rs2v + pImmI + pImmU;
    // rs2 is read only by kinds that use it (and SYSA's and SYSB's len); otherwise its slot
    // reads x0.
    (1 - usesRs2 - f[48] - f[49]) * rs2v === 0;
    for (var k = 0; k < 8; k++) {
        nib[NBo + k] <-- (b >> (4 * k)) & 15;
    }
    for (var j = 7; j < 10; j++) {
        nb[j] = NibbleBits();
        nb[j].x <== nib[feat[j]];
        for (var c = 0; c < 4; c++) FB[j][c] = nb[j].b[c];
    }
    var b1 = 0;
    for (var k = 0; k < 8; k++) b1 += nib[NBo + k] * (1 << (4 * k));
    b === b1;
    var rd1 = 0;
    for (var k = 0; k < 8; k++) rd1 += nib[NRD + k] * (1 << (4 * k));
    rdOld === rd1;
    var sa = FB[6][3];
    var sb = FB[9][3];

    // ---- division witness (q via the memory-word decomposition, r on its own) -------------
    signal q;
    signal r;
    q <-- divlike == 0 ? 0 : divHint(a, b, signedDiv, 1);
    r <-- divlike == 0 ? 0 : divHint(a, b, signedDiv, 0);
    (1 - divlike) * q === 0;
    (1 - divlike) * r === 0;
    divlike * memOld === 0;
    signal divQ <== divlike * q;
    // the memory word, or q for division: bytes B[j] = nibbles 2j, 2j+1, each byte's top bit
    for (var k = 0; k < 8; k++) {
        nib[NW + k] <-- ((memOld + divQ) >> (4 * k)) & 15;
    }
    for (var k = 0; k < 8; k++) {
        nib[NRm + k] <-- ((r + xferLeft(ioGo, val[1], ioDone, b, ioN)) >> (4 * k)) & 15;
    }
    for (var j = 10; j < 15; j++) {
        nb[j] = NibbleBits();
        nb[j].x <== nib[feat[j]];
        for (var c = 0; c < 4; c++) FB[j][c] = nb[j].b[c];
    }
    var w1 = 0;
    var r1v = 0;
    for (var k = 0; k < 8; k++) {
        w1 += nib[NW + k] * (1 << (4 * k));
        r1v += nib[NRm + k] * (1 << (4 * k));
    }
    memOld + divQ === w1;
    // r's nibbles: r === r1v, or in a SYSB the range check on xD (below)
    var sq = FB[13][3];
    var sr = FB[14][3];
    signal sqs <== sq * signedDiv;
    signal srs <== sr * signedDiv;
    signal sas <== sa * signedDiv;
    signal sbs <== sb * signedDiv;
    var qS = q - TWO32 * sqs;
    var rS = r - TWO32 * srs;
    var aS = a - TWO32 * sas;
    var bS = b - TWO32 * sbs;
    signal tAbsB <== sbs * bS;
    var absB = bS - 2 * tAbsB;
    signal tAbsR <== srs * rS;
    var absR = rS - 2 * tAbsR;

    // ---- adder: sum = A + addend mod 2^32, carry -------------------------------------------
    signal pAuipc <== f[2] * pc;
    signal pDivA <== divlike * (absB - a);
    signal pAddB <== addB * b;
    signal pSubB <== subB * b;
    signal pStoreS <== stores * immS;
    signal pDivR <== divlike * absR;
    signal pIo <== f[49] * ioDone;                 // SYSB: the address buf + done
    var A = a + pAuipc + pDivA;
    var addend = pAddB + subB * TWO32 - pSubB + pStoreS + divlike * (TWO32 - 1) - pDivR + pIo;
    for (var k = 0; k < 8; k++) {
        nib[NS + k] <-- ((A + addend) >> (4 * k)) & 15;
    }
    carry <-- ((A + addend) >> 32) & 1;
    carry * (carry - 1) === 0;
    for (var j = 15; j < 16; j++) {
        nb[j] = NibbleBits();
        nb[j].x <== nib[feat[j]];
        for (var c = 0; c < 4; c++) FB[j][c] = nb[j].b[c];
    }
    var sum = 0;
    for (var k = 0; k < 8; k++) sum += nib[NS + k] * (1 << (4 * k));
    A + addend === sum + TWO32 * carry;

    // ---- comparisons and branches ----------------------------------------------------------
    var ltu = 1 - carry;
    signal sasb <== sa * sb;
    signal tLt <== (1 - sa - sb + 2 * sasb) * ltu;
    var lt = sa - sasb + tLt;
    component sumZero = IsZero();
    sumZero.in <== sum;
    var eq = sumZero.out;
    signal tk1 <== (f[5] - f[6]) * eq;
    signal tk2 <== (f[7] - f[8]) * lt;
    signal tk3 <== (f[9] - f[10]) * ltu;
    signal taken <== f[6] + tk1 + f[8] + tk2 + f[10] + tk3;

    // ---- bitwise -------------------------------------------------------------------------------
    // a AND b, nibble by nibble: the chunk's AND lookups hold (a_k, b_k, andn_k)
    var andv = 0;
    for (var k = 0; k < 8; k++) {
        andn[k] <-- nib[NA + k] & nib[NBo + k];
        andv += andn[k] * (1 << (4 * k));
    }
    var xorv = a + b - 2 * andv;
    var orv = a + b - andv;

    // ---- multiplier: P = X * Y, 66-bit two's complement window -----------------------------
    // shifts: SLL = low(a * 2^s), SRL = high(a * 2^(32-s)), SRA = SRL + sign fill.
    signal pw[5];
    signal pr[5];
    var sbit[5] = [FB[7][0], FB[7][1], FB[7][2], FB[7][3], FB[8][0]];  // b's bits 0..4
    pw[0] <== 1 + sbit[0];
    pr[0] <== 2 * (2 - sbit[0]);
    for (var i = 1; i < 5; i++) {
        pw[i] <== pw[i - 1] * (1 + sbit[i] * ((1 << (1 << i)) - 1));
        pr[i] <== pr[i - 1] * (1 + (1 - sbit[i]) * ((1 << (1 << i)) - 1));
    }
    var pow = pw[4];
    var powR = pr[4];
    var shL = f[30] + f[25];
    var shR = f[34] + f[26] + f[35] + f[27];
    var sra = f[35] + f[27];
    signal saMul <== sa * (f[39] + f[40]);
    signal pDivX <== divlike * (qS - a);
    signal X <== a - TWO32 * saMul + pDivX;
    signal sbMul <== sb * (f[39] + signedDiv);
    signal pShL <== shL * (pow - b);
    signal pShR <== shR * (powR - b);
    signal Y <== b - TWO32 * sbMul + pShL + pShR;
    signal P <== X * Y;
    var P65 = P + 36893488147419103232; // + 2^65
    for (var k = 0; k < 16; k++) {
        nib[NP + k] <-- (P65 >> (4 * k)) & 15;
    }
    ptop[0] <-- (P65 >> 64) & 1;
    ptop[1] <-- (P65 >> 65) & 1;
    ptop[0] * (ptop[0] - 1) === 0;
    ptop[1] * (ptop[1] - 1) === 0;
    var lo = 0;
    var hi = 0;
    for (var k = 0; k < 8; k++) {
        lo += nib[NP + k] * (1 << (4 * k));
        hi += nib[NP + 8 + k] * (1 << (4 * k));
    }
    P65 === lo + TWO32 * hi + 18446744073709551616 * (ptop[0] + 2 * ptop[1]);

    // ---- division constraints ------------------------------------------------------------------
    var low31 = nib[NA + 7] - 8 * sa;               // a's nibbles without bit 31: all 0?
    for (var k = 0; k < 7; k++) low31 += nib[NA + k];
    component aLowZero = IsZero();
    aLowZero.in <== low31;
    component bAllOnes = IsZero();
    bAllOnes.in <== b - (TWO32 - 1);
    signal minA <== aLowZero.out * sa;
    signal ovf0 <== minA * bAllOnes.out;
    signal ovf <== ovf0 * signedDiv;
    component bZero = IsZero();
    bZero.in <== b;
    var bz = bZero.out;
    // a = q*b + r (signed or unsigned), with the overflow case -2^31 / -1 = -2^31.
    divlike * (aS - P - rS + TWO32 * ovf) === 0;
    signal divbz <== divlike * bz;
    divbz * (q - (TWO32 - 1)) === 0;
    (divlike - divbz) * (1 - carry) === 0;           // |r| < |b| when b != 0
    signal rSign <== r * (sr - sa);
    signedDiv * rSign === 0;                         // r = 0 or sign(r) = sign(a)

    // ---- loads and stores ----------------------------------------------------------------------
    var l0 = FB[15][0];
    var l1 = FB[15][1];
    signal L3 <== l0 * l1;
    var L[4] = [1 - l0 - l1 + L3, l0 - L3, l1 - L3, L3];
    var B[4];
    for (var j = 0; j < 4; j++) {
        B[j] = 0;
        B[j] = nib[NW + 2 * j] + 16 * nib[NW + 2 * j + 1];
    }
    signal selB[4];
    signal selS[4];
    var byteSel = 0;
    var byteSgn = 0;
    for (var j = 0; j < 4; j++) {
        selB[j] <== L[j] * B[j];
        selS[j] <== L[j] * FB[10 + j][3];
        byteSel += selB[j];
        byteSgn += selS[j];
    }
    var H0 = B[0] + 256 * B[1];
    var H1 = B[2] + 256 * B[3];
    signal halfSel <== H0 + l1 * (H1 - H0);
    signal halfSgn <== FB[11][3] + l1 * (FB[13][3] - FB[11][3]);
    (f[12] + f[15] + f[17]) * l0 === 0;            // halfword alignment
    (f[13] + f[18]) * (l0 + l1) === 0;             // word alignment
    signal ld1 <== (f[11] + f[14]) * byteSel;
    signal ld2 <== f[11] * byteSgn;
    signal ld3 <== (f[12] + f[15]) * halfSel;
    signal ld4 <== f[12] * halfSgn;
    signal ld5 <== f[13] * memOld;
    var loadVal = ld1 + ld2 * (TWO32 - 256) + ld3 + ld4 * (TWO32 - 65536) + ld5;

    // ---- ecalls ----------------------------------------------------------------------------------
    f[49] === ioOn;                                // SYSB exactly where the io state says
    f[47] * (a - 93) === 0;                        // exit
    signal isRead;
    isRead <-- (f[48] == 1 && a == 63) ? 1 : 0;
    isRead * (isRead - 1) === 0;
    isRead * (1 - f[48]) === 0;
    f[48] * (a - 64 + isRead) === 0;               // a7 is 63 (read) or 64 (write)
    var wr = f[48] - isRead;
    component fd0 = IsZero();
    fd0.in <== rdOld;
    signal fdm <== (rdOld - 1) * (rdOld - 2);
    component fd12 = IsZero();
    fd12.in <== fdm;
    signal fo1 <== isRead * fd0.out;
    signal fo2 <== wr * fd12.out;
    var fdOk = fo1 + fo2;
    signal fd1 <== fo2 * (2 - rdOld);
    signal go <== fdOk * (1 - bz);                 // a2 = len is b in SYSA

    // A SYSB that transfers (xfer = ioGo: only a SYSA or an unfinished SYSB sets it) asks for
    // the bytes o .. e - 1 of the word at buf + done (o = that address mod 4, o < e <= 4) and
    // moves a prefix of them: xV. Writes move all they ask for.
    var xfer = ioGo;
    ioGo * (1 - f[49]) === 0;
    signal rx <== ioRead * ioGo;                   // a read's transfer step
    var wx = xfer - rx;
    var o = l0 + 2 * l1;
    for (var j = 0; j < 4; j++) {
        xE[j] <-- (xfer == 1 && (j + 1 == o + b - ioDone || (j == 3 && o + b - ioDone > 4))) ? 1 : 0;
        xE[j] * (xE[j] - 1) === 0;
    }
    xE[0] + xE[1] + xE[2] + xE[3] === xfer;
    var e = xE[0] + 2 * xE[1] + 3 * xE[2] + 4 * xE[3];
    signal xm[3];                                  // byte j asked for (byte 3: xE[3])
    xm[0] <== L[0] * xfer;
    xm[1] <== (L[0] + L[1]) * (xE[1] + xE[2] + xE[3]);
    xm[2] <== (1 - L[3]) * (xE[2] + xE[3]);
    var mk[4];
    mk[0] = xm[0];
    mk[1] = xm[1];
    mk[2] = xm[2];
    mk[3] = xE[3];
    var ask = mk[0] + mk[1] + mk[2] + mk[3];
    signal xo <== xfer * o;
    ask === e - xo;                                // e >= o: the mask is o .. e - 1 ...
    signal askInv;
    askInv <-- 1 / (ask + 1 - xfer);
    askInv * (ask + 1 - xfer) === 1;               // ... and not empty in a transfer step
    for (var j = 0; j < 4; j++) {
        xV[j] <-- (mk[j] == 1 && j - o < ioN) ? 1 : 0;
        xV[j] * (xV[j] - 1) === 0;
        xV[j] * (1 - mk[j]) === 0;                 // moves only bytes it asks for,
    }
    for (var j = 0; j < 3; j++) {
        xV[j + 1] * (mk[j] - xV[j]) === 0;         // a prefix of them
    }
    var n = xV[0] + xV[1] + xV[2] + xV[3];
    ioN === n;
    wx * (ask - n) === 0;                          // all of them for a write
    // A read moved fewer: the input ended. (The IsZero inputs below are 1 outside a transfer
    // step, so that their inverses are fixed there too.)
    component shortZ = IsZero();
    shortZ.in <== ask - n + 1 - xfer;
    ioEnd <== xfer - shortZ.out;

    // With rem = len - done: a transfer step asks for min(4 - o, rem) bytes (so ask <= rem:
    // the range check on xD), and is the last of its call when it moves them all and nothing
    // is left (rem = ask) or when a read finds the input's end (n < ask); a SYSB that does
    // not transfer is the only step of its call. An unfinished step asks for the word's rest
    // and moves all of it, and leaves rem - ask >= 1.
    xLast <-- f[49] == 1 && (xfer == 0 || b - ioDone - n == 0 || ask > n) ? 1 : 0;
    xLast * (xLast - 1) === 0;
    xLast * (1 - f[49]) === 0;
    var more = f[49] - xLast;                      // an unfinished SYSB
    (f[49] - xfer) * (1 - xLast) === 0;            // no transfer: one step
    more * (1 - xE[3]) === 0;
    more * (ask - n) === 0;
    (xfer - xE[3]) * (b - ioDone - ask) === 0;     // it asks for min(4 - o, rem) bytes
    xD <== xfer * (b - ioDone - ask - more);
    r + xD === r1v;                                // so xD is below 2^32 (r = 0 here)
    signal remLast <== xLast * xD;
    remLast * shortZ.out === 0;                    // the last moved everything it had to

    // what the step moves: the word after it is ioNew (its nibbles), equal to the word before
    // except in the bytes a read moves
    var newW = 0;
    for (var k = 0; k < 8; k++) newW += nib[NIN + k] * (1 << (4 * k));
    ioNew === newW;
    (1 - xfer) * ioNew === 0;
    signal xd <== xfer * (ioNew - memOld);
    signal wd <== wx * (ioNew - memOld);
    wd === 0;
    for (var j = 0; j < 4; j++) {
        var nbj = nib[NIN + 2 * j] + 16 * nib[NIN + 2 * j + 1];
        (xfer - xV[j]) * (nbj - B[j]) === 0;
        ioMask[j] <== xV[j];
        ioByte[j] <== nbj;
    }
    ioInput <== rx;
    ioOutput <== ioFd1 * ioGo;
    component nZero = IsZero();
    nZero.in <== n + 1 - xfer;
    var moved = xfer - nZero.out;                  // a SYSB accesses memory only if it moves

    // the a0 it returns, and the io state after it
    signal pRet <== ioFdOk * (ioDone + n);
    var ret = f[49] * (TWO32 - 1) + pRet - ioFdOk * (TWO32 - 1);
    ioOnOut <== f[48] + more;
    signal moreRead <== more * ioRead;
    signal moreFd1 <== more * ioFd1;
    ioReadOut <== isRead + moreRead;
    ioGoOut <== go + more;
    ioFdOkOut <== fdOk + more;
    ioFd1Out <== fd1 + moreFd1;
    signal moreDone <== more * (ioDone + n);
    ioDoneOut <== moreDone;

    // ---- data address checks -----------------------------------------------------------------
    var memAct = loads + stores + moved;
    var highBits = 0;
    for (var k = LOGMEM \ 4; k < 8; k++) highBits += nib[NS + k];
    memAct * highBits === 0;                       // below MEMORY_SIZE
    // RAM_START, the code range and the fetch range are not checked here: they are which
    // cells exist (see the header). A code word is read under its code cell: only by a load
    // or by a write's transfer step, never by a store or a read's.
    isCodeLoad * (isCodeLoad - 1) === 0;
    isCodeLoad * (1 - loads - wx) === 0;

    // ---- fetch: the code cell at pc -----------------------------------------------------------
    signal ap <== active * pc;

    // ---- result and next pc ------------------------------------------------------------------
    signal r1 <== (f[28] + f[19] + f[29] + f[2]) * sum;
    signal r2 <== f[1] * immU;
    signal r3 <== (f[3] + f[4]) * (pc + 4);
    signal r4 <== (f[31] + f[20]) * lt;
    signal r5 <== (f[32] + f[21]) * ltu;
    signal r6 <== (f[37] + f[24]) * andv;
    signal r7 <== (f[36] + f[23]) * orv;
    signal r8 <== (f[33] + f[22]) * xorv;
    signal r9 <== (f[30] + f[25] + f[38]) * lo;
    signal r10 <== (f[34] + f[26] + f[35] + f[27] + f[39] + f[40] + f[41]) * hi;
    signal sraS <== sra * sa;
    signal r11 <== sraS * (TWO32 - powR);
    signal r12 <== (f[42] + f[43]) * q;
    signal r13 <== (f[44] + f[45]) * r;
    var res = r1 + r2 + r3 + r4 + r5 + r6 + r7 + r8 + r9 + r10 + r11 + r12 + r13 + loadVal + ret;

    component rdZero = IsZero();
    rdZero.in <== rdF;
    signal hasRdNZ <== hasRd * (1 - rdZero.out);
    signal rdW <== (hasRdNZ + xLast) * (res - rdOld);
    var rdNew = rdOld + rdW;

    // store data
    var b0 = 0;
    var bh = 0;
    b0 = nib[NBo] + 16 * nib[NBo + 1];
    bh = b0 + 256 * nib[NBo + 2] + 4096 * nib[NBo + 3];
    signal src1 <== f[16] * b0;
    var shift8 = L[0] + 256 * L[1] + 65536 * L[2] + 16777216 * L[3];
    signal delta8 <== (src1 - byteSel) * shift8;
    signal m1 <== f[16] * delta8;
    signal delta16 <== (bh - halfSel) * (1 + 65535 * l1);
    signal m2 <== f[17] * delta16;
    signal m3 <== f[18] * (b - memOld);
    var memNew = memOld + m1 + m2 + m3 + xd;

    // next pc: +4, JAL, taken branches, JALR (bit 0 cleared); idle, exit and SYSA stay.
    FB[3][1] * f[3] === 0;                         // JAL target aligned (instruction bit 21)
    taken * FB[1][0] === 0;                        // taken branch target aligned (bit 8)
    f[4] * l1 === 0;                               // JALR target aligned
    signal j1 <== f[3] * (immJs - 4);
    signal j2 <== taken * (immBs - 4);
    signal j3 <== f[4] * (sum - l0 - pc - 4);
    nextPc <== pc + 4 * (active - f[47] - f[48] - more) + j1 + j2 + j3;

    halted * active === 0;                         // after the exit only idle steps
    nextHalted <== halted + f[47];
    signal ex <== f[47] * (rdOld - exitIn);
    nextExit <== exitIn + ex;
    cycInc <== active - f[48] - more;

    // ---- access slots ------------------------------------------------------------------------
    cell[0] <== active * CODE + ap * inv4;
    signal c1 <== usesRs1 * rs1F;
    cell[1] <== c1 + 17 * (f[47] + f[48]) + 11 * f[49];
    signal c2 <== usesRs2 * rs2F;
    cell[2] <== c2 + 12 * (f[48] + f[49]);
    var wordAddr = -l0 - 2 * l1;
    for (var k = 0; k < LOGMEM \ 4; k++) wordAddr += nib[NS + k] * (1 << (4 * k));
    wordAddr = wordAddr * inv4;
    signal c3 <== memAct * (32 + wordAddr);
    cell[3] <== c3 + (CODE - 32) * isCodeLoad;
    signal c4 <== hasRd * rdF;
    cell[4] <== c4 + 10 * (f[47] + f[48] + f[49]);
    newVal[0] <== val[0];
    newVal[1] <== val[1];
    newVal[2] <== val[2];
    newVal[3] <== memNew;
    newVal[4] <== rdNew;

    // ---- distances to the previous writes: nibbles and top bits ----------------------------
    for (var s = 0; s < 5; s++) {
        var dv = 0;
        for (var k = 0; k < ND; k++) dv += nib[NDs + ND * s + k] * (1 << (4 * k));
        for (var j = 0; j < NR; j++) {
            dtop[NR * s + j] * (dtop[NR * s + j] - 1) === 0;
            dv += dtop[NR * s + j] * (1 << (4 * ND + j));
        }
        d[s] === dv;
    }

    // ---- lookups -----------------------------------------------------------------------------
    // AND tuples (a_k, b_k, andn_k), which the chunk compresses at its challenge theta (the
    // challenge comes from the transcript of adv below, so it cannot be an input here); every
    // other plain nibble alone.
    for (var k = 0; k < 8; k++) {
        andT[3 * k] <== nib[NA + k];
        andT[3 * k + 1] <== nib[NBo + k];
        andT[3 * k + 2] <== andn[k];
    }
    var plain[128] = PLAIN(TB);
    for (var i = 0; i < NPLAIN(TB); i++) nibKey[i] <== nib[plain[i]];

    // ---- the advice, packed for the transcript (every value the prover chose) -----------------
    // The nibbles fix val, d, ioNew, q and r through the equalities above; with the bits,
    // the AND nibbles and isCodeLoad, every key and every memory element of the step follows.
    var acc[NADV()];
    for (var j = 0; j < NADV(); j++) acc[j] = 0;
    var at = 0;
    var pos = 0;
    for (var k = 0; k < NNIB(TB); k++) {
        if (pos + 4 > 252) { at++; pos = 0; }
        acc[at] += nib[k] * (1 << pos);
        pos += 4;
    }
    for (var k = 0; k < 8; k++) {
        if (pos + 4 > 252) { at++; pos = 0; }
        acc[at] += andn[k] * (1 << pos);
        pos += 4;
    }
    var NBIT = 3 * NFEAT() + 13 + 5 * NR;
    var bits[NBIT];
    for (var j = 0; j < NFEAT(); j++) {
        bits[3 * j] = nb[j].b[0];       // bit 2 follows from the other three and the nibble
        bits[3 * j + 1] = nb[j].b[1];
        bits[3 * j + 2] = nb[j].b[3];
    }
    bits[3 * NFEAT()] = carry;
    bits[3 * NFEAT() + 1] = ptop[0];
    bits[3 * NFEAT() + 2] = ptop[1];
    bits[3 * NFEAT() + 3] = isCodeLoad;
    for (var j = 0; j < 4; j++) {
        bits[3 * NFEAT() + 4 + j] = xE[j];
        bits[3 * NFEAT() + 8 + j] = xV[j];
    }
    bits[3 * NFEAT() + 12] = xLast;
    for (var j = 0; j < 5 * NR; j++) bits[3 * NFEAT() + 13 + j] = dtop[j];
    for (var k = 0; k < NBIT; k++) {
        if (pos + 1 > 252) { at++; pos = 0; }
        acc[at] += bits[k] * (1 << pos);
        pos += 1;
    }
    assert(at < NADV());
    for (var j = 0; j < NADV(); j++) adv[j] <== acc[j];
}
