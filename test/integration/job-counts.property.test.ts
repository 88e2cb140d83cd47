import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KEY_IDS } from '../../shared/providers.ts';
import { Engine } from '../../electron/engine/engine.ts';
import { cutOffReplies, startMockLlmServer } from '../fixtures/mock-llm-server.ts';
import { openBench, prompt } from './harness.ts';

type Op =
  | {
      kind:
        'start' | 'pause' | 'retryFailed' | 'retryCutOff' | 'cancel' | 'restart' | 'duplicate' | 'delete' | 'unprice';
    }
  | { kind: 'price'; output: number }
  | { kind: 'wait'; ms: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.constant({ kind: 'start' } as const) },
  { weight: 3, arbitrary: fc.integer({ min: 0, max: 40 }).map((ms) => ({ kind: 'wait', ms }) as const) },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom(...(['pause', 'retryFailed', 'retryCutOff', 'cancel', 'restart', 'duplicate', 'delete'] as const))
      .map((kind) => ({ kind })),
  },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 20 }).map((output) => ({ kind: 'price', output }) as const) },
);

const COUNTERS = 'col, status, n, prompt, completion, cost_nanos, priced, cut_off, stale, edited';

/** The counters as stored, and the GROUP BY over the cells they replace; both per job, column and status. */
function countersAndRecount(dbFile: string): { counters: unknown[]; recount: unknown[] } {
  const db = new Database(dbFile, { readonly: true });
  try {
    // One read transaction: both sides see the same snapshot while a run writes beside them.
    return db.transaction(() => ({
      counters: db.prepare(`SELECT job_id, ${COUNTERS} FROM job_counts WHERE n > 0 ORDER BY job_id, col, status`).all(),
      recount: db
        .prepare(
          `SELECT job_id, col, status, COUNT(*) AS n, COALESCE(SUM(prompt_tokens), 0) AS prompt,
                  COALESCE(SUM(completion_tokens), 0) AS completion, COALESCE(SUM(cost_nanos), 0) AS cost_nanos,
                  COUNT(cost_nanos) AS priced, COALESCE(SUM(finish = 'length'), 0) AS cut_off,
                  SUM(stale) AS stale, SUM(edited) AS edited
           FROM job_cells GROUP BY job_id, col, status ORDER BY job_id, col, status`,
        )
        .all(),
    }))();
  } finally {
    db.close();
  }
}

describe('job_counts', () => {
  it('after any sequence of runs with faults, pauses, retries, cancels, restarts and deletes, equal a recount of the rows', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 3, maxLength: 10 }), fc.integer(), async (ops, seed) => {
        const dir = mkdtempSync(join(tmpdir(), 'rowbot-counts-'));
        const dbFile = join(dir, 'rowbot.db');
        const mock = await startMockLlmServer({
          latencyMs: 2,
          seed,
          faultRates: { status500: 0.15, reset: 0.05, malformed: 0.05 },
          replyBody: cutOffReplies(new Set([prompt(2), prompt(7), prompt(11)])),
        });
        const allowKeyTo = KEY_IDS.map((keyId) => ({ keyId, origin: new URL(mock.baseUrl).origin }));
        const open = (): Engine => new Engine({ dbFile, backoff: { baseDelayMs: 1, maxDelayMs: 4 }, allowKeyTo });
        let engine = open();
        try {
          engine.setPrice({ model: 'mock-1', input: 1, cachedInput: null, output: 2 });
          const lines = ['n', ...Array.from({ length: 24 }, (_, i) => String(i + 1))];
          const preview = await engine.importBytes('rows.csv', Buffer.from(lines.join('\n')));
          const jobs = [
            engine.createJob({
              sheetId: preview.sheetId,
              template: 'Row {{n}}',
              provider: { kind: 'openai', baseUrl: mock.baseUrl, model: 'mock-1' },
              settings: { concurrency: 4, maxAttempts: 2, maxOutputTokens: 64, useCache: false },
            }).id,
          ];
          let limit = 64;
          for (const [i, step] of ops.entries()) {
            const jobId = jobs[i % jobs.length];
            if (jobId === undefined) break;
            try {
              switch (step.kind) {
                case 'start':
                  engine.startJob(jobId);
                  break;
                case 'wait':
                  await new Promise((resolve) => setTimeout(resolve, step.ms));
                  break;
                case 'pause':
                  engine.pauseJob(jobId);
                  break;
                case 'retryFailed':
                  engine.retryRows(jobId, 'failed');
                  break;
                case 'retryCutOff':
                  limit += 64;
                  engine.retryCutOff(jobId, limit);
                  break;
                case 'cancel':
                  engine.cancelJob(jobId);
                  break;
                case 'restart':
                  await engine.close();
                  engine = open();
                  break;
                case 'duplicate':
                  jobs.push(engine.duplicateJob(jobId).id);
                  break;
                case 'delete':
                  await engine.deleteJob(jobId);
                  jobs.splice(jobs.indexOf(jobId), 1);
                  break;
                case 'unprice':
                  // Answers that come now are priced after the fact, when a price is set again.
                  engine.resetPrice('mock-1');
                  break;
                case 'price':
                  engine.setPrice({ model: 'mock-1', input: 1, cachedInput: null, output: step.output });
                  break;
              }
            } catch (error) {
              // An operation the job's state refuses (pausing a finished job...) is part of the sequence.
              if (!(error instanceof Error && 'code' in error)) throw error;
            }
            const { counters, recount } = countersAndRecount(dbFile);
            expect(counters).toEqual(recount);
          }
          for (const jobId of jobs) {
            const job = engine.getJob(jobId);
            if (job.status === 'running') await engine.waitForJob(jobId);
          }
          const { counters, recount } = countersAndRecount(dbFile);
          expect(counters).toEqual(recount);
        } finally {
          await engine.close();
          await mock.close();
          rmSync(dir, { recursive: true, force: true });
        }
      }),
      { numRuns: 12 },
    );
  }, 120_000);

  it('follow a price set after the answers came (their costs are worked out then)', async () => {
    const bench = await openBench({ latencyMs: 1 });
    try {
      const jobId = await bench.job(6, { concurrency: 3, useCache: false });
      bench.engine.startJob(jobId);
      await bench.engine.waitForJob(jobId);
      expect(bench.engine.getJob(jobId).usage.cost).toBeNull();
      bench.engine.setPrice({ model: 'mock-1', input: 1, cachedInput: null, output: 2 });
      expect(bench.engine.getJob(jobId).usage.cost).toBeGreaterThan(0);
      const { counters, recount } = countersAndRecount(bench.dbFile);
      expect(counters).toEqual(recount);
    } finally {
      await bench.close();
    }
  });
});
