import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AutoConcurrency } from '../../electron/engine/scheduler/auto-concurrency.ts';
import { Pacer, TokenBucket } from '../../electron/engine/scheduler/pacer.ts';

describe('TokenBucket', () => {
  it('refills continuously and allows half a second of burst', () => {
    const bucket = new TokenBucket(1200, 0); // 20/s, burst 10
    for (let i = 0; i < 10; i += 1) {
      expect(bucket.waitFor(1, 0)).toBe(0);
      bucket.take(1, 0);
    }
    expect(bucket.waitFor(1, 0)).toBe(50);
    expect(bucket.waitFor(1, 50)).toBe(0);
  });

  it('lets an oversized request through when full, then waits off the debt', () => {
    const bucket = new TokenBucket(6000, 0, 0); // 100 tokens/s, burst 50
    expect(bucket.waitFor(500, 0)).toBe(0);
    bucket.take(500, 0);
    expect(bucket.waitFor(10, 0)).toBe(4600);
  });

  it('gives back unused reservation, never above capacity', () => {
    const bucket = new TokenBucket(6000, 0, 0);
    bucket.take(50, 0);
    bucket.adjust(-30);
    expect(bucket.waitFor(30, 0)).toBe(0);
    bucket.adjust(-1000);
    expect(bucket.waitFor(51, 0)).toBe(0);
  });
});

describe('Pacer', () => {
  let clock = 0;
  beforeEach(() => {
    vi.useFakeTimers();
    clock = 0;
  });
  afterEach(() => vi.useRealTimers());

  const now = (): number => clock;
  const advance = async (ms: number): Promise<void> => {
    clock += ms;
    await vi.advanceTimersByTimeAsync(ms);
  };

  it('spaces starts to the requests-per-minute limit, in order', async () => {
    const pacer = new Pacer({ requestsPerMinute: 60, tokensPerMinute: null }, now);
    const started: number[] = [];
    const signal = new AbortController().signal;
    for (let i = 0; i < 3; i += 1) void pacer.acquire(1, signal).then(() => started.push(i));
    await advance(0);
    expect(started).toEqual([0]);
    await advance(1000);
    expect(started).toEqual([0, 1]);
    await advance(1000);
    expect(started).toEqual([0, 1, 2]);
  });

  it('holds every start while the gate is closed, and changes limits live', async () => {
    const pacer = new Pacer({ requestsPerMinute: null, tokensPerMinute: null }, now);
    pacer.blockUntil(500);
    let started = 0;
    const signal = new AbortController().signal;
    void pacer.acquire(1, signal).then(() => (started += 1));
    await advance(499);
    expect(started).toBe(0);
    expect(pacer.gateUntil).toBe(500);
    await advance(1);
    expect(started).toBe(1);
    pacer.setLimits({ requestsPerMinute: 60, tokensPerMinute: null });
    void pacer.acquire(1, signal).then(() => (started += 1));
    void pacer.acquire(1, signal).then(() => (started += 1));
    await advance(0);
    expect(started).toBe(2);
    await advance(1000);
    expect(started).toBe(3);
  });

  it('slows down when the provider says almost no requests remain, for as long as it needs to refill', async () => {
    const pacer = new Pacer({ requestsPerMinute: null, tokensPerMinute: null }, now);
    pacer.observe({ requestsRemaining: 5, requestsResetMs: 800, requestsLimit: 600 }, 100);
    expect(pacer.gateUntil).toBeNull();
    // 600/min is one every 100 ms: two short of the margin is 200 ms.
    pacer.observe({ requestsRemaining: 0, requestsResetMs: 800, requestsLimit: 600 }, 100);
    expect(pacer.gateUntil).toBe(200);
    // Never past the provider's full reset; without a stated limit, at most a second.
    pacer.observe({ requestsRemaining: 0, requestsResetMs: 5000 }, 100);
    expect(pacer.gateUntil).toBe(1000);
    pacer.observe({ tokensRemaining: 50, tokensResetMs: 300, tokensLimit: 60_000 }, 100);
    expect(pacer.gateUntil).toBe(1000);
  });

  it('drops a waiter whose signal aborts', async () => {
    const pacer = new Pacer({ requestsPerMinute: 60, tokensPerMinute: null }, now);
    const controller = new AbortController();
    const signal = new AbortController().signal;
    await pacer.acquire(1, signal);
    const aborted = pacer.acquire(1, controller.signal);
    controller.abort(new Error('stop'));
    await expect(aborted).rejects.toThrow('stop');
  });
});

describe('AutoConcurrency', () => {
  it('doubles per round until the first 429, halves, then adds one per round', () => {
    const auto = new AutoConcurrency({ start: 2, max: 100 });
    const round = (): void => {
      const n = auto.value;
      for (let i = 0; i < n; i += 1) auto.onSuccess();
    };
    round();
    expect(auto.value).toBe(4);
    round();
    expect(auto.value).toBe(8);
    expect(auto.onRateLimited(0, 10)).toBe(4);
    expect(auto.onRateLimited(5, 12)).toBeNull(); // sent before the decrease: same burst
    expect(auto.onRateLimited(11, 20)).toBe(2); // sent after it: a new signal
    round();
    expect(auto.value).toBe(3);
    round();
    expect(auto.value).toBe(4);
  });

  it('never goes below one or above the maximum', () => {
    const auto = new AutoConcurrency({ start: 1, max: 3 });
    auto.onRateLimited(0, 0);
    expect(auto.value).toBe(1);
    for (let i = 0; i < 50; i += 1) auto.onSuccess();
    expect(auto.value).toBe(3);
  });
});
