import {
  DEFAULT_RUN_SETTINGS,
  type AiColumn,
  type AttemptView,
  type ColumnOptions,
  type ColumnSummary,
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
import { columnJsonOutput, columnUses, type NamedColumn } from '../../../shared/columns.ts';
import { RowbotError } from '../../../shared/errors.ts';
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

/** A column's prompts, one per sheet row in order (read as they are inserted); skipped rows are stored but never sent. */
export type ColumnPrompts = Iterable<{ prompt: string; skipped: boolean }>;

/** An AI column as stored, without its id and place. */
export interface ColumnConfig {
  name: string;
  template: string;
  systemPrompt: string;
  provider: ProviderConfig;
  options: ColumnOptions;
  useCorrections: boolean;
  comparesWith: number | null;
}

export interface NewJob {
  id: string;
  sheetId: string;
  name: string;
  settings: RunSettings;
  /** The first AI column, with its prompts. */
  column: ColumnConfig;
  prompts: ColumnPrompts;
}

/**
 * A column's cells to create: its prompts (a column using only the sheet), or one cell per sheet
 * row waiting for the cells it uses (`waiting`: its prompt is written when those are done).
 */
export type NewCells = { prompts: ColumnPrompts } | { waiting: true };

export interface ColumnEdit {
  jobId: string;
  col: number;
  config: ColumnConfig;
  /** New prompts for the column's cells that are not answered: they take the new prompt and wait. */
  prompts: ColumnPrompts | null;
  /** `all`: every cell of the column waits to run again (answers cleared); `stale`: answered ones are marked stale. */
  rerun: 'stale' | 'all' | 'none';
  /** Columns whose answered cells become stale (those using this one, directly or not). */
  staleColumns: readonly number[];
}

export interface JobRecord extends Omit<JobDetail, 'live' | 'rev' | 'batches'> {
  sheetId: string;
}

/** A change to one cell; only the fields present are written. */
export interface RowPatch {
  jobId: string;
  index: number;
  col: number;
  status: RowStatus;
  /** The prompt sent, for a cell whose prompt was made when it ran (it uses other cells, or examples). */
  prompt?: string;
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
  const {
    columns: _c,
    template: _t,
    systemPrompt: _s,
    sheetId: _i,
    importSettings: _m,
    aiColumns: _a,
    ...summary
  } = record;
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
  col: number;
}

/** A queued cell; `prompt` is empty for a cell whose prompt is made when it runs. */
export interface QueuedRow {
  index: number;
  col: number;
  prompt: string;
  attempts: number;
}

interface JobRow {
  id: string;
  sheet_id: string;
  name: string;
  settings_json: string;
  status: JobStatus;
  pause_reason: string | null;
  created_at: string;
  file_name: string;
  columns_json: string;
  import_json: string;
}

interface ColumnRow {
  col: number;
  position: number;
  name: string;
  template: string;
  system_prompt: string;
  provider_json: string;
  options_json: string;
  use_corrections: number;
  compares_with: number | null;
}

interface ResultRow {
  row_index: number;
  col: number;
  stale: number;
  edited: number;
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
      setJobState: db.prepare(
        'UPDATE jobs SET settings_json = ?, status = ?, pause_reason = ?, updated_at = ? WHERE id = ?',
      ),
      rerunUnanswered: db.prepare(
        `UPDATE job_cells SET prompt = @prompt, status = @status, error = NULL, http_status = NULL
         WHERE job_id = @jobId AND row_index = @index AND col = @col AND status IN ('queued', 'failed', 'skipped')`,
      ),
      rerunRow: db.prepare(
        `UPDATE job_cells SET prompt = @prompt, status = @status, ${CLEARED_ANSWER}
         WHERE job_id = @jobId AND row_index = @index AND col = @col AND edited = 0`,
      ),
      // Cells of a column that uses other cells: their prompt is made again when those are done.
      rerunWaiting: db.prepare(
        `UPDATE job_cells SET prompt = '', status = 'queued', error = NULL, http_status = NULL
         WHERE job_id = @jobId AND col = @col AND status IN ('queued', 'failed', 'skipped')`,
      ),
      rerunWaitingAll: db.prepare(
        `UPDATE job_cells SET prompt = '', status = 'queued', ${CLEARED_ANSWER}
         WHERE job_id = @jobId AND col = @col AND edited = 0`,
      ),
      markStale: db.prepare(
        `UPDATE job_cells SET stale = 1
         WHERE job_id = @jobId AND col IN (SELECT value FROM json_each(@cols)) AND status = 'done' AND edited = 0
           AND stale = 0 AND (@rows IS NULL OR row_index IN (SELECT value FROM json_each(@rows)))`,
      ),
      // runCells: answered (or failed, or stale) cells back to the queue; corrections are kept.
      rerunCells: db.prepare(
        `UPDATE job_cells SET status = 'queued', prompt = CASE WHEN @waiting THEN '' ELSE prompt END, ${CLEARED_ANSWER}
         WHERE job_id = @jobId AND col = @col AND edited = 0
           AND (@rows IS NULL OR row_index IN (SELECT value FROM json_each(@rows)))
           AND CASE @which WHEN 'stale' THEN stale = 1 WHEN 'failed' THEN status = 'failed'
                           ELSE status IN ('done', 'failed') END`,
      ),
      editCell: db.prepare(
        `UPDATE job_cells SET output = @output, status = 'done', edited = 1, stale = 0, error = NULL, finish = NULL,
           cached = 0, finished_at = @at
         WHERE job_id = @jobId AND row_index = @index AND col = @col AND status <> 'running'`,
      ),
      corrections: db.prepare(
        `SELECT row_index, output FROM job_cells WHERE job_id = ? AND col = ? AND edited = 1 AND output IS NOT NULL
         ORDER BY finished_at DESC, row_index LIMIT ?`,
      ),
      rowCells: db.prepare('SELECT col, status, output FROM job_cells WHERE job_id = ? AND row_index = ?'),
      rowStates: db.prepare(
        'SELECT col, status, prompt, attempts, batch_id IS NOT NULL AS batched FROM job_cells WHERE job_id = ? AND row_index = ?',
      ),
      sheetRow: db.prepare('SELECT values_json FROM sheet_rows WHERE sheet_id = ? AND row_index = ?'),
      columns: db.prepare(
        `SELECT col, position, name, template, system_prompt, provider_json, options_json, use_corrections, compares_with
         FROM job_columns WHERE job_id = ? ORDER BY position`,
      ),
      insertColumn: db.prepare(
        `INSERT INTO job_columns (job_id, col, position, name, template, system_prompt, provider_json, options_json,
           use_corrections, compares_with)
         VALUES (@jobId, @col, @position, @name, @template, @systemPrompt, @provider, @options, @useCorrections, @comparesWith)`,
      ),
      makeRoom: db.prepare('UPDATE job_columns SET position = position + 1 WHERE job_id = ? AND position >= ?'),
      updateColumn: db.prepare(
        `UPDATE job_columns SET name = @name, template = @template, system_prompt = @systemPrompt, provider_json = @provider,
           options_json = @options, use_corrections = @useCorrections, compares_with = @comparesWith
         WHERE job_id = @jobId AND col = @col`,
      ),
      setPosition: db.prepare('UPDATE job_columns SET position = ? WHERE job_id = ? AND col = ?'),
      deleteColumnCells: db.prepare('DELETE FROM job_cells WHERE job_id = ? AND col = ?'),
      deleteColumnAttempts: db.prepare('DELETE FROM row_attempts WHERE job_id = ? AND col = ?'),
      deleteColumnCounts: db.prepare('DELETE FROM job_counts WHERE job_id = ? AND col = ?'),
      deleteColumn: db.prepare('DELETE FROM job_columns WHERE job_id = ? AND col = ?'),
      uncompare: db.prepare('UPDATE job_columns SET compares_with = NULL WHERE job_id = ? AND compares_with = ?'),
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
        `INSERT INTO jobs (id, sheet_id, name, settings_json, status, created_at, updated_at)
         VALUES (?, ?, ?, ?, 'ready', ?, ?)`,
      ),
      insertCell: db.prepare('INSERT INTO job_cells (job_id, row_index, col, status, prompt) VALUES (?, ?, ?, ?, ?)'),
      // One statement for a column's waiting cells: a cell per row of the job's sheet.
      insertWaitingCells: db.prepare(
        `INSERT INTO job_cells (job_id, row_index, col, status, prompt)
         SELECT @jobId, s.row_index, @col, 'queued', '' FROM jobs j JOIN sheet_rows s ON s.sheet_id = j.sheet_id
         WHERE j.id = @jobId ORDER BY s.row_index`,
      ),
      job: db.prepare(
        `SELECT j.*, s.file_name, s.columns_json, s.settings_json AS import_json FROM jobs j JOIN sheets s ON s.id = j.sheet_id WHERE j.id = ?`,
      ),
      jobs: db.prepare(
        `SELECT j.*, s.file_name, s.columns_json, s.settings_json AS import_json FROM jobs j JOIN sheets s ON s.id = j.sheet_id ORDER BY j.created_at DESC, j.id DESC`,
      ),
      // Counters kept by triggers (migration 100), not a scan of the job's rows.
      counts: db.prepare(
        `SELECT col, status, n, prompt, completion, cost_nanos, priced, cut_off, stale, edited
         FROM job_counts WHERE job_id = ? AND n > 0`,
      ),
      setStatus: db.prepare('UPDATE jobs SET status = ?, pause_reason = ?, updated_at = ? WHERE id = ?'),
      setSettings: db.prepare('UPDATE jobs SET settings_json = ?, updated_at = ? WHERE id = ?'),
      requeueAllFailed: db.prepare(
        "UPDATE job_cells SET status = 'queued', error = NULL WHERE job_id = ? AND status = 'failed'",
      ),
      requeueListedFailed: db.prepare(
        `UPDATE job_cells SET status = 'queued', error = NULL
         WHERE job_id = ? AND status = 'failed' AND row_index IN (SELECT value FROM json_each(?))`,
      ),
      // A cut-off answer must not come back from the cache as if whole, in this job or another.
      forgetCutOffAnswers: db.prepare(
        `DELETE FROM response_cache WHERE output IN (
           SELECT output FROM job_cells WHERE job_id = ? AND status = 'done' AND finish = 'length' AND output IS NOT NULL)`,
      ),
      requeueCutOff: db.prepare(
        "UPDATE job_cells SET status = 'queued', finish = NULL WHERE job_id = ? AND status = 'done' AND finish = 'length'",
      ),
      rowResults: db.prepare(
        `SELECT row_index, col, status, output, error, attempts, latency_ms, prompt_tokens, completion_tokens, cost_nanos,
                cached, finish, stale, edited
         FROM job_cells WHERE job_id = ? AND row_index = ? ORDER BY col`,
      ),
      results: db.prepare(
        `SELECT row_index, col, status, output, error, attempts, latency_ms, prompt_tokens, completion_tokens, cost_nanos,
                cached, finish, stale, edited
         FROM job_cells WHERE job_id = ? ORDER BY row_index, col`,
      ),
      insertAttempt: db.prepare(
        `INSERT OR REPLACE INTO row_attempts
           (job_id, row_index, col, attempt, started_at, finished_at, outcome, http_status, latency_ms, prompt_tokens,
            completion_tokens, error, cost_nanos)
         VALUES (@jobId, @index, @col, @attempt, @startedAt, @finishedAt, @outcome, @httpStatus, @latencyMs, @promptTokens,
            @completionTokens, @error, @costNanos)`,
      ),
      // The answer kept was billed what its row says: its attempt carries that when it was logged without it.
      billAnswer: db.prepare(
        `UPDATE row_attempts SET cost_nanos = @costNanos
         WHERE job_id = @jobId AND row_index = @index AND col = @col AND attempt = @attempts AND outcome = 'done'
           AND cost_nanos IS NULL`,
      ),
      sumAttempts: db.prepare(
        `UPDATE job_cells SET (prompt_tokens, completion_tokens, cost_nanos) = (
           SELECT SUM(a.prompt_tokens), SUM(a.completion_tokens), SUM(a.cost_nanos) FROM row_attempts a
           WHERE a.job_id = job_cells.job_id AND a.row_index = job_cells.row_index AND a.col = job_cells.col)
         WHERE job_id = ? AND row_index = ? AND col = ? AND cached = 0
           AND EXISTS (SELECT 1 FROM row_attempts a
                       WHERE a.job_id = job_cells.job_id AND a.row_index = job_cells.row_index AND a.col = job_cells.col)
         RETURNING prompt_tokens, completion_tokens, cost_nanos`,
      ),
      prices: db.prepare('SELECT model, input, cached_input, output FROM model_prices ORDER BY model'),
      setPrice: db.prepare(
        `INSERT INTO model_prices (model, input, cached_input, output, updated_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (model) DO UPDATE SET input = excluded.input, cached_input = excluded.cached_input,
           output = excluded.output, updated_at = excluded.updated_at`,
      ),
      removePrice: db.prepare('DELETE FROM model_prices WHERE model = ?'),
      jobCost: db.prepare('SELECT COALESCE(SUM(cost_nanos), 0) AS nanos FROM job_cells WHERE job_id = ?'),
      // Prices here are nanodollars per token: dollars per million tokens × 1,000.
      priceAttemptsLater: db.prepare(
        `UPDATE row_attempts SET cost_nanos = CAST(ROUND(prompt_tokens * @input + completion_tokens * @output) AS INTEGER),
           priced_later = 1
         WHERE job_id = @jobId AND col = @col AND (cost_nanos IS NULL OR priced_later = 1)
           AND prompt_tokens IS NOT NULL AND completion_tokens IS NOT NULL`,
      ),
      // Before their attempts lose the price: the rows keep only what was billed.
      unpriceRows: db.prepare(
        `UPDATE job_cells SET cost_nanos = (
           SELECT SUM(a.cost_nanos) FROM row_attempts a
           WHERE a.job_id = job_cells.job_id AND a.row_index = job_cells.row_index AND a.col = job_cells.col
             AND a.priced_later = 0)
         WHERE job_id = ? AND col = ? AND cached = 0 AND EXISTS (
           SELECT 1 FROM row_attempts a
           WHERE a.job_id = job_cells.job_id AND a.row_index = job_cells.row_index AND a.col = job_cells.col
             AND a.priced_later = 1)`,
      ),
      unpriceAttempts: db.prepare(
        'UPDATE row_attempts SET cost_nanos = NULL, priced_later = 0 WHERE job_id = ? AND col = ? AND priced_later = 1',
      ),
      sumPricedLater: db.prepare(
        `UPDATE job_cells SET cost_nanos = (
           SELECT SUM(a.cost_nanos) FROM row_attempts a
           WHERE a.job_id = job_cells.job_id AND a.row_index = job_cells.row_index AND a.col = job_cells.col)
         WHERE job_id = ? AND col = ? AND cached = 0 AND EXISTS (
           SELECT 1 FROM row_attempts a
           WHERE a.job_id = job_cells.job_id AND a.row_index = job_cells.row_index AND a.col = job_cells.col
             AND a.priced_later = 1)`,
      ),
      attempts: db.prepare(
        `SELECT attempt, started_at, finished_at, outcome, http_status, latency_ms, prompt_tokens, completion_tokens,
                cost_nanos, error
         FROM row_attempts WHERE job_id = ? AND row_index = ? AND col = ? ORDER BY attempt`,
      ),
      row: db.prepare(
        `SELECT r.row_index, r.col, r.status, r.prompt, r.output, r.error, r.attempts, r.latency_ms, r.prompt_tokens,
                r.completion_tokens, r.cost_nanos, r.cached, r.finish, r.stale, r.edited, s.values_json
         FROM job_cells r JOIN jobs j ON j.id = r.job_id
         LEFT JOIN sheet_rows s ON s.sheet_id = j.sheet_id AND s.row_index = r.row_index
         WHERE r.job_id = ? AND r.row_index = ? AND r.col = ?`,
      ),
      cacheGet: db.prepare('SELECT output, prompt_tokens, completion_tokens FROM response_cache WHERE key = ?'),
      cachePut: db.prepare(
        'INSERT OR REPLACE INTO response_cache (key, output, prompt_tokens, completion_tokens, created_at) VALUES (?, ?, ?, ?, ?)',
      ),
      queuedPrompts: db.prepare(
        "SELECT prompt FROM job_cells WHERE job_id = ? AND col = ? AND status = 'queued' ORDER BY row_index",
      ),
      answeredPrompts: db.prepare(
        `SELECT prompt, prompt_tokens FROM job_cells
         WHERE job_id = ? AND col = ? AND status = 'done' AND cached = 0 AND edited = 0 AND prompt_tokens IS NOT NULL
         LIMIT 500`,
      ),
      answeredStats: db.prepare(
        `SELECT AVG(completion_tokens) AS completion, AVG(latency_ms) AS latency, COUNT(*) AS n
         FROM job_cells
         WHERE job_id = ? AND col = ? AND status = 'done' AND cached = 0 AND edited = 0 AND completion_tokens IS NOT NULL`,
      ),
      rename: db.prepare('UPDATE jobs SET name = ?, updated_at = ? WHERE id = ?'),
      deleteJob: db.prepare('DELETE FROM jobs WHERE id = ?'),
      // Jobs another live process holds (a lease) are its own: only the others were interrupted.
      requeueRunningRows: db.prepare(
        `UPDATE job_cells SET status = 'queued', started_at = NULL
         WHERE status = 'running' AND NOT EXISTS (SELECT 1 FROM job_leases l WHERE l.job_id = job_cells.job_id)`,
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
      s.insertJob.run(job.id, job.sheetId, job.name, JSON.stringify(job.settings), at, at);
      this.insertColumn(job.id, job.column, 0, { prompts: job.prompts });
    })();
  }

  /** Runs `work` in one transaction (nested calls join it). */
  transaction<T>(work: () => T): T {
    return this.#db.transaction(work)();
  }

  /**
   * A new AI column at `position` (those from there on move right), with its cells. Returns its id:
   * one more than any the job has had (ids of removed columns are not reused while cells of theirs
   * could be in flight elsewhere).
   */
  insertColumn(jobId: string, column: ColumnConfig, position: number, cells: NewCells): number {
    const s = this.#statements;
    return this.#db.transaction(() => {
      const col = this.#db
        .prepare('SELECT COALESCE(MAX(col) + 1, 0) FROM job_columns WHERE job_id = ?')
        .pluck()
        .get(jobId) as number;
      // Ids are not reused after a removal; the schema takes ids up to 10,000 (shared/schemas.ts).
      if (col > MAX_COLUMN_ID)
        throw new RowbotError(
          'BAD_REQUEST',
          'This job has had too many AI columns added over time. Duplicate the job and add the column to the copy.',
        );
      s.makeRoom.run(jobId, position);
      s.insertColumn.run({ jobId, col, position, ...columnParams(column) });
      if ('prompts' in cells) {
        let index = 0;
        for (const { prompt, skipped } of cells.prompts) {
          s.insertCell.run(jobId, index, col, skipped ? 'skipped' : 'queued', prompt);
          index += 1;
        }
      } else {
        s.insertWaitingCells.run({ jobId, col });
      }
      return col;
    })();
  }

  /**
   * A column's prompt, model or options changed, in one transaction: its cells that are not answered
   * take the new prompt and wait to run; answered ones are marked stale (`stale`) or wait to run
   * again, answers cleared (`all`), corrections kept; the columns using it are marked stale. What
   * earlier requests were billed stays in each cell's sums (its attempts are kept, numbered on).
   */
  editColumn(edit: ColumnEdit): void {
    const s = this.#statements;
    this.#db.transaction(() => {
      s.updateColumn.run({ jobId: edit.jobId, col: edit.col, ...columnParams(edit.config) });
      const { jobId, col } = edit;
      if (edit.prompts) {
        const statement = edit.rerun === 'all' ? s.rerunRow : s.rerunUnanswered;
        let index = 0;
        for (const { prompt, skipped } of edit.prompts) {
          statement.run({ jobId, index, col, prompt, status: skipped ? 'skipped' : 'queued' });
          index += 1;
        }
      } else if (edit.rerun !== 'none') {
        (edit.rerun === 'all' ? s.rerunWaitingAll : s.rerunWaiting).run({ jobId, col });
      }
      const stale = edit.rerun === 'stale' ? [col, ...edit.staleColumns] : edit.staleColumns;
      if (stale.length > 0) s.markStale.run({ jobId, cols: JSON.stringify(stale), rows: null });
    })();
  }

  /** The job's settings, status and pause reason together. */
  setJobState(jobId: string, settings: RunSettings, status: JobStatus, pauseReason: string | null): void {
    this.#statements.setJobState.run(JSON.stringify(settings), status, pauseReason, now(), jobId);
  }

  /** A column's name and options (no cell changes). */
  updateColumnConfig(jobId: string, col: number, config: ColumnConfig): void {
    this.#statements.updateColumn.run({ jobId, col, ...columnParams(config) });
  }

  /** The columns in this order (ids). */
  setColumnOrder(jobId: string, order: readonly number[]): void {
    this.#db.transaction(() => {
      order.forEach((col, position) => this.#statements.setPosition.run(position, jobId, col));
    })();
  }

  /** A column with its cells and their attempts; the others close up. */
  deleteColumn(jobId: string, col: number): void {
    const s = this.#statements;
    this.#db.transaction(() => {
      s.deleteColumnCells.run(jobId, col);
      s.deleteColumnAttempts.run(jobId, col);
      s.deleteColumnCounts.run(jobId, col);
      s.deleteColumn.run(jobId, col);
      s.uncompare.run(jobId, col);
      const left = (s.columns.all(jobId) as ColumnRow[]).map((row) => row.col);
      left.forEach((id, position) => s.setPosition.run(position, jobId, id));
    })();
  }

  /**
   * Cells of `col` back to the queue (`which`: stale, failed, or all answered and failed ones), of
   * the listed rows or all; cells corrected by hand are kept. The answered cells of `dependents`
   * in those rows become stale. `waiting`: the column makes its prompts when it runs. Returns how many moved.
   */
  rerunCells(
    jobId: string,
    col: number,
    which: 'stale' | 'failed' | 'all',
    rows: readonly number[] | null,
    waiting: boolean,
    dependents: readonly number[],
  ): number {
    const s = this.#statements;
    return this.#db.transaction(() => {
      const json = rows ? JSON.stringify(rows) : null;
      const moved = s.rerunCells.run({ jobId, col, which, rows: json, waiting: waiting ? 1 : 0 }).changes;
      if (moved > 0 && dependents.length > 0) s.markStale.run({ jobId, cols: JSON.stringify(dependents), rows: json });
      return moved;
    })();
  }

  /** A cell's answer corrected by hand; cells of `dependents` in its row become stale. False when it is running. */
  editCell(jobId: string, index: number, col: number, output: string, dependents: readonly number[]): boolean {
    const s = this.#statements;
    return this.#db.transaction(() => {
      const changed = s.editCell.run({ jobId, index, col, output, at: now() }).changes > 0;
      if (changed && dependents.length > 0)
        s.markStale.run({ jobId, cols: JSON.stringify(dependents), rows: JSON.stringify([index]) });
      return changed;
    })();
  }

  /** The column's cells corrected by hand, most recent first. */
  corrections(jobId: string, col: number, limit: number): { index: number; output: string }[] {
    return (this.#statements.corrections.all(jobId, col, limit) as { row_index: number; output: string }[]).map(
      (row) => ({ index: row.row_index, output: row.output }),
    );
  }

  /** The answers of a row's cells, by column id (null where there is none). */
  rowOutputs(jobId: string, index: number): Map<number, string | null> {
    const cells = this.#statements.rowCells.all(jobId, index) as { col: number; output: string | null }[];
    return new Map(cells.map((cell) => [cell.col, cell.output]));
  }

  /** A row's cells as the scheduler sees them: which wait, which are answered. */
  rowStates(
    jobId: string,
    index: number,
  ): { col: number; status: RowStatus; prompt: string; attempts: number; batched: number }[] {
    return this.#statements.rowStates.all(jobId, index) as {
      col: number;
      status: RowStatus;
      prompt: string;
      attempts: number;
      batched: number;
    }[];
  }

  /** One sheet row's values. */
  sheetRow(sheetId: string, index: number): string[] {
    const row = this.#statements.sheetRow.get(sheetId, index) as { values_json: string } | undefined;
    return row ? (JSON.parse(row.values_json) as string[]) : [];
  }

  /** The job's AI columns in order. */
  columns(jobId: string, sheetColumns: readonly string[], jobJson: RunSettings['jsonOutput'] = null): AiColumn[] {
    const rows = this.#statements.columns.all(jobId) as ColumnRow[];
    const named: NamedColumn[] = [];
    return rows.map((row) => {
      const column: AiColumn = {
        id: row.col,
        name: row.name,
        template: row.template,
        systemPrompt: row.system_prompt,
        provider: JSON.parse(row.provider_json) as ProviderConfig,
        options: JSON.parse(row.options_json) as ColumnOptions,
        useCorrections: row.use_corrections === 1,
        uses: columnUses(row.template, sheetColumns, named),
        comparesWith: row.compares_with,
      };
      const json = columnJsonOutput(column.options, jobJson);
      named.push({ id: row.col, name: row.name, fields: (json?.fields ?? []).map((field) => field.name) });
      return column;
    });
  }

  getJob(id: string): JobRecord | undefined {
    const row = this.#statements.job.get(id) as JobRow | undefined;
    return row ? this.#toRecord(row) : undefined;
  }

  listJobs(): StoredSummary[] {
    return (this.#statements.jobs.all() as JobRow[]).map((row) => summaryOf(this.#toRecord(row)));
  }

  /**
   * Cells by status, what they used (every attempt billed), and how many answers were cut off: for
   * the job (sums over its columns) and for each of `columns` (in their order).
   */
  countsAndUsage(
    jobId: string,
    columns: readonly Pick<AiColumn, 'id' | 'name' | 'provider'>[] = [],
  ): { counts: JobCounts; usage: JobUsage; cutOff: number; columnStats: ColumnSummary[] } {
    const rows = this.#statements.counts.all(jobId) as {
      col: number;
      status: RowStatus;
      n: number;
      prompt: number;
      completion: number;
      cost_nanos: number;
      priced: number;
      cut_off: number;
      stale: number;
      edited: number;
    }[];
    const tally = (of: typeof rows): Omit<ColumnSummary, 'id' | 'name' | 'model'> => {
      const counts: JobCounts = { queued: 0, running: 0, done: 0, failed: 0, skipped: 0, total: 0 };
      let promptTokens = 0;
      let completionTokens = 0;
      let nanos: number | null = null;
      let cutOff = 0;
      let stale = 0;
      let edited = 0;
      for (const row of of) {
        counts[row.status] += row.n;
        counts.total += row.n;
        promptTokens += row.prompt;
        completionTokens += row.completion;
        if (row.priced > 0) nanos = (nanos ?? 0) + row.cost_nanos;
        if (row.status === 'done') cutOff += row.cut_off;
        stale += row.stale;
        edited += row.edited;
      }
      return { counts, usage: { promptTokens, completionTokens, cost: fromNanos(nanos) }, cutOff, stale, edited };
    };
    const { counts, usage, cutOff } = tally(rows);
    const columnStats = columns.map((column) => ({
      id: column.id,
      name: column.name,
      model: column.provider.model,
      ...tally(rows.filter((row) => row.col === column.id)),
    }));
    return { counts, usage, cutOff, columnStats };
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

  /** Failed cells of the rows back to the queue; done ones are never touched. Returns how many moved. */
  requeueFailed(jobId: string, rows: readonly number[] | 'failed'): number {
    const result =
      rows === 'failed'
        ? this.#statements.requeueAllFailed.run(jobId)
        : this.#statements.requeueListedFailed.run(jobId, JSON.stringify(rows));
    return result.changes;
  }

  /**
   * Queued cells of column `col` after row `afterIndex` (up to `untilIndex`), in row order, whose
   * cells in the columns it `uses` (same row) are answered or skipped: the cells that can run now.
   */
  queuedRows(
    jobId: string,
    afterIndex: number,
    limit: number,
    col = 0,
    uses: readonly number[] = [],
    untilIndex = Number.MAX_SAFE_INTEGER,
  ): QueuedRow[] {
    const rows = this.#queuedStatement(uses).all({ jobId, col, after: afterIndex, until: untilIndex, limit }) as {
      row_index: number;
      prompt: string;
      attempts: number;
    }[];
    return rows.map((row) => ({ index: row.row_index, col, prompt: row.prompt, attempts: row.attempts }));
  }

  readonly #queuedCache = new Map<string, ReturnType<Db['prepare']>>();

  #queuedStatement(uses: readonly number[]): ReturnType<Db['prepare']> {
    const key = uses.join(',');
    let statement = this.#queuedCache.get(key);
    if (!statement) {
      // One index lookup per input cell; the column ids are the database's own integers. The planner
      // is told the index to walk (without statistics it took the primary key's row range, reading
      // every column's cells for each page), and `+ 0` keeps it from carrying the page's row range
      // over to the input cell's lookup instead of its row: both made a 20,000-row job quadratic.
      const ready = uses
        .map(
          (used) => `AND EXISTS (SELECT 1 FROM job_cells d WHERE d.job_id = @jobId AND d.row_index = c.row_index + 0
                       AND d.col = ${Math.trunc(used)} AND d.status IN ('done', 'skipped'))`,
        )
        .join('\n');
      statement = this.#db.prepare(
        `SELECT c.row_index, c.prompt, c.attempts FROM job_cells c INDEXED BY job_cells_by_status
         WHERE c.job_id = @jobId AND c.col = @col AND c.status = 'queued' AND c.batch_id IS NULL
           AND c.row_index > @after AND c.row_index <= @until ${ready}
         ORDER BY c.row_index LIMIT @limit`,
      );
      this.#queuedCache.set(key, statement);
    }
    return statement;
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
        // A cell's stale and edited marks are not the runner's to write (an update may carry them as read).
        const { cacheAs, ...fields } = patch as RowPatch & { stale?: unknown; edited?: unknown };
        delete fields.stale;
        delete fields.edited;
        const costNanos = patch.cost === undefined ? undefined : toNanos(patch.cost);
        // SQLite has no booleans; money is stored in nanodollars.
        this.#patchStatement(patch).run({
          ...fields,
          ...(costNanos === undefined ? {} : { cost: costNanos }),
          ...(patch.cached === undefined ? {} : { cached: patch.cached ? 1 : 0 }),
        });
        if (patch.status === 'done' && !patch.cached && costNanos !== undefined && costNanos !== null) {
          s.billAnswer.run({
            jobId: patch.jobId,
            index: patch.index,
            col: patch.col,
            attempts: patch.attempts ?? -1,
            costNanos,
          });
        }
        if (cacheAs) this.#cacheQuietly(cacheAs.key, cacheAs.answer);
      }
      // After every patch, in case a row has two in the batch.
      return patches.map((patch) => {
        const sums = s.sumAttempts.get(patch.jobId, patch.index, patch.col) as
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

  rowDetail(
    jobId: string,
    index: number,
    col: number,
  ): (RowResult & { values: string[]; prompt: string; attemptLog: AttemptView[] }) | undefined {
    const row = this.#statements.row.get(jobId, index, col) as
      (ResultRow & { prompt: string; values_json: string | null }) | undefined;
    if (!row) return undefined;
    const attempts = this.#statements.attempts.all(jobId, index, col) as {
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
  repriceLater(jobId: string, col: number, price: { input: number; output: number } | null): number {
    const s = this.#statements;
    return this.#db.transaction(() => {
      const total = (): number => (s.jobCost.get(jobId) as { nanos: number }).nanos;
      const before = total();
      if (price) {
        s.priceAttemptsLater.run({ jobId, col, input: price.input * 1000, output: price.output * 1000 });
        s.sumPricedLater.run(jobId, col);
      } else {
        s.unpriceRows.run(jobId, col);
        s.unpriceAttempts.run(jobId, col);
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

  queuedPrompts(jobId: string, col: number): string[] {
    return (this.#statements.queuedPrompts.all(jobId, col) as { prompt: string }[]).map((row) => row.prompt);
  }

  /** Prompts the provider answered, with the prompt tokens it counted (to calibrate our own count). */
  answeredPrompts(jobId: string, col: number): { prompt: string; promptTokens: number }[] {
    return (this.#statements.answeredPrompts.all(jobId, col) as { prompt: string; prompt_tokens: number }[]).map(
      (row) => ({
        prompt: row.prompt,
        promptTokens: row.prompt_tokens,
      }),
    );
  }

  /** Averages over rows answered by the provider (not from the cache). */
  answeredStats(jobId: string, col: number): { completionTokens: number; latencyMs: number; rows: number } {
    const row = this.#statements.answeredStats.get(jobId, col) as {
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

  /** One row's cells. */
  cellsOfRow(jobId: string, index: number): RowResult[] {
    return (this.#statements.rowResults.all(jobId, index) as ResultRow[]).map(toResult);
  }

  rowResults(jobId: string): RowResult[] {
    return (this.#statements.results.all(jobId) as ResultRow[]).map(toResult);
  }

  /** The sheet's rows with their cells, in the order of the job's columns (ids). */
  rowViews(jobId: string, sheetId: string, order: readonly number[]): RowView[] {
    const place = new Map(order.map((col, position) => [col, position]));
    const results = this.rowResults(jobId);
    const views: RowView[] = [];
    let at = 0;
    let index = 0;
    for (const values of this.iterateSheetRows(sheetId)) {
      const cells: RowResult[] = [];
      while (at < results.length && (results[at]?.index ?? Infinity) <= index) {
        const cell = results[at];
        if (cell && cell.index === index) cells.push(cell);
        at += 1;
      }
      cells.sort((a, b) => (place.get(a.col) ?? 0) - (place.get(b.col) ?? 0));
      views.push({ index, values, cells });
      index += 1;
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
        `UPDATE job_cells SET ${sets.join(', ')} WHERE job_id = @jobId AND row_index = @index AND col = @col`,
      );
      this.#patchCache.set(key, statement);
    }
    return statement;
  }

  #toRecord(row: JobRow): JobRecord {
    const sheetColumns = JSON.parse(row.columns_json) as string[];
    const settings = { ...DEFAULT_RUN_SETTINGS, ...(JSON.parse(row.settings_json) as Partial<RunSettings>) };
    const aiColumns = this.columns(row.id, sheetColumns, settings.jsonOutput);
    const first = aiColumns[0];
    if (!first) throw new Error(`Job ${row.id} has no AI column.`);
    return {
      id: row.id,
      sheetId: row.sheet_id,
      name: row.name,
      fileName: row.file_name,
      status: row.status,
      pauseReason: row.pause_reason,
      createdAt: row.created_at,
      ...this.countsAndUsage(row.id, aiColumns),
      provider: first.provider,
      settings,
      columns: sheetColumns,
      importSettings: JSON.parse(row.import_json) as ImportSettings,
      template: first.template,
      promptStart: promptStart(first.template),
      systemPrompt: first.systemPrompt,
      aiColumns,
    };
  }
}

/** The highest AI column id a job may reach (commands take ids up to it). */
export const MAX_COLUMN_ID = 10_000;

/** Characters of the prompt a job summary carries. */
const PROMPT_START = 120;

/** Sheet rows read at a time by iterateSheetRows. */
const SHEET_PAGE = 2000;

const PATCH_FIELDS: [Exclude<keyof RowPatch, 'jobId' | 'index' | 'col' | 'status'>, string][] = [
  ['prompt', 'prompt'],
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

/** What re-running a cell clears: its answer and how it came (the sums over its attempts stay, but a cached answer's). */
const CLEARED_ANSWER = `output = NULL, error = NULL, http_status = NULL, latency_ms = NULL, started_at = NULL,
  finished_at = NULL, finish = NULL, stale = 0,
  -- A cached answer's own tokens were never billed: the cell's sums start again from its attempts.
  prompt_tokens = CASE WHEN cached = 1 THEN NULL ELSE prompt_tokens END,
  completion_tokens = CASE WHEN cached = 1 THEN NULL ELSE completion_tokens END,
  cost_nanos = CASE WHEN cached = 1 THEN NULL ELSE cost_nanos END, cached = 0`;

function columnParams(column: ColumnConfig): Record<string, unknown> {
  return {
    name: column.name,
    template: column.template,
    systemPrompt: column.systemPrompt,
    provider: JSON.stringify(column.provider),
    options: JSON.stringify(column.options),
    useCorrections: column.useCorrections ? 1 : 0,
    comparesWith: column.comparesWith,
  };
}

export function toResult(row: ResultRow): RowResult {
  return {
    index: row.row_index,
    col: row.col,
    stale: row.stale === 1,
    edited: row.edited === 1,
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
