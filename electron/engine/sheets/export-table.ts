import type { RowView } from '../../../shared/api.ts';
import { jsonFieldsOf } from '../../../shared/json-output.ts';

export const RESULT_COLUMNS = [
  'output',
  'status',
  'error',
  'attempts',
  'latency_ms',
  'prompt_tokens',
  'completion_tokens',
  'cost',
  'finish',
] as const;

/** A boolean is a field of a JSON answer: CSV writes it as true or false, XLSX as a boolean cell. */
export type Cell = string | number | boolean | null;

export interface ExportTable {
  header: string[];
  /** In input order, whatever order the rows finished in. */
  records: Cell[][];
  /** Columns of dollar amounts: formats that write numbers as text print them with `formatDollars`. */
  moneyColumns: ReadonlySet<number>;
  /** rowIndexes[r] is the index of the row records[r] holds (its row number is one more). */
  rowIndexes: number[];
}

function fieldCell(value: unknown): Cell {
  if (value === undefined || value === null) return null;
  if (typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean') return value;
  return JSON.stringify(value);
}

/**
 * The rows of an export, the same for every format: the input columns in order, then the
 * output, each field of a JSON answer as `output.<field>`, and the run's own columns.
 */
export function exportTable(
  columns: readonly string[],
  rows: readonly RowView[],
  jsonFields: readonly string[] = [],
): ExportTable {
  const header = [...columns, 'output', ...jsonFields.map((field) => `output.${field}`), ...RESULT_COLUMNS.slice(1)];
  const sorted = [...rows].sort((a, b) => a.index - b.index);
  const records = sorted.map((row) => {
    const fields = jsonFields.length > 0 ? jsonFieldsOf(row.output) : {};
    return [
      ...columns.map((_, i) => row.values[i] ?? ''),
      row.output,
      ...jsonFields.map((field) => fieldCell(fields[field])),
      row.status,
      row.error,
      row.attempts,
      row.latencyMs,
      row.promptTokens,
      row.completionTokens,
      row.cost,
      row.finish,
    ];
  });
  const cost = header.length - RESULT_COLUMNS.length + RESULT_COLUMNS.indexOf('cost');
  return { header, records, moneyColumns: new Set([cost]), rowIndexes: sorted.map((row) => row.index) };
}
