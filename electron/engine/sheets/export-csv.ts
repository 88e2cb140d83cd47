import { stringify } from 'csv-stringify/sync';
import { randomBytes } from 'node:crypto';
import { rm, rename, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { RowView } from '../../../shared/api.ts';
import { RowbotError } from '../../../shared/errors.ts';

export const RESULT_COLUMNS = [
  'output',
  'status',
  'error',
  'attempts',
  'latency_ms',
  'prompt_tokens',
  'completion_tokens',
  'cost',
] as const;

const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * OWASP's rule against CSV injection: a cell a spreadsheet would run as a formula is
 * prefixed with a single quote so it is shown as text.
 */
export function neutralizeFormula(cell: string): string {
  return FORMULA_START.test(cell) ? `'${cell}` : cell;
}

export function resultsToCsv(columns: readonly string[], rows: readonly RowView[], withBom = true): string {
  const sorted = [...rows].sort((a, b) => a.index - b.index);
  const records = sorted.map((row) =>
    [
      ...columns.map((_, i) => row.values[i] ?? ''),
      row.output ?? '',
      row.status,
      row.error ?? '',
      String(row.attempts),
      row.latencyMs === null ? '' : String(row.latencyMs),
      row.promptTokens === null ? '' : String(row.promptTokens),
      row.completionTokens === null ? '' : String(row.completionTokens),
      row.cost === null ? '' : String(row.cost),
    ].map(neutralizeFormula),
  );
  const header = [...columns, ...RESULT_COLUMNS].map(neutralizeFormula);
  const body = stringify([header, ...records], { record_delimiter: '\r\n' });
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
