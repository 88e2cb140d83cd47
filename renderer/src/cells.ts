import type { AiColumn, RowResult, RowStatus, RowView } from '../../shared/api.ts';
import { rowStatusOf } from '../../shared/columns.ts';

/** Row `row`'s cell in AI column `col`, if the row has one. */
export function cellOf(row: Pick<RowView, 'cells'>, col: number): RowResult | undefined {
  return row.cells.find((cell) => cell.col === col);
}

/** A row's status over its cells, for the filters and the Status column (shared/columns.ts). */
export function rowStatus(row: Pick<RowView, 'cells'>): RowStatus {
  return rowStatusOf(row.cells);
}

/** A done cell whose answer stopped at the output limit. */
export function cellIsCutOff(cell: Pick<RowResult, 'status' | 'finish'>): boolean {
  return cell.status === 'done' && cell.finish === 'length';
}

export function rowIsCutOff(row: Pick<RowView, 'cells'>): boolean {
  return row.cells.some(cellIsCutOff);
}

export function rowHasStale(row: Pick<RowView, 'cells'>): boolean {
  return row.cells.some((cell) => cell.stale);
}

/**
 * The AI column a queued cell waits for: the first column it uses whose cell in the same row is not
 * done yet. Null when it waits for nothing (it is next in the queue).
 */
export function waitingOn(
  row: Pick<RowView, 'cells'>,
  column: AiColumn,
  columns: readonly AiColumn[],
): AiColumn | null {
  for (const id of column.uses) {
    const input = cellOf(row, id);
    if (input && input.status !== 'done') return columns.find((c) => c.id === id) ?? null;
  }
  return null;
}

/** Answers short enough to compare as labels (a class, a yes/no, a JSON field). */
export const COMPARE_MAX_CHARS = 60;

/**
 * Whether two models' answers differ, compared trimmed and ignoring case; null when they cannot be
 * compared (either is missing or longer than COMPARE_MAX_CHARS: prose always differs a little).
 */
export function answersDiffer(a: RowResult | undefined, b: RowResult | undefined): boolean | null {
  if (!a || !b || a.status !== 'done' || b.status !== 'done' || a.output === null || b.output === null) return null;
  const left = a.output.trim();
  const right = b.output.trim();
  if (left.length > COMPARE_MAX_CHARS || right.length > COMPARE_MAX_CHARS) return null;
  return left.toLocaleLowerCase() !== right.toLocaleLowerCase();
}

/** How often two columns' answers agree, over the rows where both are short and done. */
export function agreement(rows: readonly RowView[], col: number, other: number): { agree: number; compared: number } {
  let agree = 0;
  let compared = 0;
  for (const row of rows) {
    const differ = answersDiffer(cellOf(row, col), cellOf(row, other));
    if (differ === null) continue;
    compared += 1;
    if (!differ) agree += 1;
  }
  return { agree, compared };
}

/** What a column's header says under its name: its model, when the job's columns use several. */
export function modelLabel(column: AiColumn): string {
  return column.provider.kind === 'demo' ? 'Demo (offline)' : column.provider.model;
}

export function usesSeveralModels(columns: readonly AiColumn[]): boolean {
  return new Set(columns.map((column) => `${column.provider.kind}|${modelLabel(column)}`)).size > 1;
}

/** The columns that use `col` in their template (it cannot be removed or moved right of them). */
export function usersOf(col: number, columns: readonly AiColumn[]): AiColumn[] {
  return columns.filter((column) => column.uses.includes(col));
}

/** Why column `col` cannot move one place left (-1) or right (+1), or null when it can. */
export function moveProblem(col: number, step: -1 | 1, columns: readonly AiColumn[]): string | null {
  const at = columns.findIndex((column) => column.id === col);
  const neighbour = columns[at + step];
  const self = columns[at];
  if (!self || !neighbour) return step < 0 ? 'It is the first AI column.' : 'It is the last AI column.';
  if (step < 0 && self.uses.includes(neighbour.id)) return `It uses ${neighbour.name}, which must stay to its left.`;
  if (step > 0 && neighbour.uses.includes(self.id)) return `${neighbour.name} uses it, so it must stay to its left.`;
  return null;
}

/** Answers this short are labels: a class, a yes/no, a score. */
const LABEL_MAX_CHARS = 24;

/**
 * The AI columns whose answers so far are all labels, from the first rows that have one (a quick
 * look, not a scan of the whole job): the table gives them a narrow column.
 */
export function labelColumns(rows: readonly RowView[], cols: readonly number[], sample = 200): number[] {
  return cols.filter((col) => {
    let seen = 0;
    for (const row of rows) {
      const output = cellOf(row, col)?.output;
      if (output === null || output === undefined) continue;
      if (output.trim().length > LABEL_MAX_CHARS) return false;
      seen += 1;
      if (seen >= sample) break;
    }
    return seen > 0;
  });
}
