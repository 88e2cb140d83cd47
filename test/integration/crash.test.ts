import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { Engine } from '../../electron/engine/engine.ts';
import { mockReply } from '../fixtures/mock-llm-server.ts';
import { killMidRun, openBench, prompt, type Bench } from './harness.ts';
import { firstCells } from '../fixtures/cells.ts';

const ROWS = 400;
const CONCURRENCY = 8;

describe('kill -9 mid-run', () => {
  let bench: Bench;
  afterEach(async () => {
    await bench?.close();
  });

  it('loses nothing: done rows stay done, running rows are requeued, and no more rows are sent twice than were in flight', async () => {
    bench = await openBench({ latencyMs: (p) => 10 + (p.length % 7) * 3 });
    const jobId = await bench.job(ROWS, { concurrency: CONCURRENCY });
    // The child owns the database while it runs.
    await bench.engine.close();

    await killMidRun(bench.dbFile, jobId, 120);

    // What survived on disk, read by a separate connection.
    const db = new Database(bench.dbFile, { readonly: true });
    const before = db
      .prepare("SELECT row_index, output FROM job_cells WHERE job_id = ? AND col = 0 AND status = 'done'")
      .all(jobId) as { row_index: number; output: string }[];
    db.close();
    expect(before.length).toBeGreaterThanOrEqual(120);

    const engine = new Engine({ dbFile: bench.dbFile });
    try {
      const recovered = engine.getJob(jobId);
      expect(recovered.status).toBe('paused');
      expect(recovered.pauseReason).toContain('Press Resume');
      expect(recovered.counts.running).toBe(0);
      expect(recovered.counts.done).toBe(before.length);

      engine.startJob(jobId);
      const summary = await engine.waitForJob(jobId);
      expect(summary.counts).toMatchObject({ done: ROWS, failed: 0, total: ROWS });
      const rows = firstCells(engine.getRows(jobId));
      for (const { row_index, output } of before) expect(rows[row_index]?.output).toBe(output);
      expect(rows.every((row) => row.output === mockReply(prompt(row.index + 1)))).toBe(true);
    } finally {
      await engine.close();
    }

    const sentTwice = [...bench.mock.requestsByPrompt.values()].filter((n) => n > 1).length;
    expect([...bench.mock.requestsByPrompt.values()].every((n) => n <= 2)).toBe(true);
    expect(sentTwice).toBeLessThanOrEqual(CONCURRENCY);
    expect(bench.mock.requestsByPrompt.size).toBe(ROWS);
  });
});
