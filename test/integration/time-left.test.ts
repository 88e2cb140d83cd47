import { afterEach, describe, expect, it } from 'vitest';
import { openBench, until, type Bench } from './harness.ts';

/**
 * The time left follows the settings in use: the concurrency over the latency of recent answers,
 * the per-minute limits, the provider's wait. Checked as ratios between two moments of one run,
 * never against the clock.
 */
describe('live.secondsLeft', () => {
  let bench: Bench;
  afterEach(async () => bench?.close());

  it('is about rows left × latency ÷ concurrency, and follows a concurrency or requests/min change at once', async () => {
    bench = await openBench({ latencyMs: 100 });
    const { engine } = bench;
    const jobId = await bench.job(400, { concurrency: 2 });
    engine.startJob(jobId);
    await until(() => engine.getJob(jobId).counts.done >= 6, 'a few answers');
    const slow = engine.getJob(jobId);
    const left = slow.counts.queued + slow.counts.running;
    const seconds = slow.live?.secondsLeft ?? NaN;
    // The mock answers in 100 ms; on a busy machine a request takes longer, never shorter.
    expect(seconds).toBeGreaterThanOrEqual((left * 0.1) / 2 - 0.5);
    expect(seconds).toBeLessThan(left * 0.5);

    const faster = engine.updateJobSettings(jobId, { concurrency: 20 });
    const fasterLeft = faster.counts.queued + faster.counts.running;
    // Ten times the concurrency: a tenth of the time for the same latency, seen in the summary Pause returns.
    expect(faster.live?.secondsLeft ?? NaN).toBeCloseTo(((seconds / left) * fasterLeft) / 10, 5);

    const paced = engine.updateJobSettings(jobId, { requestsPerMinute: 60 });
    const pacedLeft = paced.counts.queued + paced.counts.running;
    // At 60 requests a minute each row takes a second, far slower than 20 at once.
    expect(paced.live?.secondsLeft ?? NaN).toBeGreaterThanOrEqual(pacedLeft - 0.001);
    engine.pauseJob(jobId);
  });
});
