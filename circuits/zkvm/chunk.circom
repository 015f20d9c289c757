pragma circom 2.2.0;

include "circomlib/circuits/poseidon.circom";
include "circomlib/circuits/bitify.circom";
include "step.circom";

// The RV32IM chunk circuit: K steps of the zkVM from state digest sIn to sOut.
//
// Public inputs: sIn, sOut, imageId, prover (the reward address; bound by being public) and
// cyclesRetired (instructions this chunk retires, so the chain pays provers per cycle).
// Parameters: K steps, P memory pages (64 bytes each) touched per chunk, IO input and output
// bytes per chunk, M = log2 of the memory size. Encodings follow prover/executor/digest.ts.
//
// Memory checking (see circuits/zkvm/README.md for the alternatives and their costs):
// - Registers and the words of the touched pages are the chunk's memory: the initial set I
//   holds (cell, value, 0) for each of them, taken from sIn's registers and from pages opened
//   against sIn's memory root; the final set F holds (cell, value, last write time), whose
//   values make sOut's registers and, through sequential Merkle updates, its memory root.
// - Each step reads and writes five slots; R collects the reads (cell, value, t_prev) and W
//   the writes (cell, new value, t_now), t_prev < t_now. I + W = R + F as multisets,
//   fingerprinted at gamma, proves every read returns the last value written.
// - gamma is Poseidon over everything the prover chose before it: sIn, sOut, the page
//   indices, every read value and time (one packed element per step) and F's times. The other
//   values are fixed by those (hash openings, determinism of the step constraints).
// - Input bytes and output bytes move through two queues checked with powers of gamma
//   against per-chunk slots, which are hashed into the input/output digests.

function bitsFor(x) {
    var n = 0;
    while ((1 << n) <= x) n++;
    return n;
}

// Poseidon(Poseidon(x1..x16), Poseidon(x17..x31)).
template RegistersHash() {
    signal input x[32];
    signal output out;
    component h1 = Poseidon(16);
    component h2 = Poseidon(15);
    for (var i = 0; i < 16; i++) h1.inputs[i] <== x[1 + i];
    for (var i = 0; i < 15; i++) h2.inputs[i] <== x[17 + i];
    component h = Poseidon(2);
    h.inputs[0] <== h1.out;
    h.inputs[1] <== h2.out;
    out <== h.out;
}

// State digest = Poseidon(core, outDigest, status), core = Poseidon(imageId, inRem, pc,
// registersHash, memRoot, inPos), status = halted + 2 exitCode + 2^33 cycles. The split lets a
// contract open a final state's result (output digest, exit code, cycles) with one Poseidon(3);
// status is unambiguous because callers keep halted boolean, exitCode < 2^32, cycles < 2^41.
// (Both hashes fit circomlibjs's Poseidon contracts, which stop at 6 inputs in practice.)
template StateDigest() {
    signal input imageId;
    signal input inRem;
    signal input pc;
    signal input regs[32];
    signal input memRoot;
    signal input inPos;
    signal input outDigest;
    signal input cycles;
    signal input halted;
    signal input exitCode;
    signal output out;
    component rh = RegistersHash();
    rh.x <== regs;
    component core = Poseidon(6);
    core.inputs[0] <== imageId;
    core.inputs[1] <== inRem;
    core.inputs[2] <== pc;
    core.inputs[3] <== rh.out;
    core.inputs[4] <== memRoot;
    core.inputs[5] <== inPos;
    component h = Poseidon(3);
    h.inputs[0] <== core.out;
    h.inputs[1] <== outDigest;
    h.inputs[2] <== halted + 2 * exitCode + (1 << 33) * cycles;
    out <== h.out;
}

// Roots of a leaf's old and new value under the same path (index bits are range-checked).
template MerkleUpdate(D) {
    signal input index;
    signal input oldLeaf;
    signal input newLeaf;
    signal input sib[D];
    signal output oldRoot;
    signal output newRoot;
    component bits = Num2Bits(D);
    bits.in <== index;
    signal co[D + 1];
    signal cn[D + 1];
    signal lo[D];
    signal ln[D];
    component ho[D];
    component hn[D];
    co[0] <== oldLeaf;
    cn[0] <== newLeaf;
    for (var j = 0; j < D; j++) {
        lo[j] <== co[j] + bits.out[j] * (sib[j] - co[j]);
        ln[j] <== cn[j] + bits.out[j] * (sib[j] - cn[j]);
        ho[j] = Poseidon(2);
        ho[j].inputs[0] <== lo[j];
        ho[j].inputs[1] <== co[j] + sib[j] - lo[j];
        hn[j] = Poseidon(2);
        hn[j].inputs[0] <== ln[j];
        hn[j].inputs[1] <== cn[j] + sib[j] - ln[j];
        co[j + 1] <== ho[j].out;
        cn[j + 1] <== hn[j].out;
    }
    oldRoot <== co[D];
    newRoot <== cn[D];
}

// prod_i (gamma - x[i])
template Fingerprint(N) {
    signal input gamma;
    signal input x[N];
    signal output out;
    signal acc[N];
    acc[0] <== gamma - x[0];
    for (var i = 1; i < N; i++) acc[i] <== acc[i - 1] * (gamma - x[i]);
    out <== acc[N - 1];
}

template Chunk(K, P, IO, M) {
    var D = M - 6;                 // page tree depth (64-byte pages)
    var TB = bitsFor(5 * K);         // timestamp bits: t in [0, 5K]
    var T20 = 1 << 20;             // tuple = cell + 2^20 value + 2^52 time
    var T52 = 1 << 52;
    assert(TB <= 16);
    assert(P >= 2);

    signal input sIn;
    signal input sOut;
    signal input imageId;
    signal input prover;
    signal input cyclesRetired;

    signal input entry;
    signal input codeStart;
    signal input codeEnd;
    signal input initRoot;
    signal input pcIn;
    signal input regsIn[32];
    signal input memRootIn;
    signal input inRemIn;
    signal input inPosIn;
    signal input outDigIn;
    signal input cyclesIn;
    signal input haltedIn;
    signal input exitIn;
    signal input regsOut[32];
    signal input regsTF[32];
    signal input inRemOut;
    signal input pageUsed[P];
    signal input pageIndex[P];
    signal input pageBefore[P][16];
    signal input pageAfter[P][16];
    signal input pageTF[P][16];
    signal input pageSib[P][D];
    signal input val[K][5];
    signal input d[K][5];
    signal input inVal[K];
    signal input inSlot[IO];
    signal input outSlot[IO];

    // The prover address is a public input; squaring it keeps it in the constraint system.
    signal proverSq <== prover * prover;

    // ---- image and code range ------------------------------------------------------------
    component img = Poseidon(6);
    img.inputs[0] <== 1;
    img.inputs[1] <== entry;
    img.inputs[2] <== 1 << M;
    img.inputs[3] <== codeStart;
    img.inputs[4] <== codeEnd;
    img.inputs[5] <== initRoot;
    img.out === imageId;
    component csb = Num2Bits(M - 2);
    csb.in <== codeStart * (1 / 4);
    component ceb = Num2Bits(M - 2);
    ceb.in <== codeEnd * (1 / 4);

    // ---- state in ------------------------------------------------------------------------
    regsIn[0] === 0;
    haltedIn * (haltedIn - 1) === 0;
    component exitInBits = Num2Bits(32);   // the status word's fields stay in range
    exitInBits.in <== exitIn;
    component cyclesInBits = Num2Bits(40);
    cyclesInBits.in <== cyclesIn;
    component din = StateDigest();
    din.imageId <== imageId;
    din.inRem <== inRemIn;
    din.pc <== pcIn;
    din.regs <== regsIn;
    din.memRoot <== memRootIn;
    din.inPos <== inPosIn;
    din.outDigest <== outDigIn;
    din.cycles <== cyclesIn;
    din.halted <== haltedIn;
    din.exitCode <== exitIn;
    din.out === sIn;

    // ---- steps ---------------------------------------------------------------------------
    component st[K];
    signal pcs[K + 1];
    signal halts[K + 1];
    signal exits[K + 1];
    pcs[0] <== pcIn;
    halts[0] <== haltedIn;
    exits[0] <== exitIn;
    var cycles = cyclesIn;
    var inCount = 0;
    var outCount = 0;
    for (var k = 0; k < K; k++) {
        st[k] = Step(M, TB);
        st[k].t0 <== 1 + 5 * k;
        st[k].codeStart <== codeStart;
        st[k].codeEnd <== codeEnd;
        st[k].pc <== pcs[k];
        st[k].halted <== halts[k];
        st[k].exitIn <== exits[k];
        if (k == 0) {
            st[k].prevSysA <== 0;
            st[k].prevIsRead <== 0;
            st[k].prevGo <== 0;
            st[k].prevFdOk <== 0;
            st[k].prevFd1 <== 0;
        } else {
            st[k].prevSysA <== st[k - 1].sysA;
            st[k].prevIsRead <== st[k - 1].isRead;
            st[k].prevGo <== st[k - 1].go;
            st[k].prevFdOk <== st[k - 1].fdOk;
            st[k].prevFd1 <== st[k - 1].fd1;
        }
        st[k].val <== val[k];
        st[k].d <== d[k];
        st[k].inVal <== inVal[k];
        pcs[k + 1] <== st[k].nextPc;
        halts[k + 1] <== st[k].nextHalted;
        exits[k + 1] <== st[k].nextExit;
        cycles += st[k].cycInc;
        inCount += st[k].inEvent;
        outCount += st[k].outEvent;
    }
    st[K - 1].sysA === 0;          // an ecall's two steps stay in one chunk

    // ---- registers out ---------------------------------------------------------------------
    regsOut[0] === 0;
    component rob[32];
    component rtb[32];
    for (var c = 0; c < 32; c++) {
        rob[c] = Num2Bits(32);
        rob[c].in <== regsOut[c];
        rtb[c] = Num2Bits(TB);
        rtb[c].in <== regsTF[c];
    }

    // ---- pages: sequential Merkle updates from memRootIn ---------------------------------------
    signal root[P + 1];
    root[0] <== memRootIn;
    component leafOld[P];
    component leafNew[P];
    component mu[P];
    component asc[P];
    component pab[P][16];
    component ptb[P][16];
    signal ascIn[P];
    for (var s = 0; s < P; s++) {
        pageUsed[s] * (pageUsed[s] - 1) === 0;
        if (s > 0) {
            pageUsed[s] * (1 - pageUsed[s - 1]) === 0;
            ascIn[s] <== pageUsed[s] * (pageIndex[s] - pageIndex[s - 1] - 1);
        } else {
            ascIn[s] <== 0;
        }
        asc[s] = Num2Bits(D);      // strictly increasing indices: no page twice
        asc[s].in <== ascIn[s];
        leafOld[s] = Poseidon(16);
        leafNew[s] = Poseidon(16);
        for (var i = 0; i < 16; i++) {
            leafOld[s].inputs[i] <== pageBefore[s][i];
            leafNew[s].inputs[i] <== pageAfter[s][i];
            pab[s][i] = Num2Bits(32);
            pab[s][i].in <== pageAfter[s][i];
            ptb[s][i] = Num2Bits(TB);
            ptb[s][i].in <== pageTF[s][i];
        }
        // An unused slot holds zeros, so that no input is left free.
        (1 - pageUsed[s]) * pageIndex[s] === 0;
        for (var i = 0; i < 16; i++) {
            (1 - pageUsed[s]) * pageBefore[s][i] === 0;
            (1 - pageUsed[s]) * pageAfter[s][i] === 0;
            (1 - pageUsed[s]) * pageTF[s][i] === 0;
        }
        for (var j = 0; j < D; j++) (1 - pageUsed[s]) * pageSib[s][j] === 0;
        mu[s] = MerkleUpdate(D);
        mu[s].index <== pageIndex[s];
        mu[s].oldLeaf <== leafOld[s].out;
        mu[s].newLeaf <== leafNew[s].out;
        mu[s].sib <== pageSib[s];
        pageUsed[s] * (mu[s].oldRoot - root[s]) === 0;
        root[s + 1] <== root[s] + pageUsed[s] * (mu[s].newRoot - root[s]);
    }

    // ---- transcript and gamma --------------------------------------------------------------------
    var perP = 250 \ (D + 1);
    var perT = 250 \ TB;
    var nPP = (P + perP - 1) \ perP;
    var nRT = (32 + perT - 1) \ perT;
    var nPT = (16 * P + perT - 1) \ perT;
    var NE = 2 + nPP + nRT + nPT + K;
    var el[NE];
    for (var i = 0; i < NE; i++) el[i] = 0;
    el[0] = sIn;
    el[1] = sOut;
    var o = 2;
    for (var s = 0; s < P; s++) {
        el[o + s \ perP] += (pageIndex[s] + pageUsed[s] * (1 << D)) * (1 << ((D + 1) * (s % perP)));
    }
    o += nPP;
    for (var c = 0; c < 32; c++) el[o + c \ perT] += regsTF[c] * (1 << (TB * (c % perT)));
    o += nRT;
    for (var s = 0; s < P; s++) {
        for (var i = 0; i < 16; i++) {
            var t = 16 * s + i;
            el[o + t \ perT] += pageTF[s][i] * (1 << (TB * (t % perT)));
        }
    }
    o += nPT;
    for (var k = 0; k < K; k++) el[o + k] = st[k].e;
    var NB = (NE + 14) \ 15;
    component th[NB];
    signal tr[NB + 1];
    tr[0] <== 0;
    for (var j = 0; j < NB; j++) {
        th[j] = Poseidon(16);
        th[j].inputs[0] <== tr[j];
        for (var i = 0; i < 15; i++) {
            if (15 * j + i < NE) {
                th[j].inputs[1 + i] <== el[15 * j + i];
            } else {
                th[j].inputs[1 + i] <== 0;
            }
        }
        tr[j + 1] <== th[j].out;
    }
    signal gamma <== tr[NB];

    // ---- multiset check: I + W = R + F -----------------------------------------------------------
    component fI = Fingerprint(32);
    component fF = Fingerprint(32);
    fI.gamma <== gamma;
    fF.gamma <== gamma;
    for (var c = 0; c < 32; c++) {
        fI.x[c] <== c + T20 * regsIn[c];
        fF.x[c] <== c + T20 * regsOut[c] + T52 * regsTF[c];
    }
    component pI[P];
    component pF[P];
    signal selI[P];
    signal selF[P];
    signal accI[P + 1];
    signal accF[P + 1];
    accI[0] <== fI.out;
    accF[0] <== fF.out;
    for (var s = 0; s < P; s++) {
        pI[s] = Fingerprint(16);
        pF[s] = Fingerprint(16);
        pI[s].gamma <== gamma;
        pF[s].gamma <== gamma;
        for (var i = 0; i < 16; i++) {
            pI[s].x[i] <== 32 + 16 * pageIndex[s] + i + T20 * pageBefore[s][i];
            pF[s].x[i] <== 32 + 16 * pageIndex[s] + i + T20 * pageAfter[s][i] + T52 * pageTF[s][i];
        }
        selI[s] <== 1 + pageUsed[s] * (pI[s].out - 1);
        selF[s] <== 1 + pageUsed[s] * (pF[s].out - 1);
        accI[s + 1] <== accI[s] * selI[s];
        accF[s + 1] <== accF[s] * selF[s];
    }
    component fR = Fingerprint(5 * K);
    component fW = Fingerprint(5 * K);
    fR.gamma <== gamma;
    fW.gamma <== gamma;
    for (var k = 0; k < K; k++) {
        for (var s = 0; s < 5; s++) {
            var tNow = 1 + 5 * k + s;
            fR.x[5 * k + s] <== st[k].cell[s] + T20 * val[k][s] + T52 * (tNow - 1 - d[k][s]);
            fW.x[5 * k + s] <== st[k].cell[s] + T20 * st[k].newVal[s] + T52 * tNow;
        }
    }
    signal lhs <== accI[P] * fW.out;
    lhs === fR.out * accF[P];

    // ---- input and output queues -------------------------------------------------------------
    signal gp[IO + 1];
    gp[0] <== 1;
    for (var j = 0; j < IO; j++) gp[j + 1] <== gp[j] * gamma;

    signal inPow[K + 1];
    signal inAcc[K + 1];
    signal outPow[K + 1];
    signal outAcc[K + 1];
    signal inEp[K];
    signal outEp[K];
    inPow[0] <== 1;
    inAcc[0] <== 0;
    outPow[0] <== 1;
    outAcc[0] <== 0;
    for (var k = 0; k < K; k++) {
        inEp[k] <== st[k].inEvent * inPow[k];
        inAcc[k + 1] <== inAcc[k] + inEp[k] * inVal[k];
        inPow[k + 1] <== inPow[k] + inEp[k] * (gamma - 1);
        outEp[k] <== st[k].outEvent * outPow[k];
        outAcc[k + 1] <== outAcc[k] + outEp[k] * st[k].outByte;
        outPow[k + 1] <== outPow[k] + outEp[k] * (gamma - 1);
    }

    signal inUsed[IO];
    signal outUsed[IO];
    signal inT[IO];
    signal outT[IO];
    component inb[IO];
    component outb[IO];
    var inUsedSum = 0;
    var outUsedSum = 0;
    var inSlots = 0;
    var outSlots = 0;
    for (var j = 0; j < IO; j++) {
        inUsed[j] <-- j < inCount ? 1 : 0;
        outUsed[j] <-- j < outCount ? 1 : 0;
        inUsed[j] * (inUsed[j] - 1) === 0;
        outUsed[j] * (outUsed[j] - 1) === 0;
        if (j > 0) {
            inUsed[j] * (1 - inUsed[j - 1]) === 0;
            outUsed[j] * (1 - outUsed[j - 1]) === 0;
        }
        (1 - inUsed[j]) * inSlot[j] === 0;
        (1 - outUsed[j]) * outSlot[j] === 0;
        inUsedSum += inUsed[j];
        outUsedSum += outUsed[j];
        inb[j] = Num2Bits(9);
        inb[j].in <== inSlot[j];
        outb[j] = Num2Bits(8);
        outb[j].in <== outSlot[j];
        inT[j] <== gp[j] * inSlot[j];
        outT[j] <== gp[j] * outSlot[j];
        inSlots += inT[j];
        outSlots += outT[j];
    }
    inUsedSum === inCount;
    outUsedSum === outCount;
    inAcc[K] === inSlots;
    outAcc[K] === outSlots;

    // input: reverse chain D_i = Poseidon(byte_i, D_{i+1}); a read at the end needs D = 0.
    signal X[IO + 1];
    signal consumed[IO];
    signal xs[IO];
    component hin[IO];
    X[IO] <== inRemOut;
    var inPosOut = inPosIn;
    for (var j = IO - 1; j >= 0; j--) {
        var byte = 0;
        for (var i = 0; i < 8; i++) byte += inb[j].out[i] * (1 << i);
        consumed[j] <== inUsed[j] * inb[j].out[8];
        hin[j] = Poseidon(2);
        hin[j].inputs[0] <== byte;
        hin[j].inputs[1] <== X[j + 1];
        xs[j] <== consumed[j] * (hin[j].out - X[j + 1]);
        X[j] <== X[j + 1] + xs[j];
        (inUsed[j] - consumed[j]) * X[j + 1] === 0;
        inPosOut += consumed[j];
    }
    X[0] === inRemIn;

    // output: forward chain d_{i+1} = Poseidon(d_i, byte_i)
    signal O[IO + 1];
    signal os[IO];
    component hout[IO];
    O[0] <== outDigIn;
    for (var j = 0; j < IO; j++) {
        hout[j] = Poseidon(2);
        hout[j].inputs[0] <== O[j];
        hout[j].inputs[1] <== outSlot[j];
        os[j] <== outUsed[j] * (hout[j].out - O[j]);
        O[j + 1] <== O[j] + os[j];
    }

    // ---- state out ------------------------------------------------------------------------------
    component dout = StateDigest();
    dout.imageId <== imageId;
    dout.inRem <== inRemOut;
    dout.pc <== pcs[K];
    dout.regs <== regsOut;
    dout.memRoot <== root[P];
    dout.inPos <== inPosOut;
    dout.outDigest <== O[IO];
    dout.cycles <== cycles;
    dout.halted <== halts[K];
    dout.exitCode <== exits[K];
    dout.out === sOut;
    cyclesRetired === cycles - cyclesIn;
    component exitOutBits = Num2Bits(32);
    exitOutBits.in <== exits[K];
}
