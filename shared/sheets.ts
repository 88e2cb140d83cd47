/** Import and export choices shared by the engine, the UI and the CLI. */

export const IMPORT_FORMATS = ['csv', 'xlsx', 'json', 'jsonl'] as const;
export type ImportFormat = (typeof IMPORT_FORMATS)[number];

export const FORMAT_LABELS: Record<ImportFormat, string> = {
  csv: 'Delimited text (CSV, TSV…)',
  xlsx: 'Excel workbook (.xlsx)',
  json: 'JSON list',
  jsonl: 'JSON lines',
};

/** The encodings offered when the user overrides detection (labels TextDecoder knows). */
export const ENCODINGS = [
  { id: 'utf-8', label: 'UTF-8' },
  { id: 'utf-16le', label: 'UTF-16 LE (Excel “Unicode text”)' },
  { id: 'utf-16be', label: 'UTF-16 BE' },
  { id: 'windows-1252', label: 'Windows-1252 / Latin-1 (Western Europe)' },
  { id: 'windows-1250', label: 'Windows-1250 (Central Europe)' },
  { id: 'windows-1251', label: 'Windows-1251 (Cyrillic)' },
  { id: 'iso-8859-15', label: 'ISO-8859-15 (Latin-9)' },
  { id: 'shift_jis', label: 'Shift JIS (Japanese)' },
  { id: 'gb18030', label: 'GB18030 (Chinese)' },
  { id: 'big5', label: 'Big5 (Traditional Chinese)' },
  { id: 'euc-kr', label: 'EUC-KR (Korean)' },
] as const;
export type EncodingId = (typeof ENCODINGS)[number]['id'];

export const DELIMITERS = [
  { id: ',', label: 'Comma (,)' },
  { id: ';', label: 'Semicolon (;)' },
  { id: '\t', label: 'Tab' },
  { id: '|', label: 'Pipe (|)' },
] as const;

/** What the user may override at import; everything left out is detected. */
export interface ImportOptions {
  format?: ImportFormat;
  encoding?: EncodingId;
  delimiter?: string;
  hasHeader?: boolean;
  sheet?: string;
  /** Keep the rows that looked like a title above the table (with the header off, none is left out). */
  keepTitleRows?: boolean;
}

/** A row left out as a title above the table, shown in the preview so it can be kept. */
export interface TitleRow {
  /** Its row number in the file. */
  sourceRow: number;
  values: string[];
}

/** The settings an import actually used, shown next to the preview. */
export interface ImportSettings {
  format: ImportFormat;
  /** Null for workbooks (they carry their own). */
  encoding: EncodingId | null;
  /** Null unless delimited text. */
  delimiter: string | null;
  hasHeader: boolean;
  /** The header's row number in the file, or null without a header. */
  headerRow: number | null;
  sheetNames: string[];
  sheet: string | null;
  /** Rows left out as a title above the table (absent in imports made before they were shown). */
  titleRows?: TitleRow[];
  /** The title rows were kept as data, at the user's word. */
  keepTitleRows?: boolean;
}

export const EXPORT_FORMATS = ['csv', 'xlsx', 'jsonl'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export const EXPORT_ROWS = ['all', 'done', 'failed'] as const;
export type ExportRows = (typeof EXPORT_ROWS)[number];

/** The separators a CSV export can use: by default the one the file was imported with, else a comma. */
export const EXPORT_DELIMITERS = [
  { id: ',', name: 'comma', label: 'Comma (,)' },
  { id: ';', name: 'semicolon', label: 'Semicolon (;)' },
  { id: '\t', name: 'tab', label: 'Tab' },
] as const;
export type ExportDelimiter = (typeof EXPORT_DELIMITERS)[number]['id'];

/** The separator an export of a file imported with `imported` uses unless told otherwise. */
export function defaultExportDelimiter(imported: string | null | undefined): ExportDelimiter {
  return EXPORT_DELIMITERS.find((d) => d.id === imported)?.id ?? ',';
}

export interface ExportOptions {
  format: ExportFormat;
  rows: ExportRows;
  /** CSV only: start with a byte-order mark so Excel reads accents right (default on). */
  bom?: boolean;
  /** CSV only: the separator; the one the file was imported with when left out (a comma for other files). */
  delimiter?: ExportDelimiter;
  /** XLSX of an imported workbook only: the user's own workbook with the result columns added. */
  writeBack?: boolean;
}

export function encodingLabel(id: EncodingId): string {
  return ENCODINGS.find((e) => e.id === id)?.label ?? id;
}

export function delimiterLabel(delimiter: string): string {
  return DELIMITERS.find((d) => d.id === delimiter)?.label ?? `“${delimiter}”`;
}
