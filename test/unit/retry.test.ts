import { describe, expect, it } from 'vitest';
import { DEFAULT_RETRY, TRANSIENT_BACKOFF, backoffDelay } from '../../electron/engine/scheduler/retry.ts';

const almostOne = () => 0.999_999;

describe('backoffDelay', () => {
  it('sends the first retry of a reset or a 5xx within 100 ms, the ceiling doubling after', () => {
    const policy = { ...TRANSIENT_BACKOFF, maxAttempts: 5 };
    expect([1, 2, 3, 4].map((attempt) => backoffDelay(policy, attempt, almostOne))).toEqual([99, 199, 399, 799]);
    expect(DEFAULT_RETRY.baseDelayMs).toBe(TRANSIENT_BACKOFF.baseDelayMs);
  });

  it('draws with full jitter from zero', () => {
    expect(backoffDelay({ ...TRANSIENT_BACKOFF, maxAttempts: 5 }, 3, () => 0)).toBe(0);
  });

  it('never waits longer than the cap', () => {
    expect(backoffDelay({ ...TRANSIENT_BACKOFF, maxAttempts: 30 }, 25, almostOne)).toBe(
      TRANSIENT_BACKOFF.maxDelayMs - 1,
    );
  });
});
