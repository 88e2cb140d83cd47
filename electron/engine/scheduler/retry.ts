export interface RetryPolicy {
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

/**
 * Resets and 5xx usually pass at once: the first retry comes within 100 ms (doubling after), so a
 * job's slots are not left idle for half a second per fault. A server's Retry-After still wins.
 */
export const TRANSIENT_BACKOFF = { baseDelayMs: 100, maxDelayMs: 30_000 };

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 5, ...TRANSIENT_BACKOFF };

/** Exponential backoff with full jitter (AWS architecture blog): uniform in [0, min(cap, base·2^n)). */
export function backoffDelay(policy: RetryPolicy, attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.floor(random() * ceiling);
}
