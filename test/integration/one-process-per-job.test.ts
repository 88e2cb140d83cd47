/**
 * One process runs a job at a time (issue 13: 10). `rowbot run --resume JOB` while another Rowbot
 * ran that job sent most prompts twice, and opening the database anywhere marked the other's
 * running job "stopped while running". Now a lease in the database (job, holder, heartbeat) is taken
 * before a job runs: others refuse the job, naming who has it, and recovery at open leaves it alone.
 * Real processes on one database file: `rowbot run` beside an engine in the test process.
 */
import { hostname } from 'node:os';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { Engine } from '../../electron/engine/engine.ts';
import { mockReply } from '../fixtures/mock-llm-server.ts';
import { rowbot, STACK_LINE, startRowbot, type Running } from './cli-process.ts';
import { openBench, prompt, until, type Bench } from './harness.ts';
import { firstCells } from '../fixtures/cells.ts';

const ROWS = 40;

describe('one process per job', () => {
  let bench: Bench | undefined;
  let cli: Running | undefined;
  const engines: Engine[] = [];
  afterEach(async () => {
    cli?.child.kill('SIGKILL');
    await cli?.finished;
    cli = undefined;
    for (const engine of engines.splice(0)) await engine.close();
    await bench?.close();
    bench = undefined;
  });

  const sentOnce = (b: Bench): boolean => [...b.mock.requestsByPrompt.values()].every((n) => n === 1);

  it('while rowbot run runs a job, another process leaves it running, refuses to run it (naming who has it), and nothing is sent twice', async () => {
    bench = await openBench({ latencyMs: 200 });
    const jobId = await bench.job(ROWS, { concurrency: 2, useCache: false });
    await bench.engine.close();
    const { dbFile } = bench;

    cli = startRowbot(['run', '--resume', jobId, '--db', dbFile]);
    await until(() => (bench?.mock.requestsByPrompt.size ?? 0) >= 4, 'rowbot run to send its first rows');

    // Opening the database (as rowbot serve or the app does) no longer stops the other's job.
    const other = new Engine({ dbFile, processName: 'rowbot serve' });
    engines.push(other);
    const seen = other.getJob(jobId);
    expect(seen.status).toBe('running');
    expect(seen.pauseReason).toBeNull();

    const holder = `(rowbot run, pid ${cli.child.pid})`;
    expect(() => other.startJob(jobId)).toThrow(holder);
    expect(() => other.startJob(jobId)).toThrow('pause it there, or wait');
    await expect(other.deleteJob(jobId)).rejects.toThrow(holder);
    expect(() => other.pauseJob(jobId)).toThrow(holder);
    expect(() => other.cancelJob(jobId)).toThrow(holder);

    // A second rowbot run on the same job is refused in plain words, before it touches anything.
    const second = await rowbot(['run', '--resume', jobId, '--db', dbFile, '--retry-failed', '--concurrency', '9']);
    expect(second.stderr).toContain(`This job is running in another Rowbot window or command ${holder}`);
    expect(second.stderr).not.toMatch(STACK_LINE);
    expect(second.status).toBe(2);

    const first = await cli.finished;
    expect(first.stderr).toContain(`${ROWS} of ${ROWS} rows done, 0 failed.`);
    expect(first.status).toBe(0);
    expect(other.getJob(jobId).settings.concurrency).toBe(2);

    // Once it is done there, it is free here.
    expect(() => other.claimJob(jobId)).not.toThrow();
    expect(bench.mock.requestsByPrompt.size).toBe(ROWS);
    expect(sentOnce(bench)).toBe(true);
  });

  it('a job paused in one process can run in another, and resuming it in the first sends nothing twice', async () => {
    bench = await openBench({ latencyMs: 40 });
    const jobId = await bench.job(ROWS, { concurrency: 2, useCache: false });
    const first = bench.engine;
    first.startJob(jobId);
    await until(() => first.getJob(jobId).counts.done >= 4, 'a few rows done');
    first.pauseJob(jobId);
    await first.waitForJob(jobId);

    const run = await rowbot(['run', '--resume', jobId, '--db', bench.dbFile]);
    expect(run.stderr).toContain(`${ROWS} of ${ROWS} rows done, 0 failed.`);
    expect(run.status).toBe(0);

    // The first process still has the paused run: it reads the rows again instead of sending its own list.
    first.startJob(jobId);
    const summary = await first.waitForJob(jobId);
    expect(summary.counts).toMatchObject({ done: ROWS, failed: 0 });
    expect(firstCells(first.getRows(jobId)).every((row) => row.output === mockReply(prompt(row.index + 1)))).toBe(true);
    expect(bench.mock.requestsByPrompt.size).toBe(ROWS);
    expect(sentOnce(bench)).toBe(true);
  });

  it('recovery at open touches only jobs whose lease is stale or absent', async () => {
    bench = await openBench();
    const held = await bench.job(3);
    const stale = await bench.job(3);
    const orphan = await bench.job(3);
    await bench.engine.close();

    const db = new Database(bench.dbFile);
    const lease = db.prepare(
      `INSERT INTO job_leases (job_id, holder, pid, host, program, taken_at, heartbeat_at)
       VALUES (?, ?, 4242, 'other-host', 'rowbot serve', '2026-01-01T00:00:00.000Z', ?)`,
    );
    for (const jobId of [held, stale, orphan]) {
      db.prepare("UPDATE jobs SET status = 'running' WHERE id = ?").run(jobId);
      db.prepare("UPDATE job_cells SET status = 'running' WHERE job_id = ? AND row_index = 0 AND col = 0").run(jobId);
    }
    lease.run(held, 'a', Date.now());
    lease.run(stale, 'b', Date.now() - 60_000);
    db.close();

    const engine = new Engine({ dbFile: bench.dbFile });
    engines.push(engine);
    expect(engine.getJob(held)).toMatchObject({ status: 'running', pauseReason: null });
    expect(engine.getJob(held).counts.running).toBe(1);
    expect(() => engine.startJob(held)).toThrow('(rowbot serve, pid 4242 on other-host)');
    for (const jobId of [stale, orphan]) {
      const job = engine.getJob(jobId);
      expect(job.status).toBe('paused');
      expect(job.pauseReason).toContain('Press Resume');
      expect(job.counts.running).toBe(0);
    }
    expect(hostname()).not.toBe('other-host');
  });
});
