import { afterEach, describe, expect, it } from 'vitest';
import type { AttemptView, RowResult } from '../../shared/api.ts';
import { openDatabase } from '../../electron/engine/store/database.ts';
import { Repository, type AttemptRecord, type RowPatch } from '../../electron/engine/store/repository.ts';
import { openBench, type Bench } from './harness.ts';
import { firstCells } from '../fixtures/cells.ts';

/** The parts of an attempt a test cares about; the rest as the scheduler fills it in. */
function attempt(
  jobId: string,
  index: number,
  n: number,
  outcome: AttemptRecord['outcome'],
  usage: { promptTokens: number | null; completionTokens: number | null; cost: number | null },
): AttemptRecord {
  return {
    jobId,
    index,
    col: 0,
    attempt: n,
    startedAt: `2026-01-01T00:00:0${n}.000Z`,
    finishedAt: `2026-01-01T00:00:0${n}.500Z`,
    outcome,
    httpStatus: outcome === 'done' || outcome === 'retry' ? 200 : null,
    latencyMs: 500,
    error: outcome === 'done' ? null : 'The answer was not the JSON asked for: it is not valid JSON.',
    ...usage,
  };
}

/** A row patch (its cell in the one AI column) as the scheduler writes it: the answer kept, its own tokens and cost. */
function patch(jobId: string, index: number, fields: Omit<RowPatch, 'jobId' | 'index' | 'col'>): RowPatch {
  return { jobId, index, col: 0, ...fields };
}

const NO_USAGE = { promptTokens: null, completionTokens: null, cost: null };

describe('every request billed is counted: a row’s tokens and cost are the sums over its attempts', () => {
  let bench: Bench;
  let repo: Repository;
  let close: () => void;
  afterEach(async () => {
    close?.();
    await bench?.close();
  });

  /** The engine's own SQLite file, written through a second connection as the row writer would. */
  async function jobWithRepo(rows: number): Promise<string> {
    bench = await openBench();
    const jobId = await bench.job(rows);
    const db = openDatabase(bench.dbFile);
    repo = new Repository(db);
    close = () => db.close();
    return jobId;
  }

  it('a retried answer (10+5 tokens) and the one kept (10+7) make 20 prompt and 12 completion tokens, and the summed cost', async () => {
    const jobId = await jobWithRepo(1);
    const retried = 0.0000034499999999999996; // $3.45e-6, as float arithmetic hands it over
    const kept = 0.0000041;
    const stored = repo.applyRowPatches(
      [
        patch(jobId, 0, {
          status: 'done',
          output: 'ok',
          attempts: 2,
          promptTokens: 10,
          completionTokens: 7,
          cost: kept,
        }),
      ],
      [
        attempt(jobId, 0, 1, 'retry', { promptTokens: 10, completionTokens: 5, cost: retried }),
        attempt(jobId, 0, 2, 'done', { promptTokens: 10, completionTokens: 7, cost: kept }),
      ],
    );
    // What was stored instead of the patch's own figures, for the row event the UI gets.
    expect(stored).toEqual([{ promptTokens: 20, completionTokens: 12, cost: 0.00000755 }]);
    const [row] = firstCells(bench.engine.getRows(jobId));
    expect(row).toMatchObject({ status: 'done', promptTokens: 20, completionTokens: 12, cost: 0.00000755 });
    const detail = bench.engine.getRow(jobId, 0);
    expect(detail.attemptLog.map((a) => [a.outcome, a.promptTokens, a.completionTokens, a.cost])).toEqual([
      ['retry', 10, 5, 0.00000345],
      ['done', 10, 7, 0.0000041],
    ]);
    expect(bench.engine.getJob(jobId).usage).toEqual({ promptTokens: 20, completionTokens: 12, cost: 0.00000755 });
  });

  it('the job’s cost is the sum of every attempt’s: failed rows, rows sent again and cached answers included', async () => {
    const jobId = await jobWithRepo(5);
    const costs = { a: 0.000123, b: 0.0000456, c: 0.00000789, d: 0.001, e: 0.0000002 };
    // Row 0: an answer not kept, then the one kept, written over two batches (two flushes).
    repo.applyRowPatches(
      [],
      [attempt(jobId, 0, 1, 'retry', { promptTokens: 100, completionTokens: 40, cost: costs.a })],
    );
    repo.applyRowPatches(
      [
        patch(jobId, 0, {
          status: 'done',
          output: 'x',
          attempts: 2,
          promptTokens: 90,
          completionTokens: 30,
          cost: costs.b,
        }),
      ],
      [attempt(jobId, 0, 2, 'done', { promptTokens: 90, completionTokens: 30, cost: costs.b })],
    );
    // Row 1: every answer refused (a refusal, then invalid JSON), then a network error with no usage.
    repo.applyRowPatches(
      [patch(jobId, 1, { status: 'failed', error: 'Gave up', attempts: 3, ...NO_USAGE })],
      [
        attempt(jobId, 1, 1, 'retry', { promptTokens: 50, completionTokens: 5, cost: costs.c }),
        attempt(jobId, 1, 2, 'retry', { promptTokens: 50, completionTokens: 9, cost: costs.e }),
        attempt(jobId, 1, 3, 'failed', NO_USAGE),
      ],
    );
    // Row 2: sent again after a billed answer it did not keep: while it runs and when it goes back
    // to the queue (a pause), the row still counts what it was billed.
    repo.applyRowPatches(
      [],
      [attempt(jobId, 2, 1, 'retry', { promptTokens: 70, completionTokens: 20, cost: costs.d })],
    );
    repo.applyRowPatches([patch(jobId, 2, { status: 'running', attempts: 2, ...NO_USAGE, output: null })]);
    expect(firstCells(bench.engine.getRows(jobId))[2]).toMatchObject({
      status: 'running',
      promptTokens: 70,
      cost: costs.d,
    });
    repo.applyRowPatches(
      [patch(jobId, 2, { status: 'queued', attempts: 2, ...NO_USAGE })],
      [attempt(jobId, 2, 2, 'stopped', NO_USAGE)],
    );
    // Row 3: from the cache: its own tokens, and it costs nothing.
    const cached = repo.applyRowPatches([
      patch(jobId, 3, { status: 'done', output: 'c', promptTokens: 12, completionTokens: 8, cost: 0, cached: true }),
    ]);
    expect(cached).toEqual([null]);

    const rows = firstCells(bench.engine.getRows(jobId));
    expect(rows.map((r) => [r.status, r.promptTokens, r.completionTokens, r.cost])).toEqual([
      ['done', 190, 70, 0.0001686],
      ['failed', 100, 14, 0.00000809],
      ['queued', 70, 20, 0.001],
      ['done', 12, 8, 0],
      ['queued', null, null, null],
    ]);
    const every = [costs.a, costs.b, costs.c, costs.e, costs.d];
    const job = bench.engine.getJob(jobId);
    expect(job.usage).toEqual({ promptTokens: 372, completionTokens: 112, cost: 0.00117669 });
    expect(job.usage.cost).toBe(Math.round(every.reduce((sum, c) => sum + c * 1e9, 0)) / 1e9);
    // The job list says the same.
    expect(bench.engine.listJobs().find((j) => j.id === jobId)?.usage.cost).toBe(0.00117669);
  });

  it('an answer stored with a cost but logged without one is billed to its attempt', async () => {
    const jobId = await jobWithRepo(1);
    repo.applyRowPatches(
      [
        patch(jobId, 0, {
          status: 'done',
          output: 'ok',
          attempts: 1,
          promptTokens: 10,
          completionTokens: 7,
          cost: 0.00002,
        }),
      ],
      [attempt(jobId, 0, 1, 'done', { promptTokens: 10, completionTokens: 7, cost: null })],
    );
    expect(bench.engine.getRow(jobId, 0)).toMatchObject({ cost: 0.00002, attemptLog: [{ cost: 0.00002 }] });
  });

  it('requests with no price are priced with the price set later (answers not kept too), follow its edits, and go back to unknown without it', async () => {
    const jobId = await jobWithRepo(2);
    // The model has no price: the scheduler logs usage without a cost.
    repo.applyRowPatches(
      [
        patch(jobId, 0, {
          status: 'done',
          output: 'ok',
          attempts: 2,
          promptTokens: 1000,
          completionTokens: 500,
          cost: null,
        }),
      ],
      [
        attempt(jobId, 0, 1, 'retry', { promptTokens: 1000, completionTokens: 300, cost: null }),
        attempt(jobId, 0, 2, 'done', { promptTokens: 1000, completionTokens: 500, cost: null }),
      ],
    );
    repo.applyRowPatches(
      [patch(jobId, 1, { status: 'failed', error: 'refused', attempts: 1, ...NO_USAGE })],
      [attempt(jobId, 1, 1, 'failed', { promptTokens: 400, completionTokens: 100, cost: null })],
    );
    expect(bench.engine.getJob(jobId).usage.cost).toBeNull();

    // $2 and $4 per million tokens: 2,400 prompt and 900 completion tokens make $0.0084.
    bench.engine.setPrice({ model: 'mock-1', input: 2, cachedInput: null, output: 4 });
    expect(bench.engine.getJob(jobId).usage.cost).toBe(0.0084);
    expect(firstCells(bench.engine.getRows(jobId)).map((r) => r.cost)).toEqual([0.0072, 0.0012]);
    expect(bench.engine.getRow(jobId, 0).attemptLog.map((a) => a.cost)).toEqual([0.0032, 0.004]);

    // A mistyped price is put right: these requests were never billed at any price.
    bench.engine.setPrice({ model: 'mock-1', input: 20, cachedInput: null, output: 40 });
    expect(bench.engine.getJob(jobId).usage.cost).toBe(0.084);

    // A request billed when it came keeps its cost whatever the price does; the row sums both kinds.
    repo.applyRowPatches(
      [
        patch(jobId, 1, {
          status: 'done',
          output: 'ok',
          attempts: 2,
          promptTokens: 400,
          completionTokens: 50,
          cost: 0.000123,
        }),
      ],
      [attempt(jobId, 1, 2, 'done', { promptTokens: 400, completionTokens: 50, cost: 0.000123 })],
    );
    expect(bench.engine.getJob(jobId).usage.cost).toBe(0.084123);
    bench.engine.setPrice({ model: 'mock-1', input: 2, cachedInput: null, output: 4 });
    expect(bench.engine.getJob(jobId).usage.cost).toBe(0.008523);

    // Without a price, what was priced after the fact is unknown again; the billed request stays.
    bench.engine.resetPrice('mock-1');
    expect(firstCells(bench.engine.getRows(jobId)).map((r) => r.cost)).toEqual([null, 0.000123]);
    expect(bench.engine.getJob(jobId).usage.cost).toBe(0.000123);
  });

  it('a job whose every row failed after billed answers is priced too when its price comes', async () => {
    const jobId = await jobWithRepo(1);
    repo.applyRowPatches(
      [patch(jobId, 0, { status: 'failed', error: 'refused', attempts: 1, ...NO_USAGE })],
      [attempt(jobId, 0, 1, 'failed', { promptTokens: 300, completionTokens: 200, cost: null })],
    );
    bench.engine.setPrice({ model: 'mock-1', input: 1, cachedInput: null, output: 1 });
    expect(bench.engine.getJob(jobId).usage).toEqual({ promptTokens: 300, completionTokens: 200, cost: 0.0005 });
  });

  it('through the scheduler: an answer that was not the JSON asked for is billed, and its row and job count it', async () => {
    const seen = new Map<string, number>();
    bench = await openBench({
      replyBody: ({ id, created, model, prompt, content, usage }) => {
        const n = (seen.get(prompt) ?? 0) + 1;
        seen.set(prompt, n);
        const text = prompt === 'Row 2' && n === 1 ? 'Sure! Here is your answer.' : content;
        const choice = { index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' };
        return { id, object: 'chat.completion', created, model, choices: [choice], usage };
      },
    });
    bench.engine.setPrice({ model: 'mock-1', input: 3, cachedInput: null, output: 7 });
    const jobId = await bench.job(3, { jsonOutput: { fields: [] }, concurrency: 1 });
    const live = new Map<number, RowResult>();
    bench.engine.on((message) => {
      if (message.name === 'rows') for (const row of message.payload.upserts) live.set(row.index, row);
    });
    bench.engine.startJob(jobId);
    const job = await bench.engine.waitForJob(jobId);
    expect(job.counts.done).toBe(3);
    const row = bench.engine.getRow(jobId, 1);
    expect(row.attemptLog.map((a) => a.outcome)).toEqual(['retry', 'done']);
    const [notKept, kept] = row.attemptLog as [AttemptView, AttemptView];
    expect(notKept.promptTokens).not.toBeNull();
    expect(row.promptTokens).toBe((notKept.promptTokens ?? 0) + (kept.promptTokens ?? 0));
    expect(row.completionTokens).toBe((notKept.completionTokens ?? 0) + (kept.completionTokens ?? 0));
    expect(row.cost).toBe(Math.round(((notKept.cost ?? 0) + (kept.cost ?? 0)) * 1e9) / 1e9);
    // The live table shows what is stored, not the last attempt alone.
    expect(live.get(1)).toMatchObject({
      promptTokens: row.promptTokens,
      completionTokens: row.completionTokens,
      cost: row.cost,
    });
    // Every reply the server billed is in the job's figures, and nothing else.
    const billed = bench.mock.usageBilled;
    expect(job.usage).toEqual({
      promptTokens: billed.promptTokens,
      completionTokens: billed.completionTokens,
      cost: (billed.promptTokens * 3 + billed.completionTokens * 7) / 1e6,
    });
  });

  it('keeps why the model stopped, and counts the answers cut off at the output limit', async () => {
    const jobId = await jobWithRepo(3);
    const usage = { promptTokens: 10, completionTokens: 50, cost: 0.00001 };
    repo.applyRowPatches(
      [
        patch(jobId, 0, { status: 'done', output: 'whole', attempts: 1, ...usage, finish: 'stop' }),
        patch(jobId, 1, { status: 'done', output: 'half an ans', attempts: 1, ...usage, finish: 'length' }),
        patch(jobId, 2, { status: 'done', output: 'another hal', attempts: 1, ...usage, finish: 'length' }),
      ],
      [0, 1, 2].map((index) => attempt(jobId, index, 1, 'done', usage)),
    );
    expect(firstCells(bench.engine.getRows(jobId)).map((r) => r.finish)).toEqual(['stop', 'length', 'length']);
    expect(bench.engine.getJob(jobId)).toMatchObject({ cutOff: 2, counts: { done: 3 } });
    expect(repo.requeueCutOff(jobId)).toBe(2);
    const rows = firstCells(bench.engine.getRows(jobId));
    expect(rows.map((r) => [r.status, r.finish])).toEqual([
      ['done', 'stop'],
      ['queued', null],
      ['queued', null],
    ]);
    // What the cut-off answers were billed stays in the job's cost.
    expect(bench.engine.getJob(jobId)).toMatchObject({ cutOff: 0, usage: { cost: 0.00003 } });
  });
});
