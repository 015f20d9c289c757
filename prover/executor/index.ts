/** The zkVM executor: ELF loading, RV32IM interpretation, digests and continuations. */
export * from "./elf.ts";
export * from "./trap.ts";
export * from "./execute.ts";
export * from "./digest.ts";
export * from "./chunks.ts";
