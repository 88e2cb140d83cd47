import { randomBytes } from 'node:crypto';
import { rename, rm } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import type { RowView } from '../../../shared/api.ts';
import { RowbotError } from '../../../shared/errors.ts';
import { RESULT_COLUMNS, resultsToCsv, writeFileAtomic } from './export-csv.ts';

export const EXPORT_FORMATS = ['csv', 'xlsx', 'jsonl'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export function formatFromPath(path: string): ExportFormat {
  const ext = extname(path).slice(1).toLowerCase();
  if ((EXPORT_FORMATS as readonly string[]).includes(ext)) return ext as ExportFormat;
  throw new RowbotError(
    'BAD_REQUEST',
    `Rowbot cannot write "${basename(path)}": name the file .csv, .xlsx or .jsonl so it knows which format to use.`,
  );
}

/** One record per row: the input columns by name, then the results. */
function record(columns: readonly string[], row: RowView): Record<string, string | number | null> {
  const out: Record<string, string | number | null> = {};
  columns.forEach((column, i) => (out[column] = row.values[i] ?? ''));
  out.output = row.output;
  out.status = row.status;
  out.error = row.error;
  out.attempts = row.attempts;
  out.latency_ms = row.latencyMs;
  out.prompt_tokens = row.promptTokens;
  out.completion_tokens = row.completionTokens;
  out.cost = row.cost;
  return out;
}

export function resultsToJsonl(columns: readonly string[], rows: readonly RowView[]): string {
  return [...rows]
    .sort((a, b) => a.index - b.index)
    .map((row) => JSON.stringify(record(columns, row)))
    .join('\n')
    .concat('\n');
}

async function writeXlsx(path: string, columns: readonly string[], rows: readonly RowView[]): Promise<void> {
  // Loaded on first use: most runs never write XLSX.
  const { default: ExcelJS } = await import('exceljs');
  const workbook = new ExcelJS.Workbook();
  const sheet = workbook.addWorksheet('Results');
  const header = [...columns, ...RESULT_COLUMNS];
  sheet.addRow(header);
  sheet.getRow(1).font = { bold: true };
  sheet.views = [{ state: 'frozen', ySplit: 1 }];
  for (const row of [...rows].sort((a, b) => a.index - b.index)) {
    // Every input and output cell is written as a string, never as a formula.
    sheet.addRow(Object.values(record(columns, row)).map((value) => (value === null ? '' : value)));
  }
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await workbook.xlsx.writeFile(temp);
    await rename(temp, path);
  } catch {
    await rm(temp, { force: true });
    throw new RowbotError(
      'EXPORT_FAILED',
      `Could not save the export to "${path}". Choose another folder; your results are safe in Rowbot.`,
    );
  }
}

/** Writes the results in the format the path's extension names; atomically (temp file, then rename). */
export async function exportResults(path: string, columns: readonly string[], rows: readonly RowView[]): Promise<void> {
  const format = formatFromPath(path);
  if (format === 'csv') await writeFileAtomic(path, resultsToCsv(columns, rows));
  else if (format === 'jsonl') await writeFileAtomic(path, resultsToJsonl(columns, rows));
  else await writeXlsx(path, columns, rows);
}
