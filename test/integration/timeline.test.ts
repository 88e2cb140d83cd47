import { afterEach, describe, expect, it } from 'vitest';
import { Engine } from '../../electron/engine/engine.ts';
import { openBench, until, type Bench } from './harness.ts';

/** The job view's chart, rebuilt from the attempt log: it survives a reload and shows the errors that were retried. */
describe('getTimeline', () => {
  let bench: Bench;
  let reopened: Engine | undefined;
  afterEach(async () => {
    await reopened?.close();
    await bench?.close();
  });

  it('counts answers, retried errors and 429s second by second, and reads the same from the file after a restart', async () => {
    // 500s and resets are retried (the row ends done); 429s come from a 300 requests/min limit.
    bench = await openBench({ latencyMs: 20, faultRates: { status500: 0.1, reset: 0.05 }, rpm: 300, seed: 7 });
    const { engine } = bench;
    const jobId = await bench.job(60, { concurrency: 8, maxAttempts: 20 });
    engine.startJob(jobId);
    await until(() => engine.getJob(jobId).status === 'completed', 'the job to finish', 60_000);
    const job = engine.getJob(jobId);
    const timeline = engine.getTimeline(jobId);
    const sum = (pick: (s: (typeof timeline)[number]) => number): number => timeline.reduce((n, s) => n + pick(s), 0);
    expect(job.counts.done).toBe(60);
    expect(sum((s) => s.answered)).toBe(60);
    // Every 500 and reset the mock sent shows as a failed request, though no row failed.
    expect(sum((s) => s.failed)).toBe(bench.mock.faultsInjected.status500 + bench.mock.faultsInjected.reset);
    expect(sum((s) => s.failed)).toBeGreaterThan(0);
    expect(sum((s) => s.rateLimited)).toBe(bench.mock.rateLimited);
    expect(bench.mock.rateLimited).toBeGreaterThan(0);
    expect(timeline.every((s, i) => i === 0 || s.at > (timeline[i - 1]?.at ?? 0))).toBe(true);
    expect(timeline.some((s) => s.inFlight > 0)).toBe(true);

    await engine.close();
    reopened = new Engine({ dbFile: bench.dbFile });
    expect(reopened.getTimeline(jobId)).toEqual(timeline);
  });
});
