/**
 * Imports no job uses do not stay in the database (issue 13: 12): every `--estimate` and every run
 * that failed before its job was made left a copy of the sheet behind (a 1M-row estimate, 97 MB).
 * They go when the process closes (and the file gives the space back when most of it was theirs),
 * and any process drops those older than a day that no job uses (a crash left them).
 */
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../electron/engine/engine.ts';
import { DISK_CAP, rowbot, STACK_LINE } from './cli-process.ts';

const ROWS = 20_000;

function sheetCounts(dbFile: string): { sheets: number; rows: number } {
  const db = new Database(dbFile, { readonly: true });
  try {
    const sheets = (db.prepare('SELECT COUNT(*) AS n FROM sheets').get() as { n: number }).n;
    const rows = (db.prepare('SELECT COUNT(*) AS n FROM sheet_rows').get() as { n: number }).n;
    return { sheets, rows };
  } finally {
    db.close();
  }
}

describe('imports no job uses', () => {
  let dir: string;
  let big: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'rowbot-imports-'));
    big = join(dir, 'big.csv');
    const lines = ['id,text'];
    for (let i = 1; i <= ROWS; i += 1) lines.push(`${i},${`Some words about row ${i}. `.repeat(8)}`);
    writeFileSync(big, lines.join('\n'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('rowbot run --estimate leaves no copy of the sheet, and the file gives the space back', async () => {
    const dbFile = join(dir, 'estimate.db');
    const result = await rowbot(['run', big, '--template', 'Summarize: {{text}}', '--estimate', '--db', dbFile]);
    expect(result.stdout).toContain(`Rows to send: ${ROWS.toLocaleString('en-US')}`);
    expect(result.status).toBe(0);
    expect(sheetCounts(dbFile)).toEqual({ sheets: 0, rows: 0 });
    // The sheet took several megabytes while it was there.
    expect(statSync(dbFile).size).toBeLessThan(512 * 1024);
  });

  it('a run refused after the import (a template naming no column) leaves no copy either', async () => {
    const dbFile = join(dir, 'refused.db');
    const result = await rowbot(['run', big, '--template', 'Summarize: {{missing}}', '--db', dbFile]);
    expect(result.stderr).toContain('missing');
    expect(result.status).toBe(2);
    expect(sheetCounts(dbFile)).toEqual({ sheets: 0, rows: 0 });
  });

  it('at start, imports older than a day that no job uses go; recent ones and those of jobs stay', async () => {
    const dbFile = join(dir, 'startup.db');
    const first = new Engine({ dbFile });
    const small = Buffer.from('n\n1\n2\n');
    const used = await first.importBytes('used.csv', small);
    first.createJob({ sheetId: used.sheetId, template: '{{n}}', provider: { kind: 'demo', model: 'demo' } });
    const old = await first.importBytes('old.csv', small);
    const recent = await first.importBytes('recent.csv', small);
    // A process that stopped without closing (a crash) leaves its imports; this one is closed below, so
    // keep copies of those two the way a crash would have left them.
    const db0 = new Database(dbFile);
    const copy = db0.prepare(
      `INSERT INTO sheets (id, file_name, columns_json, row_count, notes_json, created_at, settings_json)
       SELECT ? || id, file_name, columns_json, row_count, notes_json, ?, settings_json FROM sheets WHERE id = ?`,
    );
    const twoDaysAgo = new Date(Date.now() - 2 * 24 * 3600_000).toISOString();
    copy.run('crashed-', twoDaysAgo, old.sheetId);
    copy.run('crashed-', new Date().toISOString(), recent.sheetId);
    db0.close();
    await first.close();

    const ids = (): string[] => {
      const db = new Database(dbFile, { readonly: true });
      try {
        return (db.prepare('SELECT id FROM sheets ORDER BY id').all() as { id: string }[]).map((row) => row.id);
      } finally {
        db.close();
      }
    };
    // Closing dropped this session's unused imports, not the job's.
    expect(ids()).toEqual([`crashed-${old.sheetId}`, `crashed-${recent.sheetId}`, used.sheetId].sort());

    const second = new Engine({ dbFile });
    await second.close();
    expect(ids()).toEqual([`crashed-${recent.sheetId}`, used.sheetId].sort());
  });
});

describe('an import into a full disk', () => {
  it('says the disk is full (not that the file cannot be read), with no stack trace, and keeps nothing of it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rowbot-import-full-'));
    try {
      const csv = join(dir, 'big.csv');
      const lines = ['id,text'];
      for (let i = 1; i <= 5000; i += 1) lines.push(`${i},${`Some words about row ${i}. `.repeat(8)}`);
      writeFileSync(csv, lines.join('\n'));
      const dbFile = join(dir, 'rowbot.db');
      // Room for the tables, not for the sheet.
      const result = await rowbot(['run', csv, '--template', 'Summarize: {{text}}', '--estimate', '--db', dbFile], {
        NODE_OPTIONS: DISK_CAP,
        ROWBOT_TEST_FREE_PAGES: '40',
      });
      expect(result.stderr).toContain(`The disk that holds Rowbot's database "${dbFile}" is full`);
      expect(result.stderr).not.toContain('could not read');
      expect(result.stderr).not.toMatch(STACK_LINE);
      expect(result.status).toBe(2);
      expect(sheetCounts(dbFile)).toEqual({ sheets: 0, rows: 0 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
