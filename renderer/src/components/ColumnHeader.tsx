import { useMemo } from 'react';
import { DropdownMenu } from 'radix-ui';
import { agreement, modelLabel, moveProblem, usersOf } from '../cells.ts';
import { formatCost, formatCount } from '../format.ts';
import { useRowsVersion } from '../hooks/useJobRows.ts';
import { useColumnsView } from './columnsContext.ts';

const PAUSE_FIRST = 'pause the job first';

/**
 * An AI column's header: its name (sorts), a menu of what can be done with the column, and a line
 * with its model (when the job's columns use several), its counts and cost, and, for a column that
 * compares models, how often the two agree.
 */
export function ColumnHeader({
  col,
  sorted,
  onSort,
}: {
  col: number;
  sorted: false | 'asc' | 'desc';
  onSort: ((event: unknown) => void) | undefined;
}) {
  const { columns, stats, running, severalModels, actions } = useColumnsView();
  const column = columns.find((c) => c.id === col);
  const stat = stats.get(col);
  if (!column) return null;
  const users = usersOf(col, columns);
  const leftProblem = running ? PAUSE_FIRST : moveProblem(col, -1, columns);
  const rightProblem = running ? PAUSE_FIRST : moveProblem(col, 1, columns);
  const removeProblem = running
    ? PAUSE_FIRST
    : columns.length === 1
      ? 'a job keeps at least one AI column'
      : users.length > 0
        ? `${users.map((u) => u.name).join(', ')} ${users.length === 1 ? 'uses' : 'use'} it`
        : null;
  const stale = stat?.stale ?? 0;
  const failed = stat?.counts.failed ?? 0;
  const other = column.comparesWith === null ? undefined : columns.find((c) => c.id === column.comparesWith);

  return (
    <div className="ai-header">
      <div className="ai-header-top">
        <button type="button" className="th-button ai-name" onClick={onSort} title={column.name}>
          {column.name}
          <span aria-hidden="true">{sorted === 'asc' ? ' ▲' : sorted === 'desc' ? ' ▼' : ''}</span>
        </button>
        {/* Not modal: a modal menu injects a <style> the UI's CSP refuses. */}
        <DropdownMenu.Root modal={false}>
          <DropdownMenu.Trigger asChild>
            <button
              type="button"
              className="column-menu-button"
              aria-label={`Column ${column.name}: actions`}
              title="Edit, compare, move, run or remove this column"
            >
              ▾
            </button>
          </DropdownMenu.Trigger>
          <DropdownMenu.Portal>
            <DropdownMenu.Content className="menu column-menu" align="start" sideOffset={4}>
              <MenuItem disabledWhy={running ? PAUSE_FIRST : null} onSelect={() => actions.edit(col)}>
                Edit prompt and model…
              </MenuItem>
              <MenuItem disabledWhy={running ? PAUSE_FIRST : null} onSelect={() => actions.rename(col)}>
                Rename…
              </MenuItem>
              <MenuItem disabledWhy={running ? PAUSE_FIRST : null} onSelect={() => actions.duplicate(col)}>
                Duplicate
              </MenuItem>
              <MenuItem disabledWhy={running ? PAUSE_FIRST : null} onSelect={() => actions.compare(col)}>
                Compare with another model…
              </MenuItem>
              <DropdownMenu.Separator className="menu-separator" />
              <MenuItem disabledWhy={leftProblem} onSelect={() => actions.move(col, -1)}>
                Move left
              </MenuItem>
              <MenuItem disabledWhy={rightProblem} onSelect={() => actions.move(col, 1)}>
                Move right
              </MenuItem>
              <DropdownMenu.Separator className="menu-separator" />
              <MenuItem disabledWhy={stale === 0 ? 'none are stale' : null} onSelect={() => actions.runStale(col)}>
                Run stale cells ({formatCount(stale)})
              </MenuItem>
              <MenuItem disabledWhy={failed === 0 ? 'none failed' : null} onSelect={() => actions.retryFailed(col)}>
                Retry failed in this column ({formatCount(failed)})
              </MenuItem>
              <MenuItem disabledWhy={running ? PAUSE_FIRST : null} onSelect={() => actions.runAgain(col)}>
                Run this column again…
              </MenuItem>
              <DropdownMenu.Separator className="menu-separator" />
              <MenuItem danger disabledWhy={removeProblem} onSelect={() => actions.remove(col)}>
                Remove column…
              </MenuItem>
            </DropdownMenu.Content>
          </DropdownMenu.Portal>
        </DropdownMenu.Root>
      </div>
      <div className="ai-header-stats tabular">
        {severalModels && <span className="ai-model">{modelLabel(column)}</span>}
        {stat && (
          <span title={`${formatCount(stat.counts.done)} of ${formatCount(stat.counts.total)} cells answered`}>
            ✓ {formatCount(stat.counts.done)}/{formatCount(stat.counts.total)}
          </span>
        )}
        {failed > 0 && <span className="bad">✗ {formatCount(failed)}</span>}
        {stale > 0 && <span className="stale-text">{formatCount(stale)} stale</span>}
        {(stat?.edited ?? 0) > 0 && <span>{formatCount(stat?.edited ?? 0)} edited</span>}
        {stat && stat.usage.cost !== null && stat.usage.cost > 0 && <span>{formatCost(stat.usage.cost)}</span>}
        {other && <Agreement col={col} other={other.id} otherName={other.name} />}
      </div>
    </div>
  );
}

/** "agrees on 87 of 100": the rows where both models gave a short answer, and how many match. */
function Agreement({ col, other, otherName }: { col: number; other: number; otherName: string }) {
  const { live } = useColumnsView();
  const version = useRowsVersion(live);
  const { agree, compared } = useMemo(
    () => agreement(live.rows ?? [], col, other),
    // eslint-disable-next-line react-hooks/exhaustive-deps -- rows change in place; version says when
    [live, col, other, version],
  );
  if (compared === 0) return null;
  return (
    <span className="agreement" title={`Short answers that match ${otherName}’s (case and spaces ignored)`}>
      agrees on {formatCount(agree)} of {formatCount(compared)}
    </span>
  );
}

/** A menu item; when it cannot be used now, it says why in its own text (a screen reader reads it too). */
function MenuItem({
  children,
  disabledWhy,
  danger = false,
  onSelect,
}: {
  children: React.ReactNode;
  disabledWhy: string | null;
  danger?: boolean;
  onSelect: () => void;
}) {
  return (
    <DropdownMenu.Item
      className={`menu-item${danger ? ' danger' : ''}`}
      disabled={disabledWhy !== null}
      onSelect={onSelect}
    >
      {children}
      {disabledWhy && <span className="menu-why"> — {disabledWhy}</span>}
    </DropdownMenu.Item>
  );
}
