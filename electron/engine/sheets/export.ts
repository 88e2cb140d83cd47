import { basename, extname } from 'node:path';
import type { RowView } from '../../../shared/api.ts';
import { RowbotError } from '../../../shared/errors.ts';
import { EXPORT_FORMATS, type ExportFormat, type ExportOptions } from '../../../shared/sheets.ts';
import { formatDollars } from '../pricing.ts';
import { resultsToCsv, writeFileAtomic } from './export-csv.ts';
import { exportTable, type Cell } from './export-table.ts';

export function formatFromPath(path: string): ExportFormat {
  const ext = extname(path).slice(1).toLowerCase();
  if ((EXPORT_FORMATS as readonly string[]).includes(ext)) return ext as ExportFormat;
  throw new RowbotError(
    'BAD_REQUEST',
    `Rowbot cannot write "${basename(path)}": name the file .csv, .xlsx or .jsonl so it knows which format to use.`,
  );
}

export function resultsToJsonl(
  columns: readonly string[],
  rows: readonly RowView[],
  jsonFields: readonly string[] = [],
): string {
  const { header, records, moneyColumns } = exportTable(columns, rows, jsonFields);
  // Written by hand rather than by JSON.stringify, so that amounts are plain decimals (0.000000345,
  // not 3.45e-7). A name met twice keeps its first place and its last value, as in an object.
  const line = (record: readonly Cell[]): string => {
    const fields = new Map<string, string>();
    header.forEach((name, i) => {
      const cell = record[i] ?? null;
      fields.set(name, moneyColumns.has(i) && typeof cell === 'number' ? formatDollars(cell) : JSON.stringify(cell));
    });
    return `{${[...fields].map(([name, value]) => `${JSON.stringify(name)}:${value}`).join(',')}}`;
  };
  return records
    .map(line)
    .join('\n')
    .concat(records.length > 0 ? '\n' : '');
}

/** Writes results in input order, atomically (temp file, then rename). */
export async function exportResults(
  path: string,
  columns: readonly string[],
  rows: readonly RowView[],
  options: Partial<ExportOptions> = {},
  jsonFields: readonly string[] = [],
): Promise<void> {
  const format = options.format ?? formatFromPath(path);
  if (format === 'csv') {
    await writeFileAtomic(path, resultsToCsv(columns, rows, options.bom ?? true, jsonFields));
  } else if (format === 'jsonl') {
    await writeFileAtomic(path, resultsToJsonl(columns, rows, jsonFields));
  } else {
    const { writeResultsXlsx } = await import('./xlsx.ts');
    const { header, records } = exportTable(columns, rows, jsonFields);
    await writeResultsXlsx(path, header, records);
  }
}

/** The user's own workbook with the output, status and error columns added to the imported sheet. */
export async function exportIntoWorkbook(
  path: string,
  workbook: Uint8Array,
  sheet: string,
  headerRow: number,
  sourceRows: readonly (number | null)[],
  rows: readonly RowView[],
): Promise<void> {
  const { writeBackXlsx } = await import('./xlsx.ts');
  const values = new Map<number, Cell[]>();
  for (const row of rows) {
    const at = sourceRows[row.index];
    if (at !== null && at !== undefined) values.set(at, [row.output, row.status, row.error]);
  }
  await writeBackXlsx({
    source: workbook,
    sheet,
    headerRowNumber: headerRow,
    newColumns: ['output', 'status', 'error'],
    values,
    outPath: path,
  });
}

/** The file name an export suggests: "<job>-results.csv", "<job>-failed.xlsx", "<job>-with-results.xlsx". */
export function exportFileName(jobName: string, options: Pick<ExportOptions, 'format' | 'rows' | 'writeBack'>): string {
  const safe =
    jobName
      .replace(/[^\p{L}\p{N} ._-]+/gu, '_')
      .trim()
      .slice(0, 80) || 'rowbot';
  if (options.writeBack) return `${safe}-with-results.xlsx`;
  const which = options.rows === 'all' ? 'results' : options.rows;
  return `${safe}-${which}.${options.format}`;
}
