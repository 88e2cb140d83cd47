import { Zip, ZipDeflate } from 'fflate';
import { open, type FileHandle } from 'node:fs/promises';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { RowbotError } from '../../../../shared/errors.ts';
import { MAX_WIDTH, longestLine, safeSheetName, widthOf } from './cell-text.ts';
import { MAX_COLUMNS, MAX_ROWS } from './checks.ts';
import { writeAll, writeAtomically } from '../atomic-file.ts';
import { ThreadedDeflate } from './threaded-deflate.ts';
import { ResultStyles, longestLineOf, resultRowXml, type ResultCell } from './result-cells.ts';
import { SHEET_PART, SHEET_TAIL, columnLetters, packageParts, sheetHead } from './spreadsheetml.ts';

// A new workbook of results, written part by part rather than built as a workbook model (which
// took 2 GB and 8 s for 100,000 rows, all of it on the event loop). The worksheet's XML is made a
// batch of rows at a time; zlib deflates each batch in its thread pool while the next is made, and
// the zip (fflate's streaming Zip) goes to the file as it comes. Memory stays flat however many
// rows there are, and the event loop (Electron's main process, in the app) gets a turn between
// two batches, every hundred or so rows of the usual size.

/**
 * Characters of XML in a batch (about 150 rows of a dozen cells). Small enough that neither the
 * batch nor its UTF-8 bytes is one of the large objects V8 frees only in a full collection: batches
 * of 2 MB took a million-row export some 50 MB higher.
 */
const BATCH_CHARS = 1 << 16;
/** Measuring the columns yields after this long at a time. */
const MEASURE_MS = 15;
/** fflate's zip writer has no Zip64: no part may be 4 GiB or more. */
const MAX_PART_BYTES = 0xffff_ffff;
/** zlib's default: the worksheet compresses about 14 to 1. */
const LEVEL = 6;

function refuse(path: string, reason: string): RowbotError {
  return new RowbotError(
    'EXPORT_FAILED',
    `Could not save the export to "${path}": ${reason}. Export as CSV or JSON lines instead; your results are safe in Rowbot.`,
  );
}

/**
 * The rows of a results workbook, a page at a time. Each call starts again from the first row and
 * gives the same rows: they are read twice, to measure the columns, then to write them.
 */
export type ResultPages = () =>
  Iterable<readonly (readonly ResultCell[])[]> | AsyncIterable<readonly (readonly ResultCell[])[]>;

/**
 * The first reading of the rows: how many there are, the width of each column from its longest
 * line (header included), within limits, and the number formats the cells use. Refused as soon as
 * there are more rows or columns than Excel holds.
 */
async function measure(path: string, header: readonly string[], pages: ResultPages) {
  const longest = header.map((name) => longestLine(name, 0));
  const styles = new ResultStyles();
  let count = 0;
  const check = (): void => {
    if (count + 1 > MAX_ROWS || longest.length > MAX_COLUMNS) {
      throw refuse(
        path,
        `Excel holds at most ${MAX_ROWS.toLocaleString('en-US')} rows and ${MAX_COLUMNS.toLocaleString('en-US')} columns`,
      );
    }
  };
  check();
  let since = performance.now();
  for await (const page of pages()) {
    count += page.length;
    for (const row of page) {
      while (longest.length < row.length) longest.push(0);
      for (let c = 0; c < row.length; c += 1) {
        const known = longest[c] as number;
        if (known < MAX_WIDTH) longest[c] = longestLineOf(row[c], known);
        styles.add(row[c]);
      }
    }
    check();
    if (performance.now() - since > MEASURE_MS) {
      await nextTurn();
      since = performance.now();
    }
  }
  return { count, widths: longest.map(widthOf), styles };
}

/** A zip whose bytes go to a file as they come; `flush` writes what there is so far. */
function zipToFile(file: FileHandle): { zip: Zip; flush: () => Promise<void> } {
  const chunks: Uint8Array[] = [];
  let failure: Error | null = null;
  const zip = new Zip((error, chunk) => {
    if (error) failure ??= error;
    else chunks.push(chunk);
  });
  const flush = async (): Promise<void> => {
    if (failure !== null) throw failure;
    if (chunks.length === 0) return;
    const data = chunks.length === 1 ? (chunks[0] as Uint8Array) : Buffer.concat(chunks);
    chunks.length = 0;
    await writeAll(file, data);
  };
  return { zip, flush };
}

interface Content {
  path: string;
  sheetName: string;
  header: readonly string[];
  pages: ResultPages;
  /** Rows the first reading counted. */
  count: number;
  widths: readonly number[];
  styles: ResultStyles;
}

async function writePackage(file: FileHandle, content: Content): Promise<void> {
  const { header, pages, count, widths, styles } = content;
  const { zip, flush } = zipToFile(file);
  for (const [name, xml] of packageParts(content.sheetName, styles.xml())) {
    const part = new ZipDeflate(name, { level: LEVEL });
    zip.add(part);
    part.push(Buffer.from(xml), true);
  }
  // The worksheet goes last: fflate holds back the parts added after one that is still open.
  const sheet = new ThreadedDeflate(SHEET_PART, LEVEL);
  zip.add(sheet);
  try {
    const letters = widths.map((_, c) => columnLetters(c + 1));
    let size = 0;
    let deflating = Promise.resolve();
    // A batch goes out when the next row would make it longer than BATCH_CHARS; the last one, with
    // the end of the sheet, once the rows are read.
    const send = async (xml: string): Promise<void> => {
      // Encoded a batch at a time, which never cuts a character in two: a batch ends with a row.
      const bytes = Buffer.from(xml);
      size += bytes.length;
      if (size > MAX_PART_BYTES) throw refuse(content.path, 'the sheet is too big for an .xlsx file (4 GB of XML)');
      // This batch was made while zlib deflated the one before: wait for that, write it out.
      await deflating;
      await flush();
      deflating = sheet.push(bytes);
      deflating.catch(() => undefined); // awaited here or below; never left unhandled
      await nextTurn();
    };
    let xml = sheetHead(count + 1, widths) + resultRowXml(1, header, letters, styles);
    let rowNumber = 2;
    for await (const page of pages()) {
      for (const row of page) {
        if (xml.length >= BATCH_CHARS) {
          await send(xml);
          xml = '';
        }
        xml += resultRowXml(rowNumber, row, letters, styles);
        rowNumber += 1;
      }
    }
    await send(xml + SHEET_TAIL);
    await deflating;
    await sheet.end();
  } catch (error) {
    zip.terminate();
    throw error;
  }
  zip.end();
  await flush();
}

/**
 * A new workbook with one sheet: a bold, frozen header row, then the rows. Strings are written as
 * strings (never formulas; formula-like ones with the Text format), numbers as numbers (in their
 * own number format when they have one), booleans as booleans, null as an empty cell. Written to
 * a temp file next to `path`, then renamed into place. `rows` may be pages that are read as the
 * sheet is written (twice: see ResultPages), so that no more than a page is held at a time.
 */
export async function writeResultsXlsx(
  path: string,
  header: string[],
  rows: readonly (readonly ResultCell[])[] | ResultPages,
  sheetName = 'Results',
): Promise<void> {
  const pages: ResultPages = typeof rows === 'function' ? rows : () => [rows];
  const { count, widths, styles } = await measure(path, header, pages);
  const content: Content = { path, sheetName: safeSheetName(sheetName), header, pages, count, widths, styles };
  await writeAtomically(path, async (temp) => {
    const file = await open(temp, 'w');
    try {
      await writePackage(file, content);
    } finally {
      await file.close();
    }
  });
}
