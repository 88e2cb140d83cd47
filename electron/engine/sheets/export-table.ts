import {
  FIRST_COLUMN_NAME,
  type AiColumn,
  type JsonOutput,
  type RowResult,
  type RowView,
} from '../../../shared/api.ts';
import { columnJsonOutput, rowStatusOf } from '../../../shared/columns.ts';
import type { ExportRows } from '../../../shared/sheets.ts';
import { jsonFieldsOf } from '../../../shared/json-output.ts';
import { SourceError } from './atomic-file.ts';

/** The run's own columns of a job with one AI column named `output`: the export it always had. */
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

/** What each AI column of a job with several has in an export, after its answer and its fields. */
export const COLUMN_RESULT_FIELDS = ['status', 'error', 'cost'] as const;

/** A boolean is a field of a JSON answer: CSV writes it as true or false, XLSX as a boolean cell. */
export type Cell = string | number | boolean | null;

/** One AI column as an export sees it: its name, and the fields of its JSON answer, each a column. */
export interface ExportColumn {
  /** AiColumn.id: which cell of a row is this column's. */
  id: number;
  name: string;
  jsonFields: readonly string[];
}

/** A job with one AI column, `output` (every job before issue 17): its JSON answer's fields, if any. */
export function outputColumn(jsonFields: readonly string[] = []): ExportColumn[] {
  return [{ id: 0, name: FIRST_COLUMN_NAME, jsonFields }];
}

/**
 * The AI columns of a job as its exports show them, in the job's order. A column's JSON fields are
 * those of its own answer options when it sets them (null there: plain text), else the job's.
 */
export function exportColumnsOf(
  aiColumns: readonly Pick<AiColumn, 'id' | 'name' | 'options'>[],
  jobJsonOutput: JsonOutput | null,
): ExportColumn[] {
  return aiColumns.map((column) => {
    const json = columnJsonOutput(column.options, jobJsonOutput);
    return { id: column.id, name: column.name, jsonFields: json?.fields.map((field) => field.name) ?? [] };
  });
}

/**
 * Whether the export has the shape every export had before a job could have several AI columns:
 * one column named `output`, with the run's details (attempts, latency, tokens, finish) unprefixed.
 */
export function isSingleOutput(ai: readonly ExportColumn[]): boolean {
  return ai.length === 1 && ai[0]?.name === FIRST_COLUMN_NAME;
}

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

/** Whether a row is one an export of `rows` (all, done or failed) writes: its status over its cells (rowStatusOf). */
export function rowIsExported(row: Pick<RowView, 'cells'>, rows: ExportRows | undefined): boolean {
  return rows === undefined || rows === 'all' || rowStatusOf(row.cells) === rows;
}

function fieldCell(value: unknown): Cell {
  if (value === undefined || value === null) return null;
  if (typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean') return value;
  return JSON.stringify(value);
}

/**
 * The header of an export: the input columns in order, then for each AI column its answer, each
 * field of a JSON answer as `NAME.<field>`, then `NAME.status`, `NAME.error` and `NAME.cost`.
 * A job whose one AI column is `output` keeps the columns it always had: output, output.<field>…,
 * then status, error, attempts, latency_ms, prompt_tokens, completion_tokens, cost and finish.
 */
export function tableShape(columns: readonly string[], ai: readonly ExportColumn[] = outputColumn()): TableShape {
  if (isSingleOutput(ai)) {
    const fields = ai[0]?.jsonFields ?? [];
    const header = [...columns, 'output', ...fields.map((field) => `output.${field}`), ...RESULT_COLUMNS.slice(1)];
    const cost = header.length - RESULT_COLUMNS.length + RESULT_COLUMNS.indexOf('cost');
    return { header, moneyColumns: new Set([cost]) };
  }
  const header = [...columns];
  const moneyColumns = new Set<number>();
  for (const { name, jsonFields } of ai) {
    header.push(name, ...jsonFields.map((field) => `${name}.${field}`));
    for (const field of COLUMN_RESULT_FIELDS) {
      if (field === 'cost') moneyColumns.add(header.length);
      header.push(`${name}.${field}`);
    }
  }
  return { header, moneyColumns };
}

/** The row's cell in an AI column: in the job's column order as a rule, looked up by id otherwise. */
export function cellOf(row: RowView, column: ExportColumn, position: number): RowResult | undefined {
  const atPosition = row.cells[position];
  if (atPosition?.col === column.id) return atPosition;
  return row.cells.find((cell) => cell.col === column.id);
}

/** One row of an export, in the columns of tableShape(). */
export function recordOf(
  row: RowView,
  columns: readonly string[],
  ai: readonly ExportColumn[] = outputColumn(),
): Cell[] {
  const record: Cell[] = columns.map((_, i) => row.values[i] ?? '');
  if (isSingleOutput(ai)) {
    const jsonFields = ai[0]?.jsonFields ?? [];
    // The one column's cell, whatever id the caller gave it.
    const cell = row.cells.length === 1 ? row.cells[0] : cellOf(row, ai[0] as ExportColumn, 0);
    const fields = jsonFields.length > 0 ? jsonFieldsOf(cell?.output ?? null) : {};
    record.push(
      cell?.output ?? null,
      ...jsonFields.map((field) => fieldCell(fields[field])),
      cell?.status ?? null,
      cell?.error ?? null,
      cell?.attempts ?? null,
      cell?.latencyMs ?? null,
      cell?.promptTokens ?? null,
      cell?.completionTokens ?? null,
      cell?.cost ?? null,
      cell?.finish ?? null,
    );
    return record;
  }
  ai.forEach((column, position) => {
    const cell = cellOf(row, column, position);
    const fields = column.jsonFields.length > 0 ? jsonFieldsOf(cell?.output ?? null) : {};
    record.push(
      cell?.output ?? null,
      ...column.jsonFields.map((field) => fieldCell(fields[field])),
      cell?.status ?? null,
      cell?.error ?? null,
      cell?.cost ?? null,
    );
  });
  return record;
}
