import { memo, useEffect, useMemo, useState } from 'react';
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
import type { AiColumn, RowResult, RowView } from '../../../shared/api.ts';
import { jsonFieldsOf } from '../../../shared/json-output.ts';
import { cellOf, labelColumns, rowIsCutOff, rowStatus } from '../cells.ts';
import { formatCount, formatMs } from '../format.ts';
import { useRowsVersion, type LiveRows } from '../hooks/useJobRows.ts';
import { AnswerCell, hoverText } from './AnswerCell.tsx';
import { ColumnHeader } from './ColumnHeader.tsx';
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
  /** Opens the row's drawer, on AI column `col` (default: the first). */
  onOpen: (index: number, col?: number) => void;
  onRetry: (index: number) => void;
}

function tokensOf(cell: RowResult): number | null {
  return cell.promptTokens === null && cell.completionTokens === null
    ? null
    : (cell.promptTokens ?? 0) + (cell.completionTokens ?? 0);
}

function jsonCell(value: unknown): string {
  if (value === undefined || value === null) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** Widths of the columns that are not the sheet's or the answer's, which always show. */
const FIXED = { select: 36, row: 56, attempts: 52, latency: 72, tokens: 68, status: 80, actions: 68 };
const FIXED_TOTAL = Object.values(FIXED).reduce((sum, size) => sum + size, 0);
/** Without Tries and Time, as a job with several AI columns shows its rows. */
const FIXED_TOTAL_SEVERAL = FIXED_TOTAL - FIXED.attempts - FIXED.latency;
const JSON_FIELD_SIZE = 140;
/** The answer is the widest column: at least this, and whatever the window has left. */
const OUTPUT_MIN = 280;
/** Each answer's least width when a job has several AI columns. */
const ANSWER_MIN = 220;
/** Columns stuck to the left and right edges while the table scrolls sideways. */
const PINNED_LEFT: Record<string, number> = { select: 0, row: FIXED.select };
const PINNED_RIGHT: Record<string, number> = { actions: 0, status: FIXED.actions };

/** An AI column whose answers are labels (a class, yes/no): narrow, so the long answers get the room. */
const LABEL_SIZE = 150;

export interface ColumnLayout {
  inputSize: number;
  outputSize: number;
}

/**
 * The sheet's columns compact and the answer wide, so that in the table's width (a 1024 px window's
 * included) the row number, the inputs, the answer, its status and its actions show side by side.
 */
export function columnLayout(width: number, inputs: number, jsonFields: number, answers = 1, labels = 0): ColumnLayout {
  const rest =
    width - (answers <= 1 ? FIXED_TOTAL : FIXED_TOTAL_SEVERAL) - jsonFields * JSON_FIELD_SIZE - labels * LABEL_SIZE;
  answers -= labels;
  const least = answers <= 1 ? OUTPUT_MIN : answers * ANSWER_MIN;
  const inputSize = inputs === 0 ? 0 : Math.max(72, Math.min(180, Math.floor((rest - least - 40) / inputs)));
  const outputSize = Math.floor((rest - inputs * inputSize) / Math.max(1, answers));
  return { inputSize, outputSize: Math.max(answers <= 1 ? OUTPUT_MIN : ANSWER_MIN, outputSize) };
}

/** An AI column as the table shows it: its answers, then one column per field of its JSON answers. */
export interface AnswerColumn {
  column: AiColumn;
  jsonFields: string[];
}

/**
 * The AI column a table column shows (its answer or one of its JSON fields), from the column's id;
 * undefined for a one-column job's (its first and only).
 */
export function aiColumnOf(columnId: string): number | undefined {
  const match = /^(?:ai|json):(\d+)/.exec(columnId);
  return match ? Number(match[1]) : undefined;
}

/** The table's column of an AI column's answers (it renders its own header, with its menu). */
function isAnswerColumn(columnId: string): boolean {
  return columnId === 'output' || columnId.startsWith('ai:');
}

/** A row's figures over its cells: tries, time and tokens add up. */
function sumOf(row: RowView, pick: (cell: RowResult) => number | null): number | null {
  let total: number | null = null;
  for (const cell of row.cells) {
    const n = pick(cell);
    if (n !== null) total = (total ?? 0) + n;
  }
  return total;
}

/** The badge of a row with several cells: its status over them, cut off when any was. */
function rowBadgeOf(row: RowView): Pick<RowResult, 'status' | 'finish' | 'cached'> {
  if (row.cells.length === 1) return row.cells[0]!;
  const status = rowStatus(row);
  return {
    status,
    finish: rowIsCutOff(row) ? 'length' : null,
    cached: status === 'done' && row.cells.every((cell) => cell.cached),
  };
}

/**
 * Where a pinned column sticks, for its header and its cells. Only a table wider than its pane pins
 * columns: sticky cells are composited one by one, which a fitting table need not pay for.
 */
function pinStyle(id: string, size: number, pinned: boolean): React.CSSProperties {
  if (!pinned) return { width: size };
  const left = PINNED_LEFT[id];
  const right = PINNED_RIGHT[id];
  if (left !== undefined) return { width: size, left };
  if (right !== undefined) return { width: size, right };
  return { width: size };
}

function pinClass(id: string, pinned: boolean): string | undefined {
  if (!pinned) return undefined;
  if (id === 'row') return 'pinned pinned-left pinned-edge-left';
  if (PINNED_LEFT[id] !== undefined) return 'pinned pinned-left';
  if (id === 'status') return 'pinned pinned-right pinned-edge-right';
  if (PINNED_RIGHT[id] !== undefined) return 'pinned pinned-right';
  return undefined;
}

function buildColumns(
  inputColumns: string[],
  answers: AnswerColumn[],
  labels: ReadonlySet<number>,
  actions: RowActions,
  layout: ColumnLayout,
) {
  const aiColumns = answers.map((answer) => answer.column);
  const several = aiColumns.length > 1;
  return helper.columns([
    helper.display({
      id: 'select',
      size: FIXED.select,
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
      size: FIXED.row,
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
        size: layout.inputSize,
        sortFn: 'alphanumeric',
        cell: ({ row }) => {
          const text = row.original.values[i] ?? '';
          return <span title={text === '' ? undefined : hoverText(text)}>{text}</span>;
        },
      }),
    ),
    ...answers.flatMap(({ column, jsonFields }) => [
      helper.accessor((row) => cellOf(row, column.id)?.output ?? undefined, {
        // A one-column job's answers keep the id they always had.
        id: several ? `ai:${column.id}` : 'output',
        header: ({ column: tableColumn }) => (
          <ColumnHeader
            col={column.id}
            sorted={tableColumn.getIsSorted()}
            onSort={tableColumn.getToggleSortingHandler()}
          />
        ),
        size: several && labels.has(column.id) ? LABEL_SIZE : layout.outputSize,
        sortFn: 'alphanumeric',
        sortUndefined: 'last',
        // A failed cell has no answer: its error shows in its place, in plain words.
        cell: ({ row }) => <AnswerCell row={row.original} column={column} columns={aiColumns} several={several} />,
      }),
      ...jsonFields.map((name) =>
        helper.display({
          id: `json:${column.id}:${name}`,
          header: several ? `${column.name}.${name}` : name,
          size: JSON_FIELD_SIZE,
          cell: ({ row }) => jsonCell(jsonFieldsOf(cellOf(row.original, column.id)?.output ?? null)[name]),
        }),
      ),
    ]),
    // With several AI columns, tries and time are each cell's (in the drawer): the row's would add unlike things.
    ...(several
      ? []
      : [
          helper.accessor((row) => sumOf(row, (cell) => cell.attempts) ?? 0, {
            id: 'attempts',
            header: 'Tries',
            size: FIXED.attempts,
            sortFn: 'basic',
            cell: ({ row }) => sumOf(row.original, (cell) => cell.attempts) ?? 0,
          }),
          helper.accessor((row) => sumOf(row, (cell) => cell.latencyMs) ?? undefined, {
            id: 'latency',
            header: 'Time',
            size: FIXED.latency,
            sortFn: 'basic',
            sortUndefined: 'last',
            cell: ({ row }) => formatMs(sumOf(row.original, (cell) => cell.latencyMs)),
          }),
        ]),
    helper.accessor((row) => sumOf(row, tokensOf) || undefined, {
      id: 'tokens',
      header: 'Tokens',
      size: FIXED.tokens,
      sortFn: 'basic',
      sortUndefined: 'last',
      cell: ({ row }) => {
        const tokens = sumOf(row.original, tokensOf);
        return tokens === null ? '—' : formatCount(tokens);
      },
    }),
    helper.accessor((row) => rowStatus(row), {
      id: 'status',
      header: 'Status',
      size: FIXED.status,
      sortFn: 'alphanumeric',
      cell: ({ row }) => <RowBadge row={rowBadgeOf(row.original)} />,
    }),
    helper.display({
      id: 'actions',
      size: FIXED.actions,
      enableSorting: false,
      enableResizing: false,
      header: () => <span className="visually-hidden">Actions</span>,
      cell: ({ row }) =>
        rowStatus(row.original) === 'failed' ? (
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
  /** The job's AI columns in order, each with the fields of its JSON answers (a column each). */
  answers: AnswerColumn[];
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
  answers,
  selection,
  onSelectionChange,
  onOpen,
  onRetry,
}: Props) {
  const [scrollElement, setScrollElement] = useState<HTMLDivElement | null>(null);
  const width = useWidth(scrollElement);
  const version = useRowsVersion(live);
  const labelsKey = useMemo(
    () =>
      answers.length > 1
        ? labelColumns(
            live.rows ?? [],
            answers.map((answer) => answer.column.id),
          ).join()
        : '',
    // eslint-disable-next-line react-hooks/exhaustive-deps -- rows change in place; version says when
    [live, answers, version],
  );
  const labels = useMemo(() => new Set(labelsKey === '' ? [] : labelsKey.split(',').map(Number)), [labelsKey]);
  const jsonFieldCount = answers.reduce((sum, answer) => sum + answer.jsonFields.length, 0);
  const { inputSize, outputSize } = columnLayout(
    width,
    inputColumns.length,
    jsonFieldCount,
    answers.length,
    labels.size,
  );
  const columns = useMemo(
    () => buildColumns(inputColumns, answers, labels, { onOpen, onRetry }, { inputSize, outputSize }),
    [inputColumns, answers, labels, onOpen, onRetry, inputSize, outputSize],
  );
  const [sorting, setSorting] = useState<SortingState>([]);
  // Cells read their row as it is now. Only a sorted table needs its model rebuilt when rows
  // change, because the sort keys are cached per row model.
  const data = useMemo(
    () => (sorting.length > 0 ? rows.slice() : rows),
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [rows, sorting, sorting.length > 0 ? version : 0],
  );
  const table = useTable({
    features,
    columns,
    data,
    getRowId,
    state: { sorting, rowSelection: selection },
    onSortingChange: (updater) => {
      setSorting(updater);
      // A new order starts at its top: the old scroll position would point at unrelated rows.
      scrollElement?.scrollTo({ top: 0 });
    },
    onRowSelectionChange: (updater) => onSelectionChange(typeof updater === 'function' ? updater(selection) : updater),
    enableRowSelection: true,
    columnResizeMode: 'onChange',
  });

  const pinned = table.getTotalSize() > width + 8;
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
                    className={pinClass(header.column.id, pinned)}
                    style={pinStyle(header.column.id, header.getSize(), pinned)}
                    aria-sort={sorted === 'asc' ? 'ascending' : sorted === 'desc' ? 'descending' : undefined}
                  >
                    {isAnswerColumn(header.column.id) ? (
                      <table.FlexRender header={header} />
                    ) : header.column.getCanSort() ? (
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
        <VirtualBody table={table} live={live} scrollElement={scrollElement} pinned={pinned} onOpen={onOpen} />
      </table>
    </div>
  );
});

/** The element's inner width, in steps of 8 px so a drag of the window re-lays the columns seldom. */
function useWidth(element: HTMLElement | null): number {
  const [width, setWidth] = useState(1200);
  useEffect(() => {
    if (!element) return;
    const measure = (): void => setWidth(Math.floor(element.clientWidth / 8) * 8);
    measure();
    const observer = new ResizeObserver(measure);
    observer.observe(element);
    return () => observer.disconnect();
  }, [element]);
  return width;
}

function VirtualBody({
  table,
  live,
  scrollElement,
  pinned,
  onOpen,
}: {
  table: RowsTableInstance;
  live: LiveRows;
  scrollElement: HTMLDivElement | null;
  pinned: boolean;
  onOpen: (index: number, col?: number) => void;
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
            pinned={pinned}
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
  pinned,
  onOpen,
}: {
  table: RowsTableInstance;
  row: Row<Features, RowView>;
  start: number;
  rowVersion: number;
  selected: boolean;
  columns: unknown;
  widths: string;
  pinned: boolean;
  onOpen: (index: number, col?: number) => void;
}) {
  return (
    <tr
      data-status={rowStatus(row.original)}
      aria-rowindex={row.original.index + 2}
      aria-selected={selected}
      onClick={() => onOpen(row.original.index)}
      style={{ transform: `translateY(${start}px)`, height: ROW_HEIGHT }}
    >
      {row.getAllCells().map((cell) => (
        <td
          key={cell.column.id}
          data-column={cell.column.id}
          className={pinClass(cell.column.id, pinned)}
          style={pinStyle(cell.column.id, cell.column.getSize(), pinned)}
          onClick={(event) => {
            // A click on an answer opens the drawer on that AI column.
            const col = aiColumnOf(cell.column.id);
            if (col === undefined) return;
            event.stopPropagation();
            onOpen(row.original.index, col);
          }}
        >
          <span className="cell-text">
            <table.FlexRender cell={cell} />
          </span>
        </td>
      ))}
    </tr>
  );
});
