import Papa from 'papaparse';
import { RowbotError } from '../../../shared/errors.ts';

export interface ParsedSheet {
  columns: string[];
  rows: string[][];
  notes: string[];
}

export interface CsvOptions {
  /** Refuse files with more data rows than this. */
  maxRows: number;
}

const DEFAULT_OPTIONS: CsvOptions = { maxRows: 1_000_000 };

/** Decodes bytes as UTF-8 (BOM stripped); refuses bytes that are not text. */
export function decodeText(bytes: Uint8Array, fileName: string): string {
  if (bytes.length === 0) {
    throw new RowbotError(
      'FILE_EMPTY',
      `"${fileName}" is empty. Choose a file with a header row and at least one row of data.`,
    );
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    // Not UTF-8: Excel's Windows-1252 is by far the most common other encoding.
    text = new TextDecoder('windows-1252').decode(bytes);
  }
  if (text.includes('\u0000')) {
    throw new RowbotError(
      'FILE_UNREADABLE',
      `"${fileName}" does not look like a text spreadsheet (it contains binary data). Save it as CSV (comma-separated) and import that file.`,
    );
  }
  return text;
}

/** Parses CSV text with a header row into named columns and string cells. */
export function parseCsv(text: string, fileName: string, options: Partial<CsvOptions> = {}): ParsedSheet {
  const { maxRows } = { ...DEFAULT_OPTIONS, ...options };
  if (text.trim() === '') {
    throw new RowbotError(
      'FILE_EMPTY',
      `"${fileName}" is empty. Choose a file with a header row and at least one row of data.`,
    );
  }
  const result = Papa.parse<string[]>(text, { header: false, skipEmptyLines: 'greedy', dynamicTyping: false });
  const fatal = result.errors.find((e) => e.type === 'Quotes');
  if (fatal) {
    const line = lineOfRow(text, fatal.row);
    throw new RowbotError(
      'CSV_INVALID',
      `"${fileName}" could not be read as CSV: a quoted field that starts${line ? ` on line ${line}` : ''} is never closed. Check the quotes near that line, or export the sheet from your spreadsheet app again as CSV.`,
    );
  }
  const [header, ...body] = result.data;
  if (!header || header.every((cell) => cell.trim() === '')) {
    throw new RowbotError(
      'CSV_INVALID',
      `"${fileName}" has no header row. Put column names in the first row and import it again.`,
    );
  }
  if (body.length === 0) {
    throw new RowbotError(
      'FILE_EMPTY',
      `"${fileName}" has a header row but no data rows. Add at least one row below the header.`,
    );
  }
  if (body.length > maxRows) {
    throw new RowbotError(
      'FILE_TOO_LARGE',
      `"${fileName}" has ${body.length.toLocaleString('en-US')} rows; Rowbot takes at most ${maxRows.toLocaleString('en-US')} per job. Split the file and import the parts.`,
    );
  }
  const notes: string[] = [];
  const width = Math.max(header.length, ...body.map((row) => row.length));
  const columns = nameColumns(header, width, notes);
  const ragged: number[] = [];
  const rows = body.map((row, i) => {
    if (row.length === width) return row;
    if (row.length !== header.length) ragged.push(i + 2);
    return [...row, ...Array<string>(width - row.length).fill('')];
  });
  if (ragged.length > 0) {
    const shown = ragged.slice(0, 5).join(', ');
    notes.push(
      `${ragged.length} row${ragged.length === 1 ? '' : 's'} had a different number of cells than the header (line${ragged.length === 1 ? '' : 's'} ${shown}${ragged.length > 5 ? '…' : ''}); missing cells were left empty.`,
    );
  }
  return { columns, rows, notes };
}

/** Blank headers become "Column C"; repeated ones become "name (2)". */
function nameColumns(header: string[], width: number, notes: string[]): string[] {
  const seen = new Map<string, number>();
  const columns: string[] = [];
  for (let i = 0; i < width; i += 1) {
    const raw = (header[i] ?? '').trim();
    let name = raw === '' ? `Column ${columnLetter(i)}` : raw;
    if (raw === '') notes.push(`Column ${columnLetter(i)} had no name in the header; it is called "${name}".`);
    const count = (seen.get(name.toLocaleLowerCase()) ?? 0) + 1;
    seen.set(name.toLocaleLowerCase(), count);
    if (count > 1) {
      const renamed = `${name} (${count})`;
      notes.push(`Two columns are called "${name}"; the second is shown as "${renamed}".`);
      name = renamed;
    }
    columns.push(name);
  }
  return columns;
}

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

function lineOfRow(text: string, row: number | undefined): number | null {
  if (row === undefined) return null;
  // Papa reports the data row; count physical lines up to where that row starts.
  let line = 1;
  let rowsSeen = 0;
  let inQuotes = false;
  for (let i = 0; i < text.length && rowsSeen < row; i += 1) {
    const ch = text[i];
    if (ch === '"') inQuotes = !inQuotes;
    if (ch === '\n') {
      line += 1;
      if (!inQuotes) rowsSeen += 1;
    }
  }
  return line;
}
