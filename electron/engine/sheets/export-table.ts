import type { RowView } from '../../../shared/api.ts';
import { jsonFieldsOf } from '../../../shared/json-output.ts';
import { SourceError } from './atomic-file.ts';

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

/** The columns of an export, the same for every format. */
export interface TableShape {
  header: string[];
  /** Columns of dollar amounts: formats that write numbers as text print them with `formatDollars`. */
  moneyColumns: ReadonlySet<number>;
}

/**
 * The rows of an export in input order, a page at a time. Each call starts again from the first
 * row and gives the same rows (an .xlsx export reads them twice: to measure, then to write).
 */
export type RowPages = () => Iterable<readonly RowView[]> | AsyncIterable<readonly RowView[]>;

/** Rows a page at a time, so that none is ever made into more than a page of text at once. */
export const PAGE_ROWS = 250;

/**
 * The pages of `source`, with a failure to read them (the database's) marked as a SourceError, so
 * that it is not taken for a failure to write the file.
 */
export function guardedPages(source: RowPages): RowPages {
  return async function* () {
    try {
      for await (const page of source()) yield page;
    } catch (error) {
      throw new SourceError(error);
    }
  };
}

/** Rows held in memory, as pages in input order (whatever order they are given in). */
export function pagesOf(rows: readonly RowView[]): () => Generator<RowView[]> {
  const sorted = [...rows].sort((a, b) => a.index - b.index);
  return function* () {
    for (let at = 0; at < sorted.length; at += PAGE_ROWS) yield sorted.slice(at, at + PAGE_ROWS);
  };
}

function fieldCell(value: unknown): Cell {
  if (value === undefined || value === null) return null;
  if (typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean') return value;
  return JSON.stringify(value);
}

/**
 * The header of an export: the input columns in order, then the output, each field of a JSON
 * answer as `output.<field>`, and the run's own columns.
 */
export function tableShape(columns: readonly string[], jsonFields: readonly string[] = []): TableShape {
  const header = [...columns, 'output', ...jsonFields.map((field) => `output.${field}`), ...RESULT_COLUMNS.slice(1)];
  const cost = header.length - RESULT_COLUMNS.length + RESULT_COLUMNS.indexOf('cost');
  return { header, moneyColumns: new Set([cost]) };
}

/** One row of an export, in the columns of tableShape(). */
export function recordOf(row: RowView, columns: readonly string[], jsonFields: readonly string[] = []): Cell[] {
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
}
