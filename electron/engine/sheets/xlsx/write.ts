import type { Cell, Workbook, Worksheet } from 'exceljs';
import { RowbotError } from '../../../../shared/errors.ts';
import { asBuffer, checkSignature, damaged, MAX_COLUMNS, MAX_ROWS, noWorksheets, pickSheet } from './checks.ts';
import { FORMULA_START, fitCellText, widthFor, type XlsxCell } from './cell-text.ts';
import { saveWorkbook } from './save.ts';

export interface WriteBackOptions {
  /** The bytes of the user's workbook, as imported. */
  source: Uint8Array;
  sheet: string;
  headerRowNumber: number;
  newColumns: string[];
  /** Key: the 1-based worksheet row number; value: the cells of the new columns, in order. */
  values: Map<number, XlsxCell[]>;
  outPath: string;
  /** The workbook's file name, for messages; "the imported workbook" without it. */
  sourceName?: string;
}

/** Loaded on first use: only writing builds an ExcelJS workbook. */
async function newWorkbook(): Promise<Workbook> {
  const { default: ExcelJS } = await import('exceljs');
  return new ExcelJS.Workbook();
}

/** Loads a workbook for a write-back; every failure becomes a RowbotError that says what to do next. */
async function loadWorkbook(bytes: Uint8Array, fileName: string): Promise<Workbook> {
  checkSignature(bytes, fileName);
  const workbook = await newWorkbook();
  try {
    // ExcelJS's types ask for an ArrayBuffer; it reads (and documents) a Node Buffer just as well.
    await workbook.xlsx.load(asBuffer(bytes) as unknown as ArrayBuffer);
  } catch {
    throw damaged(fileName);
  }
  if (workbook.worksheets.length === 0) {
    // Part names are stored uncompressed: a workbook that truly has no worksheets has a
    // workbook part but no worksheet parts; anything else that gives none is damaged.
    const buffer = asBuffer(bytes);
    if (!buffer.includes('xl/workbook') || buffer.includes('xl/worksheets/')) throw damaged(fileName);
    throw noWorksheets(fileName);
  }
  return workbook;
}

function findSheet(workbook: Workbook, wanted: string, fileName: string): Worksheet {
  const sheets = workbook.worksheets.map((worksheet) => ({
    name: worksheet.name,
    hidden: worksheet.state === 'hidden' || worksheet.state === 'veryHidden',
    worksheet,
  }));
  return pickSheet(sheets, wanted, fileName).worksheet;
}

/**
 * Strings are written as strings and numbers as numbers; never a formula. A string cell that
 * begins like a formula (OWASP: = + - @ tab CR) is already inert as stored, but Excel would run
 * it as soon as someone edits the cell and presses Enter, and other tools that re-import the
 * values may run it too. ExcelJS cannot set Excel's "quote prefix", so such a cell gets the Text
 * number format '@', under which Excel shows and keeps whatever is typed as text.
 */
function setCell(cell: Cell, value: XlsxCell | undefined): void {
  if (value === null || value === undefined) return;
  if (typeof value === 'number') {
    cell.value = Number.isFinite(value) ? value : String(value);
    return;
  }
  const text = fitCellText(value);
  cell.value = text;
  // A fresh style object: a loaded workbook shares one style object among cells of the same style.
  if (FORMULA_START.test(text)) cell.style = { ...cell.style, numFmt: '@' };
}

/** The right-most column with anything in it (a value, or part of a merged range), or 0. */
function lastUsedColumn(worksheet: Worksheet): number {
  let last = 0;
  worksheet.eachRow({ includeEmpty: false }, (row) => {
    row.eachCell({ includeEmpty: false }, (cell, column) => {
      if (column > last && (cell.value !== '' || cell.master !== cell)) last = column;
    });
  });
  return last;
}

function validRowNumber(n: number): boolean {
  return Number.isInteger(n) && n >= 1 && n <= MAX_ROWS;
}

/**
 * The user's own workbook with new columns after the last used column of one sheet: the names
 * in the header row, the values in the rows the map names. Everything else stays as it was
 * (as far as ExcelJS keeps it).
 */
export async function writeBackXlsx(options: WriteBackOptions): Promise<void> {
  const { source, sheet, headerRowNumber, newColumns, values, outPath, sourceName = 'the imported workbook' } = options;
  if (!validRowNumber(headerRowNumber) || [...values.keys()].some((n) => !validRowNumber(n))) {
    throw new RowbotError('BAD_REQUEST', 'Rows of a worksheet are numbered from 1 to 1,048,576.');
  }
  const workbook = await loadWorkbook(source, sourceName);
  const worksheet = findSheet(workbook, sheet, sourceName);
  const last = lastUsedColumn(worksheet);
  if (last + newColumns.length > MAX_COLUMNS) {
    throw new RowbotError(
      'EXPORT_FAILED',
      `Could not save the export to "${outPath}": the sheet "${worksheet.name}" has no room for ${newColumns.length} more columns. Export as CSV or a new .xlsx instead; your results are safe in Rowbot.`,
    );
  }

  const headerRow = worksheet.getRow(headerRowNumber);
  // The new header cells look like the last one already there (font, fill, borders), but keep
  // no number format of it.
  const { numFmt: _numFmt, ...headerStyle } = last > 0 ? headerRow.getCell(last).style : {};
  newColumns.forEach((name, i) => {
    const cell = headerRow.getCell(last + 1 + i);
    cell.style = { ...headerStyle };
    setCell(cell, name);
  });
  for (const [rowNumber, cells] of values) {
    const row = worksheet.getRow(rowNumber);
    cells.slice(0, newColumns.length).forEach((value, i) => setCell(row.getCell(last + 1 + i), value));
  }
  newColumns.forEach((name, i) => {
    const column = worksheet.getColumn(last + 1 + i);
    column.width = widthFor(
      (function* () {
        yield name;
        for (const cells of values.values()) yield cells[i];
      })(),
    );
  });
  await saveWorkbook(workbook, outPath);
}
