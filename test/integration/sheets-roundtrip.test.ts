import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Engine } from '../../electron/engine/engine.ts';
import { readXlsx } from '../../electron/engine/sheets/xlsx.ts';
import { EXPECTED_RESULT_COLUMNS } from '../fixtures/expected.ts';
import { importForTest } from '../fixtures/import-table.ts';
import { firstCells } from '../fixtures/cells.ts';

// Cells that break naive exporters: separators, quotes, newlines, accents, emoji, formulas.
const COLUMNS = ['name', 'note, with comma', 'Zoë “quoted”'];
const ROWS = [
  ['Lamp', 'He said "hi"', 'multi\nline'],
  ['=1+1', '+cmd', '@SUM(A1)'],
  ['Café 🎉', '', '-5'],
  ['tab\tin', 'semi;colon', 'pipe|bar'],
];

describe('import → export → import gives the same cells, for every format', () => {
  let dir: string;
  let engine: Engine;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'rowbot-roundtrip-'));
    engine = new Engine({ dbFile: join(dir, 'rowbot.db'), demoLatencyMs: [1, 2] });
  });
  afterEach(async () => {
    await engine.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function completedJob(): Promise<{ jobId: string; outputs: string[] }> {
    const source = join(dir, 'in.jsonl');
    writeFileSync(
      source,
      ROWS.map((row) => JSON.stringify(Object.fromEntries(COLUMNS.map((c, i) => [c, row[i]])))).join('\n'),
    );
    const preview = await engine.importFile(source);
    expect(preview.columns).toEqual(COLUMNS);
    const job = engine.createJob({
      sheetId: preview.sheetId,
      template: 'Describe {{name}}',
      provider: { kind: 'demo', model: 'demo' },
      settings: { concurrency: 4 },
    });
    engine.startJob(job.id);
    await engine.waitForJob(job.id);
    return { jobId: job.id, outputs: firstCells(engine.getRows(job.id)).map((row) => row.output ?? '') };
  }

  it.each(['csv', 'xlsx', 'jsonl'] as const)('%s', async (format) => {
    const { jobId, outputs } = await completedJob();
    const out = join(dir, `out.${format}`);
    await engine.exportTo(jobId, out, { format, rows: 'all' });
    const back = await importForTest(`out.${format}`, readFileSync(out));
    expect(back.columns).toEqual([...COLUMNS, ...EXPECTED_RESULT_COLUMNS]);
    // CSV neutralizes formulas with a leading apostrophe (OWASP); XLSX and JSONL keep the text as is.
    const guard = (cell: string): string => (format === 'csv' && /^[=+\-@\t\r]/.test(cell) ? `'${cell}` : cell);
    expect(back.rows.map((row) => row.slice(0, COLUMNS.length))).toEqual(ROWS.map((row) => row.map(guard)));
    expect(back.rows.map((row) => row[COLUMNS.length])).toEqual(outputs.map(guard));
    expect(back.rows.map((row) => row[COLUMNS.length + 1])).toEqual(ROWS.map(() => 'done'));
  });

  it('XLSX formula-like cells are text in Excel’s eyes: no formulas, Text format', async () => {
    const { jobId } = await completedJob();
    const out = join(dir, 'out.xlsx');
    await engine.exportTo(jobId, out, { format: 'xlsx', rows: 'all' });
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(readFileSync(out).buffer as ArrayBuffer);
    const cell = workbook.worksheets[0]?.getCell('A3');
    expect(cell?.value).toBe('=1+1');
    expect(cell?.formula).toBeUndefined();
    expect(cell?.numFmt).toBe('@');
  });

  it('exports only done or only failed rows, in input order, and CSV without a BOM on request', async () => {
    const { jobId } = await completedJob();
    const failed = join(dir, 'failed.csv');
    await engine.exportTo(jobId, failed, { format: 'csv', rows: 'failed', bom: false });
    const text = readFileSync(failed, 'utf8');
    expect(text.startsWith('name,')).toBe(true);
    expect(text.trim().split('\n')).toHaveLength(1);
    const done = join(dir, 'done.csv');
    await engine.exportTo(jobId, done, { format: 'csv', rows: 'done' });
    expect(readFileSync(done, 'utf8').startsWith('\uFEFF')).toBe(true);
    const back = await importForTest('done.csv', readFileSync(done));
    expect(back.rows.map((row) => row[0])).toEqual(['Lamp', "'=1+1", 'Café 🎉', 'tab\tin']);
  });

  it('writes the results back into the user’s own workbook: other sheets kept, columns added at the right rows', async () => {
    const workbook = new ExcelJS.Workbook();
    const data = workbook.addWorksheet('Products');
    data.addRow(['Product list']);
    data.addRow([]);
    data.addRow(['name', 'price']);
    data.addRow(['Lamp', 10]);
    data.addRow([]);
    data.addRow(['Desk', 120]);
    workbook.addWorksheet('Notes').addRow(['keep me']);
    const source = join(dir, 'book.xlsx');
    await workbook.xlsx.writeFile(source);

    const preview = await engine.importFile(source, { sheet: 'Products' });
    expect(preview.settings).toMatchObject({ format: 'xlsx', sheet: 'Products', sheetNames: ['Products', 'Notes'] });
    const job = engine.createJob({
      sheetId: preview.sheetId,
      template: 'Price of {{name}}?',
      provider: { kind: 'demo', model: 'demo' },
    });
    engine.startJob(job.id);
    await engine.waitForJob(job.id);
    const out = join(dir, 'book-with-results.xlsx');
    await engine.exportTo(job.id, out, { format: 'xlsx', rows: 'all', writeBack: true });

    const back = await readXlsx(readFileSync(out), 'book-with-results.xlsx', { sheet: 'Products' });
    const rows = firstCells(engine.getRows(job.id));
    expect(back.sheetNames).toEqual(['Products', 'Notes']);
    expect(preview.notes).toContain('Row 1 above the table looked like a title and was left out.');
    expect(back.rows[0]).toEqual(['Product list']);
    expect(back.rows[2]).toEqual(['name', 'price', 'output', 'status', 'error']);
    expect(back.rows[3]).toEqual(['Lamp', '10', rows[0]?.output, 'done']);
    expect(back.rows[5]).toEqual(['Desk', '120', rows[1]?.output, 'done']);
    expect((await readXlsx(readFileSync(out), 'x.xlsx', { sheet: 'Notes' })).rows).toEqual([['keep me']]);
  });

  it('an export that cannot be written says so, and the results stay in the database', async () => {
    const { jobId } = await completedJob();
    await expect(
      engine.exportTo(jobId, join(dir, 'missing-folder', 'out.csv'), { format: 'csv', rows: 'all' }),
    ).rejects.toThrow(/Could not save the export/);
    expect(engine.getJob(jobId).counts.done).toBe(ROWS.length);
  });
});
