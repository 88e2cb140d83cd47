import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { mockReply, pickFault } from '../fixtures/mock-llm-server.ts';
import { openBench, prompt, until, type Bench } from './harness.ts';
import { firstCells } from '../fixtures/cells.ts';

describe('JobRunner through the Engine, against the mock server', () => {
  let bench: Bench;
  afterEach(async () => {
    await bench?.close();
  });

  const doneCount = (jobId: string): number => bench.engine.getJob(jobId).counts.done;

  it('raising concurrency mid-run starts requests at once; lowering it lets running ones finish', async () => {
    bench = await openBench({ latencyMs: 40 });
    const { engine, mock } = bench;
    const jobId = await bench.job(150, { concurrency: 2 });
    engine.startJob(jobId);
    await until(() => doneCount(jobId) >= 6, 'six rows done');
    expect(mock.peakConcurrent).toBe(2);

    engine.updateJobSettings(jobId, { concurrency: 8 });
    await until(() => mock.inFlight === 8, 'eight in flight');

    engine.updateJobSettings(jobId, { concurrency: 1 });
    await until(() => mock.inFlight <= 1, 'back to one in flight');
    const settledAt = mock.concurrencyTimeline.length;
    await until(() => doneCount(jobId) >= 60, 'sixty rows done');
    expect(Math.max(...mock.concurrencyTimeline.slice(settledAt).map((p) => p.inFlight))).toBe(1);

    engine.updateJobSettings(jobId, { concurrency: 16 });
    const summary = await engine.waitForJob(jobId);
    expect(summary.counts.done).toBe(150);
    expect(mock.peakConcurrent).toBe(16);
    expect(mock.totalRequests).toBe(150);
  });

  it('a 429 storm ends with every row done and one wait for the whole job', async () => {
    // The first burst (40 at once against a bucket of 20) cannot be seen coming: it draws 429s.
    bench = await openBench({ latencyMs: 5, rpm: 1200 });
    const jobId = await bench.job(60, { concurrency: 40 });
    bench.engine.startJob(jobId);
    const summary = await bench.engine.waitForJob(jobId);
    expect(summary.counts).toMatchObject({ done: 60, failed: 0 });
    expect(bench.mock.rateLimited).toBeGreaterThan(0);
    // Each 429 is answered by waiting, never by failing the row.
    const rows = firstCells(bench.engine.getRows(jobId));
    expect(rows.every((row) => row.output === mockReply(prompt(row.index + 1)))).toBe(true);
  });

  it('with requests/min at the server’s limit there are no 429s; changed mid-run, it applies at once', async () => {
    bench = await openBench({ latencyMs: 5, rpm: 1200 });
    const { engine, mock } = bench;
    const jobId = await bench.job(60, { concurrency: 16, requestsPerMinute: 1200 });
    engine.startJob(jobId);
    await until(() => doneCount(jobId) >= 20, 'twenty rows done');
    engine.updateJobSettings(jobId, { requestsPerMinute: 600 });
    await engine.waitForJob(jobId);
    expect(mock.rateLimited).toBe(0);
    expect(engine.getJob(jobId).counts.done).toBe(60);
  });

  it('tokens/min pacing keeps under a server token limit', async () => {
    bench = await openBench({ latencyMs: 5, tpm: 12_000 });
    const jobId = await bench.job(40, { concurrency: 8, tokensPerMinute: 12_000, maxOutputTokens: 10 });
    bench.engine.startJob(jobId);
    const summary = await bench.engine.waitForJob(jobId);
    expect(summary.counts.done).toBe(40);
    expect(bench.mock.rateLimited).toBe(0);
  });

  it('5% 500s, 2% resets and 1% malformed bodies end with every row done and no request beyond the retries', async () => {
    const faultRates = { status500: 0.05, reset: 0.02, malformed: 0.01 };
    bench = await openBench({ latencyMs: 2, faultRates, seed: 7 });
    const { engine, mock } = bench;
    const jobId = await bench.job(300, { concurrency: 16, maxAttempts: 8 });
    engine.startJob(jobId);
    const summary = await engine.waitForJob(jobId);
    expect(summary.counts).toMatchObject({ done: 300, failed: 0 });
    expect(mock.faultsInjected.status500 + mock.faultsInjected.reset + mock.faultsInjected.malformed).toBeGreaterThan(
      10,
    );
    // The faults are a pure function of (seed, prompt, attempt): each row must have been sent
    // exactly once per injected fault plus once for its success.
    for (let n = 1; n <= 300; n += 1) {
      let attempts = 1;
      while (pickFault(faultRates, 7, prompt(n), attempts)) attempts += 1;
      expect(mock.requestsByPrompt.get(prompt(n)), prompt(n)).toBe(attempts);
    }
    const rows = firstCells(engine.getRows(jobId));
    expect(rows.filter((r) => r.attempts > 1).length).toBeGreaterThan(10);
  });

  it('400 and 422 fail the row at once with the provider’s words; the rest carry on', async () => {
    bench = await openBench({
      fault: (p) =>
        p === prompt(2)
          ? {
              status: 422,
              body: { error: { message: 'Unprocessable: bad schema', type: 'invalid_request_error', code: null } },
            }
          : p === prompt(4)
            ? { status: 400, body: { error: { message: 'Too long', type: 'invalid_request_error', code: null } } }
            : undefined,
    });
    const jobId = await bench.job(6, { concurrency: 3 });
    bench.engine.startJob(jobId);
    const summary = await bench.engine.waitForJob(jobId);
    expect(summary.counts).toMatchObject({ done: 4, failed: 2 });
    const rows = firstCells(bench.engine.getRows(jobId));
    expect(rows[1]).toMatchObject({
      status: 'failed',
      attempts: 1,
      error: 'The provider answered 422: Unprocessable: bad schema',
    });
    expect(rows[3]).toMatchObject({ status: 'failed', attempts: 1, error: 'The provider answered 400: Too long' });
  });

  it('gives up after max attempts on an error that keeps coming back', async () => {
    bench = await openBench({ fault: (p) => (p === prompt(1) ? { status: 500 } : undefined) });
    const jobId = await bench.job(2, { concurrency: 2, maxAttempts: 3 });
    bench.engine.startJob(jobId);
    await bench.engine.waitForJob(jobId);
    const [first] = firstCells(bench.engine.getRows(jobId));
    expect(first).toMatchObject({ status: 'failed', attempts: 3 });
    expect(first?.error).toContain('Gave up after 3 tries');
    expect(bench.engine.getRow(jobId, 0).attemptLog.map((a) => a.outcome)).toEqual(['retry', 'retry', 'failed']);
    expect(bench.mock.requestsByPrompt.get(prompt(1))).toBe(3);
  });

  it('stops the line on a rejected key: the job pauses with one explanation, no row fails, and resumes after the fix', async () => {
    bench = await openBench({
      latencyMs: 5,
      fault: () => ({
        status: 401,
        body: {
          error: { message: 'Incorrect API key provided', type: 'invalid_request_error', code: 'invalid_api_key' },
        },
      }),
    });
    const { engine, mock } = bench;
    const jobId = await bench.job(200, { concurrency: 4 });
    engine.startJob(jobId);
    const paused = await engine.waitForJob(jobId);
    expect(paused.status).toBe('paused');
    expect(paused.pauseReason).toBe(
      'Paused: the provider rejected the API key (401: Incorrect API key provided). Check the key, then press Resume.',
    );
    expect(paused.counts).toMatchObject({ failed: 0, done: 0, queued: 200 });
    expect(mock.totalRequests).toBeLessThanOrEqual(4);

    mock.setOptions({ latencyMs: 1 });
    engine.startJob(jobId);
    const done = await engine.waitForJob(jobId);
    expect(done).toMatchObject({ status: 'completed', pauseReason: null, counts: { done: 200, failed: 0 } });
  });

  it('stops the line when the quota is used up, and on an unknown model', async () => {
    bench = await openBench({
      fault: () => ({
        status: 429,
        body: {
          error: { message: 'You exceeded your current quota', type: 'insufficient_quota', code: 'insufficient_quota' },
        },
      }),
    });
    const quotaJob = await bench.job(20, { concurrency: 2 });
    bench.engine.startJob(quotaJob);
    expect((await bench.engine.waitForJob(quotaJob)).pauseReason).toContain('quota or credit is used up');

    bench.mock.setOptions({
      fault: () => ({
        status: 404,
        body: {
          error: {
            message: 'The model `gpt-9` does not exist',
            type: 'invalid_request_error',
            code: 'model_not_found',
          },
        },
      }),
    });
    const modelJob = await bench.job(20, { concurrency: 2 });
    bench.engine.startJob(modelJob);
    const summary = await bench.engine.waitForJob(modelJob);
    expect(summary.pauseReason).toContain('does not know this model (mock-1)');
    expect(summary.counts.failed).toBe(0);
  });

  it('pause lets running requests finish and starts no more; resume carries on; nothing is sent twice', async () => {
    bench = await openBench({ latencyMs: 30 });
    const { engine, mock } = bench;
    const jobId = await bench.job(60, { concurrency: 4 });
    engine.startJob(jobId);
    await until(() => doneCount(jobId) >= 8, 'eight rows done');
    engine.pauseJob(jobId);
    const paused = await engine.waitForJob(jobId);
    expect(paused.status).toBe('paused');
    expect(paused.counts.running).toBe(0);
    const sent = mock.totalRequests;
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(mock.totalRequests).toBe(sent);

    engine.startJob(jobId);
    const summary = await engine.waitForJob(jobId);
    expect(summary.counts.done).toBe(60);
    expect([...mock.requestsByPrompt.values()].every((n) => n === 1)).toBe(true);
  });

  it('cancel aborts requests in flight; their rows go back to the queue, not to failed', async () => {
    bench = await openBench({ latencyMs: 5_000 });
    const { engine, mock } = bench;
    const jobId = await bench.job(10, { concurrency: 4 });
    engine.startJob(jobId);
    await until(() => mock.inFlight === 4, 'four in flight');
    engine.cancelJob(jobId);
    const canceled = await engine.waitForJob(jobId);
    expect(canceled.status).toBe('canceled');
    expect(canceled.counts).toMatchObject({ queued: 10, failed: 0, running: 0 });
    await until(() => mock.inFlight === 0, 'the server to see the aborts');

    mock.setOptions({ latencyMs: 1 });
    engine.startJob(jobId);
    expect((await engine.waitForJob(jobId)).counts.done).toBe(10);
  });

  it('retries one failed row, then all failed rows; done rows are never sent again', async () => {
    const failing = new Set([prompt(3), prompt(5), prompt(7)]);
    bench = await openBench({ fault: (p, attempt) => (failing.has(p) && attempt === 1 ? { status: 400 } : undefined) });
    const { engine, mock } = bench;
    const jobId = await bench.job(8, { concurrency: 2 });
    engine.startJob(jobId);
    expect((await engine.waitForJob(jobId)).counts).toMatchObject({ done: 5, failed: 3 });

    expect(engine.retryRows(jobId, [2]).requeued).toBe(1);
    expect((await engine.waitForJob(jobId)).counts).toMatchObject({ done: 6, failed: 2 });
    expect(mock.requestsByPrompt.get(prompt(3))).toBe(2);
    expect(mock.requestsByPrompt.get(prompt(5))).toBe(1);

    expect(engine.retryRows(jobId, [0, 1]).requeued).toBe(0);
    expect(engine.retryRows(jobId, 'failed').requeued).toBe(2);
    const summary = await engine.waitForJob(jobId);
    expect(summary).toMatchObject({ status: 'completed', counts: { done: 8, failed: 0 } });
    for (const n of [1, 2, 4, 6, 8]) expect(mock.requestsByPrompt.get(prompt(n))).toBe(1);
  });

  it('Retry-After pauses the whole job, not just the request that got it', async () => {
    let limitedAt = 0;
    const arrivals: number[] = [];
    bench = await openBench({
      latencyMs: 10,
      fault: (p, attempt) => {
        arrivals.push(performance.now());
        if (p === prompt(5) && attempt === 1) {
          limitedAt = performance.now();
          return { status: 429, headers: { 'retry-after-ms': '400' } };
        }
        return undefined;
      },
    });
    const jobId = await bench.job(40, { concurrency: 4 });
    bench.engine.startJob(jobId);
    expect((await bench.engine.waitForJob(jobId)).counts.done).toBe(40);
    expect(limitedAt).toBeGreaterThan(0);
    // Requests already on their way may land just after the 429; after that, silence until the wait is over.
    expect(arrivals.filter((t) => t > limitedAt + 60 && t < limitedAt + 390)).toEqual([]);
    expect(firstCells(bench.engine.getRows(jobId))[4]?.attempts).toBe(2);
    // The row drawer shows each attempt.
    const detail = bench.engine.getRow(jobId, 4);
    expect(detail.prompt).toBe(prompt(5));
    expect(detail.attemptLog.map((a) => [a.attempt, a.outcome, a.httpStatus])).toEqual([
      [1, 'rate_limited', 429],
      [2, 'done', 200],
    ]);
  });

  it('a request that never answers times out and is tried again', async () => {
    let hung = false;
    bench = await openBench({
      // The first request for row 2 hangs far past the job's timeout.
      latencyMs: (p) => {
        if (p !== prompt(2) || hung) return 1;
        hung = true;
        return 60_000;
      },
    });
    const jobId = await bench.job(3, { concurrency: 3, timeoutSeconds: 0.3 });
    bench.engine.startJob(jobId);
    const summary = await bench.engine.waitForJob(jobId);
    expect(summary.counts.done).toBe(3);
    expect(firstCells(bench.engine.getRows(jobId))[1]).toMatchObject({ status: 'done', attempts: 2 });
  });

  it('automatic concurrency climbs, backs off on 429s, and settles under the server’s cap', async () => {
    bench = await openBench({ latencyMs: 15, maxConcurrent: 6 });
    const jobId = await bench.job(400, { concurrency: 1, autoConcurrency: true });
    bench.engine.startJob(jobId);
    const summary = await bench.engine.waitForJob(jobId);
    expect(summary.counts.done).toBe(400);
    const seen = bench.jobEvents.filter((e) => e.id === jobId && e.live).map((e) => e.live?.concurrency ?? 0);
    // It climbed from 1 to the server's cap, probed past it, and came back under it.
    expect(bench.mock.peakConcurrent).toBe(6);
    expect(bench.mock.concurrencyRejected).toBeGreaterThan(0);
    expect(bench.mock.concurrencyRejected).toBeLessThan(60);
    expect(Math.max(...seen)).toBeGreaterThanOrEqual(4);
    expect(seen.at(-1)).toBeLessThanOrEqual(8);
  });
});

describe('the budget cap', () => {
  let bench: Bench;
  afterEach(async () => {
    await bench?.close();
  });

  it('pauses before the job could go over its budget, overshooting by nothing in flight; raising it carries on', async () => {
    // gpt-4o-mini has a list price; the mock server answers whatever the model is called.
    bench = await openBench({ latencyMs: 10 });
    const { engine } = bench;
    const lines = ['n', ...Array.from({ length: 100 }, (_, i) => String(i + 1))];
    const preview = await engine.importBytes('rows.csv', Buffer.from(lines.join('\n')));
    const job = engine.createJob({
      sheetId: preview.sheetId,
      template: 'Row {{n}}',
      provider: { kind: 'openai', baseUrl: bench.mock.baseUrl, model: 'gpt-4o-mini' },
      settings: { concurrency: 4, maxOutputTokens: 20, maxCost: 0.0001 },
    });
    engine.startJob(job.id);
    const paused = await engine.waitForJob(job.id);
    expect(paused.status).toBe('paused');
    expect(paused.pauseReason).toContain('could take this job over its budget of $0.0001');
    expect(paused.usage.cost).toBeGreaterThan(0);
    expect(paused.usage.cost).toBeLessThanOrEqual(0.0001);
    expect(paused.counts.failed).toBe(0);
    expect(paused.counts.done).toBeGreaterThan(5);
    expect(paused.counts.done).toBeLessThan(100);

    engine.updateJobSettings(job.id, { maxCost: 1 });
    engine.startJob(job.id);
    const done = await engine.waitForJob(job.id);
    expect(done).toMatchObject({ status: 'completed', counts: { done: 100 } });
  });

  it('says it cannot keep to a budget when the model has no known price', async () => {
    bench = await openBench({ latencyMs: 1 });
    const jobId = await bench.job(10, { concurrency: 2, maxCost: 5 });
    bench.engine.startJob(jobId);
    const paused = await bench.engine.waitForJob(jobId);
    expect(paused.pauseReason).toContain('knows no price for this model (mock-1)');
    expect(bench.mock.totalRequests).toBe(0);
  });
});

describe('the response cache', () => {
  let bench: Bench;
  afterEach(async () => {
    await bench?.close();
  });

  it('a re-run of identical requests sends nothing and costs nothing; it can be switched off per job', async () => {
    bench = await openBench({ latencyMs: 2 });
    const { engine, mock } = bench;
    const first = await bench.job(20, { concurrency: 4 });
    engine.startJob(first);
    await engine.waitForJob(first);
    expect(mock.totalRequests).toBe(20);

    mock.resetCounters();
    const again = engine.duplicateJob(first).id;
    engine.startJob(again);
    const summary = await engine.waitForJob(again);
    expect(summary.counts.done).toBe(20);
    expect(mock.totalRequests).toBe(0);
    const rows = firstCells(engine.getRows(again));
    expect(
      rows.every(
        (row) => row.cached && row.cost === 0 && row.output === firstCells(engine.getRows(first))[row.index]?.output,
      ),
    ).toBe(true);

    const fresh = engine.duplicateJob(first).id;
    engine.updateJobSettings(fresh, { useCache: false });
    engine.startJob(fresh);
    await engine.waitForJob(fresh);
    expect(mock.totalRequests).toBe(20);
    expect(firstCells(engine.getRows(fresh)).some((row) => row.cached)).toBe(false);
  });

  it('a job with the cache off writes nothing to it; one with it on stores each answer with its row', async () => {
    bench = await openBench({ latencyMs: 2 });
    const { engine, mock, dbFile } = bench;
    const cacheEntries = (): number => {
      const db = new Database(dbFile, { readonly: true });
      try {
        return (db.prepare('SELECT count(*) AS n FROM response_cache').get() as { n: number }).n;
      } finally {
        db.close();
      }
    };
    const off = await bench.job(20, { concurrency: 4, useCache: false });
    engine.startJob(off);
    expect((await engine.waitForJob(off)).counts.done).toBe(20);
    expect(cacheEntries()).toBe(0);

    const on = engine.duplicateJob(off).id;
    engine.updateJobSettings(on, { useCache: true });
    engine.startJob(on);
    await engine.waitForJob(on);
    expect(mock.totalRequests).toBe(40);
    expect(cacheEntries()).toBe(20);

    const again = engine.duplicateJob(on).id;
    engine.startJob(again);
    await engine.waitForJob(again);
    expect(mock.totalRequests).toBe(40);
    expect(firstCells(engine.getRows(again)).every((row) => row.cached)).toBe(true);
  });
});

describe('run parameters and JSON answers', () => {
  let bench: Bench;
  afterEach(async () => {
    await bench?.close();
  });

  it('sends temperature, top_p, stop and a strict JSON schema; each field becomes its own export column', async () => {
    bench = await openBench({ latencyMs: 1 });
    const { engine, mock, dir } = bench;
    const jobId = await bench.job(3, {
      concurrency: 2,
      temperature: 0.2,
      topP: 0.9,
      stop: ['\n\n'],
      jsonOutput: {
        fields: [
          { name: 'title', type: 'string' },
          { name: 'words', type: 'number' },
        ],
      },
    });
    engine.startJob(jobId);
    expect((await engine.waitForJob(jobId)).counts.done).toBe(3);
    expect(mock.lastRequest).toMatchObject({
      temperature: 0.2,
      top_p: 0.9,
      stop: ['\n\n'],
      response_format: {
        type: 'json_schema',
        json_schema: {
          name: 'row',
          strict: true,
          schema: { type: 'object', required: ['title', 'words'], additionalProperties: false },
        },
      },
    });
    const out = join(dir, 'out.jsonl');
    await engine.exportTo(jobId, out, { format: 'jsonl', rows: 'all' });
    const first = JSON.parse(readFileSync(out, 'utf8').split('\n')[0] ?? '{}') as Record<string, unknown>;
    expect(first).toMatchObject({ n: '1', 'output.title': 'title of Row 1', 'output.words': 5, status: 'done' });
  });

  it('an answer that is not the JSON asked for is retried, then fails with a plain reason', async () => {
    bench = await openBench({ latencyMs: 1 });
    const jobId = await bench.job(1, { concurrency: 1, maxAttempts: 2, jsonOutput: { fields: [] } });
    // The mock answers JSON mode with {"answer": …}: switch the job to demand a field it never sends.
    bench.engine.updateJobSettings(jobId, { jsonOutput: { fields: [{ name: 'missing', type: 'string' }] } });
    bench.mock.setOptions({
      latencyMs: 1,
      fault: () => ({ status: 200, body: { choices: [{ message: { content: 'not json' } }] } }),
    });
    bench.engine.startJob(jobId);
    await bench.engine.waitForJob(jobId);
    const [row] = firstCells(bench.engine.getRows(jobId));
    expect(row).toMatchObject({ status: 'failed', attempts: 2 });
    expect(row?.error).toContain('The answer was not the JSON asked for: it is not valid JSON.');
  });
});
