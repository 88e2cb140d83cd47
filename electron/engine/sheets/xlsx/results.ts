import { Zip, ZipDeflate } from 'fflate';
import { open, type FileHandle } from 'node:fs/promises';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { RowbotError } from '../../../../shared/errors.ts';
import { MAX_WIDTH, longestLine, safeSheetName, widthOf } from './cell-text.ts';
import { MAX_COLUMNS, MAX_ROWS } from './checks.ts';
import { writeAtomically } from './save.ts';
import { ThreadedDeflate } from './threaded-deflate.ts';
import { ResultStyles, longestLineOf, resultRowXml, type ResultCell } from './result-cells.ts';
import { SHEET_PART, SHEET_TAIL, columnLetters, packageParts, sheetHead } from './spreadsheetml.ts';

// A new workbook of results, written part by part rather than built as a workbook model (which
// took 2 GB and 8 s for 100,000 rows, all of it on the event loop). The worksheet's XML is made a
// batch of rows at a time; zlib deflates each batch in its thread pool while the next is made, and
// the zip (fflate's streaming Zip) goes to the file as it comes. Memory stays flat however many
// rows there are, and the event loop (Electron's main process, in the app) gets a turn between
// two batches, every few thousand rows of the usual size.

/** Characters of XML in a batch (about 3,000 rows of a dozen cells): some milliseconds of work. */
const BATCH_CHARS = 2_000_000;
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
 * The width of each column, from its longest line (header included), within limits; and the
 * number formats the cells use.
 */
async function measure(header: readonly string[], rows: readonly (readonly ResultCell[])[], width: number) {
  const longest = Array.from({ length: width }, (_, c) => longestLine(header[c], 0));
  const styles = new ResultStyles();
  let since = performance.now();
  for (let r = 0; r < rows.length; r += 1) {
    const row = rows[r] as readonly ResultCell[];
    for (let c = 0; c < row.length; c += 1) {
      const known = longest[c] as number;
      if (known < MAX_WIDTH) longest[c] = longestLineOf(row[c], known);
      styles.add(row[c]);
    }
    if (performance.now() - since > MEASURE_MS) {
      await nextTurn();
      since = performance.now();
    }
  }
  return { widths: longest.map(widthOf), styles };
}

async function writeAll(file: FileHandle, data: Uint8Array): Promise<void> {
  for (let at = 0; at < data.length;) at += (await file.write(data, at)).bytesWritten;
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
  rows: readonly (readonly ResultCell[])[];
  widths: readonly number[];
  styles: ResultStyles;
}

async function writePackage(file: FileHandle, content: Content): Promise<void> {
  const { header, rows, widths, styles } = content;
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
    let r = 0;
    for (let first = true; first || r < rows.length; first = false) {
      let xml = first ? sheetHead(rows.length + 1, widths) + resultRowXml(1, header, letters, styles) : '';
      while (r < rows.length && xml.length < BATCH_CHARS) {
        xml += resultRowXml(r + 2, rows[r] as readonly ResultCell[], letters, styles);
        r += 1;
      }
      if (r === rows.length) xml += SHEET_TAIL;
      // Encoded a batch at a time, which never cuts a character in two: a batch ends with a row.
      const bytes = Buffer.from(xml);
      size += bytes.length;
      if (size > MAX_PART_BYTES) throw refuse(content.path, 'the sheet is too big for an .xlsx file (4 GB of XML)');
      // This batch was made while zlib deflated the one before: wait for that, write it out.
      await deflating;
      await flush();
      deflating = sheet.push(bytes);
      deflating.catch(() => undefined); // awaited above or below; never left unhandled
      await nextTurn();
    }
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
 * a temp file next to `path`, then renamed into place.
 */
export async function writeResultsXlsx(
  path: string,
  header: string[],
  rows: ResultCell[][],
  sheetName = 'Results',
): Promise<void> {
  const width = rows.reduce((widest, row) => Math.max(widest, row.length), header.length);
  if (rows.length + 1 > MAX_ROWS || width > MAX_COLUMNS) {
    throw refuse(
      path,
      `Excel holds at most ${MAX_ROWS.toLocaleString('en-US')} rows and ${MAX_COLUMNS.toLocaleString('en-US')} columns`,
    );
  }
  const { widths, styles } = await measure(header, rows, width);
  const content: Content = { path, sheetName: safeSheetName(sheetName), header, rows, widths, styles };
  await writeAtomically(path, async (temp) => {
    const file = await open(temp, 'w');
    try {
      await writePackage(file, content);
    } finally {
      await file.close();
    }
  });
}
