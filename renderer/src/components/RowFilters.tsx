import type { JobCounts, RowStatus, RowView } from '../../../shared/api.ts';
import { rowHasStale, rowIsCutOff, rowStatus } from '../cells.ts';
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

/** A row is failed if any of its cells failed, running if any runs, and so on; done when all are. */
export function inFilter(row: RowView, filter: Filter): boolean {
  if (filter === 'all') return true;
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
}: {
  filter: Filter;
  onFilter: (filter: Filter) => void;
  counts: JobCounts;
  cutOff: number;
  stale: number;
  /** The rows, when the counts are cells (several AI columns); null otherwise. */
  rows: number | null;
}) {
  const several = rows !== null;
  return (
    <div className="filters" role="group" aria-label="Show rows">
      {FILTERS.filter(
        ({ id }) =>
          (id !== 'skipped' || counts.skipped > 0) &&
          (id !== 'cutOff' || cutOff > 0 || filter === id) &&
          (id !== 'stale' || stale > 0 || filter === id),
      ).map(({ id, label }) => {
        const count =
          id === 'all' ? (rows ?? counts.total) : id === 'cutOff' ? cutOff : id === 'stale' ? stale : counts[id];
        return (
          <button
            type="button"
            key={id}
            className={`filter filter-${id}${filter === id ? ' active' : ''}`}
            aria-pressed={filter === id}
            title={several && id !== 'all' ? `Rows with a ${label.toLowerCase()} cell; the count is cells` : undefined}
            onClick={() => onFilter(id)}
          >
            {label} <span className="tabular">{formatCount(count)}</span>
          </button>
        );
      })}
    </div>
  );
}
