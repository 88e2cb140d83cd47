/**
 * `npm run bench -- scale` (issue 14, point 3): 1,000,000 rows at 5 ms answers and concurrency 500
 * as one whole `rowbot run … --out OUT.csv` process (spawn to exit, under bench/rusage.py: wall,
 * CPU seconds, peak RSS), the mock server in its own process on the other core. Then, from the
 * job's own SQLite file, the rate of the first and the last 100,000 answers (a cost that grows with
 * the job's size shows as a slower end), and the CSV read back by PapaParse, not by Rowbot.
 */
import { createReadStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import Papa from 'papaparse';
import type { BaselineMockMessage, BaselineMockStats } from './baseline-mock.ts';
import { ask, CLIENT_CORE, findPython, startMock, wholeRowbotRun } from './baseline.ts';
import { table } from './whole-process.ts';

const ROWS = Number(process.env.ROWBOT_SCALE_ROWS ?? 1_000_000);
const SLICE = Math.min(100_000, Math.floor(ROWS / 10));
const CONCURRENCY = 500;
const LATENCY_MS = 5;

/** Rows answered per second over the `count` answers from the `from`-th (in the order they finished). */
function sliceRate(db: Database.Database, jobId: string, from: number, count: number): number {
  const [first, last] = (['ASC', 'DESC'] as const).map((order, i) => {
    const offset = i === 0 ? from : ROWS - (from + count);
    return (
      db
        .prepare(
          `SELECT finished_at FROM job_rows WHERE job_id = ? AND status = 'done' ORDER BY finished_at ${order}, row_index LIMIT 1 OFFSET ?`,
        )
        .get(jobId, offset) as { finished_at: string }
    ).finished_at;
  });
  return count / ((Date.parse(last as string) - Date.parse(first as string)) / 1000);
}

/** Data rows in the CSV and how many say done, read by PapaParse as a stream. */
function countCsv(file: string): Promise<{ rows: number; done: number }> {
  return new Promise((resolveCount, reject) => {
    let rows = 0;
    let done = 0;
    Papa.parse<Record<string, string>>(createReadStream(file, 'utf8') as unknown as File, {
      header: true,
      skipEmptyLines: true,
      step: (result) => {
        rows += 1;
        if (result.data.status === 'done') done += 1;
      },
      complete: () => resolveCount({ rows, done }),
      error: reject,
    });
  });
}

export async function scaleFigures(): Promise<string[]> {
  const found = findPython();
  if ('missing' in found) return [`Scale skipped: ${found.missing} (bench/rusage.py measures the process).`];
  const dir = mkdtempSync(join(tmpdir(), 'rowbot-bench-scale-'));
  const mock = await startMock({ latency: { fixedMs: LATENCY_MS } });
  try {
    await ask(mock.child, 'reset');
    const { usage, dbFile, out } = await wholeRowbotRun(found.python, dir, mock.baseUrl, ROWS, [
      '--model',
      'mock-1',
      '--concurrency',
      String(CONCURRENCY),
      '--no-cache',
    ]);
    const stats = await ask<BaselineMockStats>(mock.child, 'stats');
    const db = new Database(dbFile, { readonly: true });
    let first: number;
    let lastRate: number;
    try {
      const { id } = db.prepare('SELECT id FROM jobs').get() as { id: string };
      first = sliceRate(db, id, 0, SLICE);
      lastRate = sliceRate(db, id, ROWS - SLICE, SLICE);
    } finally {
      db.close();
    }
    const read = await countCsv(out);
    const tail = (usage.exitEpochMs - (stats.lastAnswerEpochMs ?? NaN)) / 1000;
    const k = (n: number): string => `${Math.round(n / 1000).toLocaleString('en-US')}k`;
    return [
      `Scale (issue 14) — rowbot run of ${ROWS.toLocaleString('en-US')} rows, ${LATENCY_MS} ms answers, concurrency ${CONCURRENCY}, --out CSV,`,
      `one whole process (spawn to exit) on core ${CLIENT_CORE}, the mock server on the other; rates from the job's SQLite file.`,
      ...table(
        [
          'wall',
          'CPU s',
          'peak RSS',
          'rows/s',
          `first ${k(SLICE)} rows/s`,
          `last ${k(SLICE)} rows/s`,
          'last ÷ first',
          'last answer → exit (export)',
          'CSV read back (PapaParse)',
        ],
        [
          [
            `${usage.wallSeconds.toFixed(1)} s`,
            usage.cpuSeconds.toFixed(1),
            `${Math.round(usage.peakRssMb)} MB`,
            String(Math.round(ROWS / usage.wallSeconds)),
            String(Math.round(first)),
            String(Math.round(lastRate)),
            (lastRate / first).toFixed(2),
            `${tail.toFixed(2)} s`,
            `${read.rows.toLocaleString('en-US')} rows, ${read.done.toLocaleString('en-US')} done`,
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
