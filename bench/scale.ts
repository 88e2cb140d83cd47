/**
 * `npm run bench -- scale` (issue 14, point 3): 1,000,000 rows at 5 ms answers and concurrency 500
 * as one whole `rowbot run … --out OUT.csv` process (spawn to exit, under bench/rusage.py: wall,
 * CPU seconds, peak RSS), the mock server in its own process on the other core. Then, from the
 * job's own SQLite file, the rate of the first and the last 100,000 answers (a cost that grows with
 * the job's size shows as a slower end), and the CSV read back by PapaParse, not by Rowbot.
 */
import { spawnSync } from 'node:child_process';
import { createReadStream, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import Papa from 'papaparse';
import type { BaselineMockMessage } from './baseline-mock.ts';
import { ask, CLIENT_CORE, findPython, startMock, USAGE_HEADER, usageCells, wholeRowbotRun } from './baseline.ts';
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
          `SELECT finished_at FROM job_cells WHERE job_id = ? AND status = 'done' ORDER BY finished_at ${order}, row_index LIMIT 1 OFFSET ?`,
        )
        .get(jobId, offset) as { finished_at: string }
    ).finished_at;
  });
  return count / ((Date.parse(last as string) - Date.parse(first as string)) / 1000);
}

interface CpuSample {
  done: number;
  cpuSeconds: number;
}

/**
 * Every half second while `rowbot run` works: the CPU seconds its process has used (/proc, on
 * Linux) against the rows done (job_counts, read from its database). CPU per row of the first and
 * the last slice then shows a cost that grows with the job's size, whatever else the machine does.
 */
function sampleCpu(dbFile: string): { stop(): CpuSample[] } {
  const samples: CpuSample[] = [];
  const ticks = 100; // USER_HZ on Linux
  const timer = setInterval(() => {
    const pid = spawnSync('pgrep', ['-f', dbFile], { encoding: 'utf8' }).stdout.trim().split('\n').pop();
    if (!pid || !existsSync(dbFile)) return;
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8')
        .replace(/^.*\) /, '')
        .split(' ');
      const cpuSeconds = (Number(fields[11]) + Number(fields[12])) / ticks;
      const db = new Database(dbFile, { readonly: true, fileMustExist: true });
      try {
        const row = db.prepare("SELECT SUM(n) AS n FROM job_counts WHERE status = 'done'").get() as
          { n: number | null } | undefined;
        samples.push({ done: row?.n ?? 0, cpuSeconds });
      } finally {
        db.close();
      }
    } catch {
      // Not started yet, or gone: the next sample.
    }
  }, 500);
  return {
    stop: () => {
      clearInterval(timer);
      return samples;
    },
  };
}

/** CPU microseconds per row between `from` and `to` rows done, from the nearest samples. */
function cpuPerRow(samples: readonly CpuSample[], from: number, to: number): number {
  const at = (rows: number): CpuSample | undefined => samples.find((s) => s.done >= rows);
  // From the first answer: the job's creation before it is start-up, not a cost per row.
  const start = at(Math.max(from, 1));
  const end = at(to) ?? samples.at(-1);
  if (!start || !end || end.done <= start.done) return NaN;
  return ((end.cpuSeconds - start.cpuSeconds) / (end.done - start.done)) * 1e6;
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
    const sampler = sampleCpu(join(dir, 'run.db'));
    const { usage, dbFile, out } = await wholeRowbotRun(found.python, dir, mock.baseUrl, ROWS, [
      '--model',
      'mock-1',
      '--concurrency',
      String(CONCURRENCY),
      '--no-cache',
    ]);
    const samples = sampler.stop();
    const firstCpu = cpuPerRow(samples, 0, SLICE);
    const lastCpu = cpuPerRow(samples, ROWS - SLICE, ROWS);
    const db = new Database(dbFile, { readonly: true });
    let first: number;
    let lastRate: number;
    let lastAnswer: string;
    try {
      const { id } = db.prepare('SELECT id FROM jobs').get() as { id: string };
      // The last answer stored (the mock's own log keeps only the first 100,000 requests).
      lastAnswer = (db.prepare('SELECT MAX(finished_at) AS at FROM job_cells').get() as { at: string }).at;
      first = sliceRate(db, id, 0, SLICE);
      lastRate = sliceRate(db, id, ROWS - SLICE, SLICE);
    } finally {
      db.close();
    }
    const read = await countCsv(out);
    const tail = (usage.exitEpochMs - Date.parse(lastAnswer)) / 1000;
    const k = (n: number): string => `${Math.round(n / 1000).toLocaleString('en-US')}k`;
    return [
      `Scale (issue 14) — rowbot run of ${ROWS.toLocaleString('en-US')} rows, ${LATENCY_MS} ms answers, concurrency ${CONCURRENCY}, --out CSV,`,
      `one whole process (spawn to exit) on core ${CLIENT_CORE}, the mock server on the other; rates from the job's SQLite file.`,
      ...table(
        [
          ...USAGE_HEADER,
          'rows/s',
          `first ${k(SLICE)} rows/s`,
          `last ${k(SLICE)} rows/s`,
          'last ÷ first',
          `CPU µs/row first / last ${k(SLICE)}`,
          'last answer → exit (export)',
          'CSV read back (PapaParse)',
        ],
        [
          [
            ...usageCells(usage),
            String(Math.round(ROWS / usage.wallSeconds)),
            String(Math.round(first)),
            String(Math.round(lastRate)),
            (lastRate / first).toFixed(2),
            `${Math.round(firstCpu)} / ${Math.round(lastCpu)} (${(lastCpu / firstCpu).toFixed(2)})`,
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
