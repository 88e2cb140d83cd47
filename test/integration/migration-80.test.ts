import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../../electron/engine/store/database.ts';
import { LATEST_VERSION, migrations } from '../../electron/engine/store/migrations.ts';
import { Repository } from '../../electron/engine/store/repository.ts';

const JOB = 'job-1';

/**
 * A database as Rowbot left it at migration 70: costs in floating-point dollars on the rows, none
 * on the attempts, answers priced after the fact marked on the rows, rows from before attempts
 * were logged (migration 40).
 */
function writeVersion70(file: string): void {
  const db = openDatabase(
    file,
    migrations.filter((m) => m.version <= 70),
  );
  try {
    expect(db.pragma('user_version', { simple: true })).toBe(70);
    db.exec(`
      INSERT INTO sheets (id, file_name, columns_json, row_count, notes_json, created_at)
        VALUES ('sheet-1', 'rows.csv', '["n"]', 8, '[]', '2025-01-01');
      INSERT INTO jobs (id, sheet_id, name, template, system_prompt, provider_json, settings_json, status, created_at, updated_at)
        VALUES ('${JOB}', 'sheet-1', 'old job', 'Row {{n}}', '', '{"kind":"openai","baseUrl":"http://x/v1","model":"m"}',
                '{}', 'completed', '2025-01-01', '2025-01-01');
    `);
    const row = db.prepare(
      `INSERT INTO job_rows (job_id, row_index, status, prompt, output, error, attempts, http_status, latency_ms,
         prompt_tokens, completion_tokens, started_at, finished_at, cost, cached, priced_later)
       VALUES ('${JOB}', ?, ?, ?, ?, ?, ?, ?, 10, ?, ?, '2025-01-01T00:00:00Z', '2025-01-01T00:00:01Z', ?, ?, ?)`,
    );
    const attempt = db.prepare(
      `INSERT INTO row_attempts (job_id, row_index, attempt, started_at, finished_at, outcome, http_status, latency_ms,
         prompt_tokens, completion_tokens, error)
       VALUES ('${JOB}', ?, ?, '2025-01-01T00:00:00Z', '2025-01-01T00:00:01Z', ?, ?, 10, ?, ?, ?)`,
    );
    // 0: retried, then answered; its cost as float arithmetic left it.
    row.run(0, 'done', 'Row 1', 'one', null, 2, 200, 10, 7, 0.0000034499999999999996, 0, 0);
    attempt.run(0, 1, 'retry', 500, null, null, 'The provider answered 500');
    attempt.run(0, 2, 'done', 200, 10, 7, null);
    // 1: answered while the model had no price, priced after the fact at $2/$4 per million.
    row.run(1, 'done', 'Row 2', 'two', null, 1, 200, 1000, 500, 0.004, 0, 1);
    attempt.run(1, 1, 'done', 200, 1000, 500, null);
    // 2: answered before attempts were logged.
    row.run(2, 'done', 'Row 3', 'three', null, 1, 200, 20, 30, 0.1 + 0.2, 0, 0);
    // 3: from the cache.
    row.run(3, 'done', 'Row 4', 'four', null, 0, null, 5, 5, 0, 1, 0);
    // 4: failed.
    row.run(4, 'failed', 'Row 5', null, 'Gave up', 1, 400, null, null, null, 0, 0);
    attempt.run(4, 1, 'failed', 400, null, null, 'The provider answered 400');
    // 5: never sent.
    row.run(5, 'queued', 'Row 6', null, null, 0, null, null, null, null, 0, 0);
    // 6: answered before attempts were logged, priced after the fact.
    row.run(6, 'done', 'Row 7', 'seven', null, 1, 200, 2000, 1000, 0.008, 0, 1);
    // 7: answered with no price, never priced.
    row.run(7, 'done', 'Row 8', 'eight', null, 1, 200, 100, 100, null, 0, 0);
    attempt.run(7, 1, 'done', 200, 100, 100, null);
  } finally {
    db.close();
  }
}

describe('migration 80: exact money, the cost of every attempt, finish reasons', () => {
  let dir: string;
  let file: string;
  let db: Db | undefined;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'rowbot-migrate-'));
    file = join(dir, 'rowbot.db');
    writeVersion70(file);
  });
  afterEach(() => {
    db?.close();
    db = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  /**
   * What migration 80 left, read from `table` (job_rows until migration 140, then column 0's cells
   * in job_cells) and from the attempt log.
   */
  function expectMigrated(table: 'job_rows' | 'job_cells'): void {
    if (!db) throw new Error('no database');
    const columns = (db.pragma(`table_info(${table})`) as { name: string }[]).map((c) => c.name);
    expect(columns).toEqual(expect.arrayContaining(['cost_nanos', 'finish']));
    expect(columns).not.toContain('cost');
    expect(columns).not.toContain('priced_later');

    const rows = db
      .prepare(
        `SELECT row_index, status, output, prompt_tokens, completion_tokens, cost_nanos, finish FROM ${table}
         ${table === 'job_cells' ? 'WHERE col = 0' : ''} ORDER BY row_index`,
      )
      .all();
    expect(rows).toEqual([
      {
        row_index: 0,
        status: 'done',
        output: 'one',
        prompt_tokens: 10,
        completion_tokens: 7,
        cost_nanos: 3450,
        finish: null,
      },
      {
        row_index: 1,
        status: 'done',
        output: 'two',
        prompt_tokens: 1000,
        completion_tokens: 500,
        cost_nanos: 4_000_000,
        finish: null,
      },
      {
        row_index: 2,
        status: 'done',
        output: 'three',
        prompt_tokens: 20,
        completion_tokens: 30,
        cost_nanos: 300_000_000,
        finish: null,
      },
      {
        row_index: 3,
        status: 'done',
        output: 'four',
        prompt_tokens: 5,
        completion_tokens: 5,
        cost_nanos: 0,
        finish: null,
      },
      {
        row_index: 4,
        status: 'failed',
        output: null,
        prompt_tokens: null,
        completion_tokens: null,
        cost_nanos: null,
        finish: null,
      },
      {
        row_index: 5,
        status: 'queued',
        output: null,
        prompt_tokens: null,
        completion_tokens: null,
        cost_nanos: null,
        finish: null,
      },
      {
        row_index: 6,
        status: 'done',
        output: 'seven',
        prompt_tokens: 2000,
        completion_tokens: 1000,
        cost_nanos: 8_000_000,
        finish: null,
      },
      {
        row_index: 7,
        status: 'done',
        output: 'eight',
        prompt_tokens: 100,
        completion_tokens: 100,
        cost_nanos: null,
        finish: null,
      },
    ]);

    const attempts = db
      .prepare(
        `SELECT row_index, attempt, outcome, prompt_tokens, completion_tokens, cost_nanos, priced_later FROM row_attempts
         ${table === 'job_cells' ? 'WHERE col = 0' : ''} ORDER BY row_index, attempt`,
      )
      .all();
    expect(attempts).toEqual([
      {
        row_index: 0,
        attempt: 1,
        outcome: 'retry',
        prompt_tokens: null,
        completion_tokens: null,
        cost_nanos: null,
        priced_later: 0,
      },
      {
        row_index: 0,
        attempt: 2,
        outcome: 'done',
        prompt_tokens: 10,
        completion_tokens: 7,
        cost_nanos: 3450,
        priced_later: 0,
      },
      {
        row_index: 1,
        attempt: 1,
        outcome: 'done',
        prompt_tokens: 1000,
        completion_tokens: 500,
        cost_nanos: 4_000_000,
        priced_later: 1,
      },
      // Rows answered before attempts were logged get that attempt back, from what the row recorded.
      {
        row_index: 2,
        attempt: 1,
        outcome: 'done',
        prompt_tokens: 20,
        completion_tokens: 30,
        cost_nanos: 300_000_000,
        priced_later: 0,
      },
      {
        row_index: 4,
        attempt: 1,
        outcome: 'failed',
        prompt_tokens: null,
        completion_tokens: null,
        cost_nanos: null,
        priced_later: 0,
      },
      {
        row_index: 6,
        attempt: 1,
        outcome: 'done',
        prompt_tokens: 2000,
        completion_tokens: 1000,
        cost_nanos: 8_000_000,
        priced_later: 1,
      },
      {
        row_index: 7,
        attempt: 1,
        outcome: 'done',
        prompt_tokens: 100,
        completion_tokens: 100,
        cost_nanos: null,
        priced_later: 0,
      },
    ]);
  }

  it('carries every row over: costs in whole nanodollars, on the attempts that brought them, and no row loses its answer', () => {
    // Migration 80 itself, on job_rows as it left them (the migrations before 140).
    db = openDatabase(
      file,
      migrations.filter((m) => m.version < 140),
    );
    expect(db.pragma('user_version', { simple: true })).toBe(130);
    expectMigrated('job_rows');
    db.close();

    // Then at the latest version: the same rows are column 0's cells, the attempts column 0's.
    db = openDatabase(file);
    expect(db.pragma('user_version', { simple: true })).toBe(LATEST_VERSION);
    expect(LATEST_VERSION).toBeGreaterThanOrEqual(140);
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'job_rows'").all()).toEqual([]);
    expectMigrated('job_cells');
    expect(db.prepare('SELECT COUNT(*) AS n FROM job_cells WHERE col <> 0').get()).toEqual({ n: 0 });
    expect(db.prepare('SELECT COUNT(*) AS n FROM row_attempts WHERE col <> 0').get()).toEqual({ n: 0 });

    const repo = new Repository(db);
    const counts = { queued: 1, running: 0, done: 6, failed: 1, skipped: 0, total: 8 };
    const usage = { promptTokens: 3135, completionTokens: 1642, cost: 0.31200345 };
    expect(repo.countsAndUsage(JOB, repo.columns(JOB, ['n']))).toEqual({
      counts,
      usage,
      cutOff: 0,
      columnStats: [{ id: 0, name: 'output', model: 'm', counts, usage, cutOff: 0, stale: 0, edited: 0 }],
    });
  });

  it('answers priced after the fact before the migration still follow the price, and billed ones keep theirs', () => {
    db = openDatabase(file);
    const repo = new Repository(db);
    const cost = (): (number | null)[] => repo.rowResults(JOB).map((row) => row.cost);
    // $1 and $2 per million: rows 1, 6 and 7 (never priced) follow it; the others were billed.
    expect(repo.repriceLater(JOB, 0, { input: 1, output: 2 })).toBe(-0.0057);
    expect(cost()).toEqual([0.00000345, 0.002, 0.3, 0, null, null, 0.004, 0.0003]);
    expect(repo.countsAndUsage(JOB).usage.cost).toBe(0.30630345);
    expect(repo.repriceLater(JOB, 0, null)).toBe(-0.0063);
    expect(cost()).toEqual([0.00000345, null, 0.3, 0, null, null, null, null]);
  });

  it('a database written by a newer Rowbot is refused, unchanged', () => {
    openDatabase(file).close();
    const older = migrations.filter((m) => m.version <= 70);
    expect(() => openDatabase(file, older)).toThrow(`newer version of Rowbot (schema ${LATEST_VERSION}`);
  });
});
