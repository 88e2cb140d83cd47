import { RowbotError } from '../../../shared/errors.ts';

// What Rowbot reads of a spreadsheet, at most. A file beyond these is refused with a message that
// says which limit and what to do, before it can fill the memory or hold the process for minutes:
// a sheet 16,384 columns wide, a zip whose parts unpack to gigabytes, a quoted field that never
// ends. Each is far beyond a table a person sends row by row to a model.

/** Columns with a value: more than a prompt can use, and what the table can show. */
export const MAX_COLUMNS = 2_000;
/** Cells a workbook may hold (empty cells between values count: they take room too). */
export const MAX_CELLS = 10_000_000;
/** Characters in one row of delimited text (or one cell of a workbook): 8 MB of text. */
export const MAX_ROW_CHARS = 8 * 1024 * 1024;
/** Bytes one part of a workbook (a worksheet, the shared strings) may unpack to. */
export const MAX_PART_BYTES = 1024 * 1024 * 1024;
/** Bytes all the parts read from a workbook may unpack to. */
export const MAX_UNPACKED_BYTES = 1536 * 1024 * 1024;

export interface SheetLimits {
  columns: number;
  cells: number;
  rowChars: number;
  partBytes: number;
  unpackedBytes: number;
}

export const SHEET_LIMITS: SheetLimits = {
  columns: MAX_COLUMNS,
  cells: MAX_CELLS,
  rowChars: MAX_ROW_CHARS,
  partBytes: MAX_PART_BYTES,
  unpackedBytes: MAX_UNPACKED_BYTES,
};

const count = (n: number): string => n.toLocaleString('en-US');

export function byteSize(bytes: number): string {
  if (bytes >= 1024 * 1024 * 1024) return `${+(bytes / (1024 * 1024 * 1024)).toFixed(1)} GB`;
  if (bytes >= 1024 * 1024) return `${+(bytes / (1024 * 1024)).toFixed(1)} MB`;
  return `${+(bytes / 1024).toFixed(1)} KB`;
}

export function tooManyColumns(fileName: string, column: number, max: number, where: string): RowbotError {
  return new RowbotError(
    'FILE_TOO_LARGE',
    `"${fileName}" is too wide: ${where} has a value in column ${count(column)}, and Rowbot reads at most ${count(max)} columns. Delete the columns you do not need (or stray cells far to the right), save, and import it again.`,
  );
}

export function tooManyCells(fileName: string, max: number): RowbotError {
  return new RowbotError(
    'FILE_TOO_LARGE',
    `"${fileName}" is too large: it holds more than ${count(max)} cells (empty cells between values count too), and Rowbot reads at most that many. Delete the rows or columns you do not need, or split the sheet, and import the parts.`,
  );
}

export function rowTooLong(fileName: string, row: number, maxChars: number): RowbotError {
  return new RowbotError(
    'FILE_TOO_LARGE',
    `"${fileName}" has a row longer than ${byteSize(maxChars)} of text, starting at row ${count(row)}; Rowbot reads rows up to ${byteSize(maxChars)}. It is most likely a quote that is never closed: check the quotes near that row, or export the sheet again as CSV.`,
  );
}

export function cellTooLong(fileName: string, maxChars: number): RowbotError {
  return new RowbotError(
    'FILE_TOO_LARGE',
    `"${fileName}" has a cell longer than ${byteSize(maxChars)} of text; Rowbot reads cells up to ${byteSize(maxChars)}. Shorten that cell, save, and import it again.`,
  );
}

export function unpacksTooLarge(fileName: string, what: string, size: number, max: number): RowbotError {
  return new RowbotError(
    'FILE_TOO_LARGE',
    `"${fileName}" is too large: ${what} unpacks to ${byteSize(size)}, and Rowbot unpacks at most ${byteSize(max)}. Delete the rows or columns you do not need, or split the workbook, and import the parts.`,
  );
}
