// Exports of a job with several AI columns (issue 17), read back by readers that did not write them:
// CSV by papaparse, JSON lines by JSON.parse, the .xlsx of results and the written-back workbook by
// ExcelJS. The expected tables are spelled out here, not computed by the code under test.
import ExcelJS from 'exceljs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Papa from 'papaparse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportIntoWorkbook, exportResults, resultsToJsonl } from '../../electron/engine/sheets/export.ts';
import { resultsToCsv } from '../../electron/engine/sheets/export-csv.ts';
import { exportColumnsOf, rowIsExported, type ExportColumn } from '../../electron/engine/sheets/export-table.ts';
import { rowStatusOf } from '../../shared/columns.ts';
import type { AiColumn, ProviderConfig, RowResult, RowView } from '../../shared/api.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rowbot-export-columns-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const PROVIDER: ProviderConfig = { kind: 'demo', model: 'demo' };

function aiColumn(id: number, name: string, options: AiColumn['options'] = {}): AiColumn {
  return {
    id,
    name,
    template: '',
    systemPrompt: '',
    provider: PROVIDER,
    options,
    useCorrections: false,
    uses: [],
    comparesWith: null,
  };
}

function cell(index: number, col: number, output: string | null, more: Partial<RowResult> = {}): RowResult {
  return {
    index,
    col,
    status: output === null ? 'failed' : 'done',
    output,
    error: output === null ? 'HTTP 500: the server failed' : null,
    attempts: 1,
    latencyMs: 20,
    promptTokens: 10,
    completionTokens: 5,
    cost: output === null ? null : 0.000000345,
    cached: false,
    finish: output === null ? null : 'stop',
    stale: false,
    edited: false,
    ...more,
  };
}

/** summary (plain text), label (JSON with a field `score`, its own option), reply (plain text, the job's setting). */
const AI = exportColumnsOf(
  [
    aiColumn(0, 'summary'),
    aiColumn(3, 'label', { jsonOutput: { fields: [{ name: 'score', type: 'number' }] } }),
    aiColumn(1, 'reply', { jsonOutput: null }),
  ],
  { fields: [{ name: 'mood', type: 'string' }] },
);

const HEADER = [
  'name',
  'note',
  'summary',
  'summary.mood',
  'summary.status',
  'summary.error',
  'summary.cost',
  'label',
  'label.score',
  'label.status',
  'label.error',
  'label.cost',
  'reply',
  'reply.status',
  'reply.error',
  'reply.cost',
];

const ROWS: RowView[] = [
  {
    index: 0,
    values: ['Ada', 'line one\nline "two"'],
    cells: [
      cell(0, 0, '{"mood": "calm"}'),
      cell(0, 3, '{"score": 4}', { cost: 0.25 }),
      cell(0, 1, 'Dear Ada,\r\nthanks, "truly".\n'),
    ],
  },
  {
    index: 1,
    values: ['=HYPERLINK("http://evil")', 'plain'],
    cells: [cell(1, 0, 'not json'), cell(1, 3, '=1+1'), cell(1, 1, null)],
  },
  {
    // Cells given out of column order are still put under their own column.
    index: 2,
    values: ['Bo', ''],
    cells: [
      cell(2, 1, '@SUM(A1)', { status: 'done' }),
      cell(2, 0, '{"mood": "glad"}'),
      cell(2, 3, null, { status: 'queued', error: null }),
    ],
  },
];

/** The table the CSV export holds, as papaparse reads it (OWASP's quote before a formula-like cell). */
const CSV_TABLE = [
  HEADER,
  [
    'Ada',
    'line one\nline "two"',
    '{"mood": "calm"}',
    'calm',
    'done',
    '',
    '0.000000345',
    '{"score": 4}',
    '4',
    'done',
    '',
    '0.25',
    'Dear Ada,\r\nthanks, "truly".\n',
    'done',
    '',
    '0.000000345',
  ],
  [
    '\'=HYPERLINK("http://evil")',
    'plain',
    'not json',
    '',
    'done',
    '',
    '0.000000345',
    "'=1+1",
    '',
    'done',
    '',
    '0.000000345',
    '',
    'failed',
    'HTTP 500: the server failed',
    '',
  ],
  [
    'Bo',
    '',
    '{"mood": "glad"}',
    'glad',
    'done',
    '',
    '0.000000345',
    '',
    '',
    'queued',
    '',
    '',
    "'@SUM(A1)",
    'done',
    '',
    '0.000000345',
  ],
];

describe('exportColumnsOf', () => {
  it("takes each column's JSON fields from its own options, else from the job's settings", () => {
    expect(AI).toEqual<ExportColumn[]>([
      { id: 0, name: 'summary', jsonFields: ['mood'] },
      { id: 3, name: 'label', jsonFields: ['score'] },
      { id: 1, name: 'reply', jsonFields: [] },
    ]);
  });
});

describe('CSV of several AI columns', () => {
  it.each([',', ';', '\t'] as const)(
    'with %j: papaparse reads the header and every cell back, formula-like ones quoted',
    async (delimiter) => {
      const path = join(dir, `columns-${delimiter === '\t' ? 'tab' : delimiter}.csv`);
      await exportResults(path, ['name', 'note'], ROWS, { format: 'csv', delimiter }, AI);
      const text = await readFile(path, 'utf8');
      expect(text.startsWith('\uFEFF')).toBe(true);
      const parsed = Papa.parse<string[]>(text.slice(1), { delimiter, skipEmptyLines: 'greedy' });
      expect(parsed.errors).toEqual([]);
      expect(parsed.data).toEqual(CSV_TABLE);
      // The streamed file is the text the whole-table function makes.
      expect(text).toBe(resultsToCsv(['name', 'note'], ROWS, { delimiter, ai: AI }));
    },
  );

  it('a lone column not named output has the shape of several: NAME, NAME.status, NAME.error, NAME.cost', () => {
    const csv = resultsToCsv(['name'], [{ index: 0, values: ['x'], cells: [cell(0, 7, 'hi')] }], {
      bom: false,
      ai: [{ id: 7, name: 'summary', jsonFields: [] }],
    });
    expect(Papa.parse<string[]>(csv, { skipEmptyLines: true }).data).toEqual([
      ['name', 'summary', 'summary.status', 'summary.error', 'summary.cost'],
      ['x', 'hi', 'done', '', '0.000000345'],
    ]);
  });

  it('a row missing a cell (a column added since) has empty cells under that column', () => {
    const csv = resultsToCsv(['name'], [{ index: 0, values: ['x'], cells: [cell(0, 0, 'a')] }], {
      bom: false,
      ai: [
        { id: 0, name: 'a', jsonFields: [] },
        { id: 1, name: 'b', jsonFields: [] },
      ],
    });
    expect(Papa.parse<string[]>(csv, { skipEmptyLines: true }).data[1]).toEqual([
      'x',
      'a',
      'done',
      '',
      '0.000000345',
      '',
      '',
      '',
      '',
    ]);
  });
});

describe('JSON lines of several AI columns', () => {
  it('JSON.parse reads every cell back; amounts are plain decimals', async () => {
    const path = join(dir, 'columns.jsonl');
    await exportResults(path, ['name', 'note'], ROWS, { format: 'jsonl' }, AI);
    const text = await readFile(path, 'utf8');
    expect(text).toBe(resultsToJsonl(['name', 'note'], ROWS, AI));
    expect(text).toContain('"summary.cost":0.000000345');
    const records = text
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(records.map((record) => Object.keys(record))).toEqual([HEADER, HEADER, HEADER]);
    expect(records[0]).toMatchObject({
      note: 'line one\nline "two"',
      'summary.mood': 'calm',
      'label.score': 4,
      'label.cost': 0.25,
      reply: 'Dear Ada,\r\nthanks, "truly".\n',
    });
    expect(records[1]).toMatchObject({
      label: '=1+1',
      reply: null,
      'reply.status': 'failed',
      'reply.error': 'HTTP 500: the server failed',
      'reply.cost': null,
    });
    expect(records[2]).toMatchObject({ label: null, 'label.status': 'queued', reply: '@SUM(A1)' });
  });
});

/** A cell as ExcelJS reads it, as text. */
function excelText(value: ExcelJS.CellValue): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'object' && 'richText' in value) return value.richText.map((run) => run.text).join('');
  return String(value);
}

describe('XLSX of several AI columns', () => {
  it('ExcelJS reads every cell back; costs are numbers in dollars; formula-like answers are Text', async () => {
    const path = join(dir, 'columns.xlsx');
    await exportResults(path, ['name', 'note'], ROWS, { format: 'xlsx' }, AI);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load((await readFile(path)) as unknown as ArrayBuffer);
    const sheet = workbook.worksheets[0]!;
    expect((sheet.getRow(1).values as unknown[]).slice(1)).toEqual(HEADER);
    const col = (name: string): number => HEADER.indexOf(name) + 1;
    // The CSV table without OWASP's quotes and with numbers as numbers is what the workbook holds.
    expect(excelText(sheet.getRow(2).getCell(col('reply')).value)).toBe('Dear Ada,\r\nthanks, "truly".\n');
    expect(sheet.getRow(2).getCell(col('label.score')).value).toBe(4);
    expect(sheet.getRow(2).getCell(col('label.cost')).value).toBe(0.25);
    expect(sheet.getRow(2).getCell(col('label.cost')).numFmt).toContain('$');
    expect(sheet.getRow(2).getCell(col('summary.cost')).value).toBe(0.000000345);
    const formula = sheet.getRow(3).getCell(col('label'));
    expect(formula.value).toBe('=1+1');
    expect(formula.type).toBe(ExcelJS.ValueType.String);
    expect(formula.numFmt).toBe('@');
    expect(sheet.getRow(4).getCell(col('reply')).numFmt).toBe('@');
    expect(sheet.getRow(3).getCell(col('reply.error')).value).toBe('HTTP 500: the server failed');
    expect(sheet.getRow(4).getCell(col('label.status')).value).toBe('queued');
    expect(sheet.rowCount).toBe(4);
  });
});

describe('write-back of several AI columns', () => {
  async function source(): Promise<Uint8Array> {
    const workbook = new ExcelJS.Workbook();
    const sheet = workbook.addWorksheet('Data');
    sheet.addRow(['name', 'note']);
    for (const row of ROWS) sheet.addRow(row.values);
    return new Uint8Array((await workbook.xlsx.writeBuffer()) as ArrayBuffer);
  }

  it('adds NAME, NAME.status and NAME.error for each column, formula-like answers as Text', async () => {
    const path = join(dir, 'back.xlsx');
    await exportIntoWorkbook(path, await source(), 'Data', 1, [2, 3, 4], ROWS, AI);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load((await readFile(path)) as unknown as ArrayBuffer);
    const sheet = workbook.getWorksheet('Data')!;
    expect((sheet.getRow(1).values as unknown[]).slice(1)).toEqual([
      'name',
      'note',
      'summary',
      'summary.status',
      'summary.error',
      'label',
      'label.status',
      'label.error',
      'reply',
      'reply.status',
      'reply.error',
    ]);
    expect((sheet.getRow(3).values as unknown[]).slice(3)).toEqual([
      'not json',
      'done',
      undefined,
      '=1+1',
      'done',
      undefined,
      undefined,
      'failed',
      'HTTP 500: the server failed',
    ]);
    expect(sheet.getRow(3).getCell(6).numFmt).toBe('@');
    expect(sheet.getRow(4).getCell(9).value).toBe('@SUM(A1)');
    expect(sheet.getRow(4).getCell(9).numFmt).toBe('@');
  });

  it('a job whose one column is output adds output, status and error, as before', async () => {
    const path = join(dir, 'back-one.xlsx');
    const rows = ROWS.map((row) => ({ ...row, cells: row.cells.filter((c) => c.col === 0) }));
    await exportIntoWorkbook(path, await source(), 'Data', 1, [2, 3, 4], rows, [
      { id: 0, name: 'output', jsonFields: [] },
    ]);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load((await readFile(path)) as unknown as ArrayBuffer);
    const sheet = workbook.getWorksheet('Data')!;
    expect((sheet.getRow(1).values as unknown[]).slice(1)).toEqual(['name', 'note', 'output', 'status', 'error']);
    expect((sheet.getRow(2).values as unknown[]).slice(3)).toEqual(['{"mood": "calm"}', 'done']);
  });
});

describe('which rows an export of done or failed rows writes', () => {
  const statuses = (...list: RowResult['status'][]) => list.map((status) => ({ status }));

  it('failed: any cell failed; done: none failed, running or waiting (as the table shows rows)', () => {
    expect(rowStatusOf(statuses('done', 'done', 'done'))).toBe('done');
    expect(rowStatusOf(statuses('done', 'skipped'))).toBe('done');
    expect(rowStatusOf(statuses('done', 'failed', 'queued'))).toBe('failed');
    expect(rowStatusOf(statuses('done', 'queued'))).toBe('queued');
    expect(rowStatusOf(statuses('skipped', 'skipped'))).toBe('skipped');
    expect(rowStatusOf(statuses('queued'))).toBe('queued');
  });

  it('all writes every row', () => {
    const mixed = { cells: [cell(0, 0, 'a'), cell(0, 1, null, { status: 'queued' })] };
    expect(rowIsExported(mixed, 'all')).toBe(true);
    expect(rowIsExported(mixed, undefined)).toBe(true);
    expect(rowIsExported(mixed, 'done')).toBe(false);
    expect(rowIsExported(mixed, 'failed')).toBe(false);
  });
});
