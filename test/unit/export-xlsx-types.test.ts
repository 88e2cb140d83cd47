// The types of an imported workbook's cells in a new results workbook, read back by ExcelJS
// (Rowbot writes results workbooks part by part, without ExcelJS).
import ExcelJS from 'exceljs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportResults } from '../../electron/engine/sheets/export.ts';
import { readXlsx } from '../../electron/engine/sheets/xlsx.ts';
import type { RowView } from '../../shared/api.ts';
import { outputColumn } from '../../electron/engine/sheets/export-table.ts';
import { oneCellRow } from '../fixtures/row-views.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rowbot-types-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Imports a workbook as the engine does (the text Excel shows), then exports it to .xlsx. */
async function importThenExport(source: ExcelJS.Workbook): Promise<ExcelJS.Worksheet> {
  const bytes = new Uint8Array((await source.xlsx.writeBuffer()) as ArrayBuffer);
  const sheet = await readXlsx(bytes, 'in.xlsx');
  const [header = [], ...body] = sheet.rows;
  const rows = body.map((values, index): RowView =>
    oneCellRow({
      index,
      values,
      output: 'ok',
      status: 'done',
      error: null,
      attempts: 1,
      latencyMs: 5,
      promptTokens: 1,
      completionTokens: 1,
      cost: null,
      cached: false,
      finish: 'stop',
    }),
  );
  const out = join(dir, `out-${Math.random().toString(36).slice(2)}.xlsx`);
  await exportResults(out, header, rows, { format: 'xlsx' }, outputColumn(), () => ({
    bytes,
    sheet: sheet.sheet,
    sourceRows: sheet.rowNumbers.slice(1),
  }));
  const back = new ExcelJS.Workbook();
  await back.xlsx.load((await readFile(out)) as unknown as ArrayBuffer);
  return back.worksheets[0]!;
}

describe('an .xlsx export keeps the types of an imported workbook', () => {
  it('keeps numbers, dates, percentages and booleans in their formats, and text as text', async () => {
    const source = new ExcelJS.Workbook();
    const sheet = source.addWorksheet('Data');
    sheet.addRow(['id', 'amount', 'day', 'rate', 'flag', 'code']);
    sheet.addRow(['007', 1234.5, new Date(Date.UTC(2023, 5, 15)), 0.2, true, '1e3']);
    sheet.getCell('B2').numFmt = '#,##0.00';
    sheet.getCell('C2').numFmt = 'dd/mm/yyyy';
    sheet.getCell('D2').numFmt = '0%';
    const back = await importThenExport(source);
    expect(back.getCell('A2').value).toBe('007');
    expect(back.getCell('B2').value).toBe(1234.5);
    expect(back.getCell('B2').numFmt).toBe('#,##0.00');
    expect(back.getCell('C2').value).toEqual(new Date(Date.UTC(2023, 5, 15)));
    expect(back.getCell('C2').numFmt).toBe('dd/mm/yyyy');
    expect(back.getCell('D2').value).toBe(0.2);
    expect(back.getCell('E2').value).toBe(true);
    expect(back.getCell('F2').value).toBe('1e3');
  });

  it('moves dates of a workbook in the 1904 date system to the 1900 system of the export', async () => {
    const source = new ExcelJS.Workbook();
    source.properties.date1904 = true;
    const sheet = source.addWorksheet('Data');
    sheet.addRow(['day', 'time']);
    sheet.addRow([new Date(Date.UTC(2020, 1, 29)), 0.75]);
    sheet.getCell('A2').numFmt = 'yyyy-mm-dd';
    sheet.getCell('B2').numFmt = 'hh:mm';
    const back = await importThenExport(source);
    expect(back.getCell('A2').value).toEqual(new Date(Date.UTC(2020, 1, 29)));
    expect(back.getCell('B2').numFmt).toBe('hh:mm');
    expect(back.getCell('B2').value).toEqual(new Date(Date.UTC(1899, 11, 30, 18, 0)));
  });

  it('keeps as text a cell whose shown text is not what the import kept (the top-left value of a merged range only)', async () => {
    const source = new ExcelJS.Workbook();
    const sheet = source.addWorksheet('Data');
    sheet.addRow(['a', 'b', 'c']);
    sheet.addRow([5, 6, 'x']);
    sheet.mergeCells('A2:B2');
    const back = await importThenExport(source);
    expect(back.getCell('A2').value).toBe(5);
    expect(back.getCell('B2').value).toBeNull();
  });
});
