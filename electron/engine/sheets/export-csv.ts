import { writeFile } from 'node:fs/promises';
import type { RowView } from '../../../shared/api.ts';
import type { ExportDelimiter } from '../../../shared/sheets.ts';
import { formatDollars } from '../pricing.ts';
import { writeAtomically } from './xlsx/save.ts';
import { exportTable, type Cell } from './export-table.ts';

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
  jsonFields?: readonly string[];
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

export function resultsToCsv(columns: readonly string[], rows: readonly RowView[], options: CsvOptions = {}): string {
  const { bom = true, delimiter = ',', jsonFields = [] } = options;
  const { header, records, moneyColumns } = exportTable(columns, rows, jsonFields);
  const text = (cell: Cell): string => neutralizeFormula(cell === null ? '' : String(cell));
  const line = (cells: readonly string[]): string => cells.map((cell) => csvField(cell, delimiter)).join(delimiter);
  const record = (cells: Cell[]): string =>
    line(cells.map((cell, i) => (moneyColumns.has(i) && typeof cell === 'number' ? formatDollars(cell) : text(cell))));
  let body = `${line(header.map(text))}\r\n`;
  for (const cells of records) body += `${record(cells)}\r\n`;
  return bom ? `\uFEFF${body}` : body;
}

/**
 * Writes next to the target and renames into place, so a crash never leaves half a file; a failure
 * removes the temporary file and says why, as the .xlsx exports do (the disk is full, read-only…).
 */
export async function writeFileAtomic(target: string, content: string): Promise<void> {
  await writeAtomically(target, (temp) => writeFile(temp, content, 'utf8'));
}
