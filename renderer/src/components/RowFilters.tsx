import type { ColumnSummary, JobCounts, RowStatus, RowView } from '../../../shared/api.ts';
import { cellIsCutOff, cellOf, rowHasStale, rowIsCutOff, rowStatus } from '../cells.ts';
import { formatCount } from '../format.ts';

/** `cutOff`: done rows whose answer stopped at the output limit; `stale`: rows with a stale cell. */
export type Filter = 'all' | RowStatus | 'cutOff' | 'stale';
const FILTERS: { id: Filter; label: string }[] = [
  { id: 'all', label: 'All' },
  { id: 'running', label: 'Running' },
  { id: 'done', label: 'Done' },
  { id: 'cutOff', label: 'Cut off' },
  { id: 'stale', label: 'Stale' },
  { id: 'failed', label: 'Failed' },
  { id: 'queued', label: 'Queued' },
  { id: 'skipped', label: 'Skipped' },
];

/**
 * A row is failed if any of its cells failed, running if any runs, and so on; done when all are.
 * With a column (`col`), only that column's cell counts.
 */
export function inFilter(row: RowView, filter: Filter, col: number | null = null): boolean {
  if (filter === 'all') return true;
  if (col !== null) {
    const cell = cellOf(row, col);
    if (!cell) return false;
    if (filter === 'cutOff') return cellIsCutOff(cell);
    if (filter === 'stale') return cell.stale;
    return cell.status === filter;
  }
  if (filter === 'cutOff') return rowIsCutOff(row);
  if (filter === 'stale') return rowHasStale(row);
  if (filter === 'done') return rowStatus(row) === 'done';
  return row.cells.some((cell) => cell.status === filter);
}

export function matches(row: RowView, needle: string): boolean {
  if (needle === '') return true;
  const hay = [...row.values, ...row.cells.flatMap((cell) => [cell.output ?? '', cell.error ?? ''])];
  return hay.some((text) => text.toLocaleLowerCase().includes(needle));
}

/**
 * The status filters, which double as counters. With several AI columns a row shows under a status
 * when any of its cells has it, and the counts are cells ("All" counts the rows).
 */
export function RowFilters({
  filter,
  onFilter,
  counts,
  cutOff,
  stale,
  rows,
  columns,
  col,
  onCol,
}: {
  filter: Filter;
  onFilter: (filter: Filter) => void;
  counts: JobCounts;
  cutOff: number;
  stale: number;
  /** The rows, when the counts are cells (several AI columns); null otherwise. */
  rows: number | null;
  /** The AI columns, with their counts, when there are several (the filters can look at one). */
  columns: readonly ColumnSummary[];
  /** The column the filters look at; null: any. */
  col: number | null;
  onCol: (col: number | null) => void;
}) {
  const scoped = col === null ? null : (columns.find((column) => column.id === col) ?? null);
  const several = rows !== null && scoped === null;
  const shown = scoped ?? { counts, cutOff, stale };
  return (
    <div className="filters" role="group" aria-label="Show rows">
      {columns.length > 1 && (
        <select
          aria-label="Filter by AI column"
          title="Which AI column's cells the filters look at"
          value={col === null ? '' : String(col)}
          onChange={(event) => onCol(event.target.value === '' ? null : Number(event.target.value))}
        >
          <option value="">Any AI column</option>
          {columns.map((column) => (
            <option key={column.id} value={column.id}>
              {column.name}
            </option>
          ))}
        </select>
      )}
      {FILTERS.filter(
        ({ id }) =>
          (id !== 'skipped' || shown.counts.skipped > 0) &&
          (id !== 'cutOff' || shown.cutOff > 0 || filter === id) &&
          (id !== 'stale' || shown.stale > 0 || filter === id),
      ).map(({ id, label }) => {
        const count =
          id === 'all'
            ? (rows ?? shown.counts.total)
            : id === 'cutOff'
              ? shown.cutOff
              : id === 'stale'
                ? shown.stale
                : shown.counts[id];
        return (
          <button
            type="button"
            key={id}
            className={`filter filter-${id}${filter === id ? ' active' : ''}`}
            aria-pressed={filter === id}
            title={
              scoped && id !== 'all'
                ? `Rows whose “${scoped.name}” cell is ${label.toLowerCase()}`
                : several && id !== 'all'
                  ? `Rows with a ${label.toLowerCase()} cell; the count is cells`
                  : undefined
            }
            onClick={() => onFilter(id)}
          >
            {label} <span className="tabular">{formatCount(count)}</span>
          </button>
        );
      })}
    </div>
  );
}
