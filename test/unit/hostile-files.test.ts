import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importTable } from '../../electron/engine/sheets/import.ts';
import type { SheetLimits } from '../../electron/engine/sheets/limits.ts';
import { readXlsx } from '../../electron/engine/sheets/xlsx.ts';
import { openZip, readEntry, partKey } from '../../electron/engine/sheets/xlsx/zip.ts';
import { RowbotError } from '../../shared/errors.ts';
import {
  deepJson,
  sharedStringsBombXlsx,
  sheetBombXlsx,
  sparseXlsx,
  writeLongFieldCsv,
} from '../fixtures/hostile-files.ts';
import { importForTest } from '../fixtures/import-table.ts';

// Issue 13: files that took the machine down are refused with a specific message, after
// bounded work. The same builders make them full size in `npm run bench -- hostile`.

async function refusal(promise: Promise<unknown>): Promise<RowbotError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(RowbotError);
  return error as RowbotError;
}

const MB = 1024 * 1024;

function importPath(path: string, fileName: string, limits?: Partial<SheetLimits>) {
  return importTable({ fileName, path }, { maxRows: 1_000_000, ...(limits ? { limits } : {}) }, () => undefined);
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'rowbot-hostile-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('readXlsx: a sheet too wide or with too many cells', () => {
  it('refuses a value past column 2,000 at once, before any row is padded', async () => {
    const error = await refusal(readXlsx(sparseXlsx(3), 'sparse.xlsx'));
    expect(error.code).toBe('FILE_TOO_LARGE');
    expect(error.message).toContain('"sparse.xlsx" is too wide: row 1 has a value in column 16,384');
    expect(error.message).toContain('Rowbot reads at most 2,000 columns');
  });

  it('stops after the cell budget: the empty cells between values count', async () => {
    // 1,000 rows × 26 columns (A and Z), 26,000 cells once padded, over a budget of 5,000.
    const error = await refusal(readXlsx(sparseXlsx(1000, 'Z'), 'wide.xlsx', { limits: { cells: 5000 } }));
    expect(error.code).toBe('FILE_TOO_LARGE');
    expect(error.message).toContain('holds more than 5,000 cells');
    expect((await readXlsx(sparseXlsx(100, 'Z'), 'fits.xlsx', { limits: { cells: 5000 } })).rows).toHaveLength(100);
  });

  it('delimited text too wide is refused the same way; empty cells past the limit are padding', async () => {
    const wide = await refusal(importForTest('wide.csv', `a,b\n1,2${',x'.repeat(2500)}\n`));
    expect(wide.message).toContain('"wide.csv" is too wide: row 2 has a value in column 2,502');
    const padded = await importForTest('padded.csv', `a,b\n1,2${','.repeat(5000)}\n`);
    expect(padded.columns).toEqual(['a', 'b']);
  });
});

describe('readXlsx: zip bombs', () => {
  it('refuses a worksheet whose zip says it unpacks past the limit, before inflating it', async () => {
    const bomb = sheetBombXlsx(MB, { declare: 3_000_000_000 });
    const error = await refusal(readXlsx(bomb, 'bomb.xlsx'));
    expect(error.code).toBe('FILE_TOO_LARGE');
    expect(error.message).toBe(
      '"bomb.xlsx" is too large: the sheet unpacks to 2.8 GB, and Rowbot unpacks at most 1 GB. Delete the rows or columns you do not need, or split the workbook, and import the parts.',
    );
    const honest = await refusal(readXlsx(sheetBombXlsx(40 * MB), 'bomb.xlsx', { limits: { partBytes: 8 * MB } }));
    expect(honest.message).toMatch(/the sheet unpacks to 39\.\d MB, and Rowbot unpacks at most 8 MB\./);
  });

  it('refuses shared strings past the limit, or more of them than the cell budget', async () => {
    const error = await refusal(readXlsx(sharedStringsBombXlsx(MB, { declare: 3_000_000_000 }), 'strings.xlsx'));
    expect(error.code).toBe('FILE_TOO_LARGE');
    expect(error.message).toContain('its text (the shared strings) unpacks to 2.8 GB');
    const many = await refusal(readXlsx(sharedStringsBombXlsx(8 * MB), 'strings.xlsx', { limits: { cells: 100_000 } }));
    expect(many.message).toContain('holds more than 100,000 cells');
  });

  it('stops inflating an entry as soon as it is larger than its zip said (a liar), and calls it damaged', async () => {
    const liar = sheetBombXlsx(40 * MB, { declare: MB });
    const zip = openZip(liar, 'liar.xlsx');
    const entry = zip.entries.get(partKey('xl/worksheets/sheet1.xml'));
    expect(entry?.size).toBe(MB);
    let inflated = 0;
    await expect(readEntry(zip, entry!, (chunk) => (inflated += chunk.length))).rejects.toThrow('larger than listed');
    expect(inflated).toBeLessThanOrEqual(MB);
    const error = await refusal(readXlsx(liar, 'liar.xlsx'));
    expect(error.message).toContain('"liar.xlsx" could not be opened: the workbook is damaged');
  });

  it('refuses a run of text longer than a cell may be while it is fed to the XML parser (a bomb of spaces)', async () => {
    const spaces = sheetBombXlsx(8 * MB, { fill: 'spaces' });
    const error = await refusal(readXlsx(spaces, 'spaces.xlsx', { limits: { rowChars: MB } }));
    expect(error.code).toBe('FILE_TOO_LARGE');
    expect(error.message).toContain('"spaces.xlsx" has a cell longer than 1 MB of text');
  });

  it('refuses the cells of a bomb that fits the byte limits at the cell budget', async () => {
    const error = await refusal(readXlsx(sheetBombXlsx(16 * MB), 'cells.xlsx', { limits: { cells: 200_000 } }));
    expect(error.message).toContain('holds more than 200,000 cells');
  });
});

describe('delimited text: a row that runs on for megabytes', () => {
  it('refuses a 20 MB quoted field at 8 MB, naming its row', async () => {
    const path = join(dir, 'long.csv');
    writeLongFieldCsv(path, 20 * MB);
    const error = await refusal(importPath(path, 'long.csv'));
    expect(error.code).toBe('FILE_TOO_LARGE');
    expect(error.message).toContain('"long.csv" has a row longer than 8 MB of text, starting at row 2');
  });

  it('stops as soon as the unfinished row passes the limit (Papa Parse would parse it again with each chunk)', async () => {
    const path = join(dir, 'small-limit.csv');
    writeLongFieldCsv(path, 3 * MB);
    const error = await refusal(importPath(path, 'small-limit.csv', { rowChars: MB }));
    expect(error.message).toContain('has a row longer than 1 MB of text, starting at row 2');
    const fits = await importPath(path, 'fits.csv', { rowChars: 4 * MB });
    expect(fits.rowCount).toBe(2);
  });
});

describe('files that are not spreadsheets at all', () => {
  it('refuses JSON nested 100,000 deep with a specific message', async () => {
    for (const name of ['deep.json', 'deep.jsonl']) {
      const text = name.endsWith('l') ? `{"a":1}\n${deepJson(100_000)}\n` : deepJson(100_000);
      const error = await refusal(importForTest(name, text));
      expect(error.code).toBe('FILE_UNREADABLE');
      expect(error.message).toContain(`"${name}" holds JSON nested too deeply to read`);
    }
  });

  it('refuses a folder and a named pipe without reading them', async () => {
    const folder = await refusal(importPath(dir, 'folder.csv'));
    expect(folder.code).toBe('FILE_UNREADABLE');
    expect(folder.message).toContain('"folder.csv" is a folder, not a spreadsheet');
    const fifo = join(dir, 'pipe.csv');
    execFileSync('mkfifo', [fifo]);
    // Opening a pipe that nobody writes to waits for ever: this must return without opening it.
    const pipe = await refusal(importPath(fifo, 'pipe.csv'));
    expect(pipe.code).toBe('FILE_UNREADABLE');
    expect(pipe.message).toContain('"pipe.csv" is not a regular file');
  });
});
