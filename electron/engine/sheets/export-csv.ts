import { stringify } from 'csv-stringify/sync';
import { randomBytes } from 'node:crypto';
import { rm, rename, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { RowView } from '../../../shared/api.ts';
import { RowbotError } from '../../../shared/errors.ts';
import { formatDollars } from '../pricing.ts';
import { exportTable, type Cell } from './export-table.ts';

export { RESULT_COLUMNS } from './export-table.ts';

const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * OWASP's rule against CSV injection: a cell a spreadsheet would run as a formula is
 * prefixed with a single quote so it is shown as text.
 */
export function neutralizeFormula(cell: string): string {
  return FORMULA_START.test(cell) ? `'${cell}` : cell;
}

export function resultsToCsv(
  columns: readonly string[],
  rows: readonly RowView[],
  withBom = true,
  jsonFields: readonly string[] = [],
): string {
  const { header, records, moneyColumns } = exportTable(columns, rows, jsonFields);
  const text = (cell: Cell): string => neutralizeFormula(cell === null ? '' : String(cell));
  const record = (cells: Cell[]): string[] =>
    cells.map((cell, i) => (moneyColumns.has(i) && typeof cell === 'number' ? formatDollars(cell) : text(cell)));
  const body = stringify([header.map(text), ...records.map(record)], {
    record_delimiter: '\r\n',
  });
  return withBom ? `\uFEFF${body}` : body;
}

/** Writes next to the target and renames into place, so a crash never leaves half a file. */
export async function writeFileAtomic(target: string, content: string): Promise<void> {
  const temp = join(dirname(target), `.${basename(target)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await writeFile(temp, content, 'utf8');
    await rename(temp, target);
  } catch (error) {
    await rm(temp, { force: true });
    const reason =
      (error as NodeJS.ErrnoException).code === 'EACCES' ? 'permission denied' : 'the folder cannot be written';
    throw new RowbotError(
      'EXPORT_FAILED',
      `Could not save the export to "${target}" (${reason}). Choose another folder; your results are safe in Rowbot.`,
    );
  }
}
