/**
 * The delegator stake check's bounds. The chain is replaced here by a stub `readContract` that
 * counts calls (a mock inside a test of the cache and the lookup budget; the real contract
 * read runs in test/soak.test.ts against a devnet, where a staked delegator skips the
 * newcomers' pool).
 */
import type { Address, PublicClient } from "viem";
import { describe, expect, it } from "vitest";
import { StakeCheck } from "./stake-check.ts";

const addr = (i: number) => `0x${i.toString(16).padStart(40, "0")}` as Address;

function stub(stakes: Map<string, bigint>, fail = false) {
  let calls = 0;
  const client = {
    readContract: async ({ args }: { args: [Address] }) => {
      calls++;
      if (fail) throw new Error("connection refused");
      return stakes.get(args[0].toLowerCase()) ?? 0n;
    },
  } as unknown as PublicClient;
  return { client, calls: () => calls };
}

describe("StakeCheck", () => {
  it("answers from Staking.stakeOf against the minimum, cached per address", async () => {
    let now = 0;
    const stakes = new Map([[addr(1), 10n ** 17n]]);
    const { client, calls } = stub(stakes);
    const c = new StakeCheck({
      publicClient: client,
      staking: addr(99),
      minStake: 10n ** 17n,
      ttlMs: 1000,
      now: () => now,
    });
    expect(await c.staked(addr(1))).toBe(true);
    expect(await c.staked(addr(2))).toBe(false);
    expect(await c.staked(addr(1))).toBe(true);
    expect(calls()).toBe(2);
    // Unstaking shows after the cache's lifetime.
    stakes.set(addr(1), 10n ** 17n - 1n);
    now = 1001;
    expect(await c.staked(addr(1))).toBe(false);
    expect(calls()).toBe(3);
  });

  it("attack: a flood of fresh keys costs a bounded number of chain reads and gets nobody more", async () => {
    const { client, calls } = stub(new Map([[addr(7), 10n ** 18n]]));
    const c = new StakeCheck({
      publicClient: client,
      staking: addr(99),
      minStake: 10n ** 17n,
      lookups: { rate: 10, burst: 20 },
      now: () => 0,
    });
    expect(await c.staked(addr(7))).toBe(true); // known before the flood: cached
    const answers = await Promise.all(
      Array.from({ length: 10_000 }, (_, i) => c.staked(addr(1000 + i))),
    );
    expect(answers.every((a) => a === false)).toBe(true);
    expect(calls()).toBe(20); // the burst, and no more at this instant
    expect(await c.staked(addr(7))).toBe(true); // the staked delegator is unaffected
  });

  it("treats an unreadable chain as not staked (the newcomers' rules), without caching it", async () => {
    const { client, calls } = stub(new Map(), true);
    const c = new StakeCheck({ publicClient: client, staking: addr(99), minStake: 1n });
    expect(await c.staked(addr(1))).toBe(false);
    expect(await c.staked(addr(1))).toBe(false);
    expect(calls()).toBe(2);
  });
});
