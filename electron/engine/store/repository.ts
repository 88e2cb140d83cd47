import type {
  JobCounts,
  JobDetail,
  JobStatus,
  JobSummary,
  ProviderConfig,
  RowResult,
  RowStatus,
  RowView,
} from '../../../shared/api.ts';
import type { Db } from './database.ts';

export interface NewSheet {
  id: string;
  fileName: string;
  columns: string[];
  notes: string[];
  rows: string[][];
}

export interface SheetRecord {
  id: string;
  fileName: string;
  columns: string[];
  rowCount: number;
  notes: string[];
}

export interface NewJob {
  id: string;
  sheetId: string;
  name: string;
  template: string;
  systemPrompt: string;
  provider: ProviderConfig;
  concurrency: number;
  prompts: string[];
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
  startedAt?: string | null;
  finishedAt?: string | null;
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
  concurrency: number;
  status: JobStatus;
  created_at: string;
  file_name: string;
  columns_json: string;
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
}

const INSERT_CHUNK = 1000;
const now = (): string => new Date().toISOString();

/** All SQL lives here, behind typed methods. */
export class Repository {
  readonly #db: Db;
  readonly #statements;

  constructor(db: Db) {
    this.#db = db;
    this.#statements = {
      insertSheet: db.prepare(
        'INSERT INTO sheets (id, file_name, columns_json, row_count, notes_json, created_at) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      insertSheetRow: db.prepare('INSERT INTO sheet_rows (sheet_id, row_index, values_json) VALUES (?, ?, ?)'),
      sheet: db.prepare('SELECT id, file_name, columns_json, row_count, notes_json FROM sheets WHERE id = ?'),
      sheetRows: db.prepare('SELECT values_json FROM sheet_rows WHERE sheet_id = ? ORDER BY row_index'),
      sampleRows: db.prepare('SELECT values_json FROM sheet_rows WHERE sheet_id = ? ORDER BY row_index LIMIT ?'),
      insertJob: db.prepare(
        `INSERT INTO jobs (id, sheet_id, name, template, system_prompt, provider_json, concurrency, status, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, 'ready', ?, ?)`,
      ),
      insertJobRow: db.prepare("INSERT INTO job_rows (job_id, row_index, status, prompt) VALUES (?, ?, 'queued', ?)"),
      job: db.prepare(
        `SELECT j.*, s.file_name, s.columns_json FROM jobs j JOIN sheets s ON s.id = j.sheet_id WHERE j.id = ?`,
      ),
      jobs: db.prepare(
        `SELECT j.*, s.file_name, s.columns_json FROM jobs j JOIN sheets s ON s.id = j.sheet_id ORDER BY j.created_at DESC, j.id DESC`,
      ),
      counts: db.prepare('SELECT status, COUNT(*) AS n FROM job_rows WHERE job_id = ? GROUP BY status'),
      setStatus: db.prepare('UPDATE jobs SET status = ?, updated_at = ? WHERE id = ?'),
      queued: db.prepare(
        `SELECT row_index, prompt, attempts FROM job_rows
         WHERE job_id = ? AND status = 'queued' AND row_index > ? ORDER BY row_index LIMIT ?`,
      ),
      results: db.prepare(
        `SELECT row_index, status, output, error, attempts, latency_ms, prompt_tokens, completion_tokens
         FROM job_rows WHERE job_id = ? ORDER BY row_index`,
      ),
      requeueRunningRows: db.prepare(
        "UPDATE job_rows SET status = 'queued', started_at = NULL WHERE status = 'running'",
      ),
      pauseRunningJobs: db.prepare("UPDATE jobs SET status = 'paused', updated_at = ? WHERE status = 'running'"),
    };
  }

  insertSheet(sheet: NewSheet): void {
    const s = this.#statements;
    this.#db.transaction(() => {
      s.insertSheet.run(
        sheet.id,
        sheet.fileName,
        JSON.stringify(sheet.columns),
        sheet.rows.length,
        JSON.stringify(sheet.notes),
        now(),
      );
      for (let start = 0; start < sheet.rows.length; start += INSERT_CHUNK) {
        const end = Math.min(start + INSERT_CHUNK, sheet.rows.length);
        for (let i = start; i < end; i += 1) s.insertSheetRow.run(sheet.id, i, JSON.stringify(sheet.rows[i]));
      }
    })();
  }

  getSheet(id: string): SheetRecord | undefined {
    const row = this.#statements.sheet.get(id) as
      { id: string; file_name: string; columns_json: string; row_count: number; notes_json: string } | undefined;
    if (!row) return undefined;
    return {
      id: row.id,
      fileName: row.file_name,
      columns: JSON.parse(row.columns_json) as string[],
      rowCount: row.row_count,
      notes: JSON.parse(row.notes_json) as string[],
    };
  }

  *iterateSheetRows(sheetId: string): Generator<string[]> {
    for (const row of this.#statements.sheetRows.iterate(sheetId) as Iterable<{ values_json: string }>) {
      yield JSON.parse(row.values_json) as string[];
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
        job.concurrency,
        at,
        at,
      );
      job.prompts.forEach((prompt, index) => s.insertJobRow.run(job.id, index, prompt));
    })();
  }

  getJob(id: string): JobDetail | undefined {
    const row = this.#statements.job.get(id) as JobRow | undefined;
    return row ? this.#toDetail(row) : undefined;
  }

  listJobs(): JobSummary[] {
    return (this.#statements.jobs.all() as JobRow[]).map((row) => {
      const { columns: _columns, template: _template, systemPrompt: _system, ...summary } = this.#toDetail(row);
      return summary;
    });
  }

  counts(jobId: string): JobCounts {
    const counts: JobCounts = { queued: 0, running: 0, done: 0, failed: 0, total: 0 };
    for (const { status, n } of this.#statements.counts.all(jobId) as { status: RowStatus; n: number }[]) {
      counts[status] = n;
      counts.total += n;
    }
    return counts;
  }

  setJobStatus(jobId: string, status: JobStatus): void {
    this.#statements.setStatus.run(status, now(), jobId);
  }

  queuedRows(jobId: string, afterIndex: number, limit: number): QueuedRow[] {
    return (
      this.#statements.queued.all(jobId, afterIndex, limit) as { row_index: number; prompt: string; attempts: number }[]
    ).map((row) => ({ index: row.row_index, prompt: row.prompt, attempts: row.attempts }));
  }

  /** Writes a batch of row changes in one transaction. */
  applyRowPatches(patches: readonly RowPatch[]): void {
    if (patches.length === 0) return;
    this.#db.transaction(() => {
      for (const patch of patches) this.#patchStatement(patch).run(patch);
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

  sheetIdOf(jobId: string): string | undefined {
    return (this.#statements.job.get(jobId) as JobRow | undefined)?.sheet_id;
  }

  /** After a crash or a quit: nothing stays 'running'. Returns the ids of jobs that were interrupted. */
  recoverInterrupted(): void {
    this.#db.transaction(() => {
      this.#statements.requeueRunningRows.run();
      this.#statements.pauseRunningJobs.run(now());
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

  #toDetail(row: JobRow): JobDetail {
    return {
      id: row.id,
      name: row.name,
      fileName: row.file_name,
      status: row.status,
      createdAt: row.created_at,
      counts: this.counts(row.id),
      provider: JSON.parse(row.provider_json) as ProviderConfig,
      concurrency: row.concurrency,
      columns: JSON.parse(row.columns_json) as string[],
      template: row.template,
      systemPrompt: row.system_prompt,
    };
  }
}

const PATCH_FIELDS: [Exclude<keyof RowPatch, 'jobId' | 'index' | 'status'>, string][] = [
  ['output', 'output'],
  ['error', 'error'],
  ['attempts', 'attempts'],
  ['httpStatus', 'http_status'],
  ['latencyMs', 'latency_ms'],
  ['promptTokens', 'prompt_tokens'],
  ['completionTokens', 'completion_tokens'],
  ['startedAt', 'started_at'],
  ['finishedAt', 'finished_at'],
];

function toResult(row: ResultRow): RowResult {
  return {
    index: row.row_index,
    status: row.status,
    output: row.output,
    error: row.error,
    attempts: row.attempts,
    latencyMs: row.latency_ms,
    promptTokens: row.prompt_tokens,
    completionTokens: row.completion_tokens,
  };
}
