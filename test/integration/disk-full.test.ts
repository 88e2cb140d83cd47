/**
 * A full disk while a job runs (issue 13: 9). SQLite's max_page_count caps the database file for
 * real, so every write past the cap gets SQLITE_FULL exactly as on a full disk. The job pauses and
 * says so in plain words, every answer that fits is stored, and nothing crashes: not the engine
 * that `rowbot serve` and the app run, not `rowbot run`.
 */
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { Engine } from '../../electron/engine/engine.ts';
import { capDatabaseGrowth, type DiskCap } from '../fixtures/disk-cap.ts';
import { mockReply } from '../fixtures/mock-llm-server.ts';
import { DISK_CAP, rowbot, STACK_LINE } from './cli-process.ts';
import { openBench, prompt, type Bench } from './harness.ts';
import { firstCells } from '../fixtures/cells.ts';

const ROWS = 400;
/** Room for some of the answers, not all: the disk fills mid-run. */
const FREE_PAGES = 4;

interface StoredRow {
  row_index: number;
  status: string;
  output: string | null;
  error: string | null;
}

function storedRows(
  dbFile: string,
  jobId: string,
): { job: { status: string; pause_reason: string }; rows: StoredRow[] } {
  const db = new Database(dbFile, { readonly: true });
  try {
    return {
      job: db.prepare('SELECT status, pause_reason FROM jobs WHERE id = ?').get(jobId) as {
        status: string;
        pause_reason: string;
      },
      rows: db
        .prepare(
          'SELECT row_index, status, output, error FROM job_cells WHERE job_id = ? AND col = 0 ORDER BY row_index',
        )
        .all(jobId) as StoredRow[],
    };
  } finally {
    db.close();
  }
}

describe('a full disk while a job runs', () => {
  let bench: Bench | undefined;
  let cap: DiskCap | undefined;
  afterEach(async () => {
    cap?.lift();
    cap = undefined;
    await bench?.close();
    bench = undefined;
  });

  it('pauses the job with "the disk is full", keeps every answer, and sends none twice after space is freed', async () => {
    bench = await openBench({ latencyMs: (p) => 2 + (p.length % 5) });
    const jobId = await bench.job(ROWS, { concurrency: 8 });
    await bench.engine.close();

    cap = capDatabaseGrowth(FREE_PAGES);
    const engine = new Engine({ dbFile: bench.dbFile });
    try {
      engine.startJob(jobId);
      const paused = await engine.waitForJob(jobId);
      expect(paused.status).toBe('paused');
      expect(paused.pauseReason).toContain('the disk is full');
      expect(paused.pauseReason).toContain(bench.dbFile);
      expect(paused.counts.failed).toBe(0);
      expect(paused.counts.done).toBeGreaterThan(0);
      expect(paused.counts.done).toBeLessThan(ROWS);

      // Still full: resuming says so instead of sending rows whose answers are waiting to be stored.
      expect(() => engine.startJob(jobId)).toThrow(/disk is full/);

      cap.lift();
      engine.startJob(jobId);
      const summary = await engine.waitForJob(jobId);
      expect(summary.counts).toMatchObject({ done: ROWS, failed: 0, total: ROWS });
      const rows = firstCells(engine.getRows(jobId));
      expect(rows.every((row) => row.output === mockReply(prompt(row.index + 1)))).toBe(true);
    } finally {
      await engine.close();
    }
    // The answers that did not fit were kept in memory and stored once there was room: none was bought twice.
    expect(bench.mock.requestsByPrompt.size).toBe(ROWS);
    expect([...bench.mock.requestsByPrompt.values()].every((n) => n === 1)).toBe(true);
  });

  it('rowbot run: the job pauses with plain words and what to do, no crash, no stack trace, no answer marked failed', async () => {
    bench = await openBench({ latencyMs: (p) => 2 + (p.length % 5) });
    const jobId = await bench.job(ROWS, { concurrency: 8 });
    await bench.engine.close();

    const run = await rowbot(['run', '--resume', jobId, '--db', bench.dbFile], {
      NODE_OPTIONS: DISK_CAP,
      ROWBOT_TEST_FREE_PAGES: String(FREE_PAGES),
    });
    expect(run.stderr).toContain('the disk is full');
    expect(run.stderr).toContain('Free some space');
    expect(run.stderr).toContain(`rowbot run --resume ${jobId}`);
    expect(run.stderr).not.toContain('SqliteError');
    expect(run.stderr).not.toMatch(STACK_LINE);
    expect(run.status).toBe(1);

    const { job, rows } = storedRows(bench.dbFile, jobId);
    expect(job.status).toBe('paused');
    expect(job.pause_reason).toContain('the disk is full');
    expect(rows.filter((row) => row.status === 'failed')).toEqual([]);
    const done = rows.filter((row) => row.status === 'done');
    expect(done.length).toBeGreaterThan(0);
    for (const row of done) expect(row.output).toBe(mockReply(prompt(row.row_index + 1)));
  });
});
