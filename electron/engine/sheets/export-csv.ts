import type { RowView } from '../../../shared/api.ts';
import type { ExportDelimiter } from '../../../shared/sheets.ts';
import { formatDollars } from '../pricing.ts';
import { writeLinesAtomically } from './export-stream.ts';
import {
  outputColumn,
  pagesOf,
  recordOf,
  tableShape,
  type Cell,
  type ExportColumn,
  type RowPages,
} from './export-table.ts';

export { RESULT_COLUMNS } from './export-table.ts';

const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * OWASP's rule against CSV injection: a cell a spreadsheet would run as a formula is
 * prefixed with a single quote so it is shown as text. This is the one change a CSV export
 * makes to a cell: a reader gets every other cell back exactly as Rowbot holds it.
 */
export function neutralizeFormula(cell: string): string {
  return FORMULA_START.test(cell) ? `'${cell}` : cell;
}

export interface CsvOptions {
  /** Start with a byte-order mark so Excel reads the file as UTF-8 (default on). */
  bom?: boolean;
  delimiter?: ExportDelimiter;
  /** The job's AI columns (default: one named `output`, answering in plain text). */
  ai?: readonly ExportColumn[];
}

/**
 * One field of RFC 4180: in quotes (a quote doubled) when it holds the separator, a quote, or
 * a line break of any kind, a lone CR or LF included. Model answers are often several lines:
 * a line break left bare splits the row in two for Excel, Google Sheets and Python alike.
 */
export function csvField(text: string, delimiter: string): string {
  if (!/["\r\n]/.test(text) && !text.includes(delimiter)) return text;
  return `"${text.replaceAll('"', '""')}"`;
}

/** The lines of a CSV export, each ending with CRLF: the header, then one per row. */
export function csvLines(
  columns: readonly string[],
  options: Pick<CsvOptions, 'delimiter' | 'ai'> = {},
): { header: string; row: (row: RowView) => string } {
  const { delimiter = ',', ai = outputColumn() } = options;
  const { header, moneyColumns } = tableShape(columns, ai);
  const text = (cell: Cell): string => neutralizeFormula(cell === null ? '' : String(cell));
  const line = (cells: readonly string[]): string => cells.map((cell) => csvField(cell, delimiter)).join(delimiter);
  const record = (cells: Cell[]): string =>
    line(cells.map((cell, i) => (moneyColumns.has(i) && typeof cell === 'number' ? formatDollars(cell) : text(cell))));
  return {
    header: `${line(header.map(text))}\r\n`,
    row: (row) => `${record(recordOf(row, columns, ai))}\r\n`,
  };
}

export function resultsToCsv(columns: readonly string[], rows: readonly RowView[], options: CsvOptions = {}): string {
  const { bom = true } = options;
  const lines = csvLines(columns, options);
  let body = lines.header;
  for (const page of pagesOf(rows)()) for (const row of page) body += lines.row(row);
  return bom ? `\uFEFF${body}` : body;
}

/** Writes a CSV export as it is made, a page of rows at a time (see writeLinesAtomically). */
export async function writeCsv(
  path: string,
  columns: readonly string[],
  pages: RowPages,
  options: CsvOptions = {},
): Promise<void> {
  const { bom = true } = options;
  const lines = csvLines(columns, options);
  await writeLinesAtomically(path, bom ? `\uFEFF${lines.header}` : lines.header, pages, lines.row);
}
