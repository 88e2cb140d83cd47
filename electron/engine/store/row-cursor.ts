import Database from 'better-sqlite3';
import type { RowStatus, RowView } from '../../../shared/api.ts';
import { PAGE_ROWS, type RowPages } from '../sheets/export-table.ts';
import { toResult } from './repository.ts';

// The rows of a job for an export, read as they are written out rather than loaded at once: a
// million rows are some gigabytes as objects. The export reads through a connection of its own, in
// one read transaction: it sees the job as it was when the export began (WAL keeps that snapshot
// while the engine goes on writing answers through its own connection), reads it as many times as
// it needs (an .xlsx export reads twice) and may keep its cursor open across the awaits of writing
// to the file, which the engine's connection could not allow (it would be busy for every write).

type StoredRow = Parameters<typeof toResult>[0] & { values_json: string };

/** The job's rows (those of one status, if given) with the input values, in input order. */
const ROWS_SQL = `
  SELECT j.row_index, j.status, j.output, j.error, j.attempts, j.latency_ms, j.prompt_tokens,
         j.completion_tokens, j.cost_nanos, j.cached, j.finish, s.values_json
  FROM job_rows j JOIN sheet_rows s ON s.sheet_id = @sheetId AND s.row_index = j.row_index
  WHERE j.job_id = @jobId AND (@status IS NULL OR j.status = @status)
  ORDER BY j.row_index`;

/** A read-only snapshot of the database, from which an export reads the rows of a job. */
export class RowSnapshot {
  readonly #db: Database.Database;

  /** `file` is the engine's database; it stays as it is (the snapshot only reads it). */
  constructor(file: string) {
    this.#db = new Database(file, { readonly: true, fileMustExist: true });
    try {
      this.#db.pragma('busy_timeout = 5000');
      this.#db.exec('BEGIN');
      // The snapshot is taken at the first read of the transaction: now, not at the first page.
      this.#db.prepare('SELECT count(*) FROM sheets').get();
    } catch (error) {
      this.#db.close();
      throw error;
    }
  }

  /** The rows of a job, a page of `pageRows` at a time, each reading from the first. */
  pages(jobId: string, sheetId: string, status: RowStatus | null = null, pageRows = PAGE_ROWS): RowPages {
    const db = this.#db;
    return function* () {
      const rows = db.prepare(ROWS_SQL).iterate({ jobId, sheetId, status }) as IterableIterator<StoredRow>;
      let page: RowView[] = [];
      for (const row of rows) {
        page.push({ ...toResult(row), values: JSON.parse(row.values_json) as string[] });
        if (page.length === pageRows) {
          yield page;
          page = [];
        }
      }
      if (page.length > 0) yield page;
    };
  }

  /** Ends the read transaction and closes the connection. */
  close(): void {
    if (this.#db.open) this.#db.close();
  }
}
