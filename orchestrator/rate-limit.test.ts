/**
 * The bounded token buckets of the API: fresh keys cannot grow the map past its bound nor
 * reset a bucket that is still refilling.
 */
import { describe, expect, it } from "vitest";
import { RateLimiter } from "./rate-limit.ts";

describe("RateLimiter", () => {
  it("spends and refills tokens per key", () => {
    const l = new RateLimiter(2, 3);
    expect([1, 2, 3, 4].map(() => l.take("a", 0))).toEqual([true, true, true, false]);
    expect(l.take("b", 0)).toBe(true); // another key has its own bucket
    expect(l.tokens("a", 499)).toBeLessThan(1);
    expect(l.take("a", 500)).toBe(true); // one token per 500 ms
    l.refund("a", 1, 500);
    expect(l.tokens("a", 500)).toBe(1);
    expect(l.take("a", 10_000, 5)).toBe(false); // never more than the burst
  });

  it("10,000 fresh keys neither reset an exhausted bucket nor grow past the bound", () => {
    const l = new RateLimiter(1, 3, 1000);
    const dave = "node:0xdave";
    expect([1, 2, 3, 4].map(() => l.take(dave, 0))).toEqual([true, true, true, false]);
    // At one instant nothing refills: the map fills up, then new keys are refused.
    const admitted = Array.from({ length: 10_000 }, (_, i) => l.take(`node:fresh${i}`, 1));
    expect(admitted.filter(Boolean)).toHaveLength(999);
    expect(admitted.slice(999).every((a) => !a)).toBe(true);
    expect(l.size).toBe(1000);
    expect(l.take(dave, 1)).toBe(false);
    // Two seconds later the fresh buckets (one token spent) have refilled and make room;
    // Dave's (three spent) has not, and is kept: two tokens, not a new burst of three.
    expect(l.take("node:newcomer", 2000)).toBe(true);
    expect(l.size).toBe(2);
    expect([1, 2, 3].map(() => l.take(dave, 2000))).toEqual([true, true, false]);
  });
});
