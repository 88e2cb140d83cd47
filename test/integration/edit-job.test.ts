import { afterEach, describe, expect, it } from 'vitest';
import { RowbotError } from '../../shared/errors.ts';
import { openBench, type Bench } from './harness.ts';
import { firstCells } from '../fixtures/cells.ts';

/** Iterate like in a spreadsheet (issue 15, point 9): a job that was tried on a few rows, or duplicated, can be changed. */
describe('editJob', () => {
  let bench: Bench;
  afterEach(async () => bench?.close());

  it('after a sample of 2 rows, a new prompt runs on the rest; the answered rows keep their prompt and answer', async () => {
    bench = await openBench({ latencyMs: 1 });
    const { engine, mock } = bench;
    const jobId = await bench.job(6);
    engine.sampleJob(jobId, 2);
    await engine.waitForJob(jobId);
    const before = firstCells(engine.getRows(jobId)).slice(0, 2);
    expect(before.map((row) => row.status)).toEqual(['done', 'done']);

    const edited = engine.editJob({ jobId, template: 'Say {{n}}', rerun: 'rest' });
    expect(edited).toMatchObject({ template: 'Say {{n}}', status: 'paused', counts: { done: 2, queued: 4 } });
    expect(edited.pauseReason).toMatch(/2 answered rows keep their answers/);
    engine.startJob(jobId);
    await engine.waitForJob(jobId);
    const rows = firstCells(engine.getRows(jobId));
    expect(rows.slice(0, 2)).toEqual(before);
    expect(rows.map((row) => row.status)).toEqual(Array(6).fill('done'));
    expect([...mock.requestsByPrompt.keys()].sort()).toEqual(['Row 1', 'Row 2', 'Say 3', 'Say 4', 'Say 5', 'Say 6']);
    expect(engine.getRow(jobId, 0).prompt).toBe('Row 1');
    expect(engine.getRow(jobId, 5).prompt).toBe('Say 6');
  });

  it('run all again: every row is sent again with the new model, and what the first answers cost stays counted', async () => {
    bench = await openBench({ latencyMs: 1 });
    const { engine, mock } = bench;
    const jobId = await bench.job(3, { useCache: false });
    engine.startJob(jobId);
    const first = await engine.waitForJob(jobId);
    expect(first.counts.done).toBe(3);

    const provider = { kind: 'openai' as const, baseUrl: mock.baseUrl, model: 'mock-2' };
    const edited = engine.editJob({ jobId, provider, rerun: 'all' });
    expect(edited).toMatchObject({ status: 'ready', counts: { queued: 3, done: 0 }, provider: { model: 'mock-2' } });
    expect(firstCells(engine.getRows(jobId)).map((row) => row.output)).toEqual([null, null, null]);
    engine.startJob(jobId);
    const second = await engine.waitForJob(jobId);
    expect(second.counts.done).toBe(3);
    expect(mock.lastRequest?.model).toBe('mock-2');
    expect(mock.totalRequests).toBe(6);
    // Both runs were billed: the job's tokens are what the server reported for all six answers.
    expect(second.usage.promptTokens).toBe(mock.usageBilled.promptTokens);
    expect(second.usage.completionTokens).toBe(mock.usageBilled.completionTokens);
    expect(second.usage.promptTokens).toBe(2 * first.usage.promptTokens);
  });

  it('is refused while the job runs, and for a placeholder the file does not have, changing nothing', async () => {
    bench = await openBench({ latencyMs: 2000 });
    const { engine } = bench;
    const jobId = await bench.job(4, { concurrency: 1 });
    engine.startJob(jobId);
    expect(() => engine.editJob({ jobId, template: 'Say {{n}}', rerun: 'rest' })).toThrow(/pause it before/);
    engine.cancelJob(jobId);
    await engine.waitForJob(jobId);
    let error: unknown;
    try {
      engine.editJob({ jobId, template: 'Say {{name}}', rerun: 'all' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(RowbotError);
    expect((error as RowbotError).code).toBe('TEMPLATE_INVALID');
    expect(engine.getJob(jobId).template).toBe('Row {{n}}');
    expect(engine.getRow(jobId, 3).prompt).toBe('Row 4');
  });

  it('keeps a gateway header it only showed masked, and takes a new one typed in full', async () => {
    bench = await openBench({ latencyMs: 1 });
    const { engine, mock } = bench;
    const preview = await engine.importBytes('rows.csv', Buffer.from('n\n1\n2\n'));
    const secret = 'gateway-secret-123456';
    const job = engine.createJob({
      sheetId: preview.sheetId,
      template: 'Row {{n}}',
      provider: { kind: 'openai', baseUrl: mock.baseUrl, model: 'mock-1', headers: { 'X-Gateway': secret } },
    });
    expect(job.provider).toMatchObject({ headers: { 'X-Gateway': '…3456' } });
    // The UI sends back what it was shown, with another model.
    engine.editJob({
      jobId: job.id,
      provider: { ...job.provider, model: 'mock-3' } as typeof job.provider,
      rerun: 'rest',
    });
    engine.startJob(job.id);
    await engine.waitForJob(job.id);
    expect(mock.lastHeaders?.['x-gateway']).toBe(secret);
    expect(mock.lastRequest?.model).toBe('mock-3');
  });
});
