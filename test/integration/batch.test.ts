import { afterEach, describe, expect, it } from 'vitest';
import type { ProviderConfig } from '../../shared/api.ts';
import { Engine, type EngineOptions } from '../../electron/engine/engine.ts';
import { mockReply } from '../fixtures/mock-llm-server.ts';
import { openBench, until, type Bench } from './harness.ts';
import { firstCells } from '../fixtures/cells.ts';

/**
 * Jobs through the providers' Batch APIs (issue 16), against the mock server's OpenAI Files + Batches
 * and Anthropic Message Batches (test/fixtures/mock-batches.ts, shaped as openai-node
 * src/resources/batches.ts and anthropic-sdk-typescript src/resources/messages/batches.ts type them).
 */
const FAST: Partial<EngineOptions> = { batchPolling: { firstMs: 20, maxMs: 80 } };
/** gpt-4o-mini's list price: $0.15 and $0.60 per million tokens; in a batch, half. */
const BATCH_INPUT = 0.075 / 1e6;
const BATCH_OUTPUT = 0.3 / 1e6;

function providerOf(bench: Bench, kind: 'openai' | 'anthropic', model = 'gpt-4o-mini'): ProviderConfig {
  return { kind, baseUrl: bench.mock.baseUrl, model };
}

async function batchJob(bench: Bench, rows: number, provider: ProviderConfig, settings = {}): Promise<string> {
  // Anthropic's batch endpoints want x-api-key on every call, as its live one does.
  if (provider.kind === 'anthropic') bench.engine.setKey('anthropic', 'sk-ant-test-123456');
  const lines = ['n', ...Array.from({ length: rows }, (_, i) => String(i + 1))];
  const preview = await bench.engine.importBytes('rows.csv', Buffer.from(lines.join('\n')));
  return bench.engine.createJob({
    sheetId: preview.sheetId,
    template: 'Row {{n}}',
    provider,
    settings: { batch: true, ...settings },
  }).id;
}

describe('batch jobs', () => {
  let bench: Bench;
  let other: Engine | undefined;
  afterEach(async () => {
    await other?.close();
    other = undefined;
    await bench?.close();
  });

  for (const kind of ['openai', 'anthropic'] as const) {
    it(`${kind}: 25 rows split into 3 batches of at most 10, results in shuffled order matched to their rows, errors as failed rows, at half price`, async () => {
      bench = await openBench(
        { batch: { completeAfterMs: 150, shuffle: true, errorRate: 0.2, seed: 5 } },
        { ...FAST, batchLimits: { [kind]: { requests: 10, bytes: 1_000_000 } } },
      );
      const { engine, mock } = bench;
      const jobId = await batchJob(bench, 25, providerOf(bench, kind));
      const seen = new Map<number, string>();
      engine.on((message) => {
        if (message.name === 'rows') for (const row of message.payload.upserts) seen.set(row.index, row.status);
      });
      engine.startJob(jobId);
      const job = await engine.waitForJob(jobId);
      expect(mock.batchesCreated).toBe(3);
      expect(mock.batchRequests).toBe(25);
      expect(job.batches.map((b) => [b.phase, b.requests])).toEqual([
        ['done', 10],
        ['done', 10],
        ['done', 5],
      ]);
      const rows = firstCells(engine.getRows(jobId));
      const done = rows.filter((row) => row.status === 'done');
      const failed = rows.filter((row) => row.status === 'failed');
      expect(done.length + failed.length).toBe(25);
      expect(failed.length).toBeGreaterThan(0);
      expect(done.length).toBeGreaterThan(0);
      // Each answer is the one the mock gives that row's own prompt, whatever order the results came in.
      for (const row of done) expect(row.output).toBe(mockReply(`Row ${row.index + 1}`));
      for (const row of failed) expect(row.error).toMatch(/in the batch/);
      // The open job view is told of every row as its result comes in.
      expect([...seen].sort(([a], [b]) => a - b)).toEqual(rows.map((row) => [row.index, row.status]));
      expect(job.status).toBe('completed');
      expect(job.counts).toMatchObject({ done: done.length, failed: failed.length, queued: 0 });
      // Half of gpt-4o-mini's list price, for the tokens the answers report.
      const prompt = done.reduce((n, row) => n + (row.promptTokens ?? 0), 0);
      const completion = done.reduce((n, row) => n + (row.completionTokens ?? 0), 0);
      expect(prompt).toBeGreaterThan(0);
      expect(job.usage.cost).toBeCloseTo(prompt * BATCH_INPUT + completion * BATCH_OUTPUT, 9);
      // A row's attempt log says where its answer came from.
      expect(engine.getRow(jobId, done[0]?.index ?? 0).attemptLog.at(-1)?.outcome).toBe('done');
    });
  }

  it('a batch created while its answer was lost is found by its metadata, not created twice', async () => {
    bench = await openBench({ batch: { completeAfterMs: 50, loseCreateResponse: 1 } }, FAST);
    const { engine, mock } = bench;
    const jobId = await batchJob(bench, 6, providerOf(bench, 'openai'));
    engine.startJob(jobId);
    const job = await engine.waitForJob(jobId);
    expect(mock.batchCreateResponsesLost).toBe(1);
    expect(mock.batchesCreated).toBe(1);
    expect(job.counts.done).toBe(6);
  });

  it('anthropic: a batch whose answer was lost is found by its size and time', async () => {
    bench = await openBench({ batch: { completeAfterMs: 50, loseCreateResponse: 1 } }, FAST);
    const { engine, mock } = bench;
    const jobId = await batchJob(bench, 4, providerOf(bench, 'anthropic'));
    engine.startJob(jobId);
    const job = await engine.waitForJob(jobId);
    expect(mock.batchCreateResponsesLost).toBe(1);
    expect(mock.batchesCreated).toBe(1);
    expect(job.counts.done).toBe(4);
  });

  it('survives a restart: the batch sent by one process is collected by the next, and never sent again', async () => {
    bench = await openBench({ batch: { completeAfterMs: 600 } }, FAST);
    const { engine, mock } = bench;
    const jobId = await batchJob(bench, 8, providerOf(bench, 'openai'));
    engine.startJob(jobId);
    const sent = await engine.batchesSent(jobId);
    expect(sent.batches.map((b) => b.phase)).not.toContain('sending');
    await engine.close();
    expect(mock.batchesCreated).toBe(1);
    // The app (or rowbot serve) opens the same file: it goes on collecting by itself.
    other = new Engine({ dbFile: bench.dbFile, ...FAST, resumeBatches: true, allowKeyTo: [] });
    await until(() => other?.getJob(jobId).status === 'completed', 'the batch to be collected', 10_000);
    expect(other.getJob(jobId).counts.done).toBe(8);
    expect(mock.batchesCreated).toBe(1);
    expect(mock.batchRequests).toBe(8);
  });

  it('cancel cancels the batch at the provider; what it finished is kept, the rest fails as canceled', async () => {
    bench = await openBench({ batch: { completeAfterMs: 2000 } }, FAST);
    const { engine, mock } = bench;
    const jobId = await batchJob(bench, 40, providerOf(bench, 'openai'));
    engine.startJob(jobId);
    await until(() => (mock.batches[0]?.succeeded ?? 0) > 0, 'some requests to be done');
    engine.cancelJob(jobId);
    const job = await engine.waitForJob(jobId);
    expect(mock.batches[0]?.status).toBe('cancelled');
    expect(job.status).toBe('canceled');
    expect(job.counts.done).toBeGreaterThan(0);
    expect(job.counts.done + job.counts.failed).toBe(40);
    const canceled = firstCells(engine.getRows(jobId)).filter((row) => row.status === 'failed');
    expect(canceled.every((row) => /canceled/.test(row.error ?? ''))).toBe(true);
  });

  it('cancel while the first of four batches is being sent: that one is canceled as soon as it exists, no other is made', async () => {
    bench = await openBench(
      { batch: { completeAfterMs: 60_000 } },
      { ...FAST, batchLimits: { openai: { requests: 5, bytes: 1_000_000 } } },
    );
    const { engine, mock } = bench;
    const jobId = await batchJob(bench, 20, providerOf(bench, 'openai'));
    engine.startJob(jobId);
    engine.cancelJob(jobId);
    const job = await engine.waitForJob(jobId);
    expect(mock.batchesCreated).toBe(1);
    expect(mock.batches.map((b) => b.status)).toEqual(['cancelled']);
    expect(job.status).toBe('canceled');
    expect(job.counts).toMatchObject({ failed: 5, queued: 15 });
  });

  it('failed rows of a batch job are retried live', async () => {
    bench = await openBench({ batch: { completeAfterMs: 30, errorRate: 0.5, seed: 2 } }, FAST);
    const { engine, mock } = bench;
    const jobId = await batchJob(bench, 10, providerOf(bench, 'openai'));
    engine.startJob(jobId);
    const first = await engine.waitForJob(jobId);
    expect(first.counts.failed).toBeGreaterThan(0);
    const live = mock.totalRequests;
    engine.updateJobSettings(jobId, { batch: false });
    engine.retryRows(jobId, 'failed');
    engine.startJob(jobId);
    const second = await engine.waitForJob(jobId);
    expect(second.counts.done).toBe(10);
    expect(mock.totalRequests - live).toBe(first.counts.failed);
    expect(mock.batchesCreated).toBe(1);
  });

  it('is not sent when its worst case is over the budget: the rows stay queued and the job says why', async () => {
    bench = await openBench({}, FAST);
    const { engine, mock } = bench;
    const jobId = await batchJob(bench, 20, providerOf(bench, 'openai'), { maxCost: 0.000001 });
    engine.startJob(jobId);
    const job = await engine.waitForJob(jobId);
    expect(mock.batchesCreated).toBe(0);
    expect(job.status).toBe('paused');
    expect(job.pauseReason).toMatch(/budget/);
    expect(job.counts.queued).toBe(20);
  });

  it('a job running live sends the rest as a batch: rows answered live stay, the queued ones go in one batch', async () => {
    bench = await openBench({ latencyMs: 50, batch: { completeAfterMs: 100 } }, FAST);
    const { engine, mock } = bench;
    const jobId = await batchJob(bench, 30, providerOf(bench, 'openai'), { batch: false, concurrency: 2 });
    engine.startJob(jobId);
    await until(() => engine.getJob(jobId).counts.done >= 4, 'a few live answers');
    await engine.sendRestAsBatch(jobId);
    const job = await engine.waitForJob(jobId);
    expect(job.status).toBe('completed');
    expect(job.counts.done).toBe(30);
    expect(job.settings.batch).toBe(true);
    // Every row was sent once: live, or in the batch.
    expect(mock.totalRequests + mock.batchRequests).toBe(30);
    expect(mock.batchesCreated).toBe(1);
    expect(firstCells(engine.getRows(jobId)).map((row) => row.output)).toEqual(
      Array.from({ length: 30 }, (_, i) => mockReply(`Row ${i + 1}`)),
    );
  });

  it('deleting a job cancels its batch at the provider, also when another process sent it', async () => {
    bench = await openBench({ batch: { completeAfterMs: 60_000 } }, FAST);
    const { engine, mock } = bench;
    const running = await batchJob(bench, 5, providerOf(bench, 'openai'));
    engine.startJob(running);
    await engine.batchesSent(running);
    await engine.deleteJob(running);
    expect(mock.batches.map((b) => b.status)).toEqual(['cancelled']);
    // Sent by a process that has closed since: the job is deleted from another one.
    const left = await batchJob(bench, 3, providerOf(bench, 'openai'));
    engine.startJob(left);
    await engine.batchesSent(left);
    await engine.close();
    other = new Engine({ dbFile: bench.dbFile, ...FAST });
    await other.deleteJob(left);
    expect(mock.batches.map((b) => b.status)).toEqual(['cancelled', 'cancelled']);
  });

  it('a service without a Batch API is refused in plain words', async () => {
    bench = await openBench({}, FAST);
    const jobId = await batchJob(bench, 2, { kind: 'demo', model: 'demo' });
    expect(() => bench.engine.startJob(jobId)).toThrow(/no Batch API/);
  });
});
