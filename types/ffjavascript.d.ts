// Minimal type declarations for the parts of ffjavascript (snarkjs's curve library) we use.
declare module "ffjavascript" {
  export type FrElement = Uint8Array;
  export type FieldElement = Uint8Array;
  export type PointBytes = Uint8Array;

  export interface WasmField {
    n8: number;
    p: bigint;
    zero: FieldElement;
    one: FieldElement;
    w: FieldElement[];
    s: number;
    e(v: bigint | number | string): FieldElement;
    add(a: FieldElement, b: FieldElement): FieldElement;
    sub(a: FieldElement, b: FieldElement): FieldElement;
    mul(a: FieldElement, b: FieldElement): FieldElement;
    neg(a: FieldElement): FieldElement;
    inv(a: FieldElement): FieldElement;
    div(a: FieldElement, b: FieldElement): FieldElement;
    exp(a: FieldElement, e: bigint | number | FieldElement): FieldElement;
    eq(a: FieldElement, b: FieldElement): boolean;
    isZero(a: FieldElement): boolean;
    toObject(a: FieldElement): bigint;
    fromObject(a: bigint): FieldElement;
    fromRng(rng: ChaCha): FieldElement;
    toRprLE(buff: Uint8Array, pos: number, a: FieldElement): void;
    fromRprLE(buff: Uint8Array, pos?: number): FieldElement;
    batchInverse(a: FieldElement[]): Promise<FieldElement[]>;
    toString(a: FieldElement, radix?: number): string;
  }

  export interface WasmGroup {
    F: WasmField & { n8: number };
    g: PointBytes;
    zero: PointBytes;
    zeroAffine: PointBytes;
    timesFr(p: PointBytes, s: FrElement): PointBytes;
    timesScalar(p: PointBytes, s: bigint | number): PointBytes;
    add(a: PointBytes, b: PointBytes): PointBytes;
    sub(a: PointBytes, b: PointBytes): PointBytes;
    fromRng(rng: ChaCha): PointBytes;
    neg(a: PointBytes): PointBytes;
    eq(a: PointBytes, b: PointBytes): boolean;
    isZero(a: PointBytes): boolean;
    toAffine(p: PointBytes): PointBytes;
    fromObject(o: unknown): PointBytes;
    toObject(p: PointBytes): bigint[] | bigint[][];
    toRprLEM(buff: Uint8Array, pos: number, p: PointBytes): void;
    toRprUncompressed(buff: Uint8Array, pos: number, p: PointBytes): void;
    fromRprUncompressed(buff: Uint8Array, pos: number): PointBytes;
    batchToAffine(buff: Uint8Array): Promise<Uint8Array>;
    batchLEMtoU(buff: Uint8Array): Promise<Uint8Array>;
    multiExpAffine(
      points: Uint8Array,
      scalars: Uint8Array,
      logger?: unknown,
      name?: string,
    ): Promise<PointBytes>;
  }

  export interface Bn128Curve {
    name: string;
    Fr: WasmField;
    F1: WasmField;
    F2: WasmField;
    G1: WasmGroup;
    G2: WasmGroup;
    pairingEq(...args: PointBytes[]): Promise<boolean>;
    terminate(): Promise<void>;
  }

  export class ChaCha {
    constructor(seed: number[]);
    nextU32(): number;
  }

  export function buildBn128(singleThread?: boolean, plugins?: unknown): Promise<Bn128Curve>;
  export const utils: {
    unstringifyBigInts(o: unknown): unknown;
    stringifyBigInts(o: unknown): unknown;
  };
}

declare module "@iden3/binfileutils" {
  export interface BinFd {
    pos: number;
    write(buff: Uint8Array): Promise<void>;
    close(): Promise<void>;
  }
  export type Sections = { p: number; size: number }[][];
  export function readBinFile(
    fileName: string,
    type: string,
    maxVersion: number,
  ): Promise<{ fd: BinFd; sections: Sections }>;
  export function createBinFile(
    fileName: string,
    type: string,
    version: number,
    nSections: number,
  ): Promise<BinFd>;
  export function startWriteSection(fd: BinFd, idSection: number): Promise<void>;
  export function endWriteSection(fd: BinFd): Promise<void>;
  export function readSection(
    fd: BinFd,
    sections: Sections,
    idSection: number,
    offset?: number,
    length?: number,
  ): Promise<Uint8Array>;
  export function copySection(
    fdFrom: BinFd,
    sections: Sections,
    fdTo: BinFd,
    sectionId: number,
  ): Promise<void>;
}

declare module "wasmbuilder" {
  export class ModuleBuilder {
    setMemory(pages: number): void;
    build(): Uint8Array<ArrayBuffer>;
  }
}

declare module "wasmcurves" {
  import type { ModuleBuilder } from "wasmbuilder";
  export function buildBn128(builder: ModuleBuilder): void;
}

declare module "circomlibjs" {
  export interface Poseidon {
    (inputs: (bigint | number)[]): Uint8Array;
    F: { toObject(a: Uint8Array): bigint; e(v: bigint | number): Uint8Array };
  }
  export function buildPoseidon(): Promise<Poseidon>;
}
