import { randomBytes } from 'node:crypto';
import { rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Cell, CellValue, Workbook, Worksheet } from 'exceljs';
import type * as NumfmtTypes from 'numfmt';
import { RowbotError } from '../../../shared/errors.ts';

/** One worksheet as Excel shows it: every cell as its displayed text. */
export interface XlsxSheet {
  /** Every worksheet of the workbook in tab order, hidden ones included (chart sheets are not worksheets). */
  sheetNames: string[];
  /** The sheet that was read. */
  sheet: string;
  /** From the first row with a value to the last; an empty row is []; trailing empty cells are trimmed. */
  rows: string[][];
  /** rowNumbers[i] is the 1-based worksheet row number of rows[i]. */
  rowNumbers: number[];
}

export type XlsxCell = string | number | null;

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

type NumfmtModule = typeof NumfmtTypes;

interface Libraries {
  newWorkbook: () => Workbook;
  numfmt: NumfmtModule;
}

/** Loaded on first use: most runs never touch XLSX. */
async function libraries(): Promise<Libraries> {
  const [excel, numfmt] = await Promise.all([import('exceljs'), import('numfmt')]);
  const ExcelJS = excel.default;
  return { newWorkbook: () => new ExcelJS.Workbook(), numfmt };
}

// ---------------------------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------------------------

const OLE_SIGNATURE = [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1];
const ZIP_SIGNATURE = [0x50, 0x4b, 0x03, 0x04];
const EMPTY_ZIP_SIGNATURE = [0x50, 0x4b, 0x05, 0x06];

function startsWith(bytes: Uint8Array, signature: readonly number[]): boolean {
  return signature.every((byte, i) => bytes[i] === byte);
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Refuses, with a message that says what to do, the files that are not an .xlsx workbook at all. */
function checkSignature(bytes: Uint8Array, fileName: string): void {
  if (bytes.length === 0) {
    throw new RowbotError(
      'FILE_EMPTY',
      `"${fileName}" is empty. Choose a file with a header row and at least one row of data.`,
    );
  }
  const buffer = asBuffer(bytes);
  if (startsWith(bytes, OLE_SIGNATURE)) {
    // An OLE compound file: either an .xlsx encrypted with a password (Excel wraps it in one,
    // with these two streams) or a workbook in the binary Excel 97-2003 format.
    if (
      buffer.includes(Buffer.from('EncryptedPackage', 'utf16le')) ||
      buffer.includes(Buffer.from('EncryptionInfo', 'utf16le'))
    ) {
      throw new RowbotError(
        'FILE_UNREADABLE',
        `"${fileName}" is protected with a password, so Rowbot cannot read it. Open it in Excel, remove the password (File > Info > Protect Workbook > Encrypt with Password, then clear it), save it, and import it again.`,
      );
    }
    throw new RowbotError(
      'FILE_UNREADABLE',
      `"${fileName}" is in the old Excel 97-2003 format (.xls), which Rowbot cannot read. Open it in Excel, choose File > Save As > Excel Workbook (.xlsx), and import the new file.`,
    );
  }
  if (!startsWith(bytes, ZIP_SIGNATURE) && !startsWith(bytes, EMPTY_ZIP_SIGNATURE)) {
    throw new RowbotError(
      'FILE_UNREADABLE',
      `"${fileName}" is not an Excel workbook (.xlsx). If it is a CSV or text file, give it a .csv name and import it again; otherwise open it in Excel and save it as an Excel Workbook (.xlsx).`,
    );
  }
  // Zip files that are spreadsheets, but not ones Rowbot reads. The names of the parts of a
  // zip are stored uncompressed, so a plain byte search finds them.
  if (buffer.includes('xl/workbook.bin')) {
    throw new RowbotError(
      'FILE_UNREADABLE',
      `"${fileName}" is an Excel Binary Workbook (.xlsb), which Rowbot cannot read. Open it in Excel, choose File > Save As > Excel Workbook (.xlsx), and import the new file.`,
    );
  }
  if (buffer.subarray(30, 38).toString('latin1') === 'mimetype' && buffer.includes('opendocument.spreadsheet')) {
    throw new RowbotError(
      'FILE_UNREADABLE',
      `"${fileName}" is an OpenDocument spreadsheet (.ods), which Rowbot cannot read. Open it in your spreadsheet app, save it as an Excel Workbook (.xlsx), and import the new file.`,
    );
  }
}

function damaged(fileName: string): RowbotError {
  return new RowbotError(
    'FILE_UNREADABLE',
    `"${fileName}" could not be opened: the workbook is damaged or incomplete (it may not have finished downloading or copying), or it is not an Excel workbook. Open it in Excel, save it again as .xlsx, and import the new file.`,
  );
}

/** Loads a workbook; every failure becomes a RowbotError that says what to do next. */
async function loadWorkbook(
  newWorkbook: () => Workbook,
  bytes: Uint8Array,
  fileName: string,
  forReading: boolean,
): Promise<Workbook> {
  checkSignature(bytes, fileName);
  const workbook = newWorkbook();
  try {
    // ExcelJS expands each data validation range into one entry per cell (a whole column is a
    // million entries); reading values never needs them. A write-back keeps them, of course.
    // ExcelJS's types ask for an ArrayBuffer; it reads (and documents) a Node Buffer just as well.
    await workbook.xlsx.load(
      asBuffer(bytes) as unknown as ArrayBuffer,
      forReading ? { ignoreNodes: ['dataValidations'] } : {},
    );
  } catch {
    throw damaged(fileName);
  }
  if (workbook.worksheets.length === 0) {
    // Part names are stored uncompressed: a workbook that truly has no worksheets has a
    // workbook part but no worksheet parts; anything else that gives none is damaged.
    const buffer = asBuffer(bytes);
    if (!buffer.includes('xl/workbook') || buffer.includes('xl/worksheets/')) throw damaged(fileName);
    throw new RowbotError(
      'FILE_EMPTY',
      `"${fileName}" has no worksheets with cells (only charts, or nothing at all). Add a sheet with a header row and at least one row of data, save it, and import it again.`,
    );
  }
  return workbook;
}

function quotedList(names: readonly string[]): string {
  return names.map((name) => `"${name}"`).join(', ');
}

function findSheet(workbook: Workbook, wanted: string | undefined, fileName: string): Worksheet {
  const sheets = workbook.worksheets;
  if (wanted === undefined || wanted === '') {
    return sheets.find((sheet) => sheet.state !== 'hidden' && sheet.state !== 'veryHidden') ?? (sheets[0] as Worksheet);
  }
  const sheet =
    sheets.find((s) => s.name === wanted) ?? sheets.find((s) => s.name.toLowerCase() === wanted.toLowerCase());
  if (!sheet) {
    throw new RowbotError(
      'NOT_FOUND',
      `"${fileName}" has no sheet named "${wanted}". Its sheets are ${quotedList(sheets.map((s) => s.name))}; choose one of those.`,
    );
  }
  return sheet;
}

/**
 * ExcelJS names some built-in formats (which a file stores only as an id) by a string that
 * differs from what Excel shows for that id in an en-US setup, e.g. id 14, the default date
 * format, becomes 'mm-dd-yy' where Excel shows 'm/d/yyyy'. These are the same ids written the
 * way numfmt's getFormatFromId writes them.
 */
const EXCELJS_BUILTIN_FORMATS: Readonly<Record<string, string>> = {
  'mm-dd-yy': 'm/d/yyyy',
  'm/d/yy "h":mm': 'm/d/yyyy h:mm',
  '#,##0 ;(#,##0)': '#,##0_);(#,##0)',
  '#,##0 ;[Red](#,##0)': '#,##0_);[Red](#,##0)',
  '#,##0.00 ;(#,##0.00)': '#,##0.00_);(#,##0.00)',
  '#,##0.00 ;[Red](#,##0.00)': '#,##0.00_);[Red](#,##0.00)',
  'mmss.0': 'mm:ss.0',
};

const MS_PER_DAY = 86_400_000;
/** Days from Excel's day 0 (1899-12-30, counting the 1900 leap-year bug) to 1970-01-01. */
const UNIX_EPOCH_SERIAL = 25_569;

/**
 * ExcelJS turns a date-formatted number into a Date at that wall-clock time in UTC (already
 * corrected for 1904-based workbooks); this is the inverse, a 1900-based serial with the time
 * as a fraction of a day.
 */
function dateToSerial(date: Date): number {
  return date.getTime() / MS_PER_DAY + UNIX_EPOCH_SERIAL;
}

/**
 * Excel's General format shows as many digits as the column has room for, up to 15
 * significant ones. Rowbot has no column width, so it shows what a wide enough column shows:
 * 15 significant digits (0.1+0.2 is 0.3, and long ids stay whole), with scientific notation
 * only for numbers too large or too small to show that way (1E+21, 1.2345E-07).
 */
function formatGeneral(value: number, numfmt: NumfmtModule): string {
  if (!Number.isFinite(value)) return numfmt.format('General', value);
  const rounded = Number(value.toPrecision(15));
  if (rounded === 0) return '0';
  const magnitude = Math.abs(rounded);
  if (magnitude >= 1e15 || magnitude < 1e-6) return numfmt.format('General', rounded);
  return String(rounded);
}

function formatNumber(value: number, numFmt: string | undefined, numfmt: NumfmtModule): string {
  const pattern = numFmt === undefined ? '' : (EXCELJS_BUILTIN_FORMATS[numFmt] ?? numFmt);
  if (pattern === '' || pattern === '@' || pattern.toLowerCase() === 'general') return formatGeneral(value, numfmt);
  try {
    // The trim drops the padding that `_)` and `* ` put in to line up columns.
    return numfmt.format(pattern, value).trim();
  } catch {
    // A format numfmt cannot parse: the number is still worth more than '######'.
    return formatGeneral(value, numfmt);
  }
}

function hasTime(date: Date): boolean {
  return date.getTime() % MS_PER_DAY !== 0;
}

function richText(value: { richText: { text: string }[] }): string {
  return value.richText.map((run) => run.text).join('');
}

/** The text Excel shows for a value with a number format. */
function displayValue(value: CellValue, numFmt: string | undefined, numfmt: NumfmtModule): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return formatNumber(value, numFmt, numfmt);
  if (typeof value === 'boolean') return value ? 'TRUE' : 'FALSE';
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) return '';
    const pattern = numFmt ?? (hasTime(value) ? 'yyyy-mm-dd hh:mm:ss' : 'yyyy-mm-dd');
    return formatNumber(dateToSerial(value), pattern, numfmt);
  }
  if ('error' in value) return String(value.error);
  if ('richText' in value) return richText(value);
  if ('formula' in value || 'sharedFormula' in value) {
    // The result Excel saved when it last calculated; a file saved by other tools may have none.
    return value.result === undefined ? '' : displayValue(value.result, numFmt, numfmt);
  }
  if ('hyperlink' in value) {
    const text: unknown = value.text;
    if (typeof text === 'string') return text;
    if (typeof text === 'object' && text !== null && 'richText' in text)
      return richText(text as { richText: { text: string }[] });
    return '';
  }
  return '';
}

function displayCell(cell: Cell, numfmt: NumfmtModule): string {
  // A merged range keeps its value in the top-left cell only, as Excel does.
  if (cell.master !== cell) return '';
  return displayValue(cell.value, cell.numFmt, numfmt);
}

/** Reads one worksheet of an .xlsx workbook, every cell as the text Excel shows. */
export async function readXlsx(
  bytes: Uint8Array,
  fileName: string,
  options: { sheet?: string } = {},
): Promise<XlsxSheet> {
  const { newWorkbook, numfmt } = await libraries();
  const workbook = await loadWorkbook(newWorkbook, bytes, fileName, true);
  const sheetNames = workbook.worksheets.map((sheet) => sheet.name);
  const worksheet = findSheet(workbook, options.sheet, fileName);

  const used = new Map<number, string[]>();
  let first = 0;
  let last = 0;
  worksheet.eachRow({ includeEmpty: false }, (row, rowNumber) => {
    const cells: string[] = [];
    row.eachCell({ includeEmpty: false }, (cell, column) => {
      const text = displayCell(cell, numfmt);
      if (text !== '') cells[column - 1] = text;
    });
    if (cells.length === 0) return;
    used.set(
      rowNumber,
      Array.from(cells, (text) => text ?? ''),
    );
    if (first === 0 || rowNumber < first) first = rowNumber;
    if (rowNumber > last) last = rowNumber;
  });

  if (used.size === 0) {
    const others = sheetNames.filter((name) => name !== worksheet.name);
    throw new RowbotError(
      'FILE_EMPTY',
      `The sheet "${worksheet.name}" in "${fileName}" is empty.${others.length > 0 ? ` Choose another sheet (${quotedList(others)}), or add` : ' Add'} a header row and at least one row of data, save it, and import it again.`,
    );
  }
  const rows: string[][] = [];
  const rowNumbers: number[] = [];
  for (let rowNumber = first; rowNumber <= last; rowNumber += 1) {
    rows.push(used.get(rowNumber) ?? []);
    rowNumbers.push(rowNumber);
  }
  return { sheetNames, sheet: worksheet.name, rows, rowNumbers };
}

// ---------------------------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------------------------

/** OWASP's list of first characters that make a spreadsheet treat a cell as a formula. */
const FORMULA_START = /^[=+\-@\t\r]/;
/** Excel refuses (as a damaged file) a cell longer than this. */
const MAX_CELL_CHARS = 32_767;
const MAX_ROWS = 1_048_576;
const MAX_COLUMNS = 16_384;
const MIN_WIDTH = 8;
const MAX_WIDTH = 60;

function fitCellText(text: string): string {
  if (text.length <= MAX_CELL_CHARS) return text;
  // Do not cut a surrogate pair in half.
  const end = /[\uD800-\uDBFF]/.test(text.charAt(MAX_CELL_CHARS - 1)) ? MAX_CELL_CHARS - 1 : MAX_CELL_CHARS;
  return text.slice(0, end);
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

/** Width in characters for a column: its longest line, within limits. */
function widthFor(values: Iterable<XlsxCell | undefined>): number {
  let longest = 0;
  for (const value of values) {
    if (value === null || value === undefined) continue;
    // A number shows with at most 15 significant digits (0.1+0.2 shows as 0.3).
    const text = typeof value === 'number' ? String(Number(value.toPrecision(15))) : value;
    if (text.length <= longest) continue;
    for (const line of text.split('\n')) longest = Math.max(longest, line.length);
    if (longest >= MAX_WIDTH) break;
  }
  return Math.min(MAX_WIDTH, Math.max(MIN_WIDTH, longest + 2));
}

function* columnValues(
  header: string,
  rows: readonly (readonly XlsxCell[])[],
  index: number,
): Generator<XlsxCell | undefined> {
  yield header;
  for (const row of rows) yield row[index];
}

function failureReason(error: unknown): string {
  switch ((error as NodeJS.ErrnoException | null)?.code) {
    case 'ENOENT':
      return ' (the folder does not exist)';
    case 'EACCES':
    case 'EPERM':
      return ' (permission denied, or the file is open in another program)';
    case 'EBUSY':
      return ' (the file is open in another program)';
    case 'EISDIR':
      return ' (a folder has that name)';
    case 'ENOSPC':
      return ' (the disk is full)';
    case 'EROFS':
      return ' (the disk is read-only)';
    default:
      return '';
  }
}

/** Writes next to the target and renames into place, so a failure never leaves half a file. */
async function saveWorkbook(workbook: Workbook, path: string): Promise<void> {
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await workbook.xlsx.writeFile(temp);
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true }).catch(() => undefined);
    throw new RowbotError(
      'EXPORT_FAILED',
      `Could not save the export to "${path}"${failureReason(error)}. Choose another folder; your results are safe in Rowbot.`,
    );
  }
}

/** Excel's rules for sheet names: at most 31 characters, none of : \ / ? * [ ], no leading or trailing '. */
function safeSheetName(name: string): string {
  const cleaned = name
    .replace(/[:\\/?*[\]]/g, ' ')
    .slice(0, 31)
    .replace(/^'+|'+$/g, '')
    .trim();
  return cleaned === '' ? 'Results' : cleaned;
}

/** A new workbook with one sheet: a bold, frozen header row, then the rows. */
export async function writeResultsXlsx(
  path: string,
  header: string[],
  rows: XlsxCell[][],
  sheetName = 'Results',
): Promise<void> {
  const { newWorkbook } = await libraries();
  const workbook = newWorkbook();
  const sheet = workbook.addWorksheet(safeSheetName(sheetName), { views: [{ state: 'frozen', ySplit: 1 }] });
  const width = rows.reduce((widest, row) => Math.max(widest, row.length), header.length);
  if (rows.length + 1 > MAX_ROWS || width > MAX_COLUMNS) {
    throw new RowbotError(
      'EXPORT_FAILED',
      `Could not save the export to "${path}": Excel holds at most ${MAX_ROWS.toLocaleString('en-US')} rows and ${MAX_COLUMNS.toLocaleString('en-US')} columns. Export as CSV or JSON lines instead; your results are safe in Rowbot.`,
    );
  }
  const headerRow = sheet.getRow(1);
  header.forEach((name, i) => setCell(headerRow.getCell(i + 1), name));
  headerRow.font = { bold: true };
  rows.forEach((values, r) => {
    const row = sheet.getRow(r + 2);
    values.forEach((value, c) => setCell(row.getCell(c + 1), value));
  });
  for (let c = 0; c < width; c += 1) {
    sheet.getColumn(c + 1).width = widthFor(columnValues(header[c] ?? '', rows, c));
  }
  await saveWorkbook(workbook, path);
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
  const { newWorkbook } = await libraries();
  const workbook = await loadWorkbook(newWorkbook, source, sourceName, false);
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
