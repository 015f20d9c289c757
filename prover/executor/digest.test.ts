import { buildPoseidon } from "circomlibjs";
import { describe, expect, it } from "vitest";
import {
  getPoseidon,
  hash,
  imageId,
  inputDigest,
  inputSuffixDigests,
  merkleRootFromPath,
  MemoryTree,
  outputDigest,
  PAGE_WORDS,
  pageHash,
  pageWords,
} from "./digest.ts";
import { loadElf } from "./elf.ts";
import { exitSeq, li, programElf, xorshift32 } from "./testing.ts";

const prng = xorshift32;

describe("byte digests", () => {
  it("the input digest is the reverse chain D_i = Poseidon(b_i, D_{i+1}), D_n = 0", async () => {
    // computed independently with a fresh circomlibjs instance
    const ref = await buildPoseidon();
    const H = (a: bigint, b: bigint) => ref.F.toObject(ref([a, b]));
    // circomlib's published vector: Poseidon([1, 2])
    expect(H(1n, 2n)).toBe(
      7853200120776062878684798364095072458815029376092732009249414926327459813530n,
    );
    const d3 = 0n;
    const d2 = H(0xffn, d3);
    const d1 = H(0n, d2);
    const d0 = H(7n, d1);
    const bytes = new Uint8Array([7, 0, 0xff]);
    expect(inputSuffixDigests(await getPoseidon(), bytes)).toEqual([d0, d1, d2, d3]);
    expect(await inputDigest(bytes)).toBe(d0);
    expect(await inputDigest(new Uint8Array(0))).toBe(0n);
    // the byte comes first: a different order of the same bytes gives a different digest
    expect(await inputDigest(new Uint8Array([0xff, 0, 7]))).not.toBe(d0);
  });

  it("the output digest is the forward chain d_{i+1} = Poseidon(d_i, b_i), d_0 = 0", async () => {
    const ref = await buildPoseidon();
    const H = (a: bigint, b: bigint) => ref.F.toObject(ref([a, b]));
    const bytes = new Uint8Array([7, 0, 0xff]);
    expect(await outputDigest(bytes)).toBe(H(H(H(0n, 7n), 0n), 0xffn));
    expect(await outputDigest(new Uint8Array(0))).toBe(0n);
    // the two chains differ on the same bytes
    expect(await outputDigest(bytes)).not.toBe(await inputDigest(bytes));
  });
});

describe("paged memory tree", () => {
  /** Root recomputed from scratch: every page hashed, then every level. */
  function naiveRoot(p: Awaited<ReturnType<typeof getPoseidon>>, memory: Uint8Array): bigint {
    let level = Array.from({ length: memory.length / 64 }, (_, g) =>
      pageHash(p, pageWords(memory, g)),
    );
    while (level.length > 1)
      level = Array.from({ length: level.length / 2 }, (_, i) =>
        hash(p, [level[2 * i]!, level[2 * i + 1]!]),
      );
    return level[0]!;
  }

  it("a page leaf is Poseidon of its 16 little-endian words, unsigned", async () => {
    const ref = await buildPoseidon();
    const memory = new Uint8Array(256);
    memory.set([0x01, 0x02, 0x03, 0x84], 64 + 8); // page 1, word 2 = 0x84030201
    const words = pageWords(memory, 1);
    expect(words[2]).toBe(0x84030201);
    const expected = ref.F.toObject(
      ref(Array.from({ length: 16 }, (_, i) => (i === 2 ? 0x84030201n : 0n))),
    );
    expect(pageHash(await getPoseidon(), words)).toBe(expected);
    const tree = MemoryTree.fromMemory(await getPoseidon(), memory);
    expect(tree.depth).toBe(2);
    expect(tree.leaf(1)).toBe(expected);
    const zero = ref.F.toObject(ref(new Array(16).fill(0n)));
    expect(tree.leaf(0)).toBe(zero);
    const H = (a: bigint, b: bigint) => ref.F.toObject(ref([a, b]));
    expect(tree.root()).toBe(H(H(zero, expected), H(zero, zero)));
  });

  it("matches a full recomputation after random page updates; paths lead to the root", async () => {
    const p = await getPoseidon();
    const rand = prng(12345);
    const memory = new Uint8Array(2048); // 32 pages, depth 5
    for (let i = 0; i < 40; i++) memory[rand() % memory.length] = rand() & 255;
    const tree = MemoryTree.fromMemory(p, memory);
    expect(tree.root()).toBe(naiveRoot(p, memory));
    for (let step = 0; step < 25; step++) {
      const g = rand() % 32;
      // a quarter of the updates clear the page again
      const words =
        step % 4 === 3
          ? new Uint32Array(PAGE_WORDS)
          : Uint32Array.from({ length: PAGE_WORDS }, () => (rand() & 1 ? rand() : 0));
      tree.updatePage(g, words);
      memory.set(new Uint8Array(words.buffer), g * 64);
      expect(tree.root()).toBe(naiveRoot(p, memory));
      const q = rand() % 32;
      const siblings = tree.siblings(q);
      expect(siblings.length).toBe(5);
      expect(merkleRootFromPath(p, pageHash(p, pageWords(memory, q)), q, siblings)).toBe(
        tree.root(),
      );
      expect(merkleRootFromPath(p, tree.leaf(q) + 1n, q, siblings)).not.toBe(tree.root());
    }
  });

  it("refuses memory sizes that are not a power of two of at least 128 bytes", async () => {
    const p = await getPoseidon();
    for (const size of [0, 64, 100, 192, 1000, 3 << 12])
      expect(() => new MemoryTree(p, size)).toThrow(RangeError);
    expect(new MemoryTree(p, 128).depth).toBe(1);
    const t = new MemoryTree(p, 1024);
    expect(() => t.updatePage(16, new Uint32Array(16))).toThrow(RangeError);
    expect(() => t.updatePage(-1, new Uint32Array(16))).toThrow(RangeError);
    expect(() => t.updatePage(0, new Uint32Array(15))).toThrow(RangeError);
  });

  it("the image ID commits to entry, memory size, code range and the paged root", async () => {
    const p = await getPoseidon();
    const image = loadElf(programElf([...li(10, 3), ...exitSeq()])); // 5 instructions
    const root = MemoryTree.fromMemory(p, image.memory).root();
    expect(await imageId(image)).toBe(
      hash(p, [1n, 0x1000n, BigInt(1 << 20), 0x1000n, BigInt(0x1000 + 20), root]),
    );
  });
});
