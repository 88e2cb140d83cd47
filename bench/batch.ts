/**
 * `npm run bench -- batch` (issue 16): a 100,000-row job through OpenAI's Batch API on the mock
 * server (in its own process, on the other core), as one whole `rowbot run FILE --batch --out OUT.csv`
 * process: wall, CPU and peak RSS from spawn to exit (bench/rusage.py), the batches it made, and how
 * fast their results went into SQLite (rows over the span of each batch's stored chunks).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { BaselineMockMessage, BaselineMockStats } from './baseline-mock.ts';
import { ask, CLIENT_CORE, findPython, startMock, USAGE_HEADER, usageCells, wholeRowbotRun } from './baseline.ts';
import { table } from './whole-process.ts';

const ROWS = Number(process.env.ROWBOT_BATCH_ROWS ?? 100_000);

export async function batchFigures(): Promise<string[]> {
  const found = findPython();
  if ('missing' in found) return [`Batch skipped: ${found.missing} (bench/rusage.py measures the process).`];
  const dir = mkdtempSync(join(tmpdir(), 'rowbot-bench-batch-'));
  // The mock ends a batch 1 s after it is created and serves its whole output file then.
  const mock = await startMock({ latency: { fixedMs: 0 }, batch: { completeAfterMs: 1000, shuffle: true } });
  try {
    await ask(mock.child, 'reset');
    const { usage, dbFile, out } = await wholeRowbotRun(found.python, dir, mock.baseUrl, ROWS, [
      '--model',
      'gpt-4o-mini',
      '--batch',
    ]);
    await ask<BaselineMockStats>(mock.child, 'stats');
    const db = new Database(dbFile, { readonly: true });
    let rates: string[];
    let batches: number;
    let done: number;
    let cost: number;
    try {
      // From the moment Rowbot saw a batch had ended (polled_at) to its last result stored (ended_at):
      // the results file downloaded, read and written into the rows.
      const spans = db.prepare('SELECT requests, polled_at, ended_at FROM job_batches ORDER BY created_at').all() as {
        requests: number;
        polled_at: string;
        ended_at: string;
      }[];
      batches = spans.length;
      rates = spans.map((s) => {
        const seconds = (Date.parse(s.ended_at) - Date.parse(s.polled_at)) / 1000;
        return seconds > 0 ? `${Math.round(s.requests / seconds).toLocaleString('en-US')}` : 'n/a';
      });
      done = (db.prepare("SELECT COUNT(*) AS n FROM job_cells WHERE status = 'done'").get() as { n: number }).n;
      cost = (db.prepare('SELECT SUM(cost_nanos) AS n FROM job_cells').get() as { n: number }).n / 1e9;
    } finally {
      db.close();
    }
    const written = readFileSync(out, 'utf8').split('\r\n').length - 2;
    return [
      `Batch (issue 16) — rowbot run of ${ROWS.toLocaleString('en-US')} rows --batch against the mock's OpenAI Batch API`,
      `(each batch ends 1 s after creation), one whole process with --out CSV on core ${CLIENT_CORE}.`,
      ...table(
        [
          ...USAGE_HEADER,
          'batches',
          'results in, rows/s (per batch: download, read, store)',
          'rows done',
          'CSV rows',
          'cost',
        ],
        [
          [
            ...usageCells(usage),
            String(batches),
            rates.join(' / '),
            done.toLocaleString('en-US'),
            written.toLocaleString('en-US'),
            `$${cost.toFixed(4)} (half of gpt-4o-mini's list price)`,
          ],
        ],
      ),
    ];
  } finally {
    await new Promise((resolveStop) => {
      mock.child.once('exit', resolveStop);
      mock.child.send('stop' satisfies BaselineMockMessage);
    });
    rmSync(dir, { recursive: true, force: true });
  }
}
