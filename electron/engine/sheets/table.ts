import { RowbotError } from '../../../shared/errors.ts';
import type { TitleRow } from '../../../shared/sheets.ts';
import { firstRowIsData, looksLikeHeader } from './header.ts';
import { MAX_COLUMNS, tooManyColumns } from './limits.ts';

export { firstRowIsData };

export interface TableRow {
  values: string[];
  /** Where the row is in the file: its row number as a spreadsheet would show it (1-based). */
  sourceRow: number;
}

export interface TableResult {
  columns: string[];
  rowCount: number;
  hasHeader: boolean;
  /** Where the header is in the file (its row number), or null without one. */
  headerRow: number | null;
  notes: string[];
  sampleRows: string[][];
  /** Rows left out as a title above the table (never with the header off). */
  titleRows: TitleRow[];
}

export interface TableBuilderOptions {
  fileName: string;
  /** Known from the user; otherwise detected from the first rows. */
  hasHeader?: boolean;
  /** The user kept the rows that looked like a title: no row is left out. */
  keepTitleRows?: boolean;
  maxRows: number;
  /** Spreadsheets drop trailing empty cells: for them a short row is not ragged. */
  shortRowsAreNormal?: boolean;
  /** Receives the data rows in batches, in order, as soon as the header is settled. */
  emit: (rows: TableRow[]) => void;
  sampleSize?: number;
  /** Columns with a value a row may have (MAX_COLUMNS unless told). */
  maxColumns?: number;
}

/** Rows looked at before deciding whether the first one is a header. */
const DECIDE_AFTER = 50;
const BATCH = 1000;

export function columnLetter(index: number): string {
  let n = index + 1;
  let letters = '';
  while (n > 0) {
    const rem = (n - 1) % 26;
    letters = String.fromCharCode(65 + rem) + letters;
    n = Math.floor((n - 1) / 26);
  }
  return letters;
}

/**
 * Turns raw rows into a table: skips fully empty rows, settles the header (names blank
 * ones "Column C", renames duplicates "name (2)"), notes ragged rows, refuses more rows
 * than the limit, and hands the data rows on in batches without holding the file.
 */
export class TableBuilder {
  readonly #o: TableBuilderOptions;
  #pending: TableRow[] = [];
  #header: string[] | null = null;
  #headerRow: number | null = null;
  #preamble: TableRow[] = [];
  #hasHeader: boolean | null;
  #width = 0;
  #rowCount = 0;
  #emptyRows = 0;
  readonly #ragged: number[] = [];
  #raggedCount = 0;
  readonly #sample: string[][] = [];
  #batch: TableRow[] = [];

  constructor(options: TableBuilderOptions) {
    this.#o = options;
    this.#hasHeader = options.hasHeader ?? null;
  }

  push(values: string[], sourceRow: number): void {
    const maxColumns = this.#o.maxColumns ?? MAX_COLUMNS;
    if (values.length > maxColumns) {
      // Empty cells at the end are padding; a value past the limit is refused.
      let last = values.length;
      while (last > maxColumns && (values[last - 1] ?? '').trim() === '') last -= 1;
      if (last > maxColumns)
        throw tooManyColumns(this.#o.fileName, last, maxColumns, `row ${sourceRow.toLocaleString('en-US')}`);
      values = values.slice(0, last);
    }
    if (values.every((cell) => cell.trim() === '')) {
      this.#emptyRows += 1;
      return;
    }
    if (this.#header === null) {
      this.#pending.push({ values, sourceRow });
      if (this.#pending.length >= DECIDE_AFTER) this.#settleHeader();
      return;
    }
    this.#add({ values, sourceRow });
  }

  finish(): TableResult {
    if (this.#header === null) this.#settleHeader();
    this.#flush();
    const { fileName } = this.#o;
    const header = this.#header ?? [];
    if (header.length === 0 && this.#rowCount === 0) {
      throw new RowbotError(
        'FILE_EMPTY',
        `"${fileName}" is empty. Choose a file with a header row and at least one row of data.`,
      );
    }
    if (this.#rowCount === 0) {
      throw new RowbotError(
        'FILE_EMPTY',
        `"${fileName}" has a header row but no data rows. Add at least one row below the header.`,
      );
    }
    const notes: string[] = [];
    const columns = this.#nameColumns(header, notes);
    // Said only when detected: the user who turned the header off knows.
    if (!this.#hasHeader && this.#o.hasHeader === undefined) {
      notes.unshift(
        `The first row looks like data, so the columns are named ${columns.slice(0, 3).join(', ')}${columns.length > 3 ? '…' : ''}. If it is a header, say so in the import settings.`,
      );
    }
    if (this.#raggedCount > 0) {
      const shown = this.#ragged.join(', ');
      const s = this.#raggedCount === 1 ? '' : 's';
      notes.push(
        `${this.#raggedCount} row${s} had a different number of cells than the header (row${s} ${shown}${this.#raggedCount > this.#ragged.length ? '…' : ''}); missing cells were left empty.`,
      );
    }
    if (this.#preamble.length > 0) {
      const one = this.#preamble.length === 1;
      const rows = this.#preamble.map((row) => row.sourceRow).join(', ');
      notes.push(
        `Row${one ? '' : 's'} ${rows} above the table looked like a title and ${one ? 'was' : 'were'} left out.`,
      );
    }
    if (this.#emptyRows > 0)
      notes.push(`${this.#emptyRows} empty row${this.#emptyRows === 1 ? ' was' : 's were'} skipped.`);
    return {
      columns,
      rowCount: this.#rowCount,
      hasHeader: this.#hasHeader ?? true,
      headerRow: this.#headerRow,
      notes,
      sampleRows: this.#sample.map((row) => columns.map((_, i) => row[i] ?? '')),
      titleRows: this.#preamble.map((row) => ({
        sourceRow: row.sourceRow,
        values: row.values.slice(0, 50).map((cell) => clip(cell, 200)),
      })),
    };
  }

  /**
   * Report-style sheets often have a title or notes above the table: rows at the top with
   * far fewer filled cells than the rows below them, followed by a row of column names. Never
   * with the header off or when the user kept them: then every row is data.
   */
  #dropPreamble(): void {
    if (this.#hasHeader === false || this.#o.keepTitleRows) return;
    const filled = (row: TableRow): number => row.values.filter((cell) => cell.trim() !== '').length;
    const below = this.#pending.slice(1).map(filled);
    const counts = new Map<number, number>();
    for (const n of below) counts.set(n, (counts.get(n) ?? 0) + 1);
    const typical = [...counts.entries()].sort((a, b) => b[1] - a[1] || b[0] - a[0])[0]?.[0] ?? 0;
    if (typical < 2) return;
    const start = this.#pending.slice(0, 5).findIndex((row) => filled(row) >= Math.max(2, Math.ceil(typical * 0.6)));
    if (start <= 0) return;
    const header = this.#pending[start]?.values ?? [];
    const body = this.#pending.slice(start + 1).map((row) => row.values);
    if (!looksLikeHeader(header, body)) return;
    this.#preamble = this.#pending.slice(0, start);
    this.#pending = this.#pending.slice(start);
  }

  #settleHeader(): void {
    this.#dropPreamble();
    const [first, ...rest] = this.#pending;
    if (this.#hasHeader === null)
      this.#hasHeader = first
        ? !firstRowIsData(
            first.values,
            rest.map((r) => r.values),
          )
        : true;
    if (this.#hasHeader) {
      this.#header = first?.values ?? [];
      this.#headerRow = first?.sourceRow ?? null;
      this.#pending = rest;
    } else {
      this.#header = [];
    }
    this.#width = this.#header.length;
    const pending = this.#pending;
    this.#pending = [];
    for (const row of pending) this.#add(row);
  }

  #add(row: TableRow): void {
    this.#rowCount += 1;
    if (this.#rowCount > this.#o.maxRows) {
      const max = this.#o.maxRows.toLocaleString('en-US');
      throw new RowbotError(
        'FILE_TOO_LARGE',
        `"${this.#o.fileName}" has more than ${max} rows; Rowbot takes at most ${max} per job. Split the file and import the parts.`,
      );
    }
    const headerWidth = this.#header?.length ?? 0;
    // Cells past the header that are empty are padding, not data.
    let length = row.values.length;
    while (length > headerWidth && (row.values[length - 1] ?? '').trim() === '') length -= 1;
    if (length !== row.values.length) row = { ...row, values: row.values.slice(0, length) };
    const short = length < headerWidth;
    if (this.#hasHeader && length !== headerWidth && !(short && this.#o.shortRowsAreNormal)) {
      this.#raggedCount += 1;
      if (this.#ragged.length < 5) this.#ragged.push(row.sourceRow);
    }
    this.#width = Math.max(this.#width, row.values.length);
    if (this.#sample.length < (this.#o.sampleSize ?? 20)) this.#sample.push(row.values);
    this.#batch.push(row);
    if (this.#batch.length >= BATCH) this.#flush();
  }

  #flush(): void {
    if (this.#batch.length === 0) return;
    const batch = this.#batch;
    this.#batch = [];
    this.#o.emit(batch);
  }

  #nameColumns(header: string[], notes: string[]): string[] {
    const seen = new Map<string, number>();
    const columns: string[] = [];
    for (let i = 0; i < this.#width; i += 1) {
      const raw = (header[i] ?? '').trim();
      let name = raw === '' ? (this.#hasHeader ? `Column ${columnLetter(i)}` : columnLetter(i)) : raw;
      if (raw === '' && this.#hasHeader)
        notes.push(`Column ${columnLetter(i)} had no name in the header; it is called "${name}".`);
      const count = (seen.get(name.toLocaleLowerCase()) ?? 0) + 1;
      seen.set(name.toLocaleLowerCase(), count);
      if (count > 1) {
        const renamed = `${name} (${count})`;
        notes.push(`Two columns are called "${name}"; the later one is shown as "${renamed}".`);
        name = renamed;
      }
      columns.push(name);
    }
    return columns;
  }
}

function clip(text: string, length: number): string {
  return text.length > length ? `${text.slice(0, length - 1)}…` : text;
}
