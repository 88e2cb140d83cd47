// RowSnapshot reads a job's cells (issue 17) from a real SQLite file in WAL mode, a row at a time:
// each row whole, with its cells in the job's column order (positions, not ids), pages of the size
// asked, the rows filter by the rule of rowStatusOf, and the database as it was when the snapshot
// was taken while another connection goes on writing.
//
// The tables are made here with the columns the export reads, as migration 140 lays them out
// (job_columns, job_cells); the engine's own migration makes them in the engine's tests.
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RowView } from '../../shared/api.ts';
import { CELLS_SQL, RowSnapshot } from '../../electron/engine/store/row-cursor.ts';

const ROWS = 1_000;
/** Column ids and their positions: summary is id 5 at position 0, label id 2 at 1, reply id 0 at 2. */
const COLUMNS = [
  { col: 5, position: 0, name: 'summary' },
  { col: 2, position: 1, name: 'label' },
  { col: 0, position: 2, name: 'reply' },
];

let dir: string;
let dbFile: string;
let writer: Database.Database;

/** What the test stores in a cell: row 7k+3 has a failed reply, rows 10k+1 a queued label, the rest done. */
function statusOf(row: number, col: number): string {
  if (col === 0 && row % 7 === 3) return 'failed';
  if (col === 2 && row % 10 === 1) return 'queued';
  return 'done';
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'rowbot-cells-snapshot-'));
  dbFile = join(dir, 'rowbot.db');
  writer = new Database(dbFile);
  writer.pragma('journal_mode = WAL');
  writer.exec(`
    CREATE TABLE sheets (id TEXT PRIMARY KEY);
    CREATE TABLE sheet_rows (sheet_id TEXT NOT NULL, row_index INTEGER NOT NULL, values_json TEXT NOT NULL,
      PRIMARY KEY (sheet_id, row_index)) WITHOUT ROWID;
    CREATE TABLE job_columns (job_id TEXT NOT NULL, col INTEGER NOT NULL, position INTEGER NOT NULL, name TEXT NOT NULL,
      PRIMARY KEY (job_id, col)) WITHOUT ROWID;
    CREATE TABLE job_cells (job_id TEXT NOT NULL, row_index INTEGER NOT NULL, col INTEGER NOT NULL, status TEXT NOT NULL,
      prompt TEXT NOT NULL DEFAULT '', output TEXT, error TEXT, attempts INTEGER NOT NULL DEFAULT 0, latency_ms INTEGER,
      prompt_tokens INTEGER, completion_tokens INTEGER, cost_nanos INTEGER, cached INTEGER NOT NULL DEFAULT 0,
      finish TEXT, stale INTEGER, edited INTEGER, PRIMARY KEY (job_id, row_index, col)) WITHOUT ROWID;
    CREATE INDEX job_cells_by_status ON job_cells (job_id, col, status, row_index);
  `);
  writer.prepare("INSERT INTO sheets VALUES ('s1')").run();
  const addRow = writer.prepare('INSERT INTO sheet_rows VALUES (?, ?, ?)');
  const addColumn = writer.prepare("INSERT INTO job_columns VALUES ('j1', ?, ?, ?)");
  const addCell = writer.prepare(
    `INSERT INTO job_cells (job_id, row_index, col, status, output, error, attempts, cost_nanos, stale, edited)
     VALUES ('j1', ?, ?, ?, ?, ?, 1, ?, ?, ?)`,
  );
  writer.transaction(() => {
    for (const { col, position, name } of COLUMNS) addColumn.run(col, position, name);
    for (let row = 0; row < ROWS; row += 1) {
      addRow.run('s1', row, JSON.stringify([`name ${row}`, `line one\nline "${row}"`]));
      for (const { col, name } of COLUMNS) {
        // Row 500 has no summary cell (its first column's): its values are read on their own.
        if (row === 500 && col === 5) continue;
        const status = statusOf(row, col);
        addCell.run(
          row,
          col,
          status,
          status === 'done' ? `${name} of ${row}` : null,
          status === 'failed' ? `HTTP 500 on ${row}` : null,
          status === 'done' ? 345 : null,
          row === 2 && col === 2 ? 1 : 0,
          row === 4 && col === 0 ? 1 : null,
        );
      }
    }
    // Another job on the same sheet, whose cells must not show.
    writer.prepare("INSERT INTO job_columns VALUES ('j2', 0, 0, 'output')").run();
    writer.prepare("INSERT INTO job_cells (job_id, row_index, col, status) VALUES ('j2', 0, 0, 'done')").run();
  })();
});

afterAll(() => {
  writer.close();
  rmSync(dir, { recursive: true, force: true });
});

const UPDATE_SUMMARY_0 = "UPDATE job_cells SET output = ? WHERE job_id = 'j1' AND row_index = 0 AND col = 5";

function read(status: 'done' | 'failed' | null = null, pageRows = 64): RowView[][] {
  const snapshot = new RowSnapshot(dbFile);
  try {
    return [...(snapshot.pages('j1', 's1', status, pageRows)() as Iterable<RowView[]>)];
  } finally {
    snapshot.close();
  }
}

describe('RowSnapshot.pages over job_cells', () => {
  it('gives every row once, in input order, its cells in column order, a page of the size asked at a time', () => {
    const pages = read();
    expect(pages.map((page) => page.length)).toEqual([...Array.from({ length: 15 }, () => 64), ROWS - 15 * 64]);
    const rows = pages.flat();
    expect(rows.map((row) => row.index)).toEqual(Array.from({ length: ROWS }, (_, i) => i));
    const first = rows[0]!;
    expect(first.values).toEqual(['name 0', 'line one\nline "0"']);
    expect(first.cells.map((cell) => cell.col)).toEqual([5, 2, 0]);
    expect(first.cells.map((cell) => cell.output)).toEqual(['summary of 0', 'label of 0', 'reply of 0']);
    expect(first.cells[0]).toMatchObject({ index: 0, status: 'done', cost: 0.000000345, stale: false, edited: false });
    expect(rows[2]!.cells[1]!.stale).toBe(true);
    expect(rows[4]!.cells[2]!.edited).toBe(true);
    expect(rows[3]!.cells[2]).toMatchObject({ status: 'failed', output: null, error: 'HTTP 500 on 3', cost: null });
  });

  it('reads the values of a row that has no cell in the first column on their own', () => {
    const row = read().flat()[500]!;
    expect(row.values).toEqual(['name 500', 'line one\nline "500"']);
    expect(row.cells.map((cell) => cell.col)).toEqual([2, 0]);
  });

  it('done: the rows whose every cell is done; failed: the rows with any failed cell', () => {
    const done = read('done').flat();
    const failed = read('failed').flat();
    const expectedFailed = Array.from({ length: ROWS }, (_, i) => i).filter((i) => i % 7 === 3);
    const expectedDone = Array.from({ length: ROWS }, (_, i) => i).filter((i) => i % 7 !== 3 && i % 10 !== 1);
    expect(failed.map((row) => row.index)).toEqual(expectedFailed);
    expect(done.map((row) => row.index)).toEqual(expectedDone);
    expect(done.every((row) => row.cells.every((cell) => cell.status === 'done'))).toBe(true);
  });

  it('sees the cells as they were when it was taken, however many times it reads them', () => {
    const snapshot = new RowSnapshot(dbFile);
    try {
      const pages = snapshot.pages('j1', 's1', null, 250);
      writer.prepare(UPDATE_SUMMARY_0).run('changed');
      const once = [...(pages() as Iterable<RowView[]>)].flat();
      const twice = [...(pages() as Iterable<RowView[]>)].flat();
      expect(once[0]!.cells[0]!.output).toBe('summary of 0');
      expect(twice).toEqual(once);
    } finally {
      snapshot.close();
    }
    // A snapshot taken after the write sees it.
    expect(read().flat()[0]!.cells[0]!.output).toBe('changed');
    writer.prepare(UPDATE_SUMMARY_0).run('summary of 0');
  });

  it('streams: walks the cells by their key and sorts only within a row, whatever the statistics say', () => {
    writer.exec('ANALYZE');
    const plan = (
      writer.prepare(`EXPLAIN QUERY PLAN ${CELLS_SQL}`).all({ jobId: 'j1', sheetId: 's1', firstPosition: 0 }) as {
        detail: string;
      }[]
    ).map((step) => step.detail);
    expect(plan[0]).toBe('SEARCH c USING PRIMARY KEY (job_id=?)');
    expect(plan.filter((step) => step.includes('TEMP B-TREE'))).toEqual(['USE TEMP B-TREE FOR LAST TERM OF ORDER BY']);
  });

  it('a job with no columns has no rows', () => {
    const snapshot = new RowSnapshot(dbFile);
    try {
      expect([...(snapshot.pages('nope', 's1')() as Iterable<RowView[]>)]).toEqual([]);
    } finally {
      snapshot.close();
    }
  });
});
