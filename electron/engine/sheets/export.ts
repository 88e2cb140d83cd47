import { basename, extname } from 'node:path';
import type { RowView } from '../../../shared/api.ts';
import { RowbotError } from '../../../shared/errors.ts';
import { EXPORT_FORMATS, type ExportFormat, type ExportOptions } from '../../../shared/sheets.ts';
import { formatDollars } from '../pricing.ts';
import { writeCsv } from './export-csv.ts';
import { writeLinesAtomically } from './export-stream.ts';
import {
  cellOf,
  guardedPages,
  isSingleOutput,
  outputColumn,
  pagesOf,
  recordOf,
  tableShape,
  type Cell,
  type ExportColumn,
  type RowPages,
} from './export-table.ts';
import { SourceError } from './atomic-file.ts';
import type { ResultCell } from './xlsx/result-cells.ts';

/** What the user should know about an export that was written: shown beside "Saved". */
export interface ExportReport {
  notes: string[];
}

/** The number format of amounts in a workbook: dollars, two to nine decimals. */
const MONEY_FORMAT = '"$"#,##0.00#######';

/** Excel refuses (as a damaged file) a workbook with a cell longer than this. */
export const EXCEL_CELL_LIMIT = 32_767;

/** The end of a cell cut to Excel's limit: says so in the cell itself, where the reader looks. */
export function cutMarker(length: number): string {
  return ` … [cut: ${length.toLocaleString('en-US')} characters, more than the ${EXCEL_CELL_LIMIT.toLocaleString('en-US')} Excel holds in a cell; export as CSV or JSON lines for the full text]`;
}

/** A text within Excel's limit: a longer one is cut (never through a character) and marked. */
export function fitForExcel(text: string): string {
  if (text.length <= EXCEL_CELL_LIMIT) return text;
  const marker = cutMarker(text.length);
  let end = EXCEL_CELL_LIMIT - marker.length;
  if (/[\uD800-\uDBFF]/.test(text.charAt(end - 1))) end -= 1;
  return text.slice(0, end) + marker;
}

/** Cuts the cells longer than Excel allows and says where, for the export's summary. */
class CutCells {
  readonly #where: string[] = [];
  #count = 0;

  fit(text: string, rowNumber: number, column: string): string {
    if (text.length <= EXCEL_CELL_LIMIT) return text;
    this.#count += 1;
    if (this.#where.length < 5) this.#where.push(`row ${rowNumber.toLocaleString('en-US')}, ${column}`);
    return fitForExcel(text);
  }

  notes(): string[] {
    if (this.#count === 0) return [];
    const one = this.#count === 1;
    return [
      `${one ? '1 cell was' : `${this.#count.toLocaleString('en-US')} cells were`} longer than the ${EXCEL_CELL_LIMIT.toLocaleString('en-US')} characters Excel holds in a cell, so ${one ? 'it was' : 'they were'} cut and marked "[cut: …]" (${this.#where.join('; ')}${this.#count > this.#where.length ? '…' : ''}). Export as CSV or JSON lines for the full text.`,
    ];
  }
}

export function formatFromPath(path: string): ExportFormat {
  const ext = extname(path).slice(1).toLowerCase();
  if ((EXPORT_FORMATS as readonly string[]).includes(ext)) return ext as ExportFormat;
  throw new RowbotError(
    'BAD_REQUEST',
    `Rowbot cannot write "${basename(path)}": name the file .csv, .xlsx or .jsonl so it knows which format to use.`,
  );
}

/** A JSON line of each row, each ending with a line feed. */
export function jsonlLine(
  columns: readonly string[],
  ai: readonly ExportColumn[] = outputColumn(),
): (row: RowView) => string {
  const { header, moneyColumns } = tableShape(columns, ai);
  // Written by hand rather than by JSON.stringify, so that amounts are plain decimals (0.000000345,
  // not 3.45e-7). A name met twice keeps its first place and its last value, as in an object.
  const line = (record: readonly Cell[]): string => {
    const fields = new Map<string, string>();
    header.forEach((name, i) => {
      const cell = record[i] ?? null;
      fields.set(name, moneyColumns.has(i) && typeof cell === 'number' ? formatDollars(cell) : JSON.stringify(cell));
    });
    return `{${[...fields].map(([name, value]) => `${JSON.stringify(name)}:${value}`).join(',')}}`;
  };
  return (row) => `${line(recordOf(row, columns, ai))}\n`;
}

export function resultsToJsonl(
  columns: readonly string[],
  rows: readonly RowView[],
  ai: readonly ExportColumn[] = outputColumn(),
): string {
  const line = jsonlLine(columns, ai);
  let text = '';
  for (const page of pagesOf(rows)()) for (const row of page) text += line(row);
  return text;
}

/** The workbook a job was imported from, for the types of its cells. */
export interface SourceWorkbook {
  bytes: Uint8Array;
  sheet: string;
  /** sourceRows[i] is the worksheet row number of the job's row i. */
  sourceRows: readonly (number | null)[];
}

/**
 * Writes results in input order, atomically (temp file, then rename). An .xlsx export of a job
 * imported from a workbook (`source`, read only then) keeps the numbers, dates and booleans of
 * the input columns as such, each in its own number format; text from delimited files stays text.
 *
 * `rows` may be a source of pages (the database's, in the engine): every format is then written
 * as it is read, a page of rows at a time, and no export holds all the rows. An .xlsx export reads
 * them twice: once to measure the columns and count the rows, which its XML gives first.
 *
 * `ai` is the job's AI columns in order (exportColumnsOf); each row's `cells` are in that order.
 */
export async function exportResults(
  path: string,
  columns: readonly string[],
  rows: readonly RowView[] | RowPages,
  options: Partial<ExportOptions> = {},
  ai: readonly ExportColumn[] = outputColumn(),
  source: () => SourceWorkbook | null = () => null,
): Promise<ExportReport> {
  const pages = guardedPages(typeof rows === 'function' ? rows : pagesOf(rows));
  try {
    return await writeResults(path, columns, pages, options, ai, source);
  } catch (error) {
    // The rows could not be read (the database failed): that error, not one about saving the file.
    throw error instanceof SourceError ? error.cause : error;
  }
}

async function writeResults(
  path: string,
  columns: readonly string[],
  pages: RowPages,
  options: Partial<ExportOptions>,
  ai: readonly ExportColumn[],
  source: () => SourceWorkbook | null,
): Promise<ExportReport> {
  const format = options.format ?? formatFromPath(path);
  if (format === 'csv') {
    const { bom = true, delimiter = ',' } = options;
    await writeCsv(path, columns, pages, { bom, delimiter, ai });
    return { notes: [] };
  }
  if (format === 'jsonl') {
    await writeLinesAtomically(path, '', pages, jsonlLine(columns, ai));
    return { notes: [] };
  }
  const { writeResultsXlsx } = await import('./xlsx.ts');
  const { header, moneyColumns } = tableShape(columns, ai);
  const workbook = source();
  // A workbook Rowbot cannot read again (it read it once) only costs the types: the text stays.
  const typed =
    workbook === null
      ? undefined
      : await import('./xlsx/typed-cells.ts')
          .then(({ readTypedSheet }) => readTypedSheet(workbook.bytes, workbook.sheet))
          .catch(() => undefined);
  let cut = new CutCells();
  const cellsOf = (row: RowView): ResultCell[] => {
    const at = workbook?.sourceRows[row.index];
    return recordOf(row, columns, ai).map((cell, c) => {
      // Dollars in plain decimals down to the nanodollar, not General's 3.45E-07.
      if (typeof cell === 'number' && moneyColumns.has(c)) return { number: cell, format: MONEY_FORMAT };
      if (typeof cell !== 'string') return cell;
      const value =
        c < columns.length && typed !== undefined && at !== null && at !== undefined
          ? typed.lookup(at, c, cell)
          : undefined;
      return value ?? cut.fit(cell, row.index + 1, header[c] as string);
    });
  };
  // Each reading of the rows starts with no cell cut: the notes are those of the last one.
  async function* cellPages(): AsyncGenerator<ResultCell[][]> {
    cut = new CutCells();
    for await (const page of pages()) yield page.map(cellsOf);
  }
  await writeResultsXlsx(path, header.map(fitForExcel), cellPages);
  return { notes: cut.notes() };
}

/**
 * The columns write-back adds to the imported sheet: output, status and error for a job whose one
 * AI column is `output` (as always); NAME, NAME.status and NAME.error for each AI column otherwise.
 */
export function writeBackColumns(ai: readonly ExportColumn[]): string[] {
  if (isSingleOutput(ai)) return ['output', 'status', 'error'];
  return ai.flatMap(({ name }) => [name, `${name}.status`, `${name}.error`]);
}

/** The user's own workbook with each AI column's answer, status and error added to the imported sheet. */
export async function exportIntoWorkbook(
  path: string,
  workbook: Uint8Array,
  sheet: string,
  headerRow: number,
  sourceRows: readonly (number | null)[],
  rows: readonly RowView[],
  ai: readonly ExportColumn[] = outputColumn(),
): Promise<ExportReport> {
  const { writeBackXlsx } = await import('./xlsx.ts');
  const cut = new CutCells();
  const newColumns = writeBackColumns(ai);
  const single = isSingleOutput(ai);
  const values = new Map<number, (string | null)[]>();
  for (const row of rows) {
    const at = sourceRows[row.index];
    if (at === null || at === undefined) continue;
    const fit = (text: string | null, column: string): string | null =>
      text === null ? null : cut.fit(text, row.index + 1, column);
    const cells = ai.flatMap((column, position) => {
      const cell = single && row.cells.length === 1 ? row.cells[0] : cellOf(row, column, position);
      const [answer, , error] = newColumns.slice(3 * position, 3 * position + 3) as [string, string, string];
      return [fit(cell?.output ?? null, answer), cell?.status ?? null, fit(cell?.error ?? null, error)];
    });
    values.set(at, cells);
  }
  await writeBackXlsx({ source: workbook, sheet, headerRowNumber: headerRow, newColumns, values, outPath: path });
  return { notes: cut.notes() };
}

/**
 * The file name an export suggests: "<job>-results.csv", "<job>-failed.xlsx", "<job>-with-results.xlsx".
 * A job named as new jobs are ("lamps · gpt-4o · 1 Dec 14:05") gives "lamps - gpt-4o - 1 Dec 14.05-results.csv".
 */
export function exportFileName(jobName: string, options: Pick<ExportOptions, 'format' | 'rows' | 'writeBack'>): string {
  const safe =
    jobName
      .replaceAll(' · ', ' - ')
      .replace(/(\d):(\d)/g, '$1.$2')
      .replace(/[^\p{L}\p{N} ._-]+/gu, '_')
      .trim()
      .slice(0, 80) || 'rowbot';
  if (options.writeBack) return `${safe}-with-results.xlsx`;
  const which = options.rows === 'all' ? 'results' : options.rows;
  return `${safe}-${which}.${options.format}`;
}
