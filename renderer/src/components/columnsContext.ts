import { createContext, use } from 'react';
import type { AiColumn, ColumnSummary } from '../../../shared/api.ts';
import type { LiveRows } from '../hooks/useJobRows.ts';

/** What a column's header menu can do; each takes the AI column's id. */
export interface ColumnActions {
  edit: (col: number) => void;
  rename: (col: number) => void;
  duplicate: (col: number) => void;
  compare: (col: number) => void;
  move: (col: number, step: -1 | 1) => void;
  remove: (col: number) => void;
  runStale: (col: number) => void;
  runAgain: (col: number) => void;
  retryFailed: (col: number) => void;
}

/**
 * The job's AI columns with their live counts, for the table's column headers. A context, so that
 * a new job summary (several a second while running) re-renders the headers only, not the rows.
 */
export interface ColumnsView {
  columns: readonly AiColumn[];
  stats: ReadonlyMap<number, ColumnSummary>;
  /** The job runs: columns cannot change now. */
  running: boolean;
  /** The columns use more than one model: each header names its own. */
  severalModels: boolean;
  live: LiveRows;
  actions: ColumnActions;
}

export const ColumnsContext = createContext<ColumnsView | null>(null);

export function useColumnsView(): ColumnsView {
  const view = use(ColumnsContext);
  if (!view) throw new Error('useColumnsView outside ColumnsContext');
  return view;
}
