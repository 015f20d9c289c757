/**
 * Which orchestrators may lease segments from this one: those the chain shows as its own rings.
 * A key that merely registered over the API has no stake behind it, so it could take a segment
 * (up to the segment cap) for a segment lease time, never deliver, and take another: the
 * scheduler asks this check before every segment lease (Scheduler `admitRing`).
 *
 * Admitted: `OrchestratorRegistry.orchestrator(a).parent` is this node's address and
 * `isActive(a)` (registered, not leaving, staked at least MIN_STAKE). An evicted, leaving or
 * slashed-below-stake ring is refused within `ttlMs`.
 *
 * Answers (both ways) are cached for `ttlMs` (default 30 s) per address, at most `maxEntries`
 * of them; addresses not in the cache are looked up at most `lookups.rate` per second
 * (burst `lookups.burst`) across all callers, so a flood of fresh keys costs the RPC node a
 * bounded number of calls (past it: 429, retry later). An RPC failure answers 503.
 */
import type { Address, PublicClient } from "viem";
import { artifactAbi } from "../client/chain.ts";
import { RateLimiter } from "./rate-limit.ts";
import { SchedulerError } from "./scheduler.ts";

export interface RingAdmissionOptions {
  publicClient: PublicClient;
  /** The OrchestratorRegistry's address. */
  registry: Address;
  /** This node's address: an admitted ring's parent. */
  self: Address;
  ttlMs?: number;
  maxEntries?: number;
  lookups?: { rate: number; burst: number };
  now?: () => number;
}

export class RingAdmission {
  private readonly cache = new Map<string, { until: number; refusal: string | undefined }>();
  private readonly limiter: RateLimiter;
  private readonly abi = artifactAbi("OrchestratorRegistry");
  /** Chain reads made (tests check the cache). */
  lookupCount = 0;

  constructor(private readonly o: RingAdmissionOptions) {
    this.limiter = new RateLimiter(o.lookups?.rate ?? 10, o.lookups?.burst ?? 20);
  }

  /** undefined if `address` is an active ring under this node, else why not. */
  async check(address: Address): Promise<string | undefined> {
    const now = (this.o.now ?? Date.now)();
    const key = address.toLowerCase();
    const hit = this.cache.get(key);
    if (hit && hit.until > now) return hit.refusal;
    if (!this.limiter.take("lookups", now))
      throw new SchedulerError(429, "busy checking rings on chain; retry later");
    let refusal: string | undefined;
    try {
      this.lookupCount++;
      const read = (functionName: string) =>
        this.o.publicClient.readContract({
          address: this.o.registry,
          abi: this.abi,
          functionName,
          args: [address],
        });
      const [info, active] = (await Promise.all([read("orchestrator"), read("isActive")])) as [
        { parent: string; registered: boolean },
        boolean,
      ];
      if (!info.registered) refusal = `${address} is not registered on chain`;
      else if (info.parent.toLowerCase() !== this.o.self.toLowerCase())
        refusal = `${address} is registered under ${info.parent}, not under ${this.o.self}`;
      else if (!active) refusal = `${address} is not active on chain (leaving, or under-staked)`;
    } catch (e) {
      throw new SchedulerError(503, `cannot check ${address} on chain: ${(e as Error).message}`);
    }
    if (this.cache.size >= (this.o.maxEntries ?? 10_000)) {
      for (const [k, v] of this.cache) if (v.until <= now) this.cache.delete(k);
      if (this.cache.size >= (this.o.maxEntries ?? 10_000))
        this.cache.delete(this.cache.keys().next().value!);
    }
    this.cache.set(key, { until: now + (this.o.ttlMs ?? 30_000), refusal });
    return refusal;
  }
}
