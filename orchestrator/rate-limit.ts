/**
 * Token buckets per key, with a bounded number of keys.
 *
 * Each key may spend `rate` tokens per second with bursts up to `burst`. At most `maxKeys`
 * buckets are kept. A bucket that has refilled to `burst` holds no state (a new one would be the
 * same), so when the map is full those are what is dropped; when every kept bucket is still
 * refilling, a new key is refused rather than another key's spent tokens forgotten. So fresh keys
 * (new signing keys, new peer addresses) can neither grow memory without bound nor reset an
 * exhausted bucket: at worst new keys wait until old buckets have refilled (at most
 * burst / rate seconds after their last use).
 *
 * The API keys buckets by who is speaking, never by a header the caller chooses: a verified
 * signer (`node:<address>`) or the peer's socket address (`ip:<address>`); see server.ts.
 */
interface Bucket {
  tokens: number;
  /** When `tokens` was last brought up to date (ms). */
  at: number;
}

export class RateLimiter {
  /** In recency order: the least recently used first. */
  private readonly buckets = new Map<string, Bucket>();
  /** No bucket can have refilled before this time (ms): a sweep before it would free nothing. */
  private noneFullBefore = 0;

  constructor(
    readonly rate: number,
    readonly burst: number,
    readonly maxKeys = 10_000,
  ) {}

  /** Buckets kept. */
  get size(): number {
    return this.buckets.size;
  }

  /**
   * True if `key` may spend `cost` tokens now (and spends them). A new key when `maxKeys`
   * buckets are kept and none of them has refilled is refused.
   */
  take(key: string, now = Date.now(), cost = 1): boolean {
    let b = this.buckets.get(key);
    if (b)
      this.buckets.delete(key); // re-inserted last: most recently used
    else {
      if (this.buckets.size >= this.maxKeys && !this.dropFull(now)) return false;
      b = { tokens: this.burst, at: now };
    }
    this.refill(b, now);
    this.buckets.set(key, b);
    if (b.tokens < cost) return false;
    b.tokens -= cost;
    return true;
  }

  /** Gives `key` back `n` tokens (up to `burst`), e.g. a request later charged to another key. */
  refund(key: string, n = 1, now = Date.now()): void {
    const b = this.buckets.get(key);
    if (!b) return;
    this.refill(b, now);
    b.tokens = Math.min(this.burst, b.tokens + n);
  }

  /** The tokens `key` could spend now (`burst` for a key without a bucket); spends nothing. */
  tokens(key: string, now = Date.now()): number {
    const b = this.buckets.get(key);
    if (!b) return this.burst;
    return Math.min(this.burst, b.tokens + ((now - b.at) / 1000) * this.rate);
  }

  private refill(b: Bucket, now: number): void {
    b.tokens = Math.min(this.burst, b.tokens + (Math.max(0, now - b.at) / 1000) * this.rate);
    b.at = Math.max(b.at, now);
  }

  /**
   * Drops every bucket that has refilled to `burst` (least recently used first); true if there
   * is room for a new key afterwards. When nothing could be dropped, remembers when the first
   * bucket will have refilled, so a flood of new keys costs one sweep, not one per key.
   */
  private dropFull(now: number): boolean {
    if (now < this.noneFullBefore) return false;
    let next = Infinity;
    for (const [k, b] of this.buckets) {
      const fullAt =
        b.tokens >= this.burst ? b.at : b.at + ((this.burst - b.tokens) / this.rate) * 1000;
      if (fullAt <= now) this.buckets.delete(k);
      else next = Math.min(next, fullAt);
    }
    if (this.buckets.size < this.maxKeys) return true;
    this.noneFullBefore = next;
    return false;
  }
}
