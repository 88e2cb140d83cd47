import { useMemo, useState } from 'react';
import {
  columnResizingFeature,
  columnSizingFeature,
  createColumnHelper,
  createSortedRowModel,
  rowSortingFeature,
  sortFn_alphanumeric,
  sortFn_basic,
  tableFeatures,
  useTable,
  type ReactTable,
  type SortingState,
} from '@tanstack/react-table';
import { useVirtualizer } from '@tanstack/react-virtual';
import type { RowView } from '../../../shared/api.ts';
import { formatCount, formatMs } from '../format.ts';
import { StatusBadge } from './StatusBadge.tsx';

const features = tableFeatures({
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

function buildColumns(inputColumns: string[]) {
  return helper.columns([
    helper.accessor('index', {
      id: 'row',
      header: '#',
      size: 56,
      sortFn: 'basic',
      sortDescFirst: false,
      cell: (info) => formatCount(info.getValue() + 1),
    }),
    ...inputColumns.map((name, i) =>
      helper.accessor((row) => row.values[i] ?? '', {
        id: `in:${i}`,
        header: name,
        size: 180,
        sortFn: 'alphanumeric',
      }),
    ),
    helper.accessor((row) => row.output ?? undefined, {
      id: 'output',
      header: 'Output',
      size: 360,
      sortFn: 'alphanumeric',
      sortUndefined: 'last',
      cell: (info) => info.getValue() ?? <span className="muted">—</span>,
    }),
    helper.accessor('status', {
      header: 'Status',
      size: 96,
      sortFn: 'alphanumeric',
      cell: (info) => <StatusBadge status={info.getValue()} />,
    }),
    helper.accessor('attempts', { header: 'Tries', size: 64, sortFn: 'basic' }),
    helper.accessor((row) => row.latencyMs ?? undefined, {
      id: 'latency',
      header: 'Time',
      size: 80,
      sortFn: 'basic',
      sortUndefined: 'last',
      cell: (info) => formatMs(info.getValue() ?? null),
    }),
    helper.accessor((row) => (row.promptTokens ?? 0) + (row.completionTokens ?? 0) || undefined, {
      id: 'tokens',
      header: 'Tokens',
      size: 72,
      sortFn: 'basic',
      sortUndefined: 'last',
      cell: (info) => {
        const value = info.getValue();
        return value === undefined ? '—' : formatCount(value);
      },
    }),
    helper.accessor((row) => row.error ?? undefined, {
      id: 'error',
      header: 'Error',
      size: 280,
      sortFn: 'alphanumeric',
      sortUndefined: 'last',
      cell: (info) => <span className="error-text">{info.getValue() ?? ''}</span>,
    }),
  ]);
}

/** The live results grid: sortable, resizable, virtualized (10,000 rows scroll like 10). */
export function RowsTable({ rows, inputColumns }: { rows: RowView[]; inputColumns: string[] }) {
  const columns = useMemo(() => buildColumns(inputColumns), [inputColumns]);
  const [sorting, setSorting] = useState<SortingState>([]);
  const [scrollElement, setScrollElement] = useState<HTMLDivElement | null>(null);
  const table = useTable({
    features,
    columns,
    data: rows,
    getRowId,
    state: { sorting },
    onSortingChange: setSorting,
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
                    <button type="button" className="th-button" onClick={header.column.getToggleSortingHandler()}>
                      <table.FlexRender header={header} />
                      <span aria-hidden="true">{sorted === 'asc' ? ' ▲' : sorted === 'desc' ? ' ▼' : ''}</span>
                    </button>
                    <span
                      className={`resizer${header.column.getIsResizing() ? ' active' : ''}`}
                      onMouseDown={header.getResizeHandler()}
                      onTouchStart={header.getResizeHandler()}
                      onDoubleClick={() => header.column.resetSize()}
                      aria-hidden="true"
                    />
                  </th>
                );
              })}
            </tr>
          ))}
        </thead>
        <VirtualBody table={table} scrollElement={scrollElement} />
      </table>
    </div>
  );
}

function VirtualBody({ table, scrollElement }: { table: RowsTableInstance; scrollElement: HTMLDivElement | null }) {
  const { rows } = table.getRowModel();
  const virtualizer = useVirtualizer<HTMLDivElement, HTMLTableRowElement>({
    count: rows.length,
    getScrollElement: () => scrollElement,
    estimateSize: () => ROW_HEIGHT,
    overscan: 12,
    getItemKey: (index) => rows[index]?.id ?? index,
  });
  return (
    <tbody style={{ height: virtualizer.getTotalSize() }}>
      {virtualizer.getVirtualItems().map((item) => {
        const row = rows[item.index];
        if (!row) return null;
        return (
          <tr
            key={row.id}
            data-status={row.original.status}
            aria-rowindex={row.original.index + 2}
            style={{ transform: `translateY(${item.start}px)`, height: ROW_HEIGHT }}
          >
            {row.getAllCells().map((cell) => (
              <td key={cell.id} style={{ width: cell.column.getSize() }}>
                <span className="cell-text">
                  <table.FlexRender cell={cell} />
                </span>
              </td>
            ))}
          </tr>
        );
      })}
    </tbody>
  );
}
