import {
  DEFAULT_RUN_SETTINGS,
  type AttemptView,
  type JobCounts,
  type JobDetail,
  type JobStatus,
  type JobSummary,
  type JobUsage,
  type ModelPrice,
  type ProviderConfig,
  type RowResult,
  type RowStatus,
  type RowView,
  type TimelineSecond,
  type RunSettings,
} from '../../../shared/api.ts';
import type { ImportSettings } from '../../../shared/sheets.ts';
import { fromNanos, toNanos } from '../pricing.ts';
import type { TableRow } from '../sheets/table.ts';
import type { Db } from './database.ts';

export interface SheetRecord {
  id: string;
  fileName: string;
  columns: string[];
  rowCount: number;
  notes: string[];
  settings: ImportSettings;
}

export interface FinishedSheet {
  columns: string[];
  rowCount: number;
  notes: string[];
  settings: ImportSettings;
  /** The original workbook, kept for write-back exports. */
  sourceBlob: Uint8Array | null;
}

export interface NewJob {
  id: string;
  sheetId: string;
  name: string;
  template: string;
  systemPrompt: string;
  provider: ProviderConfig;
  settings: RunSettings;
  /** One per sheet row, in order (read as they are inserted); skipped rows are stored but never sent. */
  prompts: Iterable<{ prompt: string; skipped: boolean }>;
}

export interface JobEdit {
  jobId: string;
  template: string;
  systemPrompt: string;
  provider: ProviderConfig;
  settings: RunSettings;
  rerun: 'rest' | 'all';
  status: JobStatus;
  pauseReason: string | null;
}

export interface JobRecord extends Omit<JobDetail, 'live' | 'rev' | 'batches'> {
  sheetId: string;
}

/** A change to one row; only the fields present are written. */
export interface RowPatch {
  jobId: string;
  index: number;
  status: RowStatus;
  output?: string | null;
  error?: string | null;
  attempts?: number;
  httpStatus?: number | null;
  latencyMs?: number | null;
  promptTokens?: number | null;
  completionTokens?: number | null;
  /**
   * Dollars, stored in whole nanodollars. For a row that has attempts, tokens and cost are then
   * replaced by the sums over its attempts (what the provider billed for the row, answers not kept
   * included); a cached answer keeps its own tokens and costs nothing.
   */
  cost?: number | null;
  cached?: boolean;
  /** Why the model stopped writing the answer kept: `length` means it was cut off at the output limit. */
  finish?: string | null;
  startedAt?: string | null;
  finishedAt?: string | null;
  /** An answer to keep in the response cache, written in the same transaction as the row. */
  cacheAs?: { key: string; answer: CachedAnswer };
}

/** A job summary as stored: without what only a running job has (live figures, revision). */
export type StoredSummary = Omit<JobSummary, 'live' | 'rev' | 'batches'>;

/** The summary part of a job record (no template, columns or import details). */
export function summaryOf(record: JobRecord): StoredSummary {
  const { columns: _c, template: _t, systemPrompt: _s, sheetId: _i, importSettings: _m, ...summary } = record;
  return { ...summary, provider: shownProvider(summary.provider) };
}

/** The first words of a template, on one line: what tells jobs from the same file apart in the list. */
export function promptStart(template: string): string {
  const line = template.replace(/\s+/g, ' ').trim();
  return line.length > PROMPT_START ? `${line.slice(0, PROMPT_START - 1).trimEnd()}…` : line;
}

/**
 * The provider as the UI sees it: extra header values may be a gateway's token, so only their
 * last four characters leave the backend, like keys. The stored job keeps them to send.
 */
export function shownProvider(provider: ProviderConfig): ProviderConfig {
  if (provider.kind !== 'openai' || !provider.headers) return provider;
  const headers = Object.fromEntries(
    Object.entries(provider.headers).map(([name, value]) => [name, value.length > 8 ? `…${value.slice(-4)}` : '…']),
  );
  return { ...provider, headers };
}

/**
 * A provider config from the UI with the header values it was shown (`…1234`, see shownProvider)
 * put back as stored: an edit never replaces a gateway's secret with its masked form.
 */
export function withSecretsKept(incoming: ProviderConfig, stored: ProviderConfig): ProviderConfig {
  if (incoming.kind !== 'openai' || !incoming.headers || stored.kind !== 'openai' || !stored.headers) return incoming;
  const shown = shownProvider(stored);
  const was = stored.headers;
  const headers = Object.fromEntries(
    Object.entries(incoming.headers).map(([name, value]) => [
      name,
      shown.kind === 'openai' && shown.headers?.[name] === value && was[name] !== undefined ? was[name] : value,
    ]),
  );
  return { ...incoming, headers };
}

/** A row's usage as stored: the sums over its attempts. */
export type StoredUsage = Pick<RowResult, 'promptTokens' | 'completionTokens' | 'cost'>;

export interface AttemptRecord extends AttemptView {
  jobId: string;
  index: number;
}

export interface QueuedRow {
  index: number;
  prompt: string;
  attempts: number;
}

interface JobRow {
  id: string;
  sheet_id: string;
  name: string;
  template: string;
  system_prompt: string;
  provider_json: string;
  settings_json: string;
  status: JobStatus;
  pause_reason: string | null;
  created_at: string;
  file_name: string;
  columns_json: string;
  import_json: string;
}

interface ResultRow {
  row_index: number;
  status: RowStatus;
  output: string | null;
  error: string | null;
  attempts: number;
  latency_ms: number | null;
  prompt_tokens: number | null;
  completion_tokens: number | null;
  cost_nanos: number | null;
  cached: number;
  finish: string | null;
}

export interface CachedAnswer {
  output: string;
  promptTokens: number | null;
  completionTokens: number | null;
}

const now = (): string => new Date().toISOString();

/** All SQL lives here, behind typed methods. */
export class Repository {
  readonly #db: Db;
  readonly #statements;

  constructor(db: Db) {
    this.#db = db;
    this.#statements = {
      beginSheet: db.prepare(
        "INSERT INTO sheets (id, file_name, columns_json, row_count, notes_json, created_at) VALUES (?, ?, '[]', 0, '[]', ?)",
      ),
      insertSheetRow: db.prepare(
        'INSERT INTO sheet_rows (sheet_id, row_index, values_json, source_row) VALUES (?, ?, ?, ?)',
      ),
      completeSheet: db.prepare(
        'UPDATE sheets SET columns_json = ?, row_count = ?, notes_json = ?, settings_json = ?, source_blob = ? WHERE id = ?',
      ),
      clearSheetRows: db.prepare('DELETE FROM sheet_rows WHERE sheet_id = ?'),
      deleteUnusedSheet: db.prepare(
        'DELETE FROM sheets WHERE id = ? AND NOT EXISTS (SELECT 1 FROM jobs WHERE sheet_id = sheets.id)',
      ),
      deleteSheetsUnusedSince: db.prepare(
        'DELETE FROM sheets WHERE created_at < ? AND NOT EXISTS (SELECT 1 FROM jobs WHERE sheet_id = sheets.id)',
      ),
      sheet: db.prepare(
        'SELECT id, file_name, columns_json, row_count, notes_json, settings_json FROM sheets WHERE id = ?',
      ),
      sourceBlob: db.prepare('SELECT source_blob FROM sheets WHERE id = ?'),
      sourceRows: db.prepare('SELECT source_row FROM sheet_rows WHERE sheet_id = ? ORDER BY row_index'),
      editJob: db.prepare(
        `UPDATE jobs SET template = ?, system_prompt = ?, provider_json = ?, settings_json = ?, status = ?,
           pause_reason = ?, updated_at = ? WHERE id = ?`,
      ),
      rerunUnanswered: db.prepare(
        `UPDATE job_rows SET prompt = @prompt, status = @status, error = NULL, http_status = NULL
         WHERE job_id = @jobId AND row_index = @index AND status IN ('queued', 'failed', 'skipped')`,
      ),
      rerunRow: db.prepare(
        `UPDATE job_rows SET prompt = @prompt, status = @status, output = NULL, error = NULL, http_status = NULL,
           latency_ms = NULL, started_at = NULL, finished_at = NULL, finish = NULL, cached = 0,
           -- A cached answer's own tokens were never billed: the row's sums start again from its attempts.
           prompt_tokens = CASE WHEN cached = 1 THEN NULL ELSE prompt_tokens END,
           completion_tokens = CASE WHEN cached = 1 THEN NULL ELSE completion_tokens END,
           cost_nanos = CASE WHEN cached = 1 THEN NULL ELSE cost_nanos END
         WHERE job_id = @jobId AND row_index = @index`,
      ),
      lastAttemptAt: db.prepare('SELECT MAX(finished_at) FROM row_attempts WHERE job_id = ?'),
      timeline: db.prepare(
        `SELECT substr(finished_at, 1, 19) AS second,
                SUM(outcome = 'done') AS answered, SUM(outcome IN ('retry', 'failed')) AS failed,
                SUM(outcome = 'rate_limited') AS rate_limited, COALESCE(SUM(latency_ms), 0) AS busy_ms
         FROM row_attempts WHERE job_id = ? AND finished_at >= ? GROUP BY second ORDER BY second`,
      ),
      sheetRowsPage: db.prepare(
        'SELECT row_index, values_json FROM sheet_rows WHERE sheet_id = ? AND row_index > ? ORDER BY row_index LIMIT ?',
      ),
      sampleRows: db.prepare('SELECT values_json FROM sheet_rows WHERE sheet_id = ? ORDER BY row_index LIMIT ?'),
      insertJob: db.prepare(
        `INSERT INTO jobs (id, sheet_id, name, template, system_prompt, provider_json, settings_json, status, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, 'ready', ?, ?)`,
      ),
      insertJobRow: db.prepare('INSERT INTO job_rows (job_id, row_index, status, prompt) VALUES (?, ?, ?, ?)'),
      job: db.prepare(
        `SELECT j.*, s.file_name, s.columns_json, s.settings_json AS import_json FROM jobs j JOIN sheets s ON s.id = j.sheet_id WHERE j.id = ?`,
      ),
      jobs: db.prepare(
        `SELECT j.*, s.file_name, s.columns_json, s.settings_json AS import_json FROM jobs j JOIN sheets s ON s.id = j.sheet_id ORDER BY j.created_at DESC, j.id DESC`,
      ),
      // Counters kept by triggers (migration 100), not a scan of the job's rows.
      counts: db.prepare(
        'SELECT status, n, prompt, completion, cost_nanos, priced, cut_off FROM job_counts WHERE job_id = ? AND n > 0',
      ),
      setStatus: db.prepare('UPDATE jobs SET status = ?, pause_reason = ?, updated_at = ? WHERE id = ?'),
      setSettings: db.prepare('UPDATE jobs SET settings_json = ?, updated_at = ? WHERE id = ?'),
      requeueAllFailed: db.prepare(
        "UPDATE job_rows SET status = 'queued', error = NULL WHERE job_id = ? AND status = 'failed'",
      ),
      requeueListedFailed: db.prepare(
        `UPDATE job_rows SET status = 'queued', error = NULL
         WHERE job_id = ? AND status = 'failed' AND row_index IN (SELECT value FROM json_each(?))`,
      ),
      // A cut-off answer must not come back from the cache as if whole, in this job or another.
      forgetCutOffAnswers: db.prepare(
        `DELETE FROM response_cache WHERE output IN (
           SELECT output FROM job_rows WHERE job_id = ? AND status = 'done' AND finish = 'length' AND output IS NOT NULL)`,
      ),
      requeueCutOff: db.prepare(
        "UPDATE job_rows SET status = 'queued', finish = NULL WHERE job_id = ? AND status = 'done' AND finish = 'length'",
      ),
      queued: db.prepare(
        `SELECT row_index, prompt, attempts FROM job_rows
         WHERE job_id = ? AND status = 'queued' AND batch_id IS NULL AND row_index > ? ORDER BY row_index LIMIT ?`,
      ),
      results: db.prepare(
        `SELECT row_index, status, output, error, attempts, latency_ms, prompt_tokens, completion_tokens, cost_nanos,
                cached, finish
         FROM job_rows WHERE job_id = ? ORDER BY row_index`,
      ),
      insertAttempt: db.prepare(
        `INSERT OR REPLACE INTO row_attempts
           (job_id, row_index, attempt, started_at, finished_at, outcome, http_status, latency_ms, prompt_tokens,
            completion_tokens, error, cost_nanos)
         VALUES (@jobId, @index, @attempt, @startedAt, @finishedAt, @outcome, @httpStatus, @latencyMs, @promptTokens,
            @completionTokens, @error, @costNanos)`,
      ),
      // The answer kept was billed what its row says: its attempt carries that when it was logged without it.
      billAnswer: db.prepare(
        `UPDATE row_attempts SET cost_nanos = @costNanos
         WHERE job_id = @jobId AND row_index = @index AND attempt = @attempts AND outcome = 'done' AND cost_nanos IS NULL`,
      ),
      sumAttempts: db.prepare(
        `UPDATE job_rows SET (prompt_tokens, completion_tokens, cost_nanos) = (
           SELECT SUM(a.prompt_tokens), SUM(a.completion_tokens), SUM(a.cost_nanos) FROM row_attempts a
           WHERE a.job_id = job_rows.job_id AND a.row_index = job_rows.row_index)
         WHERE job_id = ? AND row_index = ? AND cached = 0
           AND EXISTS (SELECT 1 FROM row_attempts a WHERE a.job_id = job_rows.job_id AND a.row_index = job_rows.row_index)
         RETURNING prompt_tokens, completion_tokens, cost_nanos`,
      ),
      prices: db.prepare('SELECT model, input, cached_input, output FROM model_prices ORDER BY model'),
      setPrice: db.prepare(
        `INSERT INTO model_prices (model, input, cached_input, output, updated_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (model) DO UPDATE SET input = excluded.input, cached_input = excluded.cached_input,
           output = excluded.output, updated_at = excluded.updated_at`,
      ),
      removePrice: db.prepare('DELETE FROM model_prices WHERE model = ?'),
      jobCost: db.prepare('SELECT COALESCE(SUM(cost_nanos), 0) AS nanos FROM job_rows WHERE job_id = ?'),
      // Prices here are nanodollars per token: dollars per million tokens × 1,000.
      priceAttemptsLater: db.prepare(
        `UPDATE row_attempts SET cost_nanos = CAST(ROUND(prompt_tokens * @input + completion_tokens * @output) AS INTEGER),
           priced_later = 1
         WHERE job_id = @jobId AND (cost_nanos IS NULL OR priced_later = 1)
           AND prompt_tokens IS NOT NULL AND completion_tokens IS NOT NULL`,
      ),
      // Before their attempts lose the price: the rows keep only what was billed.
      unpriceRows: db.prepare(
        `UPDATE job_rows SET cost_nanos = (
           SELECT SUM(a.cost_nanos) FROM row_attempts a
           WHERE a.job_id = job_rows.job_id AND a.row_index = job_rows.row_index AND a.priced_later = 0)
         WHERE job_id = ? AND cached = 0 AND EXISTS (
           SELECT 1 FROM row_attempts a
           WHERE a.job_id = job_rows.job_id AND a.row_index = job_rows.row_index AND a.priced_later = 1)`,
      ),
      unpriceAttempts: db.prepare(
        'UPDATE row_attempts SET cost_nanos = NULL, priced_later = 0 WHERE job_id = ? AND priced_later = 1',
      ),
      sumPricedLater: db.prepare(
        `UPDATE job_rows SET cost_nanos = (
           SELECT SUM(a.cost_nanos) FROM row_attempts a
           WHERE a.job_id = job_rows.job_id AND a.row_index = job_rows.row_index)
         WHERE job_id = ? AND cached = 0 AND EXISTS (
           SELECT 1 FROM row_attempts a
           WHERE a.job_id = job_rows.job_id AND a.row_index = job_rows.row_index AND a.priced_later = 1)`,
      ),
      attempts: db.prepare(
        `SELECT attempt, started_at, finished_at, outcome, http_status, latency_ms, prompt_tokens, completion_tokens,
                cost_nanos, error
         FROM row_attempts WHERE job_id = ? AND row_index = ? ORDER BY attempt`,
      ),
      row: db.prepare(
        `SELECT r.row_index, r.status, r.prompt, r.output, r.error, r.attempts, r.latency_ms, r.prompt_tokens,
                r.completion_tokens, r.cost_nanos, r.cached, r.finish, s.values_json
         FROM job_rows r JOIN jobs j ON j.id = r.job_id
         LEFT JOIN sheet_rows s ON s.sheet_id = j.sheet_id AND s.row_index = r.row_index
         WHERE r.job_id = ? AND r.row_index = ?`,
      ),
      cacheGet: db.prepare('SELECT output, prompt_tokens, completion_tokens FROM response_cache WHERE key = ?'),
      cachePut: db.prepare(
        'INSERT OR REPLACE INTO response_cache (key, output, prompt_tokens, completion_tokens, created_at) VALUES (?, ?, ?, ?, ?)',
      ),
      queuedPrompts: db.prepare(
        "SELECT prompt FROM job_rows WHERE job_id = ? AND status = 'queued' ORDER BY row_index",
      ),
      answeredPrompts: db.prepare(
        `SELECT prompt, prompt_tokens FROM job_rows
         WHERE job_id = ? AND status = 'done' AND cached = 0 AND prompt_tokens IS NOT NULL LIMIT 500`,
      ),
      answeredStats: db.prepare(
        `SELECT AVG(completion_tokens) AS completion, AVG(latency_ms) AS latency, COUNT(*) AS n
         FROM job_rows WHERE job_id = ? AND status = 'done' AND cached = 0 AND completion_tokens IS NOT NULL`,
      ),
      rename: db.prepare('UPDATE jobs SET name = ?, updated_at = ? WHERE id = ?'),
      deleteJob: db.prepare('DELETE FROM jobs WHERE id = ?'),
      // Jobs another live process holds (a lease) are its own: only the others were interrupted.
      requeueRunningRows: db.prepare(
        `UPDATE job_rows SET status = 'queued', started_at = NULL
         WHERE status = 'running' AND NOT EXISTS (SELECT 1 FROM job_leases l WHERE l.job_id = job_rows.job_id)`,
      ),
      pauseRunningJobs: db.prepare(
        `UPDATE jobs SET status = 'paused', pause_reason = ?, updated_at = ?
         WHERE status = 'running' AND NOT EXISTS (SELECT 1 FROM job_leases l WHERE l.job_id = jobs.id)
           -- A job whose rows wait in a provider's batch goes on there: it is collected, not interrupted.
           AND NOT EXISTS (SELECT 1 FROM job_batches b WHERE b.job_id = jobs.id AND b.state IN ('submitting', 'waiting'))`,
      ),
    };
  }

  /** A sheet is written in three steps so a big file streams in: begin, append batches, complete. */
  beginSheet(id: string, fileName: string): void {
    this.#statements.beginSheet.run(id, fileName, now());
  }

  appendSheetRows(sheetId: string, firstIndex: number, rows: readonly TableRow[]): void {
    const insert = this.#statements.insertSheetRow;
    this.#db.transaction(() => {
      rows.forEach((row, i) => insert.run(sheetId, firstIndex + i, JSON.stringify(row.values), row.sourceRow));
    })();
  }

  completeSheet(sheetId: string, sheet: FinishedSheet): void {
    this.#statements.completeSheet.run(
      JSON.stringify(sheet.columns),
      sheet.rowCount,
      JSON.stringify(sheet.notes),
      JSON.stringify(sheet.settings),
      sheet.sourceBlob,
      sheetId,
    );
  }

  clearSheetRows(sheetId: string): void {
    this.#statements.clearSheetRows.run(sheetId);
  }

  /** Removes an import no job uses (a failed or replaced import). */
  deleteUnusedSheet(sheetId: string): void {
    this.#statements.deleteUnusedSheet.run(sheetId);
  }

  /**
   * Imports no job uses that are older than `before` (ISO time): left by an estimate, a failed
   * create, or a process that stopped before it could clean up. Returns how many went.
   */
  deleteSheetsUnusedSince(before: string): number {
    return this.#statements.deleteSheetsUnusedSince.run(before).changes;
  }

  getSheet(id: string): SheetRecord | undefined {
    const row = this.#statements.sheet.get(id) as
      | {
          id: string;
          file_name: string;
          columns_json: string;
          row_count: number;
          notes_json: string;
          settings_json: string;
        }
      | undefined;
    if (!row) return undefined;
    return {
      id: row.id,
      fileName: row.file_name,
      columns: JSON.parse(row.columns_json) as string[],
      rowCount: row.row_count,
      notes: JSON.parse(row.notes_json) as string[],
      settings: JSON.parse(row.settings_json) as ImportSettings,
    };
  }

  sheetSourceBlob(sheetId: string): Uint8Array | null {
    return (
      (this.#statements.sourceBlob.get(sheetId) as { source_blob: Uint8Array | null } | undefined)?.source_blob ?? null
    );
  }

  sheetSourceRows(sheetId: string): (number | null)[] {
    return (this.#statements.sourceRows.all(sheetId) as { source_row: number | null }[]).map((row) => row.source_row);
  }

  /**
   * A sheet's rows in order, read a page at a time: no statement stays open between pages, so the
   * caller may write to the database as it goes (createJob inserts a job's rows while reading them).
   */
  *iterateSheetRows(sheetId: string): Generator<string[]> {
    for (let after = -1; ;) {
      const page = this.#statements.sheetRowsPage.all(sheetId, after, SHEET_PAGE) as {
        row_index: number;
        values_json: string;
      }[];
      for (const row of page) yield JSON.parse(row.values_json) as string[];
      const last = page.at(-1);
      if (!last || page.length < SHEET_PAGE) return;
      after = last.row_index;
    }
  }

  sampleSheetRows(sheetId: string, limit: number): string[][] {
    return (this.#statements.sampleRows.all(sheetId, limit) as { values_json: string }[]).map(
      (row) => JSON.parse(row.values_json) as string[],
    );
  }

  insertJob(job: NewJob): void {
    const s = this.#statements;
    this.#db.transaction(() => {
      const at = now();
      s.insertJob.run(
        job.id,
        job.sheetId,
        job.name,
        job.template,
        job.systemPrompt,
        JSON.stringify(job.provider),
        JSON.stringify(job.settings),
        at,
        at,
      );
      let index = 0;
      for (const { prompt, skipped } of job.prompts) {
        s.insertJobRow.run(job.id, index, skipped ? 'skipped' : 'queued', prompt);
        index += 1;
      }
    })();
  }

  /**
   * A job's prompt, system prompt, provider and settings replaced, and its rows' prompts rendered
   * again, in one transaction. `rest`: the rows without an answer (queued, failed, skipped) take the
   * new prompt and wait to run; answered rows keep their prompt and answer. `all`: every row takes
   * it and waits, its answer cleared. What earlier requests were billed stays in each row's sums
   * (its attempts are kept, numbered on), so the job's cost still counts them.
   */
  editJob(edit: JobEdit, prompts: Iterable<{ prompt: string; skipped: boolean }>): void {
    const s = this.#statements;
    this.#db.transaction(() => {
      s.editJob.run(
        edit.template,
        edit.systemPrompt,
        JSON.stringify(edit.provider),
        JSON.stringify(edit.settings),
        edit.status,
        edit.pauseReason,
        now(),
        edit.jobId,
      );
      const statement = edit.rerun === 'all' ? s.rerunRow : s.rerunUnanswered;
      let index = 0;
      for (const { prompt, skipped } of prompts) {
        statement.run({ jobId: edit.jobId, index, prompt, status: skipped ? 'skipped' : 'queued' });
        index += 1;
      }
    })();
  }

  getJob(id: string): JobRecord | undefined {
    const row = this.#statements.job.get(id) as JobRow | undefined;
    return row ? this.#toRecord(row) : undefined;
  }

  listJobs(): StoredSummary[] {
    return (this.#statements.jobs.all() as JobRow[]).map((row) => summaryOf(this.#toRecord(row)));
  }

  /** Rows by status, what they used (every attempt billed), and how many answers were cut off. */
  countsAndUsage(jobId: string): { counts: JobCounts; usage: JobUsage; cutOff: number } {
    const counts: JobCounts = { queued: 0, running: 0, done: 0, failed: 0, skipped: 0, total: 0 };
    const rows = this.#statements.counts.all(jobId) as {
      status: RowStatus;
      n: number;
      prompt: number;
      completion: number;
      cost_nanos: number;
      priced: number;
      cut_off: number;
    }[];
    let promptTokens = 0;
    let completionTokens = 0;
    let nanos: number | null = null;
    let cutOff = 0;
    for (const row of rows) {
      counts[row.status] = row.n;
      counts.total += row.n;
      promptTokens += row.prompt;
      completionTokens += row.completion;
      if (row.priced > 0) nanos = (nanos ?? 0) + row.cost_nanos;
      if (row.status === 'done') cutOff = row.cut_off;
    }
    const usage: JobUsage = { promptTokens, completionTokens, cost: fromNanos(nanos) };
    return { counts, usage, cutOff };
  }

  counts(jobId: string): JobCounts {
    return this.countsAndUsage(jobId).counts;
  }

  setJobStatus(jobId: string, status: JobStatus, pauseReason: string | null = null): void {
    this.#statements.setStatus.run(status, pauseReason, now(), jobId);
  }

  setJobSettings(jobId: string, settings: RunSettings): void {
    this.#statements.setSettings.run(JSON.stringify(settings), now(), jobId);
  }

  /**
   * Done rows whose answer was cut off at the output limit back to the queue (to run again with a
   * higher one); their answers leave the response cache. Returns how many moved.
   */
  requeueCutOff(jobId: string): number {
    return this.#db.transaction(() => {
      this.#statements.forgetCutOffAnswers.run(jobId);
      return this.#statements.requeueCutOff.run(jobId).changes;
    })();
  }

  /** Failed rows back to the queue; done rows are never touched. Returns how many moved. */
  requeueFailed(jobId: string, rows: readonly number[] | 'failed'): number {
    const result =
      rows === 'failed'
        ? this.#statements.requeueAllFailed.run(jobId)
        : this.#statements.requeueListedFailed.run(jobId, JSON.stringify(rows));
    return result.changes;
  }

  queuedRows(jobId: string, afterIndex: number, limit: number): QueuedRow[] {
    return (
      this.#statements.queued.all(jobId, afterIndex, limit) as { row_index: number; prompt: string; attempts: number }[]
    ).map((row) => ({ index: row.row_index, prompt: row.prompt, attempts: row.attempts }));
  }

  /**
   * Writes a batch of row changes, and the attempts that led to them, in one transaction. The
   * attempts go first: a row's tokens and cost are then the sums over all its attempts, this
   * batch's included, so a row sent again never hides what its earlier requests were billed.
   * Returns, for each patch, the sums stored in place of its own tokens and cost (null where the
   * patch's stand: a cached answer, a row never sent), for the UI to show what was stored.
   */
  applyRowPatches(patches: readonly RowPatch[], attempts: readonly AttemptRecord[] = []): (StoredUsage | null)[] {
    if (patches.length === 0 && attempts.length === 0) return [];
    const s = this.#statements;
    return this.#db.transaction(() => {
      for (const attempt of attempts) s.insertAttempt.run({ ...attempt, costNanos: toNanos(attempt.cost) });
      for (const patch of patches) {
        const { cacheAs, ...fields } = patch;
        const costNanos = patch.cost === undefined ? undefined : toNanos(patch.cost);
        // SQLite has no booleans; money is stored in nanodollars.
        this.#patchStatement(patch).run({
          ...fields,
          ...(costNanos === undefined ? {} : { cost: costNanos }),
          ...(patch.cached === undefined ? {} : { cached: patch.cached ? 1 : 0 }),
        });
        if (patch.status === 'done' && !patch.cached && costNanos !== undefined && costNanos !== null) {
          s.billAnswer.run({ jobId: patch.jobId, index: patch.index, attempts: patch.attempts ?? -1, costNanos });
        }
        if (cacheAs) this.#cacheQuietly(cacheAs.key, cacheAs.answer);
      }
      // After every patch, in case a row has two in the batch.
      return patches.map((patch) => {
        const sums = s.sumAttempts.get(patch.jobId, patch.index) as
          { prompt_tokens: number | null; completion_tokens: number | null; cost_nanos: number | null } | undefined;
        return sums
          ? {
              promptTokens: sums.prompt_tokens,
              completionTokens: sums.completion_tokens,
              cost: fromNanos(sums.cost_nanos),
            }
          : null;
      });
    })();
  }

  /**
   * The job's requests second by second over the last `seconds` of its attempt log, counted by SQL
   * (a few hundred groups, whatever the rate). In flight is Little's law: the latencies of the
   * requests that finished in a second, added up, over that second.
   */
  timeline(jobId: string, seconds: number): TimelineSecond[] {
    const last = this.#statements.lastAttemptAt.pluck().get(jobId) as string | null;
    if (!last) return [];
    const since = new Date(Date.parse(last) - seconds * 1000).toISOString();
    const groups = this.#statements.timeline.all(jobId, since) as {
      second: string;
      answered: number;
      failed: number;
      rate_limited: number;
      busy_ms: number;
    }[];
    return groups.map((g) => ({
      at: Date.parse(`${g.second}Z`) / 1000,
      answered: g.answered,
      failed: g.failed,
      rateLimited: g.rate_limited,
      inFlight: Math.round(g.busy_ms / 100) / 10,
    }));
  }

  rowDetail(jobId: string, index: number): (RowView & { prompt: string; attemptLog: AttemptView[] }) | undefined {
    const row = this.#statements.row.get(jobId, index) as
      (ResultRow & { prompt: string; values_json: string | null }) | undefined;
    if (!row) return undefined;
    const attempts = this.#statements.attempts.all(jobId, index) as {
      attempt: number;
      started_at: string;
      finished_at: string;
      outcome: AttemptView['outcome'];
      http_status: number | null;
      latency_ms: number | null;
      prompt_tokens: number | null;
      completion_tokens: number | null;
      cost_nanos: number | null;
      error: string | null;
    }[];
    return {
      ...toResult(row),
      values: row.values_json ? (JSON.parse(row.values_json) as string[]) : [],
      prompt: row.prompt,
      attemptLog: attempts.map((a) => ({
        attempt: a.attempt,
        startedAt: a.started_at,
        finishedAt: a.finished_at,
        outcome: a.outcome,
        httpStatus: a.http_status,
        latencyMs: a.latency_ms,
        promptTokens: a.prompt_tokens,
        completionTokens: a.completion_tokens,
        cost: fromNanos(a.cost_nanos),
        error: a.error,
      })),
    };
  }

  userPrices(): ModelPrice[] {
    const rows = this.#statements.prices.all() as {
      model: string;
      input: number;
      cached_input: number | null;
      output: number;
    }[];
    return rows.map((row) => ({
      model: row.model,
      input: row.input,
      cachedInput: row.cached_input,
      output: row.output,
    }));
  }

  setPrice(price: ModelPrice): void {
    this.#statements.setPrice.run(price.model, price.input, price.cachedInput, price.output, now());
  }

  /**
   * Requests answered while their model had no price (answers kept or not) are priced with its
   * price now, and follow it when it is edited; with no price (null) they go back to unknown.
   * Requests that came with a cost keep it: that is what they were billed at. The rows of the
   * requests repriced are summed again. Returns the change of the job's cost, in dollars.
   */
  repriceLater(jobId: string, price: { input: number; output: number } | null): number {
    const s = this.#statements;
    return this.#db.transaction(() => {
      const total = (): number => (s.jobCost.get(jobId) as { nanos: number }).nanos;
      const before = total();
      if (price) {
        s.priceAttemptsLater.run({ jobId, input: price.input * 1000, output: price.output * 1000 });
        s.sumPricedLater.run(jobId);
      } else {
        s.unpriceRows.run(jobId);
        s.unpriceAttempts.run(jobId);
      }
      return fromNanos(total() - before);
    })();
  }

  removePrice(model: string): void {
    this.#statements.removePrice.run(model);
  }

  cachedAnswer(key: string): CachedAnswer | undefined {
    const row = this.#statements.cacheGet.get(key) as
      { output: string; prompt_tokens: number | null; completion_tokens: number | null } | undefined;
    return row && { output: row.output, promptTokens: row.prompt_tokens, completionTokens: row.completion_tokens };
  }

  cacheAnswer(key: string, answer: CachedAnswer): void {
    this.#statements.cachePut.run(key, answer.output, answer.promptTokens, answer.completionTokens, now());
  }

  /**
   * The cache is a saving, not a record: in a savepoint of its own, so when the database refuses it
   * (the disk is full) the row's answer is still stored with the rest of its transaction.
   */
  #cacheQuietly(key: string, answer: CachedAnswer): void {
    try {
      this.#db.transaction(() => this.cacheAnswer(key, answer))();
    } catch {
      // Not cached; nothing else is lost.
    }
  }

  queuedPrompts(jobId: string): string[] {
    return (this.#statements.queuedPrompts.all(jobId) as { prompt: string }[]).map((row) => row.prompt);
  }

  /** Prompts the provider answered, with the prompt tokens it counted (to calibrate our own count). */
  answeredPrompts(jobId: string): { prompt: string; promptTokens: number }[] {
    return (this.#statements.answeredPrompts.all(jobId) as { prompt: string; prompt_tokens: number }[]).map((row) => ({
      prompt: row.prompt,
      promptTokens: row.prompt_tokens,
    }));
  }

  /** Averages over rows answered by the provider (not from the cache). */
  answeredStats(jobId: string): { completionTokens: number; latencyMs: number; rows: number } {
    const row = this.#statements.answeredStats.get(jobId) as {
      completion: number | null;
      latency: number | null;
      n: number;
    };
    return { completionTokens: row.completion ?? 0, latencyMs: row.latency ?? 0, rows: row.n };
  }

  renameJob(jobId: string, name: string): void {
    this.#statements.rename.run(name, now(), jobId);
  }

  /** The job, its rows and their attempts; the imported sheet goes too when no other job uses it. */
  deleteJob(jobId: string, sheetId: string): void {
    this.#db.transaction(() => {
      this.#statements.deleteJob.run(jobId);
      this.#statements.deleteUnusedSheet.run(sheetId);
    })();
  }

  rowResults(jobId: string): RowResult[] {
    return (this.#statements.results.all(jobId) as ResultRow[]).map(toResult);
  }

  rowViews(jobId: string, sheetId: string): RowView[] {
    const results = this.rowResults(jobId);
    let i = 0;
    const views: RowView[] = [];
    for (const values of this.iterateSheetRows(sheetId)) {
      const result = results[i];
      if (result) views.push({ ...result, values });
      i += 1;
    }
    return views;
  }

  /**
   * After a crash or a quit: nothing stays 'running'; interrupted jobs wait, paused, for Resume.
   * Jobs with a lease are running in another process and are left alone (clear dead leases first).
   */
  recoverInterrupted(reason: string): void {
    this.#db.transaction(() => {
      this.#statements.requeueRunningRows.run();
      this.#statements.pauseRunningJobs.run(reason, now());
    })();
  }

  readonly #patchCache = new Map<string, ReturnType<Db['prepare']>>();

  #patchStatement(patch: RowPatch): ReturnType<Db['prepare']> {
    const fields = PATCH_FIELDS.filter(([key]) => patch[key] !== undefined);
    const key = fields.map(([k]) => k).join(',');
    let statement = this.#patchCache.get(key);
    if (!statement) {
      const sets = ['status = @status', ...fields.map(([k, column]) => `${column} = @${k}`)];
      statement = this.#db.prepare(
        `UPDATE job_rows SET ${sets.join(', ')} WHERE job_id = @jobId AND row_index = @index`,
      );
      this.#patchCache.set(key, statement);
    }
    return statement;
  }

  #toRecord(row: JobRow): JobRecord {
    return {
      id: row.id,
      sheetId: row.sheet_id,
      name: row.name,
      fileName: row.file_name,
      status: row.status,
      pauseReason: row.pause_reason,
      createdAt: row.created_at,
      ...this.countsAndUsage(row.id),
      provider: JSON.parse(row.provider_json) as ProviderConfig,
      settings: { ...DEFAULT_RUN_SETTINGS, ...(JSON.parse(row.settings_json) as Partial<RunSettings>) },
      columns: JSON.parse(row.columns_json) as string[],
      importSettings: JSON.parse(row.import_json) as ImportSettings,
      template: row.template,
      promptStart: promptStart(row.template),
      systemPrompt: row.system_prompt,
    };
  }
}

/** Characters of the prompt a job summary carries. */
const PROMPT_START = 120;

/** Sheet rows read at a time by iterateSheetRows. */
const SHEET_PAGE = 2000;

const PATCH_FIELDS: [Exclude<keyof RowPatch, 'jobId' | 'index' | 'status'>, string][] = [
  ['output', 'output'],
  ['error', 'error'],
  ['attempts', 'attempts'],
  ['httpStatus', 'http_status'],
  ['latencyMs', 'latency_ms'],
  ['promptTokens', 'prompt_tokens'],
  ['completionTokens', 'completion_tokens'],
  ['cost', 'cost_nanos'],
  ['cached', 'cached'],
  ['finish', 'finish'],
  ['startedAt', 'started_at'],
  ['finishedAt', 'finished_at'],
];

export function toResult(row: ResultRow): RowResult {
  return {
    index: row.row_index,
    status: row.status,
    output: row.output,
    error: row.error,
    attempts: row.attempts,
    latencyMs: row.latency_ms,
    promptTokens: row.prompt_tokens,
    completionTokens: row.completion_tokens,
    cost: fromNanos(row.cost_nanos),
    cached: row.cached === 1,
    finish: row.finish,
  };
}
