import type { AiColumn, RowView } from '../../../shared/api.ts';
import { answersDiffer, cellOf, waitingOn } from '../cells.ts';
import { StatusBadge } from './StatusBadge.tsx';

/** Long text shows whole on hover (and in the row's drawer). */
export function hoverText(text: string): string {
  return text.length > 2_000 ? `${text.slice(0, 2_000)}…` : text;
}

/**
 * A row's answer in one AI column: the answer, or the error in plain words, or what the cell waits
 * for. Marked "edited" when corrected by hand, "stale" when answered before its prompt, model or
 * inputs changed, and "differs" when a model compared with another answered otherwise. A job with one
 * AI column shows its status in the Status column only, as it always has.
 */
export function AnswerCell({
  row,
  column,
  columns,
  several,
}: {
  row: RowView;
  column: AiColumn;
  columns: readonly AiColumn[];
  /** More than one AI column: a cell that has no answer shows its own status. */
  several: boolean;
}) {
  const cell = cellOf(row, column.id);
  if (!cell) return <span className="muted">—</span>;
  const other = column.comparesWith === null ? undefined : columns.find((c) => c.id === column.comparesWith);
  const differs = other ? answersDiffer(cell, cellOf(row, other.id)) : null;
  const tags = (
    <>
      {differs && (
        <span className="cell-tag tag-differs" title={`This answer differs from ${other?.name ?? 'the other model'}’s`}>
          differs
        </span>
      )}
      {cell.edited && (
        <span className="cell-tag tag-edited" title="Corrected by hand: kept when the column runs again">
          edited
        </span>
      )}
      {cell.stale && (
        <span
          className="cell-tag tag-stale"
          title="Answered before the prompt, the model or an input changed: run the stale cells to update it"
        >
          stale
        </span>
      )}
    </>
  );
  if (cell.output !== null) {
    return (
      <>
        {tags}
        <span className="cell-answer" title={hoverText(cell.output)}>
          {cell.output}
        </span>
      </>
    );
  }
  if (cell.error) {
    return (
      <>
        {several && <StatusBadge status="failed" />}
        <span className="error-text cell-answer" title={hoverText(cell.error)}>
          {cell.error}
        </span>
      </>
    );
  }
  if (cell.status === 'queued') {
    const waiting = waitingOn(row, column, columns);
    if (waiting && cellOf(row, waiting.id)?.status === 'failed') {
      return (
        <span className="warning-text waiting" title={`Retry ${waiting.name} in this row first`}>
          needs {waiting.name}, which failed
        </span>
      );
    }
    if (waiting) return <span className="muted waiting">waiting on {waiting.name}</span>;
  }
  if (several && cell.status !== 'done') return <StatusBadge status={cell.status} />;
  return <span className="muted">—</span>;
}
