import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AutoConcurrency } from '../../electron/engine/scheduler/auto-concurrency.ts';
import { Pacer, TokenBucket } from '../../electron/engine/scheduler/pacer.ts';

describe('TokenBucket', () => {
  it('holds no burst: a full bucket lets one request through, then one per interval', () => {
    const bucket = new TokenBucket(1200, 0); // 20/s: one every 50 ms
    expect(bucket.waitFor(1, 0)).toBe(0);
    bucket.take(1, 0);
    expect(bucket.waitFor(1, 0)).toBe(50);
    expect(bucket.waitFor(1, 50)).toBe(0);
    bucket.take(1, 50);
    // A long idle stretch banks nothing beyond one request.
    expect(bucket.waitFor(1, 10_000)).toBe(0);
    bucket.take(1, 10_000);
    expect(bucket.waitFor(1, 10_000)).toBe(50);
  });

  it('lets a request through when nothing is owed, then waits off its tokens', () => {
    const bucket = new TokenBucket(6000, 0, 0); // 100 tokens/s
    expect(bucket.waitFor(500, 0)).toBe(0);
    bucket.take(500, 0);
    expect(bucket.waitFor(10, 0)).toBe(5000);
    expect(bucket.waitFor(10, 5000)).toBe(0);
  });

  it('gives back unused reservation, never above capacity', () => {
    const bucket = new TokenBucket(6000, 0, 0);
    bucket.take(50, 0);
    bucket.adjust(-30);
    expect(bucket.waitFor(30, 0)).toBe(200);
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

  // OpenAI's rate-limit guide: a per-minute limit "may be enforced over shorter periods of time
  // (e.g., 60,000 requests/minute may be enforced as 1,000 requests/second)". So a limit of R per
  // minute must never put more than R/60 (+1) starts into any one second: not at the start, not
  // after a wait, whatever the order of demand and gates.
  it('never starts more than R/60 + 1 requests in any one-second window (random limits, demand and gates)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 6000 }),
        fc.array(
          fc.record({
            at: fc.integer({ min: 0, max: 5000 }),
            count: fc.integer({ min: 1, max: 40 }),
            gateMs: fc.option(fc.integer({ min: 1, max: 3000 }), { nil: null }),
          }),
          { minLength: 1, maxLength: 6 },
        ),
        async (rpm, events) => {
          const t0 = Date.now();
          const clockNow = (): number => Date.now() - t0;
          const pacer = new Pacer({ requestsPerMinute: rpm, tokensPerMinute: null }, clockNow);
          const signal = new AbortController().signal;
          const starts: number[] = [];
          let expected = 0;
          for (const event of [...events].sort((a, b) => a.at - b.at)) {
            await vi.advanceTimersByTimeAsync(Math.max(0, event.at - clockNow()));
            if (event.gateMs !== null) pacer.blockUntil(clockNow() + event.gateMs);
            for (let i = 0; i < event.count; i += 1) void pacer.acquire(1, signal).then(() => starts.push(clockNow()));
            expected += event.count;
          }
          while (starts.length < expected) await vi.advanceTimersByTimeAsync(1000);
          pacer.dispose();
          const most = Math.floor(rpm / 60) + 1;
          for (const [i, at] of starts.entries()) {
            const inWindow = starts.slice(i).filter((t) => t < at + 1000).length;
            expect(inWindow).toBeLessThanOrEqual(most);
          }
        },
      ),
      { numRuns: 60 },
    );
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

  it("drops a waiter when any of its signals aborts (the row's own, or the job's pause), and serves the next", async () => {
    const pacer = new Pacer({ requestsPerMinute: 60, tokensPerMinute: null }, now);
    const row = new AbortController();
    const pause = new AbortController();
    const other = new AbortController();
    await pacer.acquire(1, row.signal, pause.signal);
    const held = pacer.acquire(1, row.signal, pause.signal);
    let next = false;
    void pacer.acquire(1, other.signal).then(() => (next = true));
    pause.abort(new Error('paused'));
    await expect(held).rejects.toThrow('paused');
    await advance(1000);
    expect(next).toBe(true);
    // The row's signal no longer holds a listener of the dropped wait: aborting it changes nothing.
    row.abort(new Error('late'));
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
