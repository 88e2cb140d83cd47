/**
 * A job's batches in SQLite (migration 130). The order of writes is what makes a batch survive a
 * crash: its rows are claimed and the batch recorded ('submitting') before the provider is asked to
 * create it; the input file's id and the batch's id are written the moment the provider returns them.
 */
import type { AttemptView, RowResult } from '../../../shared/api.ts';
import { fromNanos } from '../pricing.ts';
import type { Db } from '../store/database.ts';

export type BatchState = 'submitting' | 'waiting' | 'collected' | 'lost';

export interface BatchRecord {
  id: string;
  jobId: string;
  state: BatchState;
  remoteId: string | null;
  remoteStatus: string | null;
  requests: number;
  succeeded: number;
  errored: number;
  inputFileId: string | null;
  createdAt: string;
  submittedAt: string | null;
  endedAt: string | null;
  polledAt: string | null;
  error: string | null;
  reservedNanos: number;
}

/** A row's result from a batch, as stored: answered (done) or not (failed, with why). */
export interface BatchRowResult {
  index: number;
  status: 'done' | 'failed';
  output: string | null;
  error: string | null;
  httpStatus: number | null;
  promptTokens: number | null;
  completionTokens: number | null;
  costNanos: number | null;
  finish: string | null;
  outcome: AttemptView['outcome'];
}

interface BatchRow {
  id: string;
  job_id: string;
  state: BatchState;
  remote_id: string | null;
  remote_status: string | null;
  requests: number;
  succeeded: number;
  errored: number;
  input_file_id: string | null;
  created_at: string;
  submitted_at: string | null;
  ended_at: string | null;
  polled_at: string | null;
  error: string | null;
  reserved_nanos: number;
}

const now = (): string => new Date().toISOString();

interface StoredRow {
  col: number;
  attempts: number;
  latency_ms: number | null;
  prompt_tokens: number | null;
  completion_tokens: number | null;
  cost_nanos: number | null;
  cached: number;
}

function toRecord(row: BatchRow): BatchRecord {
  return {
    id: row.id,
    jobId: row.job_id,
    state: row.state,
    remoteId: row.remote_id,
    remoteStatus: row.remote_status,
    requests: row.requests,
    succeeded: row.succeeded,
    errored: row.errored,
    inputFileId: row.input_file_id,
    createdAt: row.created_at,
    submittedAt: row.submitted_at,
    endedAt: row.ended_at,
    polledAt: row.polled_at,
    error: row.error,
    reservedNanos: row.reserved_nanos,
  };
}

/** `column + value`, null only when both are (a sum over attempts none of which reported it). */
function plus(column: string, value: string): string {
  return `CASE WHEN ${column} IS NULL AND ${value} IS NULL THEN NULL ELSE COALESCE(${column}, 0) + COALESCE(${value}, 0) END`;
}

/** Rows read at a time when a batch's file is written. */
const PAGE = 2000;

interface PromptRow {
  row_index: number;
  prompt: string;
}

/** Rows a page at a time by index (`read(after)` gives the page after that index): no statement stays open between pages. */
function* paged(read: (after: number) => PromptRow[]): Generator<{ index: number; prompt: string }> {
  for (let after = -1; ;) {
    const page = read(after);
    for (const row of page) yield { index: row.row_index, prompt: row.prompt };
    const last = page.at(-1);
    if (!last || page.length < PAGE) return;
    after = last.row_index;
  }
}

function statements(db: Db) {
  return {
    insert: db.prepare(
      `INSERT INTO job_batches (id, job_id, state, requests, created_at, reserved_nanos)
       VALUES (?, ?, 'submitting', ?, ?, ?)`,
    ),
    claim: db.prepare(
      `UPDATE job_cells SET batch_id = ? WHERE job_id = ? AND status = 'queued' AND batch_id IS NULL
         AND row_index BETWEEN ? AND ?`,
    ),
    queuedSizes: db.prepare(
      `SELECT row_index, prompt FROM job_cells WHERE job_id = ? AND status = 'queued' AND batch_id IS NULL
         AND row_index > ? ORDER BY row_index LIMIT ?`,
    ),
    rows: db.prepare(
      `SELECT row_index, prompt FROM job_cells WHERE job_id = ? AND row_index > ? AND batch_id = ? ORDER BY row_index LIMIT ?`,
    ),
    get: db.prepare('SELECT * FROM job_batches WHERE id = ?'),
    forJob: db.prepare('SELECT * FROM job_batches WHERE job_id = ? ORDER BY created_at, id'),
    open: db.prepare(`SELECT * FROM job_batches WHERE state IN ('submitting', 'waiting') ORDER BY created_at, id`),
    remoteIds: db.prepare('SELECT remote_id FROM job_batches WHERE remote_id IS NOT NULL'),
    inputFile: db.prepare('UPDATE job_batches SET input_file_id = ? WHERE id = ?'),
    submitted: db.prepare(
      `UPDATE job_batches SET remote_id = ?, state = 'waiting', submitted_at = COALESCE(submitted_at, ?) WHERE id = ?`,
    ),
    polled: db.prepare(
      `UPDATE job_batches SET remote_status = ?, succeeded = ?, errored = ?, polled_at = ?, error = ? WHERE id = ?`,
    ),
    release: db.prepare(`UPDATE job_cells SET batch_id = NULL WHERE job_id = ? AND batch_id = ?`),
    lost: db.prepare(`UPDATE job_batches SET state = 'lost', error = ?, reserved_nanos = 0, ended_at = ? WHERE id = ?`),
    // A row's tokens and cost are the sums over its attempts (what earlier live requests were billed
    // included): the row holds those sums, so this answer's are added to them, not summed again.
    result: db.prepare(
      `UPDATE job_cells SET status = @status, output = @output, error = @error, http_status = @httpStatus,
         prompt_tokens = ${plus('prompt_tokens', '@promptTokens')},
         completion_tokens = ${plus('completion_tokens', '@completionTokens')},
         cost_nanos = ${plus('cost_nanos', '@costNanos')},
         finish = @finish, attempts = attempts + 1, batch_id = NULL, finished_at = @at
       WHERE job_id = @jobId AND row_index = @index AND batch_id = @batchId
       RETURNING col, attempts, latency_ms, prompt_tokens, completion_tokens, cost_nanos, cached`,
    ),
    attempt: db.prepare(
      `INSERT OR REPLACE INTO row_attempts
         (job_id, row_index, col, attempt, started_at, finished_at, outcome, http_status, latency_ms, prompt_tokens,
          completion_tokens, error, cost_nanos)
       VALUES (@jobId, @index, @col, @attempt, @startedAt, @at, @outcome, @httpStatus, NULL, @promptTokens,
               @completionTokens, @error, @costNanos)`,
    ),
    unanswered: db.prepare(
      `UPDATE job_cells SET status = 'failed', error = ?, batch_id = NULL, finished_at = ? WHERE job_id = ? AND batch_id = ?`,
    ),
    collected: db.prepare(
      `UPDATE job_batches SET state = 'collected', ended_at = ?, reserved_nanos = 0, remote_status = COALESCE(?, remote_status)
       WHERE id = ?`,
    ),
  };
}

export class BatchStore {
  readonly #db: Db;
  readonly #s: ReturnType<typeof statements>;

  constructor(db: Db) {
    this.#db = db;
    this.#s = statements(db);
  }

  /**
   * The job's queued rows not in a batch, in order, a page at a time, for the caller to size and
   * split them; each `take(first, last, count)` claims the rows of one batch, recorded 'submitting'.
   */
  *queued(jobId: string): Generator<{ index: number; prompt: string }> {
    yield* paged((after) => this.#s.queuedSizes.all(jobId, after, PAGE) as PromptRow[]);
  }

  /** Records a batch of the queued rows `first`..`last` (`count` of them) before anything is sent. */
  create(batch: {
    id: string;
    jobId: string;
    first: number;
    last: number;
    count: number;
    reservedNanos: number;
  }): BatchRecord {
    this.#db.transaction(() => {
      this.#s.insert.run(batch.id, batch.jobId, batch.count, now(), batch.reservedNanos);
      const claimed = this.#s.claim.run(batch.id, batch.jobId, batch.first, batch.last).changes;
      if (claimed !== batch.count) throw new Error(`claimed ${claimed} rows for a batch of ${batch.count}`);
    })();
    return this.get(batch.id);
  }

  /** The batch's rows (index and prompt), in order, a page at a time. */
  *rows(batch: Pick<BatchRecord, 'id' | 'jobId'>): Generator<{ index: number; prompt: string }> {
    yield* paged((after) => this.#s.rows.all(batch.jobId, after, batch.id, PAGE) as PromptRow[]);
  }

  get(id: string): BatchRecord {
    const row = this.#s.get.get(id) as BatchRow | undefined;
    if (!row) throw new Error(`no batch ${id}`);
    return toRecord(row);
  }

  forJob(jobId: string): BatchRecord[] {
    return (this.#s.forJob.all(jobId) as BatchRow[]).map(toRecord);
  }

  /** Batches not collected yet, every job's: what a process picks up when it starts. */
  open(): BatchRecord[] {
    return (this.#s.open.all() as BatchRow[]).map(toRecord);
  }

  /** The provider's ids of every batch Rowbot knows, so an orphan search never takes one twice. */
  remoteIds(): Set<string> {
    return new Set((this.#s.remoteIds.all() as { remote_id: string }[]).map((row) => row.remote_id));
  }

  storeInputFile(id: string, fileId: string): void {
    this.#s.inputFile.run(fileId, id);
  }

  storeRemote(id: string, remoteId: string): void {
    this.#s.submitted.run(remoteId, now(), id);
  }

  polled(id: string, remote: { status: string; succeeded: number; errored: number; failure: string | null }): void {
    this.#s.polled.run(remote.status, remote.succeeded, remote.errored, now(), remote.failure, id);
  }

  /** The provider never made this batch (or refused it): its rows go back to the queue. */
  lose(id: string, why: string): void {
    this.#db.transaction(() => {
      this.#s.release.run(this.get(id).jobId, id);
      this.#s.lost.run(why, now(), id);
    })();
  }

  /**
   * Stores results in one transaction: each row done or failed with its tokens and cost (the batch
   * price), an attempt logged for it, and its sums taken over all its attempts. A result for a row
   * that is not waiting in this batch (answered twice, or not ours) changes nothing. Returns the
   * rows stored.
   */
  storeResults(batch: BatchRecord, results: readonly BatchRowResult[]): RowResult[] {
    const at = now();
    const startedAt = batch.submittedAt ?? batch.createdAt;
    return this.#db.transaction(() => {
      const stored: RowResult[] = [];
      // In row order: a provider's results come in any order, and rows near each other share pages.
      for (const result of [...results].sort((a, b) => a.index - b.index)) {
        const params = { ...result, jobId: batch.jobId, batchId: batch.id, at, startedAt };
        const row = this.#s.result.get(params) as StoredRow | undefined;
        if (!row) continue;
        this.#s.attempt.run({ ...params, col: row.col, attempt: row.attempts });
        // What the UI shows: the result as given, the row's sums as stored.
        stored.push({
          index: result.index,
          col: row.col,
          stale: false,
          edited: false,
          status: result.status,
          output: result.output,
          error: result.error,
          attempts: row.attempts,
          latencyMs: row.latency_ms,
          promptTokens: row.prompt_tokens,
          completionTokens: row.completion_tokens,
          cost: fromNanos(row.cost_nanos),
          cached: row.cached === 1,
          finish: result.finish,
        });
      }
      return stored;
    })();
  }

  /** The batch is over: rows it never gave a result for fail with `why`; its budget hold is released. */
  collected(batch: BatchRecord, status: string | null, why: string): void {
    this.#db.transaction(() => {
      this.#s.unanswered.run(why, now(), batch.jobId, batch.id);
      this.#s.collected.run(now(), status, batch.id);
    })();
  }
}
