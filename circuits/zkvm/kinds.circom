pragma circom 2.2.0;

// Instruction kinds of the RV32IM chunk circuit. Every step has exactly one kind (a one-hot
// flag vector); the decode constraints in step.circom tie the kind to the instruction word.
//
//  0 IDLE   no instruction (padding after the exit or at the end of a short chunk)
//  1 LUI  2 AUIPC  3 JAL  4 JALR
//  5 BEQ  6 BNE  7 BLT  8 BGE  9 BLTU  10 BGEU
// 11 LB  12 LH  13 LW  14 LBU  15 LHU      16 SB  17 SH  18 SW
// 19 ADDI 20 SLTI 21 SLTIU 22 XORI 23 ORI 24 ANDI 25 SLLI 26 SRLI 27 SRAI
// 28 ADD 29 SUB 30 SLL 31 SLT 32 SLTU 33 XOR 34 SRL 35 SRA 36 OR 37 AND
// 38 MUL 39 MULH 40 MULHSU 41 MULHU 42 DIV 43 DIVU 44 REM 45 REMU
// 46 FENCE
// 47 EXIT  ecall with a7 = 93
// 48 SYSA  first step of a read/write ecall (reads a7, a0 = fd, a2 = len)
// 49 SYSB  second step of that ecall (reads a1 = buf, moves at most one byte, writes a0;
//          in step2.circom: a transfer step of a whole-buffer call, see its header)

function NKINDS() { return 50; }

// Major opcode of each kind (IDLE: 0, the word 0 is not an instruction).
function OPC() {
    return [0, 0x37, 0x17, 0x6f, 0x67,
            0x63, 0x63, 0x63, 0x63, 0x63, 0x63,
            0x03, 0x03, 0x03, 0x03, 0x03, 0x23, 0x23, 0x23,
            0x13, 0x13, 0x13, 0x13, 0x13, 0x13, 0x13, 0x13, 0x13,
            0x33, 0x33, 0x33, 0x33, 0x33, 0x33, 0x33, 0x33, 0x33, 0x33,
            0x33, 0x33, 0x33, 0x33, 0x33, 0x33, 0x33, 0x33,
            0x0f, 0x73, 0x73, 0x73];
}

// funct3 of each kind, -1 where the kind has none (or the whole word is fixed).
function F3() {
    return [-1, -1, -1, -1, 0,
            0, 1, 4, 5, 6, 7,
            0, 1, 2, 4, 5, 0, 1, 2,
            0, 2, 3, 4, 6, 7, 1, 5, 5,
            0, 0, 1, 2, 3, 4, 5, 5, 6, 7,
            0, 1, 2, 3, 4, 5, 6, 7,
            0, -1, -1, -1];
}

// funct7 of each kind, -1 where the kind has none.
function F7() {
    return [-1, -1, -1, -1, -1,
            -1, -1, -1, -1, -1, -1,
            -1, -1, -1, -1, -1, -1, -1, -1,
            -1, -1, -1, -1, -1, -1, 0, 0, 0x20,
            0, 0x20, 0, 0, 0, 0, 0, 0x20, 0, 0,
            1, 1, 1, 1, 1, 1, 1, 1,
            -1, -1, -1, -1];
}

// Witness hint: the kind of a step (the constraints, not this function, decide validity).
// An instruction with no kind returns 0 (IDLE), which its non-zero word then contradicts.
function kindOf(instr, a7, prevSysA) {
    if (prevSysA == 1) return 49;
    if (instr == 0x73) {
        if (a7 == 93) return 47;
        return 48;
    }
    var opc[50] = OPC();
    var f3[50] = F3();
    var f7[50] = F7();
    var o = instr & 0x7f;
    var g3 = (instr >> 12) & 7;
    var g7 = (instr >> 25) & 0x7f;
    for (var k = 1; k < 47; k++) {
        if (opc[k] == o && (f3[k] == -1 || f3[k] == g3) && (f7[k] == -1 || f7[k] == g7)) {
            return k;
        }
    }
    return 0;
}

// Witness hint: quotient (wantQ = 1) or remainder of RISC-V DIV/DIVU/REM/REMU on unsigned
// 32-bit representatives a, b.
function divHint(a, b, signed, wantQ) {
    var M = 4294967296;
    if (b == 0) {
        if (wantQ == 1) return M - 1;
        return a;
    }
    var na = 0;
    var nb = 0;
    var ma = a;
    var mb = b;
    if (signed == 1) {
        if (a >= 2147483648) { na = 1; ma = M - a; }
        if (b >= 2147483648) { nb = 1; mb = M - b; }
        if (a == 2147483648 && b == M - 1) {
            if (wantQ == 1) return a;
            return 0;
        }
    }
    var q = ma \ mb;
    var r = ma % mb;
    if (na != nb && q != 0) q = M - q;
    if (na == 1 && r != 0) r = M - r;
    if (wantQ == 1) return q;
    return r;
}
