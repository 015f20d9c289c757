/**
 * Whether a delegator has stake behind its key: `Staking.stakeOf(a) >= minStake`, read from the
 * chain. Fresh keys cost nothing, so the scheduler gives an unstaked key with no accepted proof
 * a single lease from a small pool shared by all such keys (see scheduler.ts, "newcomers"); a
 * staked key leases freely up to the per-node cap. Staking is the cost of skipping that queue:
 * a thousand hoarding keys need a thousand stakes (locked for the unbonding delay to move).
 *
 * Answers are cached for `ttlMs` (default 60 s) per address, at most `maxEntries`. Addresses
 * not in the cache are looked up at most `lookups.rate` per second (burst `lookups.burst`)
 * across all callers; past that, or when the RPC fails, the answer is "not staked" for now
 * (not cached): a flood of fresh keys costs the RPC node a bounded number of calls and can only
 * push other unknown keys into the newcomers' pool, never give anyone more.
 */
import type { Address, PublicClient } from "viem";
import { artifactAbi } from "../client/chain.ts";
import { RateLimiter } from "./rate-limit.ts";

export interface StakeCheckOptions {
  publicClient: PublicClient;
  /** The Staking contract's address. */
  staking: Address;
  /** Stake (wei) that lets a delegator skip the newcomers' pool. */
  minStake: bigint;
  ttlMs?: number;
  maxEntries?: number;
  lookups?: { rate: number; burst: number };
  now?: () => number;
}

export class StakeCheck {
  private readonly cache = new Map<string, { until: number; staked: boolean }>();
  private readonly limiter: RateLimiter;
  private readonly abi = artifactAbi("Staking");
  /** Chain reads made (tests check the cache and the bound). */
  lookupCount = 0;

  constructor(private readonly o: StakeCheckOptions) {
    this.limiter = new RateLimiter(o.lookups?.rate ?? 10, o.lookups?.burst ?? 20);
  }

  get minStake(): bigint {
    return this.o.minStake;
  }

  /** True if `address` has at least `minStake` staked (as far as known now). */
  async staked(address: Address): Promise<boolean> {
    const now = (this.o.now ?? Date.now)();
    const key = address.toLowerCase();
    const hit = this.cache.get(key);
    if (hit && hit.until > now) return hit.staked;
    if (!this.limiter.take("lookups", now)) return hit?.staked ?? false;
    let staked: boolean;
    try {
      this.lookupCount++;
      const s = (await this.o.publicClient.readContract({
        address: this.o.staking,
        abi: this.abi,
        functionName: "stakeOf",
        args: [address],
      })) as bigint;
      staked = s >= this.o.minStake;
    } catch {
      return hit?.staked ?? false;
    }
    if (this.cache.size >= (this.o.maxEntries ?? 10_000)) {
      for (const [k, v] of this.cache) if (v.until <= now) this.cache.delete(k);
      if (this.cache.size >= (this.o.maxEntries ?? 10_000))
        this.cache.delete(this.cache.keys().next().value!);
    }
    this.cache.set(key, { until: now + (this.o.ttlMs ?? 60_000), staked });
    return staked;
  }
}
