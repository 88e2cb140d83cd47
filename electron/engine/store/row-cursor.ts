import Database from 'better-sqlite3';
import type { RowStatus, RowView } from '../../../shared/api.ts';
import { rowStatusOf } from '../../../shared/columns.ts';
import { PAGE_ROWS, type RowPages } from '../sheets/export-table.ts';
import { toResult } from './repository.ts';

// The rows of a job for an export, read as they are written out rather than loaded at once: a
// million rows are some gigabytes as objects. The export reads through a connection of its own, in
// one read transaction: it sees the job as it was when the export began (WAL keeps that snapshot
// while the engine goes on writing answers through its own connection), reads it as many times as
// it needs (an .xlsx export reads twice) and may keep its cursor open across the awaits of writing
// to the file, which the engine's connection could not allow (it would be busy for every write).
//
// A row is its cells (one per AI column) read together: the cells come in row order, and within a
// row in the job's column order, so a row is whole as soon as the next row's first cell comes.

/** A stored cell as toResult() reads it, with its row's values on the cell of the first column. */
type StoredCell = Parameters<typeof toResult>[0] & {
  /** Only on the cell of the job's first column: a row's values are read once, not once a cell. */
  values_json: string | null;
};

/**
 * The job's cells with the input values, in input order and, within a row, in column order. SQLite
 * walks job_cells by its key (job, row, column id) and sorts only each row's few cells by position,
 * so the first rows come out at once and no more than a row is held. Both are forced, whatever the
 * statistics (ANALYZE) say: NOT INDEXED keeps job_cells on its key rather than the scheduler's index
 * (job, column, status, row), and CROSS JOIN keeps it the outer loop; either way round, every cell
 * of the job would be sorted at once before the first row came out.
 */
export const CELLS_SQL = `
  SELECT c.row_index, c.col, c.status, c.output, c.error, c.attempts, c.latency_ms, c.prompt_tokens,
         c.completion_tokens, c.cost_nanos, c.cached, c.finish, c.stale, c.edited,
         CASE WHEN k.position = @firstPosition THEN s.values_json END AS values_json
  FROM job_cells c NOT INDEXED
  CROSS JOIN job_columns k ON k.job_id = c.job_id AND k.col = c.col
  CROSS JOIN sheet_rows s ON s.sheet_id = @sheetId AND s.row_index = c.row_index
  WHERE c.job_id = @jobId
  ORDER BY c.row_index, k.position`;

const FIRST_POSITION_SQL = 'SELECT min(position) AS first FROM job_columns WHERE job_id = ?';
const VALUES_SQL = 'SELECT values_json FROM sheet_rows WHERE sheet_id = ? AND row_index = ?';

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

  /**
   * The rows of a job with their cells, a page of `pageRows` rows at a time, each reading from the
   * first. With a status, only the rows of that status as rowStatusOf() has it: `failed`, any cell
   * failed; `done`, none failed, running or waiting.
   */
  pages(jobId: string, sheetId: string, status: RowStatus | null = null, pageRows = PAGE_ROWS): RowPages {
    const db = this.#db;
    return function* () {
      const { first } = db.prepare(FIRST_POSITION_SQL).get(jobId) as { first: number | null };
      if (first === null) return;
      const valuesOf = db.prepare(VALUES_SQL).pluck();
      const cells = db
        .prepare(CELLS_SQL)
        .iterate({ jobId, sheetId, firstPosition: first }) as IterableIterator<StoredCell>;
      let page: RowView[] = [];
      let row: RowView | null = null;
      let valuesJson: string | null = null;
      // The row gathered so far goes on the page (when it is of the status asked for).
      const close = (done: RowView): void => {
        // A row without a cell in the first column (never made so, but cheap to allow) reads its values alone.
        const json = valuesJson ?? (valuesOf.get(sheetId, done.index) as string | undefined) ?? '[]';
        if (status === null || rowStatusOf(done.cells) === status) {
          done.values = JSON.parse(json) as string[];
          page.push(done);
        }
      };
      for (const stored of cells) {
        if (row === null || stored.row_index !== row.index) {
          if (row !== null) close(row);
          if (page.length >= pageRows) {
            yield page;
            page = [];
          }
          row = { index: stored.row_index, values: [], cells: [] };
          valuesJson = null;
        }
        if (stored.values_json !== null) valuesJson = stored.values_json;
        row.cells.push(toResult(stored));
      }
      if (row !== null) close(row);
      if (page.length > 0) yield page;
    };
  }

  /** Ends the read transaction and closes the connection. */
  close(): void {
    if (this.#db.open) this.#db.close();
  }
}
