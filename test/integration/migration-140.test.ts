import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_RUN_SETTINGS, FIRST_COLUMN_NAME, type ProviderConfig } from '../../shared/api.ts';
import { openDatabase, type Db } from '../../electron/engine/store/database.ts';
import { LATEST_VERSION, migrations } from '../../electron/engine/store/migrations.ts';
import { Repository } from '../../electron/engine/store/repository.ts';

type Fields = Record<string, unknown>;

/** Two jobs as Rowbot left them at migration 130, one template, system prompt and provider each. */
const JOBS = [
  {
    id: 'job-a',
    template: 'Summarise {{name}} from {{city}}',
    systemPrompt: 'You answer in one line.',
    provider: { kind: 'openai', baseUrl: 'http://127.0.0.1:9/v1', model: 'gpt-4o-mini' } satisfies ProviderConfig,
    settings: { concurrency: 3, maxOutputTokens: 200, useCache: true },
    status: 'paused',
  },
  {
    id: 'job-b',
    template: 'Translate {{name}}',
    systemPrompt: '',
    provider: { kind: 'anthropic', baseUrl: 'https://api.anthropic.com', model: 'claude-x' } satisfies ProviderConfig,
    settings: { concurrency: 8 },
    status: 'completed',
  },
] as const;

const T0 = '2025-06-01T10:00:00.000Z';
const T1 = '2025-06-01T10:00:01.000Z';

/** The old tables' contents, read before migrating, ordered as they are compared. */
interface Before {
  rows: Fields[];
  attempts: Fields[];
  counts: Fields[];
  jobs: Fields[];
  batches: Fields[];
}

function writeVersion130(file: string): Before {
  const db = openDatabase(
    file,
    migrations.filter((m) => m.version <= 130),
  );
  try {
    expect(db.pragma('user_version', { simple: true })).toBe(130);
    db.exec(`
      INSERT INTO sheets (id, file_name, columns_json, row_count, notes_json, created_at)
        VALUES ('sheet-1', 'people.csv', '["name","city"]', 7, '[]', '${T0}');
    `);
    const sheetRow = db.prepare('INSERT INTO sheet_rows (sheet_id, row_index, values_json) VALUES (?, ?, ?)');
    for (let i = 0; i < 7; i += 1) sheetRow.run('sheet-1', i, JSON.stringify([`Name ${i}`, `City ${i}`]));
    const job = db.prepare(
      `INSERT INTO jobs (id, sheet_id, name, template, system_prompt, provider_json, settings_json, status, pause_reason,
                         created_at, updated_at)
       VALUES (?, 'sheet-1', ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    for (const [i, j] of JOBS.entries()) {
      job.run(
        j.id,
        `Job ${i + 1}`,
        j.template,
        j.systemPrompt,
        JSON.stringify(j.provider),
        JSON.stringify(j.settings),
        j.status,
        j.status === 'paused' ? 'Paused by you.' : null,
        `2025-06-0${i + 1}T00:00:00.000Z`,
        T1,
      );
    }
    db.exec(`
      INSERT INTO job_batches (id, job_id, state, remote_id, remote_status, requests, created_at, submitted_at, reserved_nanos)
        VALUES ('batch-1', 'job-a', 'waiting', 'batch_remote_1', 'in_progress', 1, '${T0}', '${T1}', 120000);
    `);
    const row = db.prepare(
      `INSERT INTO job_rows (job_id, row_index, status, prompt, output, error, attempts, http_status, latency_ms,
         prompt_tokens, completion_tokens, started_at, finished_at, cached, cost_nanos, finish, batch_id)
       VALUES (@job, @index, @status, @prompt, @output, @error, @attempts, @http, @latency, @promptTokens,
               @completionTokens, @startedAt, @finishedAt, @cached, @cost, @finish, @batch)`,
    );
    const blank = {
      output: null,
      error: null,
      attempts: 0,
      http: null,
      latency: null,
      promptTokens: null,
      completionTokens: null,
      startedAt: null,
      finishedAt: null,
      cached: 0,
      cost: null,
      finish: null,
      batch: null,
    };
    const answered = { attempts: 1, http: 200, latency: 420, startedAt: T0, finishedAt: T1 };
    const a = (index: number): { job: string; index: number; prompt: string } => ({
      job: 'job-a',
      index,
      prompt: `Summarise Name ${index} from City ${index}`,
    });
    // job-a: a row in every status, a cached answer, one cut off, one waiting in a batch.
    row.run({ ...blank, ...a(0), ...answered, status: 'done', output: 'zero', promptTokens: 12, completionTokens: 7 });
    db.prepare('UPDATE job_rows SET cost_nanos = 3450, finish = ? WHERE job_id = ? AND row_index = 0').run(
      'stop',
      'job-a',
    );
    row.run({
      ...blank,
      ...a(1),
      ...answered,
      attempts: 2,
      status: 'done',
      output: 'one, cut',
      promptTokens: 30,
      completionTokens: 200,
      cost: 9_000_000,
      finish: 'length',
    });
    row.run({ ...blank, ...a(2), status: 'done', output: 'two (cached)', promptTokens: 12, completionTokens: 5 });
    db.prepare(
      'UPDATE job_rows SET cached = 1, cost_nanos = 0, finished_at = ? WHERE job_id = ? AND row_index = 2',
    ).run(T1, 'job-a');
    row.run({
      ...blank,
      ...a(3),
      ...answered,
      attempts: 3,
      http: 400,
      status: 'failed',
      error: 'The provider answered 400: bad request',
      promptTokens: 20,
      completionTokens: 0,
      cost: 1000,
    });
    row.run({ ...blank, ...a(4), status: 'queued', batch: 'batch-1' });
    row.run({ ...blank, ...a(5), attempts: 1, status: 'running', startedAt: T0 });
    row.run({ ...blank, job: 'job-a', index: 6, prompt: 'Summarise  from ', status: 'skipped' });
    // job-b: a finished job, one answer priced after the fact.
    for (let i = 0; i < 7; i += 1) {
      row.run({
        ...blank,
        ...answered,
        job: 'job-b',
        index: i,
        prompt: `Translate Name ${i}`,
        status: 'done',
        output: `Nom ${i}`,
        promptTokens: 5 + i,
        completionTokens: 3 + i,
        cost: i === 4 ? null : 100 * (i + 1),
        finish: 'stop',
      });
    }

    const attempt = db.prepare(
      `INSERT INTO row_attempts (job_id, row_index, attempt, started_at, finished_at, outcome, http_status, latency_ms,
         prompt_tokens, completion_tokens, error, cost_nanos, priced_later)
       VALUES (?, ?, ?, '${T0}', '${T1}', ?, ?, 420, ?, ?, ?, ?, ?)`,
    );
    attempt.run('job-a', 0, 1, 'done', 200, 12, 7, null, 3450, 0);
    attempt.run('job-a', 1, 1, 'retry', 500, null, null, 'The provider answered 500', null, 0);
    attempt.run('job-a', 1, 2, 'done', 200, 30, 200, null, 9_000_000, 0);
    attempt.run('job-a', 3, 1, 'rate_limited', 429, null, null, 'Too many requests', null, 0);
    attempt.run('job-a', 3, 2, 'retry', 200, 10, 0, 'The answer was not the JSON asked for', 500, 0);
    attempt.run('job-a', 3, 3, 'failed', 400, 10, 0, 'The provider answered 400: bad request', 500, 0);
    for (let i = 0; i < 7; i += 1) {
      attempt.run('job-b', i, 1, 'done', 200, 5 + i, 3 + i, null, i === 4 ? null : 100 * (i + 1), i === 4 ? 1 : 0);
    }

    return {
      rows: db.prepare('SELECT * FROM job_rows ORDER BY job_id, row_index').all() as Fields[],
      attempts: db.prepare('SELECT * FROM row_attempts ORDER BY job_id, row_index, attempt').all() as Fields[],
      counts: db.prepare('SELECT * FROM job_counts WHERE n > 0 ORDER BY job_id, status').all() as Fields[],
      jobs: db.prepare('SELECT * FROM jobs ORDER BY id').all() as Fields[],
      batches: db.prepare('SELECT * FROM job_batches ORDER BY id').all() as Fields[],
    };
  } finally {
    db.close();
  }
}

describe('migration 140: several AI columns, every job carried over as one column named output', () => {
  let dir: string;
  let file: string;
  let before: Before;
  let db: Db | undefined;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'rowbot-migrate-140-'));
    file = join(dir, 'rowbot.db');
    before = writeVersion130(file);
    db = openDatabase(file);
  });
  afterEach(() => {
    db?.close();
    db = undefined;
    rmSync(dir, { recursive: true, force: true });
  });
  const open = (): Db => {
    if (!db) throw new Error('no database');
    return db;
  };

  it('the fixture covers what it must: every status, a cached answer, a batch, attempts and counts', () => {
    expect(new Set(before.rows.map((row) => row.status))).toEqual(
      new Set(['queued', 'running', 'done', 'failed', 'skipped']),
    );
    expect(before.rows.some((row) => row.cached === 1)).toBe(true);
    expect(before.rows.some((row) => row.batch_id === 'batch-1')).toBe(true);
    expect(before.rows.some((row) => row.finish === 'length')).toBe(true);
    expect(before.attempts.some((row) => row.priced_later === 1)).toBe(true);
    expect(new Set(before.counts.map((row) => row.job_id))).toEqual(new Set(['job-a', 'job-b']));
  });

  it('reaches the latest version; job_rows is gone and nothing points nowhere', () => {
    const db = open();
    expect(db.pragma('user_version', { simple: true })).toBe(LATEST_VERSION);
    expect(LATEST_VERSION).toBeGreaterThanOrEqual(140);
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name IN ('job_rows', 'row_attempts_new')").all()).toEqual(
      [],
    );
    expect(db.pragma('foreign_key_check')).toEqual([]);
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
  });

  it('every row becomes its cell in column 0, equal field by field, neither stale nor edited', () => {
    const cells = open().prepare('SELECT * FROM job_cells ORDER BY job_id, row_index, col').all();
    expect(cells).toEqual(before.rows.map((row) => ({ ...row, col: 0, stale: 0, edited: 0 })));
  });

  it('every attempt is carried over as column 0’s, unchanged', () => {
    const attempts = open().prepare('SELECT * FROM row_attempts ORDER BY job_id, row_index, col, attempt').all();
    expect(attempts).toEqual(before.attempts.map((attempt) => ({ ...attempt, col: 0 })));
  });

  it('job_counts are column 0’s counts as they were, and equal a GROUP BY recount of the cells', () => {
    const db = open();
    const counts = db.prepare('SELECT * FROM job_counts WHERE n > 0 ORDER BY job_id, col, status').all();
    expect(counts).toEqual(before.counts.map((count) => ({ ...count, col: 0, stale: 0, edited: 0 })));
    const recount = db
      .prepare(
        `SELECT job_id, col, status, COUNT(*) AS n, COALESCE(SUM(prompt_tokens), 0) AS prompt,
                COALESCE(SUM(completion_tokens), 0) AS completion, COALESCE(SUM(cost_nanos), 0) AS cost_nanos,
                COUNT(cost_nanos) AS priced, COALESCE(SUM(finish = 'length'), 0) AS cut_off,
                SUM(stale) AS stale, SUM(edited) AS edited
         FROM job_cells GROUP BY job_id, col, status ORDER BY job_id, col, status`,
      )
      .all();
    expect(counts).toEqual(recount);
  });

  it('the counters still follow the cells after the migration (its triggers are on job_cells)', () => {
    const db = open();
    const repo = new Repository(db);
    repo.applyRowPatches(
      [{ jobId: 'job-a', index: 4, col: 0, status: 'done', output: 'four', promptTokens: 9, completionTokens: 4 }],
      [],
    );
    db.prepare("DELETE FROM job_cells WHERE job_id = 'job-b' AND row_index = 6").run();
    const counts = db.prepare('SELECT job_id, col, status, n, prompt, completion FROM job_counts WHERE n > 0').all();
    const recount = db
      .prepare(
        `SELECT job_id, col, status, COUNT(*) AS n, COALESCE(SUM(prompt_tokens), 0) AS prompt,
                COALESCE(SUM(completion_tokens), 0) AS completion
         FROM job_cells GROUP BY job_id, col, status`,
      )
      .all();
    expect(counts).toEqual(expect.arrayContaining(recount));
    expect(counts).toHaveLength(recount.length);
  });

  it('each job’s template, system prompt and provider move to its one column, named output, at place 0', () => {
    const db = open();
    const columns = db.prepare('SELECT * FROM job_columns ORDER BY job_id, position').all();
    expect(columns).toEqual(
      JOBS.map((job) => ({
        job_id: job.id,
        col: 0,
        position: 0,
        name: FIRST_COLUMN_NAME,
        template: job.template,
        system_prompt: job.systemPrompt,
        provider_json: JSON.stringify(job.provider),
        options_json: '{}',
        use_corrections: 0,
        compares_with: null,
      })),
    );
    expect(FIRST_COLUMN_NAME).toBe('output');
    // The jobs keep everything else they had.
    const jobs = db.prepare('SELECT * FROM jobs ORDER BY id').all();
    expect(jobs).toEqual(before.jobs.map(({ template: _t, system_prompt: _s, provider_json: _p, ...rest }) => rest));
    expect(db.prepare('SELECT * FROM job_batches ORDER BY id').all()).toEqual(before.batches);
  });

  it('Repository.getJob reads the same template, system prompt, provider, settings and counts as before', () => {
    const repo = new Repository(open());
    for (const job of JOBS) {
      const record = repo.getJob(job.id);
      if (!record) throw new Error(`${job.id} is gone`);
      expect(record).toMatchObject({
        id: job.id,
        status: job.status,
        template: job.template,
        systemPrompt: job.systemPrompt,
        provider: job.provider,
        settings: { ...DEFAULT_RUN_SETTINGS, ...job.settings },
        columns: ['name', 'city'],
      });
      expect(record.aiColumns).toEqual([
        {
          id: 0,
          name: FIRST_COLUMN_NAME,
          template: job.template,
          systemPrompt: job.systemPrompt,
          provider: job.provider,
          options: {},
          useCorrections: false,
          uses: [],
          comparesWith: null,
        },
      ]);
      // The counts as migration 100's counters kept them, for the job and its one column.
      const old = before.counts.filter((count) => count.job_id === job.id);
      const total = old.reduce((sum, count) => sum + (count.n as number), 0);
      for (const count of old) expect(record.counts[count.status as keyof typeof record.counts]).toBe(count.n);
      expect(record.counts.total).toBe(total);
      expect(record.usage).toMatchObject({
        promptTokens: old.reduce((sum, count) => sum + (count.prompt as number), 0),
        completionTokens: old.reduce((sum, count) => sum + (count.completion as number), 0),
      });
      expect(record.cutOff).toBe(old.find((count) => count.status === 'done')?.cut_off ?? 0);
      expect(record.columnStats).toEqual([
        {
          id: 0,
          name: FIRST_COLUMN_NAME,
          model: job.provider.model,
          counts: record.counts,
          usage: record.usage,
          cutOff: record.cutOff,
          stale: 0,
          edited: 0,
        },
      ]);
    }
    expect(repo.getJob('job-a')?.usage.cost).toBe((3450 + 9_000_000 + 0 + 1000) / 1e9);
    expect(repo.getJob('job-b')?.usage.cost).toBe((100 + 200 + 300 + 400 + 600 + 700) / 1e9);
  });

  it('the rows read through the repository are one cell each, as the old rows were', () => {
    const repo = new Repository(open());
    const views = repo.rowViews('job-a', 'sheet-1', [0]);
    expect(views.map((view) => view.cells.length)).toEqual([1, 1, 1, 1, 1, 1, 1]);
    expect(views.map((view) => view.cells[0]?.status)).toEqual(
      before.rows.filter((row) => row.job_id === 'job-a').map((row) => row.status),
    );
    expect(views[2]?.cells[0]).toMatchObject({ index: 2, col: 0, cached: true, output: 'two (cached)', cost: 0 });
    expect(views[1]?.cells[0]).toMatchObject({ index: 1, col: 0, finish: 'length', cost: 0.009, stale: false });
    expect(repo.rowDetail('job-a', 3, 0)?.attemptLog.map((a) => a.outcome)).toEqual([
      'rate_limited',
      'retry',
      'failed',
    ]);
  });
});
