import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import Papa from 'papaparse';
import { RowbotError } from '../../../shared/errors.ts';
import { DELIMITERS, type EncodingId } from '../../../shared/sheets.ts';
import { MAX_ROW_CHARS, rowTooLong } from './limits.ts';
import type { TableBuilder } from './table.ts';

/** Decoding met bytes that are not UTF-8 in a file we had taken for UTF-8. */
export class NotUtf8Error extends Error {}

export type ByteSource = { path: string } | { bytes: Uint8Array };

const CHUNK = 1024 * 1024;

/** The file as decoded text chunks, read 1 MB at a time so large files never sit whole in memory. */
async function* decodedChunks(
  source: ByteSource,
  encoding: EncodingId,
  skip: number,
  strictUtf8: boolean,
  onReplaced: (count: number) => void,
): AsyncGenerator<string> {
  const decoder = new TextDecoder(encoding, { fatal: strictUtf8 && encoding === 'utf-8', ignoreBOM: true });
  const chunks: AsyncIterable<Uint8Array> =
    'path' in source
      ? createReadStream(source.path, { start: skip, highWaterMark: CHUNK })
      : sliced(source.bytes.subarray(skip));
  let replaced = 0;
  for await (const chunk of chunks) {
    let text: string;
    try {
      text = decoder.decode(chunk, { stream: true });
    } catch {
      throw new NotUtf8Error();
    }
    if (!strictUtf8 || encoding !== 'utf-8') {
      replaced += countReplacement(text) - (encoding === 'utf-8' ? countEncodedReplacement(chunk) : 0);
    }
    if (text) yield text;
  }
  let tail: string;
  try {
    tail = decoder.decode();
  } catch {
    throw new NotUtf8Error();
  }
  if (!strictUtf8 || encoding !== 'utf-8') replaced += countReplacement(tail);
  if (tail) yield tail;
  onReplaced(Math.max(0, replaced));
}

async function* prepend(first: string, rest: AsyncIterable<string>): AsyncGenerator<string> {
  yield first;
  yield* rest;
}

async function* sliced(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  for (let start = 0; start < bytes.length; start += CHUNK) yield bytes.subarray(start, start + CHUNK);
}

/** U+FFFD written in the file itself (EF BF BD) is data, not a decoding failure. */
function countEncodedReplacement(bytes: Uint8Array): number {
  let count = 0;
  for (let i = bytes.indexOf(0xef); i !== -1 && i < bytes.length - 2; i = bytes.indexOf(0xef, i + 1)) {
    if (bytes[i + 1] === 0xbf && bytes[i + 2] === 0xbd) count += 1;
  }
  return count;
}

function countReplacement(text: string): number {
  let count = 0;
  for (let i = text.indexOf('\uFFFD'); i !== -1; i = text.indexOf('\uFFFD', i + 1)) count += 1;
  return count;
}

/** Control characters other than tab, line feed, form feed and carriage return: a sign of a binary file. */
function looksBinary(text: string): boolean {
  const sample = text.slice(0, 8192);
  if (sample.includes('\u0000')) return true;
  let control = 0;
  for (let i = 0; i < sample.length; i += 1) {
    const code = sample.charCodeAt(i);
    if (code < 32 && code !== 9 && code !== 10 && code !== 12 && code !== 13) control += 1;
  }
  return control > Math.max(8, sample.length * 0.02);
}

/**
 * Picks the delimiter whose rows agree best on their number of fields (at least two),
 * from the first rows of the file. Comma when nothing fits.
 */
export function sniffDelimiter(sample: string, complete: boolean): string {
  let best: { delimiter: string; agreement: number; fields: number } | null = null;
  for (const { id } of DELIMITERS) {
    const rows = Papa.parse<string[]>(sample, { delimiter: id, preview: 50, skipEmptyLines: 'greedy' }).data;
    // The last row of a sample may be cut short.
    const usable = complete || rows.length < 2 ? rows : rows.slice(0, -1);
    if (usable.length === 0) continue;
    const counts = new Map<number, number>();
    for (const row of usable) counts.set(row.length, (counts.get(row.length) ?? 0) + 1);
    const [fields, hits] = [...counts.entries()].sort((a, b) => b[1] - a[1] || b[0] - a[0])[0] ?? [1, 0];
    if (fields < 2) continue;
    const agreement = hits / usable.length;
    if (!best || agreement > best.agreement || (agreement === best.agreement && fields > best.fields)) {
      best = { delimiter: id, agreement, fields };
    }
  }
  return best?.delimiter ?? ',';
}

export interface DelimitedResult {
  delimiter: string;
  replacedCharacters: number;
}

/**
 * Streams delimited text (CSV, TSV, semicolon, pipe) into `table`. Papa Parse sniffs the
 * delimiter from the first rows unless one is given, and handles quotes, escaped quotes,
 * newlines inside fields and CRLF / LF / lone CR line ends.
 */
export async function parseDelimited(
  source: ByteSource,
  options: {
    fileName: string;
    encoding: EncodingId;
    bomLength: number;
    strictUtf8: boolean;
    delimiter?: string;
    /** Characters a row may have (MAX_ROW_CHARS unless told). */
    maxRowChars?: number;
  },
  table: TableBuilder,
): Promise<DelimitedResult> {
  const { fileName } = options;
  let replaced = 0;
  let sourceRow = 0;
  let failure: unknown = null;
  const chunks = decodedChunks(source, options.encoding, options.bomLength, options.strictUtf8, (n) => (replaced = n));
  const first = await chunks.next();
  const head = first.done ? '' : first.value;
  if (looksBinary(head)) {
    throw new RowbotError(
      'FILE_UNREADABLE',
      `"${fileName}" does not look like a text spreadsheet (it contains binary data). If it is an Excel file, name it .xlsx; otherwise save it as CSV and import that file.`,
    );
  }
  const sample = head.slice(0, 64 * 1024);
  const delimiter =
    options.delimiter ?? sniffDelimiter(sample, sample.length === head.length && head.length < 1024 * 1024);
  const maxRowChars = options.maxRowChars ?? MAX_ROW_CHARS;
  // Where each chunk handed to Papa Parse ends, in characters from the start. Papa Parse keeps
  // the row a chunk ends inside of, and parses it again with the next chunk: a row that runs on
  // for megabytes (a quote never closed) would be parsed again and again, in ever more time and
  // memory. Its cursor says where the last whole row ended; past the end of the chunk it parsed,
  // the rest is that unfinished row, which is refused once it is longer than maxRowChars.
  const chunkEnds: number[] = [];
  let fed = 0;
  const text = Readable.from(
    (async function* () {
      for await (const chunk of head ? prepend(head, chunks) : chunks) {
        fed += chunk.length;
        chunkEnds.push(fed);
        yield chunk;
      }
    })(),
  );

  return new Promise((resolve, reject) => {
    text.on('error', (error) => {
      failure ??= error;
    });
    Papa.parse<string[]>(text as unknown as File, {
      header: false,
      dynamicTyping: false,
      skipEmptyLines: false,
      delimiter,
      chunk(results, parser) {
        if (failure) return;
        try {
          const unclosed = results.errors.find((e) => e.code === 'MissingQuotes');
          if (unclosed) {
            const at = sourceRow + (unclosed.row ?? 0) + 1;
            throw new RowbotError(
              'CSV_INVALID',
              `"${fileName}" could not be read as CSV: a quoted field that starts on row ${at} is never closed. Check the quotes near that row, or export the sheet from your spreadsheet app again as CSV.`,
            );
          }
          for (const row of results.data) {
            sourceRow += 1;
            table.push(row, sourceRow);
          }
          const parsedTo = chunkEnds.shift() ?? fed;
          if (parsedTo - results.meta.cursor > maxRowChars) throw rowTooLong(fileName, sourceRow + 1, maxRowChars);
        } catch (error) {
          failure = error;
          parser.abort();
          // Papa Parse stops listening but leaves the stream flowing: stop reading the file.
          text.destroy();
        }
      },
      complete() {
        if (failure) reject(failure);
        else resolve({ delimiter, replacedCharacters: replaced });
      },
      error(error: Error) {
        reject(failure ?? error);
      },
    });
  });
}
