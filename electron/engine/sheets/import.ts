import { open, readFile, stat } from 'node:fs/promises';
import { extname } from 'node:path';
import { RowbotError } from '../../../shared/errors.ts';
import { NotUtf8Error, parseDelimited, type ByteSource } from './delimited.ts';
import { encodingLabel, type ImportFormat, type ImportOptions, type ImportSettings } from '../../../shared/sheets.ts';
import { bomLengthFor, detectEncoding, type DetectedEncoding } from './encoding.ts';
import { parseJsonArray, parseJsonLines } from './json.ts';
import { SHEET_LIMITS, type SheetLimits } from './limits.ts';
import { TableBuilder, type TableResult, type TableRow } from './table.ts';

export interface ImportedTable extends TableResult {
  settings: ImportSettings;
}

export interface ImportSource {
  fileName: string;
  /** A file on disk (streamed), or bytes already in memory (an upload). */
  path?: string;
  bytes?: Uint8Array;
}

const SAMPLE_BYTES = 64 * 1024;

/**
 * Only a regular file is read: a folder cannot be, and a named pipe or a device would be read
 * until it ends, which may be never.
 */
async function checkRegularFile(path: string, fileName: string): Promise<void> {
  let info;
  try {
    info = await stat(path);
  } catch {
    throw new RowbotError(
      'FILE_UNREADABLE',
      `Rowbot cannot open "${fileName}". Check that the file exists and that you may read it.`,
    );
  }
  if (info.isDirectory()) {
    throw new RowbotError(
      'FILE_UNREADABLE',
      `"${fileName}" is a folder, not a spreadsheet. Choose a CSV, TSV, Excel (.xlsx), JSON or JSON lines file inside it.`,
    );
  }
  if (!info.isFile()) {
    throw new RowbotError(
      'FILE_UNREADABLE',
      `"${fileName}" is not a regular file (it is a pipe, a socket or a device), so Rowbot cannot read it as a spreadsheet. Save the data to a file and import that file.`,
    );
  }
}

async function head(source: ImportSource): Promise<{ sample: Uint8Array; whole: boolean }> {
  if (source.bytes)
    return { sample: source.bytes.subarray(0, SAMPLE_BYTES), whole: source.bytes.length <= SAMPLE_BYTES };
  const file = await open(source.path ?? '', 'r');
  try {
    const buffer = Buffer.alloc(SAMPLE_BYTES);
    const { bytesRead } = await file.read(buffer, 0, SAMPLE_BYTES, 0);
    return { sample: buffer.subarray(0, bytesRead), whole: bytesRead < SAMPLE_BYTES };
  } finally {
    await file.close();
  }
}

async function wholeBytes(source: ImportSource): Promise<Uint8Array> {
  return source.bytes ?? (await readFile(source.path ?? ''));
}

/** From the content first (a zip is a workbook whatever its name), then the name. */
export function detectFormat(fileName: string, sample: Uint8Array): ImportFormat {
  if (sample[0] === 0x50 && sample[1] === 0x4b && sample[2] === 0x03 && sample[3] === 0x04) return 'xlsx';
  if (sample[0] === 0xd0 && sample[1] === 0xcf && sample[2] === 0x11 && sample[3] === 0xe0) return 'xlsx';
  const ext = extname(fileName).toLowerCase();
  if (ext === '.xlsx' || ext === '.xlsm' || ext === '.xls') return 'xlsx';
  if (ext === '.jsonl' || ext === '.ndjson') return 'jsonl';
  if (ext === '.json') return 'json';
  return 'csv';
}

function decodeWhole(bytes: Uint8Array, detected: DetectedEncoding): string {
  return new TextDecoder(detected.encoding, { ignoreBOM: true }).decode(bytes.subarray(detected.bomLength));
}

/**
 * Reads a spreadsheet of any supported kind into `emit` (batches of rows, in order) and
 * says what it found. Delimited text is streamed; workbooks and JSON are read whole.
 */
export async function importTable(
  source: ImportSource,
  options: ImportOptions & { maxRows: number; limits?: Partial<SheetLimits> },
  emit: (rows: TableRow[]) => void,
  restart: () => void = () => undefined,
): Promise<ImportedTable> {
  const { fileName } = source;
  const limits: SheetLimits = { ...SHEET_LIMITS, ...options.limits };
  if (!source.bytes) await checkRegularFile(source.path ?? '', fileName);
  const { sample, whole } = await head(source);
  if (sample.length === 0) {
    throw new RowbotError(
      'FILE_EMPTY',
      `"${fileName}" is empty. Choose a file with a header row and at least one row of data.`,
    );
  }
  const format = options.format ?? detectFormat(fileName, sample);
  const table = (extra: { hasHeader?: boolean; shortRowsAreNormal?: boolean } = {}): TableBuilder =>
    new TableBuilder({
      fileName,
      maxRows: options.maxRows,
      hasHeader: options.hasHeader,
      keepTitleRows: options.keepTitleRows,
      emit,
      maxColumns: limits.columns,
      ...extra,
    });
  const titles = (result: TableResult): Pick<ImportSettings, 'titleRows' | 'keepTitleRows'> => ({
    titleRows: result.titleRows,
    ...(options.keepTitleRows ? { keepTitleRows: true } : {}),
  });

  if (format === 'xlsx') {
    const { readXlsx } = await import('./xlsx.ts');
    const workbook = await readXlsx(await wholeBytes(source), fileName, { sheet: options.sheet, limits });
    const builder = table({ shortRowsAreNormal: true });
    workbook.rows.forEach((row, i) => builder.push(row, workbook.rowNumbers[i] ?? i + 1));
    const result = builder.finish();
    return {
      ...result,
      notes: [...(workbook.notes ?? []), ...result.notes],
      settings: {
        format,
        encoding: null,
        delimiter: null,
        hasHeader: result.hasHeader,
        headerRow: result.headerRow,
        sheetNames: workbook.sheetNames,
        sheet: workbook.sheet,
        ...titles(result),
      },
    };
  }

  const detected: DetectedEncoding = options.encoding
    ? { encoding: options.encoding, bomLength: bomLengthFor(sample, options.encoding), source: 'user' }
    : detectEncoding(sample, whole);

  if (format === 'json' || format === 'jsonl') {
    const text = decodeWhole(await wholeBytes(source), detected);
    const parsed = format === 'json' ? parseJsonArray(text, fileName) : parseJsonLines(text, fileName);
    const builder = table(parsed.keyed ? { hasHeader: true } : {});
    for (const row of parsed.rows) builder.push(row.values, row.sourceRow);
    const result = builder.finish();
    return {
      ...result,
      settings: {
        format,
        encoding: detected.encoding,
        delimiter: null,
        hasHeader: result.hasHeader,
        headerRow: result.headerRow,
        sheetNames: [],
        sheet: null,
        ...titles(result),
      },
    };
  }

  const byteSource: ByteSource = source.bytes ? { bytes: source.bytes } : { path: source.path ?? '' };
  const delimiter = options.delimiter ?? (extname(fileName).toLowerCase() === '.tsv' ? '\t' : undefined);
  const notes: string[] = [];
  let encoding = detected;
  let builder = table();
  let parsed;
  try {
    parsed = await parseDelimited(
      byteSource,
      {
        fileName,
        encoding: encoding.encoding,
        bomLength: encoding.bomLength,
        strictUtf8: encoding.source !== 'user',
        delimiter,
        maxRowChars: limits.rowChars,
      },
      builder,
    );
  } catch (error) {
    if (!(error instanceof NotUtf8Error)) throw error;
    // It looked like UTF-8 (or said so with a byte-order mark) but is not: read it as Windows-1252.
    notes.push(
      encoding.source === 'bom'
        ? `"${fileName}" says it is UTF-8 but contains bytes that are not; it was read as ${encodingLabel('windows-1252')}. Check the accents in the preview, or choose another encoding.`
        : `"${fileName}" is not UTF-8 after all; it was read as ${encodingLabel('windows-1252')}. Check the accents in the preview, or choose another encoding.`,
    );
    restart();
    encoding = { encoding: 'windows-1252', bomLength: encoding.bomLength, source: 'guess' };
    builder = table();
    parsed = await parseDelimited(
      byteSource,
      {
        fileName,
        encoding: 'windows-1252',
        bomLength: encoding.bomLength,
        strictUtf8: false,
        delimiter,
        maxRowChars: limits.rowChars,
      },
      builder,
    );
  }
  const result = builder.finish();
  if (parsed.replacedCharacters > 0) {
    notes.push(
      `${parsed.replacedCharacters.toLocaleString('en-US')} character${parsed.replacedCharacters === 1 ? '' : 's'} could not be read as ${encodingLabel(encoding.encoding)} and show as �. Choose another encoding in the import settings.`,
    );
  }
  return {
    ...result,
    notes: [...notes, ...result.notes],
    settings: {
      format,
      encoding: encoding.encoding,
      delimiter: parsed.delimiter,
      hasHeader: result.hasHeader,
      headerRow: result.headerRow,
      sheetNames: [],
      sheet: null,
      ...titles(result),
    },
  };
}
