import { memo, useMemo, useState } from 'react';
import {
  columnResizingFeature,
  columnSizingFeature,
  createColumnHelper,
  createSortedRowModel,
  rowSelectionFeature,
  rowSortingFeature,
  sortFn_alphanumeric,
  sortFn_basic,
  tableFeatures,
  useTable,
  type ReactTable,
  type Row,
  type RowSelectionState,
  type SortingState,
} from '@tanstack/react-table';
import { useVirtualizer } from '@tanstack/react-virtual';
import type { RowView } from '../../../shared/api.ts';
import { jsonFieldsOf } from '../../../shared/json-output.ts';
import { formatCount, formatMs } from '../format.ts';
import { useRowsVersion, type LiveRows } from '../hooks/useJobRows.ts';
import { RowBadge } from './StatusBadge.tsx';

const features = tableFeatures({
  rowSelectionFeature,
  rowSortingFeature,
  columnSizingFeature,
  columnResizingFeature,
  sortedRowModel: createSortedRowModel(),
  sortFns: { basic: sortFn_basic, alphanumeric: sortFn_alphanumeric },
});
type Features = typeof features;
type RowsTableInstance = ReactTable<Features, RowView>;

const helper = createColumnHelper<Features, RowView>();
const ROW_HEIGHT = 34;
const getRowId = (row: RowView): string => String(row.index);

export interface RowActions {
  onOpen: (index: number) => void;
  onRetry: (index: number) => void;
}

function jsonCell(value: unknown): string {
  if (value === undefined || value === null) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function buildColumns(inputColumns: string[], jsonFields: string[], actions: RowActions) {
  return helper.columns([
    helper.display({
      id: 'select',
      size: 36,
      enableSorting: false,
      enableResizing: false,
      header: ({ table }) => (
        <input
          type="checkbox"
          aria-label="Select all shown rows"
          checked={table.getIsAllRowsSelected()}
          ref={(element) => {
            if (element) element.indeterminate = table.getIsSomeRowsSelected() && !table.getIsAllRowsSelected();
          }}
          onChange={table.getToggleAllRowsSelectedHandler()}
        />
      ),
      cell: ({ row }) => (
        <input
          type="checkbox"
          aria-label={`Select row ${row.original.index + 1}`}
          checked={row.getIsSelected()}
          onClick={(event) => event.stopPropagation()}
          onChange={row.getToggleSelectedHandler()}
        />
      ),
    }),
    helper.accessor('index', {
      id: 'row',
      header: '#',
      size: 64,
      sortFn: 'basic',
      sortDescFirst: false,
      cell: (info) => (
        <button
          type="button"
          className="row-open"
          aria-label={`Open row ${info.getValue() + 1}`}
          onClick={(event) => {
            event.stopPropagation();
            actions.onOpen(info.getValue());
          }}
        >
          {formatCount(info.getValue() + 1)}
        </button>
      ),
    }),
    ...inputColumns.map((name, i) =>
      helper.accessor((row) => row.values[i] ?? '', {
        id: `in:${i}`,
        header: name,
        size: 150,
        sortFn: 'alphanumeric',
      }),
    ),
    helper.accessor((row) => row.output ?? undefined, {
      id: 'output',
      header: 'Output',
      size: 340,
      sortFn: 'alphanumeric',
      sortUndefined: 'last',
      cell: ({ row }) => row.original.output ?? <span className="muted">—</span>,
    }),
    ...jsonFields.map((name) =>
      helper.display({
        id: `json:${name}`,
        header: name,
        size: 160,
        cell: ({ row }) => jsonCell(jsonFieldsOf(row.original.output)[name]),
      }),
    ),
    helper.accessor('status', {
      header: 'Status',
      size: 96,
      sortFn: 'alphanumeric',
      cell: ({ row }) => <RowBadge row={row.original} />,
    }),
    helper.accessor('attempts', {
      header: 'Tries',
      size: 64,
      sortFn: 'basic',
      cell: ({ row }) => row.original.attempts,
    }),
    helper.accessor((row) => row.latencyMs ?? undefined, {
      id: 'latency',
      header: 'Time',
      size: 80,
      sortFn: 'basic',
      sortUndefined: 'last',
      cell: ({ row }) => formatMs(row.original.latencyMs),
    }),
    helper.accessor((row) => (row.promptTokens ?? 0) + (row.completionTokens ?? 0) || undefined, {
      id: 'tokens',
      header: 'Tokens',
      size: 72,
      sortFn: 'basic',
      sortUndefined: 'last',
      cell: ({ row }) => {
        const { promptTokens, completionTokens } = row.original;
        return promptTokens === null && completionTokens === null
          ? '—'
          : formatCount((promptTokens ?? 0) + (completionTokens ?? 0));
      },
    }),
    helper.accessor((row) => row.error ?? undefined, {
      id: 'error',
      header: 'Error',
      size: 280,
      sortFn: 'alphanumeric',
      sortUndefined: 'last',
      cell: ({ row }) => <span className="error-text">{row.original.error ?? ''}</span>,
    }),
    helper.display({
      id: 'actions',
      size: 76,
      enableSorting: false,
      header: () => <span className="visually-hidden">Actions</span>,
      cell: ({ row }) =>
        row.original.status === 'failed' ? (
          <button
            type="button"
            className="small-button"
            aria-label={`Retry row ${row.original.index + 1}`}
            onClick={(event) => {
              event.stopPropagation();
              actions.onRetry(row.original.index);
            }}
          >
            Retry
          </button>
        ) : null,
    }),
  ]);
}

interface Props extends RowActions {
  /** The rows to show; they change in place as `live` applies batches. */
  rows: RowView[];
  live: LiveRows;
  /** Fields of JSON answers, each shown as a column after Output. */
  jsonFields: string[];
  inputColumns: string[];
  selection: RowSelectionState;
  onSelectionChange: (selection: RowSelectionState) => void;
}

/**
 * The live results grid: sortable, resizable, selectable, virtualized (10,000 rows scroll like 10).
 * Every cell of a column that changes during a run reads `row.original`, never the cached
 * `getValue()`: rows are updated in place without rebuilding the table's model. It re-renders
 * for its own props and for row batches only, not for each new job summary.
 */
export const RowsTable = memo(function RowsTable({
  rows,
  live,
  inputColumns,
  jsonFields,
  selection,
  onSelectionChange,
  onOpen,
  onRetry,
}: Props) {
  const columns = useMemo(
    () => buildColumns(inputColumns, jsonFields, { onOpen, onRetry }),
    [inputColumns, jsonFields, onOpen, onRetry],
  );
  const [sorting, setSorting] = useState<SortingState>([]);
  const version = useRowsVersion(live);
  // Cells read their row as it is now. Only a sorted table needs its model rebuilt when rows
  // change, because the sort keys are cached per row model.
  const data = useMemo(
    () => (sorting.length > 0 ? rows.slice() : rows),
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [rows, sorting, sorting.length > 0 ? version : 0],
  );
  const [scrollElement, setScrollElement] = useState<HTMLDivElement | null>(null);
  const table = useTable({
    features,
    columns,
    data,
    getRowId,
    state: { sorting, rowSelection: selection },
    onSortingChange: setSorting,
    onRowSelectionChange: (updater) => onSelectionChange(typeof updater === 'function' ? updater(selection) : updater),
    enableRowSelection: true,
    columnResizeMode: 'onChange',
  });

  return (
    <div className="grid-scroll" ref={setScrollElement} tabIndex={0} aria-label="Results table, scrollable">
      <table className="grid" style={{ width: table.getTotalSize() }} aria-rowcount={rows.length + 1}>
        <thead>
          {table.getHeaderGroups().map((group) => (
            <tr key={group.id}>
              {group.headers.map((header) => {
                const sorted = header.column.getIsSorted();
                return (
                  <th
                    key={header.id}
                    scope="col"
                    style={{ width: header.getSize() }}
                    aria-sort={sorted === 'asc' ? 'ascending' : sorted === 'desc' ? 'descending' : undefined}
                  >
                    {header.column.getCanSort() ? (
                      <button type="button" className="th-button" onClick={header.column.getToggleSortingHandler()}>
                        <table.FlexRender header={header} />
                        <span aria-hidden="true">{sorted === 'asc' ? ' ▲' : sorted === 'desc' ? ' ▼' : ''}</span>
                      </button>
                    ) : (
                      <span className="th-static">
                        <table.FlexRender header={header} />
                      </span>
                    )}
                    {header.column.getCanResize() && (
                      <span
                        className={`resizer${header.column.getIsResizing() ? ' active' : ''}`}
                        onMouseDown={header.getResizeHandler()}
                        onTouchStart={header.getResizeHandler()}
                        onDoubleClick={() => header.column.resetSize()}
                        aria-hidden="true"
                      />
                    )}
                  </th>
                );
              })}
            </tr>
          ))}
        </thead>
        <VirtualBody table={table} live={live} scrollElement={scrollElement} onOpen={onOpen} />
      </table>
    </div>
  );
});

function VirtualBody({
  table,
  live,
  scrollElement,
  onOpen,
}: {
  table: RowsTableInstance;
  live: LiveRows;
  scrollElement: HTMLDivElement | null;
  onOpen: (index: number) => void;
}) {
  const { rows } = table.getRowModel();
  const virtualizer = useVirtualizer<HTMLDivElement, HTMLTableRowElement>({
    count: rows.length,
    getScrollElement: () => scrollElement,
    estimateSize: () => ROW_HEIGHT,
    overscan: 6,
    getItemKey: (index) => rows[index]?.id ?? index,
  });
  // Cells take their column's width: a resize must reach every row.
  const widths = table
    .getAllLeafColumns()
    .map((column) => column.getSize())
    .join();
  return (
    <tbody style={{ height: virtualizer.getTotalSize() }}>
      {virtualizer.getVirtualItems().map((item, slot) => {
        const row = rows[item.index];
        if (!row) return null;
        return (
          <VirtualRow
            // Keyed by screen slot, not by row: while scrolling, React reuses the same
            // <tr> and <td> elements and only changes their text, instead of rebuilding them.
            key={slot}
            table={table}
            row={row}
            start={item.start}
            rowVersion={live.versionOf(row.original.index)}
            selected={row.getIsSelected()}
            columns={table.options.columns}
            widths={widths}
            onOpen={onOpen}
          />
        );
      })}
    </tbody>
  );
}

/**
 * One row of the grid. Rows change in place, so what says a row changed is `rowVersion`: a batch
 * that leaves the rows on screen alone renders none of them.
 */
const VirtualRow = memo(function VirtualRow({
  table,
  row,
  start,
  selected,
  onOpen,
}: {
  table: RowsTableInstance;
  row: Row<Features, RowView>;
  start: number;
  rowVersion: number;
  selected: boolean;
  columns: unknown;
  widths: string;
  onOpen: (index: number) => void;
}) {
  return (
    <tr
      data-status={row.original.status}
      aria-rowindex={row.original.index + 2}
      aria-selected={selected}
      onClick={() => onOpen(row.original.index)}
      style={{ transform: `translateY(${start}px)`, height: ROW_HEIGHT }}
    >
      {row.getAllCells().map((cell) => (
        <td key={cell.column.id} style={{ width: cell.column.getSize() }}>
          <span className="cell-text">
            <table.FlexRender cell={cell} />
          </span>
        </td>
      ))}
    </tr>
  );
});
