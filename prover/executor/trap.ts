/** Why a guest run stopped abnormally. */
export type TrapCause =
  | "misaligned-access"
  | "misaligned-jump"
  | "access-fault"
  | "illegal-instruction"
  | "ebreak"
  | "fetch-outside-code"
  | "store-to-code"
  | "unknown-syscall"
  | "cycle-limit";

/**
 * A trap ends a guest run. It carries the pc of the faulting instruction, its 32-bit
 * instruction word (0 when the fetch itself failed), the cause, and the cycles retired
 * before it.
 */
export class Trap extends Error {
  override readonly name = "Trap";
  constructor(
    override readonly cause: TrapCause,
    readonly pc: number,
    readonly instruction: number,
    readonly cycles: number,
    detail = "",
  ) {
    super(
      `trap ${cause} at pc=0x${(pc >>> 0).toString(16).padStart(8, "0")} ` +
        `instruction=0x${(instruction >>> 0).toString(16).padStart(8, "0")}` +
        (detail ? `: ${detail}` : ""),
    );
  }
}
