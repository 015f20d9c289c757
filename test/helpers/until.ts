/** Polls `f` every 500 ms until it yields a value (errors count as "not yet"); throws after `timeoutMs`. */
export async function until<T>(
  what: string,
  f: () => Promise<T | undefined>,
  timeoutMs: number,
): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await f().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}
