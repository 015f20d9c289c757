pragma circom 2.2.0;

include "circomlib/circuits/bitify.circom";
include "circomlib/circuits/poseidon.circom";
include "state2.circom";
include "step2.circom";
include "nibbles.circom";
include "versions.circom";

// The in-chunk part of the versioned-cells chunk (issue 12; not wired into the network yet:
// no state digests yet). Built to be measured at the production size and tested on real
// chunks (test/chunk2-circuit.test.ts).
//
// What it proves, given the chunk's paged cells: K steps of Step2 from (pcIn, haltedIn,
// exitIn, ioIn: the io state, which lets a chunk end inside a read or write), every register
// and memory access consistent with the cells' values at the chunk's start (vin) and end
// (vout), every nibble in range. Pieces:
//
// - Paging (versions.circom): CellVersions orders the cells (registers in slots 0..31, memory
//   cells strictly increasing), range-checks vin and the version age, and gives this chunk's
//   share of the job-wide sum at the verifier's gamma (gammaJob); CellCommitment gives C, the
//   commitment gammaJob is derived from. vout is handed over range-checked (VOUT_CHECKED = 0):
//   its nibbles are looked up here.
// - The moved bytes (input read, public output written) join the same job-wide sum as elements
//   (tag, position, byte): the chunk consumes (1, p, b) for each input byte it reads at input
//   position p and (1, p, END) for each read that finds the input's end at p, and produces
//   (2, p, b) for each output byte it writes at output position p. The job's input proof
//   produces the input's bytes and its end, the output proof consumes the output's bytes
//   (circuits/zkvm/README.md, "The input and output commitments"). Positions start at the
//   chunk's inPosIn / outPosIn and advance by the bytes moved.
// - The in-chunk memory check, LogUp at gammaMem: produced = each paged cell at time 0
//   (cell, vin, 0) and each step slot's write (cell, newVal, tNow); consumed = each slot's
//   read (cell, val, tNow - 1 - d) and each paged cell's last version (cell, vout, tlast);
//   e = cell + 2^32 v + 2^64 t. Injective on what may match a produced element: cells below
//   2^32 (Step2's header, CellVersions' order check), values below 2^32 (read values are
//   nibbles; written values are built from nibbles; vin, vout range-checked), times below
//   2^TB (d and tlast are nibbles; a negative read time packs to no produced element).
//   Every access is a read then a write, tNow = 1 + 5k + slot increases, so each produced
//   element is consumed once: the chain of a cell's versions is its accesses in order.
// - Lookups (nibbles.circom): the steps' NIB keys and AND tuples, vout's and tlast's nibbles,
//   the counts' own nibbles, against the table at theta, balanced at gammaLook.
// - The transcript the challenges come from: Poseidon(16) over the state in, C, every step's
//   advice (Step2's adv), the paged cells' last times, and the lookup counts; theta, gammaMem
//   and gammaLook are Poseidon(transcript, 1 / 2 / 3). Nothing the prover chooses is left
//   out: C covers (cell, vin, age, vout), adv covers every hint of a step (the bytes a read
//   moves included), and the rest of every element follows from those by constraints. The
//   transcript is also what the verifier derives gammaJob from (with every other proof's of
//   the job): it fixes every job-wide element of the chunk, cells and moved bytes alike.
template Chunk2Core(K, NC, TB, LOGMEM, MB, NM) {
    signal input gammaJob;
    signal input t;                    // this chunk's version time (its number in the job + 1)
    signal input pcIn;
    signal input haltedIn;
    signal input exitIn;
    signal input ioIn[6];              // ioOn, ioRead, ioGo, ioFdOk, ioFd1, ioDone (Step2)
    signal input inPosIn;              // input bytes read before the chunk
    signal input outPosIn;             // public output bytes written before the chunk
    signal input val[K][5];
    signal input d[K][5];
    signal input ioN[K];
    signal input ioNew[K];
    signal input isCodeLoad[K];
    signal input used[NC];
    signal input cell[NC];
    signal input vin[NC];
    signal input tin[NC];
    signal input vout[NC];
    signal input tlast[NC];
    signal input m[272];

    signal output pcOut;
    signal output haltedOut;
    signal output exitOut;
    signal output ioOut[6];
    signal output cycles;              // instructions retired
    signal output inPosOut;            // input bytes read by the chunk's end
    signal output outPosOut;           // public output bytes written by the chunk's end
    signal output ioEnd;               // a read found the input's end
    signal output jobSum;              // this chunk's share of the job-wide sum
    signal output c;                   // C, its commitment
    signal output transcript;

    assert(5 * K < (1 << TB));
    assert(TB <= 16);                  // the transcript packs the last times 16 bits apart
    var ND = TB \ 4;
    var NR = TB % 4;
    var NKS = 8 + NPLAIN(TB);          // keys per step
    var NKC = 8 + ND;                  // keys per paged cell: vout and tlast nibbles
    var NK = K * NKS + NC * NKC;
    var T32 = 4294967296;
    var T64 = 18446744073709551616;

    // ---- paging ---------------------------------------------------------------------------
    component ver = CellVersions(NC, 24, 24, 0);
    ver.gamma <== gammaJob;
    ver.t <== t;
    ver.used <== used;
    ver.cell <== cell;
    ver.vin <== vin;
    ver.tin <== tin;
    ver.vout <== vout;
    component com = CellCommitment(NC, 24);
    com.t <== t;
    com.used <== used;
    com.cell <== cell;
    com.vin <== vin;
    com.tin <== tin;
    com.vout <== vout;
    c <== com.c;

    // An unused slot holds zeros (it contributes nothing either way; pinned so that no input
    // is free: the R1CS perturbation layer reports any wire no constraint binds).
    for (var i = 32; i < NC; i++) {
        (1 - used[i]) * cell[i] === 0;
        (1 - used[i]) * vin[i] === 0;
        (1 - used[i]) * tin[i] === 0;
        (1 - used[i]) * vout[i] === 0;
        (1 - used[i]) * tlast[i] === 0;
    }

    // vout and tlast as nibbles (tlast's top bits as bits); an unused slot's are 0
    signal vn[NC * 8];
    signal tn[NC * ND + 1];       // (+1: never empty)
    signal tb[NC * NR + 1];
    tb[NC * NR] <-- 0;
    tb[NC * NR] === 0;
    tn[NC * ND] <-- 0;
    tn[NC * ND] === 0;
    for (var i = 0; i < NC; i++) {
        var sv = 0;
        for (var k = 0; k < 8; k++) {
            vn[8 * i + k] <-- (vout[i] >> (4 * k)) & 15;
            sv += vn[8 * i + k] * (1 << (4 * k));
        }
        vout[i] === sv;
        var st = 0;
        for (var k = 0; k < ND; k++) {
            tn[ND * i + k] <-- (tlast[i] >> (4 * k)) & 15;
            st += tn[ND * i + k] * (1 << (4 * k));
        }
        for (var j = 0; j < NR; j++) {
            tb[NR * i + j] <-- (tlast[i] >> (4 * ND + j)) & 1;
            tb[NR * i + j] * (tb[NR * i + j] - 1) === 0;
            st += tb[NR * i + j] * (1 << (4 * ND + j));
        }
        tlast[i] === st;
    }

    // ---- steps ----------------------------------------------------------------------------
    // Padding: a chunk cut short by its cells inside a long transfer ends with idle steps while
    // the transfer is pending, and Step2 allows no idle step where the io state says SYSB. So
    // the io state goes around idle steps: a pad (pad[k] = 1 exactly when step k is idle) sees
    // no io state, and the state after it is the state before it. An idle step changes nothing
    // (Step2: pc, halted, the exit code and every cell stay; it retires no cycle), so a pad is
    // a no-op wherever it falls; pad follows from the step (a hint checked both ways below), so
    // it adds nothing for the prover to choose.
    signal pad[K];
    component padChk[K];
    signal ioS[K + 1][6];              // the io state before step k
    signal ioG[K][6];                  // what step k sees
    ioS[0] <== ioIn;
    component stp[K];
    signal pcs[K + 1];
    signal halts[K + 1];
    signal exits[K + 1];
    pcs[0] <== pcIn;
    halts[0] <== haltedIn;
    exits[0] <== exitIn;
    var cyc = 0;
    var nEnd = 0;
    for (var k = 0; k < K; k++) {
        stp[k] = Step2(LOGMEM, TB);
        stp[k].t0 <== 1 + 5 * k;
        stp[k].pc <== pcs[k];
        stp[k].halted <== halts[k];
        stp[k].exitIn <== exits[k];
        // the io state step k sees: the state before it, or nothing on a pad (below)
        pad[k] <-- val[k][0] == 0 ? 1 : 0;
        pad[k] * (pad[k] - 1) === 0;
        for (var j = 0; j < 6; j++) ioG[k][j] <== ioS[k][j] * (1 - pad[k]);
        stp[k].ioOn <== ioG[k][0];
        stp[k].ioRead <== ioG[k][1];
        stp[k].ioGo <== ioG[k][2];
        stp[k].ioFdOk <== ioG[k][3];
        stp[k].ioFd1 <== ioG[k][4];
        stp[k].ioDone <== ioG[k][5];
        stp[k].val <== val[k];
        stp[k].d <== d[k];
        stp[k].ioN <== ioN[k];
        stp[k].ioNew <== ioNew[k];
        stp[k].isCodeLoad <== isCodeLoad[k];
        pcs[k + 1] <== stp[k].nextPc;
        halts[k + 1] <== stp[k].nextHalted;
        exits[k + 1] <== stp[k].nextExit;
        cyc += stp[k].cycInc;
        nEnd += stp[k].ioEnd;
        // pad = idle: Step2's fetch slot is cell 0 exactly on an idle step (any other step
        // fetches CODE + pc / 4 > 0)
        padChk[k] = PadIsIdle();
        padChk[k].pad <== pad[k];
        padChk[k].fetch <== stp[k].cell[0];
        var ioOutK[6] = [stp[k].ioOnOut, stp[k].ioReadOut, stp[k].ioGoOut, stp[k].ioFdOkOut,
                         stp[k].ioFd1Out, stp[k].ioDoneOut];
        for (var j = 0; j < 6; j++) ioS[k + 1][j] <== ioOutK[j] + pad[k] * (ioS[k][j] - ioOutK[j]);
    }
    // ---- the moved bytes, as job-wide elements at gammaJob --------------------------------
    // e = byte + 2^16 position + 2^96 tag (tag 1 input, 2 output; byte 256 is the input's
    // END). Every produced element of the job is below 2^98 and distinct from a cell's
    // (cell + 2^32 v + 2^64 t < 2^88): bytes are looked-up nibbles, positions follow from
    // inPosIn / outPosIn (bound by the state) and the masks.
    var TAG = 1 << 96;
    // The positions as running signals: a position kept as a sum in a var would put O(k)
    // terms into step k's constraints (O(K^2) nonzero coefficients in all: 1.5 M at K = 1,024).
    signal inP[K + 1];
    signal outP[K + 1];
    inP[0] <== inPosIn;
    outP[0] <== outPosIn;
    signal ioBase[2 * K];              // a transfer step's first position: input, output
    signal ioSg[4 * K];                // byte j moves: -1 input, +1 output, 0 neither
    signal iio[4 * K];
    signal iend[K];
    var ioSum = 0;
    for (var k = 0; k < K; k++) {
        var nk = stp[k].ioMask[0] + stp[k].ioMask[1] + stp[k].ioMask[2] + stp[k].ioMask[3];
        inP[k + 1] <== inP[k] + stp[k].ioInput * nk;
        outP[k + 1] <== outP[k] + stp[k].ioOutput * nk;
        ioBase[2 * k] <== stp[k].ioInput * inP[k];
        ioBase[2 * k + 1] <== stp[k].ioOutput * outP[k];
        var tag = stp[k].ioInput + 2 * stp[k].ioOutput;
        var pre = 0;
        for (var j = 0; j < 4; j++) {
            ioSg[4 * k + j] <== stp[k].ioMask[j] * (stp[k].ioOutput - stp[k].ioInput);
            var pos = ioBase[2 * k] + ioBase[2 * k + 1] + pre;
            var e = stp[k].ioByte[j] + (1 << 16) * pos + TAG * tag;
            iio[4 * k + j] <-- ioSg[4 * k + j] / (gammaJob - e);
            iio[4 * k + j] * (gammaJob - e) === ioSg[4 * k + j];
            ioSum += iio[4 * k + j];
            pre += stp[k].ioMask[j];
        }
        // a read that found the input's end: (1, the input's length, END), consumed
        var eEnd = 256 + (1 << 16) * inP[k + 1] + TAG;
        iend[k] <-- -stp[k].ioEnd / (gammaJob - eEnd);
        iend[k] * (gammaJob - eEnd) === -stp[k].ioEnd;
        ioSum += iend[k];
    }
    jobSum <== ver.sum + ioSum;
    ioOut <== ioS[K];
    ioEnd <== nEnd;
    pcOut <== pcs[K];
    haltedOut <== halts[K];
    exitOut <== exits[K];
    cycles <== cyc;
    inPosOut <== inP[K];
    outPosOut <== outP[K];

    // ---- lookup counts (before the challenges) ------------------------------------------------
    component counts = NibbleCounts(MB, NM);
    counts.m <== m;

    // ---- transcript -------------------------------------------------------------------------
    // elements: pcIn, haltedIn, exitIn, the io state in, the input and output positions in, C,
    // 2 per step, the paged cells' last times (16 bits, 15 per element), the counts
    var NTL = (NC + 14) \ 15;
    var NA = NADVM(MB, NM);
    var NE = 12 + 2 * K + NTL + NA;
    var NBLK = (NE + 14) \ 15;
    signal el[NBLK * 15];
    var o = 0;
    el[o] <== pcIn; o++;
    el[o] <== haltedIn; o++;
    el[o] <== exitIn; o++;
    for (var j = 0; j < 6; j++) {
        el[o] <== ioIn[j]; o++;
    }
    el[o] <== inPosIn; o++;
    el[o] <== outPosIn; o++;
    el[o] <== c; o++;
    for (var k = 0; k < K; k++) {
        el[o] <== stp[k].adv[0]; o++;
        el[o] <== stp[k].adv[1]; o++;
    }
    for (var b = 0; b < NTL; b++) {
        var acc = 0;
        for (var j = 0; j < 15; j++) {
            if (15 * b + j < NC) acc += tlast[15 * b + j] * (1 << (16 * j));
        }
        el[o] <== acc; o++;
    }
    for (var j = 0; j < NA; j++) {
        el[o] <== counts.adv[j]; o++;
    }
    var used0 = o;
    for (var z = used0; z < NBLK * 15; z++) el[z] <== 0;
    component h[NBLK];
    for (var b = 0; b < NBLK; b++) {
        h[b] = Poseidon(16);
        if (b == 0) h[b].inputs[0] <== 0;
        else h[b].inputs[0] <== h[b - 1].out;
        for (var j = 0; j < 15; j++) h[b].inputs[1 + j] <== el[15 * b + j];
    }
    transcript <== h[NBLK - 1].out;
    component ch[3];
    for (var j = 0; j < 3; j++) {
        ch[j] = Poseidon(2);
        ch[j].inputs[0] <== transcript;
        ch[j].inputs[1] <== j + 1;
    }
    signal theta[3];
    theta[0] <== ch[0].out;
    theta[1] <== theta[0] * theta[0];
    theta[2] <== theta[1] * theta[0];
    var gammaMem = ch[1].out;
    var gammaLook = ch[2].out;

    // ---- the in-chunk memory check, LogUp at gammaMem ---------------------------------------
    signal ir[K * 5];
    signal iw[K * 5];
    signal ii[NC];
    signal ifin[NC];
    var bal = 0;
    for (var k = 0; k < K; k++) {
        var blk = 0;                   // per step, then into bal: see NibbleSums on var sums
        for (var s = 0; s < 5; s++) {
            var tNow = 1 + 5 * k + s;
            var er = stp[k].cell[s] + T32 * val[k][s] + T64 * (tNow - 1 - d[k][s]);
            var ew = stp[k].cell[s] + T32 * stp[k].newVal[s] + T64 * tNow;
            ir[5 * k + s] <-- 1 / (gammaMem - er);
            ir[5 * k + s] * (gammaMem - er) === 1;
            iw[5 * k + s] <-- 1 / (gammaMem - ew);
            iw[5 * k + s] * (gammaMem - ew) === 1;
            blk += iw[5 * k + s] - ir[5 * k + s];
        }
        bal += blk;
    }
    signal eI[NC];
    signal eF[NC];
    for (var i = 0; i < NC; i++) {
        eI[i] <== used[i] * (cell[i] + T32 * vin[i]);
        eF[i] <== used[i] * (cell[i] + T32 * vout[i] + T64 * tlast[i]);
        ii[i] <-- used[i] == 1 ? 1 / (gammaMem - eI[i]) : 0;
        ii[i] * (gammaMem - eI[i]) === used[i];
        ifin[i] <-- used[i] == 1 ? 1 / (gammaMem - eF[i]) : 0;
        ifin[i] * (gammaMem - eF[i]) === used[i];
        bal += ii[i] - ifin[i];
    }
    bal === 0;

    // ---- lookups at theta, gammaLook -------------------------------------------------------
    component look = NibbleSums(NK, NM);
    look.theta <== theta;
    look.gamma <== gammaLook;
    look.m <== m;
    look.mn <== counts.mn;
    signal tY[K][8];
    signal tZ[K][8];
    var kk = 0;
    for (var k = 0; k < K; k++) {
        for (var j = 0; j < 8; j++) {
            tY[k][j] <== theta[0] * stp[k].andT[3 * j + 1];
            tZ[k][j] <== theta[1] * stp[k].andT[3 * j + 2];
            look.key[kk] <== stp[k].andT[3 * j] + tY[k][j] + tZ[k][j] + theta[2];
            kk++;
        }
        for (var j = 0; j < NPLAIN(TB); j++) {
            look.key[kk] <== stp[k].nibKey[j];
            kk++;
        }
    }
    for (var i = 0; i < NC; i++) {
        for (var j = 0; j < 8; j++) {
            look.key[kk] <== vn[8 * i + j];
            kk++;
        }
        for (var j = 0; j < ND; j++) {
            look.key[kk] <== tn[ND * i + j];
            kk++;
        }
    }
    assert(kk == NK);
    look.balance === 0;
}

// The versioned-cells chunk (issue 12; not wired into the network yet): Chunk2Core between two
// state digests, with the public inputs the verifier checks.
//
// Public inputs:
// - sIn, sOut: Poseidon(imageId, t, cycles, pc, halted, exitCode, the io state (6), input
//   position, output position) at the chunk's start and end (t, the chunk's version time, is
//   t + 1 at its end: the next chunk's). Memory and the registers are not in the state: they
//   cross chunk boundaries as versioned cells in the job-wide sum. Binding the io state here is
//   what keeps a chunk from starting inside a transfer that never began (the core's review).
// - imageId; prover (the reward address, bound by being public); cyclesRetired (the
//   instructions it retires);
// - commitment: the core's transcript (C, every step's advice, the last times, the counts,
//   the state in), from which, with every other proof's of the job and their sIn, the
//   verifier derives gammaJob; gammaJob; jobSum, this chunk's share of the job-wide sum at
//   gammaJob, which the verifier adds up with the boundary, input and output proofs' shares.
template Chunk2(K, NC, TB, LOGMEM, MB, NM) {
    signal input sIn;
    signal input sOut;
    signal input imageId;
    signal input prover;
    signal input cyclesRetired;
    signal input commitment;
    signal input gammaJob;
    signal input jobSum;

    signal input t;
    signal input cyclesIn;
    signal input pcIn;
    signal input haltedIn;
    signal input exitIn;
    signal input ioIn[6];
    signal input inPosIn;
    signal input outPosIn;
    signal input val[K][5];
    signal input d[K][5];
    signal input ioN[K];
    signal input ioNew[K];
    signal input isCodeLoad[K];
    signal input used[NC];
    signal input cell[NC];
    signal input vin[NC];
    signal input tin[NC];
    signal input vout[NC];
    signal input tlast[NC];
    signal input m[272];

    // The prover address is a public input; squaring it keeps it in the constraint system.
    signal proverSq <== prover * prover;

    component core = Chunk2Core(K, NC, TB, LOGMEM, MB, NM);
    core.gammaJob <== gammaJob;
    core.t <== t;
    core.pcIn <== pcIn;
    core.haltedIn <== haltedIn;
    core.exitIn <== exitIn;
    core.ioIn <== ioIn;
    core.inPosIn <== inPosIn;
    core.outPosIn <== outPosIn;
    core.val <== val;
    core.d <== d;
    core.ioN <== ioN;
    core.ioNew <== ioNew;
    core.isCodeLoad <== isCodeLoad;
    core.used <== used;
    core.cell <== cell;
    core.vin <== vin;
    core.tin <== tin;
    core.vout <== vout;
    core.tlast <== tlast;
    core.m <== m;

    core.cycles === cyclesRetired;
    core.transcript === commitment;
    core.jobSum === jobSum;

    // the job's cycle count stays below 2^40 (a state's cycles are the sum of its chunks')
    component cycBits = Num2Bits(40);
    cycBits.in <== cyclesIn + cyclesRetired;

    component dIn = StateDigest2();
    dIn.f[0] <== imageId;
    dIn.f[1] <== t;
    dIn.f[2] <== cyclesIn;
    dIn.f[3] <== pcIn;
    dIn.f[4] <== haltedIn;
    dIn.f[5] <== exitIn;
    for (var j = 0; j < 6; j++) dIn.f[6 + j] <== ioIn[j];
    dIn.f[12] <== inPosIn;
    dIn.f[13] <== outPosIn;
    dIn.out === sIn;

    component dOut = StateDigest2();
    dOut.f[0] <== imageId;
    dOut.f[1] <== t + 1;
    dOut.f[2] <== cyclesIn + cyclesRetired;
    dOut.f[3] <== core.pcOut;
    dOut.f[4] <== core.haltedOut;
    dOut.f[5] <== core.exitOut;
    for (var j = 0; j < 6; j++) dOut.f[6 + j] <== core.ioOut[j];
    dOut.f[12] <== core.inPosOut;
    dOut.f[13] <== core.outPosOut;
    dOut.out === sOut;
}

// pad = 1 exactly when fetch = 0 (IsZero's check, with pad given: Chunk2Core needs pad before
// the step that computes fetch).
template PadIsIdle() {
    signal input pad;
    signal input fetch;
    signal inv;
    inv <-- fetch == 0 ? 0 : 1 / fetch;
    pad * fetch === 0;
    fetch * inv === 1 - pad;
}
