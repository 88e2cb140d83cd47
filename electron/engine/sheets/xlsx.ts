import { randomBytes } from 'node:crypto';
import { rename, rm } from 'node:fs/promises';
import { basename, dirname, join, posix } from 'node:path';
import { crc32, createInflateRaw } from 'node:zlib';
import type { Cell, Workbook, Worksheet } from 'exceljs';
import type * as NumfmtTypes from 'numfmt';
import { RowbotError } from '../../../shared/errors.ts';

/** One worksheet as Excel shows it: every cell as its displayed text. */
export interface XlsxSheet {
  /** Every worksheet of the workbook in tab order, hidden ones included (chart sheets are not worksheets). */
  sheetNames: string[];
  /** The sheet that was read. */
  sheet: string;
  /** From the first row with a value to the last; an empty row is []; trailing empty cells are trimmed. */
  rows: string[][];
  /** rowNumbers[i] is the 1-based worksheet row number of rows[i]. */
  rowNumbers: number[];
}

export type XlsxCell = string | number | null;

export interface WriteBackOptions {
  /** The bytes of the user's workbook, as imported. */
  source: Uint8Array;
  sheet: string;
  headerRowNumber: number;
  newColumns: string[];
  /** Key: the 1-based worksheet row number; value: the cells of the new columns, in order. */
  values: Map<number, XlsxCell[]>;
  outPath: string;
  /** The workbook's file name, for messages; "the imported workbook" without it. */
  sourceName?: string;
}

type NumfmtModule = typeof NumfmtTypes;

/** The size of a worksheet in Excel. */
const MAX_ROWS = 1_048_576;
const MAX_COLUMNS = 16_384;

interface XmlTag {
  name: string;
  attributes: Record<string, string>;
}

type XmlEvent = { eventType: 'opentag' | 'closetag'; value: XmlTag } | { eventType: 'text'; value: string };

/** ExcelJS's SAX helper: it feeds the chunks to saxes and yields the events of each chunk as one array. */
type ParseSax = (chunks: AsyncIterable<string>) => AsyncIterable<XmlEvent[]>;

/**
 * The XML parser ExcelJS's own streaming reader uses. ExcelJS ships no types for its internals,
 * hence the path in a variable; like 'exceljs' itself, the import stays external in every bundle.
 */
const PARSE_SAX = 'exceljs/lib/utils/parse-sax.js';

interface ReadingLibraries {
  parseSax: ParseSax;
  numfmt: NumfmtModule;
}

/** Loaded on first use: most runs never touch XLSX. Reading never loads ExcelJS's workbook model. */
async function readingLibraries(): Promise<ReadingLibraries> {
  const [sax, numfmt] = await Promise.all([import(PARSE_SAX) as Promise<{ default: ParseSax }>, import('numfmt')]);
  return { parseSax: sax.default, numfmt };
}

/** Loaded on first use: only writing builds an ExcelJS workbook. */
async function libraries(): Promise<{ newWorkbook: () => Workbook }> {
  const { default: ExcelJS } = await import('exceljs');
  return { newWorkbook: () => new ExcelJS.Workbook() };
}

// ---------------------------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------------------------

const OLE_SIGNATURE = [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1];
const ZIP_SIGNATURE = [0x50, 0x4b, 0x03, 0x04];
const EMPTY_ZIP_SIGNATURE = [0x50, 0x4b, 0x05, 0x06];

function startsWith(bytes: Uint8Array, signature: readonly number[]): boolean {
  return signature.every((byte, i) => bytes[i] === byte);
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Refuses, with a message that says what to do, the files that are not an .xlsx workbook at all. */
function checkSignature(bytes: Uint8Array, fileName: string): void {
  if (bytes.length === 0) {
    throw new RowbotError(
      'FILE_EMPTY',
      `"${fileName}" is empty. Choose a file with a header row and at least one row of data.`,
    );
  }
  const buffer = asBuffer(bytes);
  if (startsWith(bytes, OLE_SIGNATURE)) {
    // An OLE compound file: either an .xlsx encrypted with a password (Excel wraps it in one,
    // with these two streams) or a workbook in the binary Excel 97-2003 format.
    if (
      buffer.includes(Buffer.from('EncryptedPackage', 'utf16le')) ||
      buffer.includes(Buffer.from('EncryptionInfo', 'utf16le'))
    ) {
      throw new RowbotError(
        'FILE_UNREADABLE',
        `"${fileName}" is protected with a password, so Rowbot cannot read it. Open it in Excel, remove the password (File > Info > Protect Workbook > Encrypt with Password, then clear it), save it, and import it again.`,
      );
    }
    throw new RowbotError(
      'FILE_UNREADABLE',
      `"${fileName}" is in the old Excel 97-2003 format (.xls), which Rowbot cannot read. Open it in Excel, choose File > Save As > Excel Workbook (.xlsx), and import the new file.`,
    );
  }
  if (!startsWith(bytes, ZIP_SIGNATURE) && !startsWith(bytes, EMPTY_ZIP_SIGNATURE)) {
    throw new RowbotError(
      'FILE_UNREADABLE',
      `"${fileName}" is not an Excel workbook (.xlsx). If it is a CSV or text file, give it a .csv name and import it again; otherwise open it in Excel and save it as an Excel Workbook (.xlsx).`,
    );
  }
  // Zip files that are spreadsheets, but not ones Rowbot reads. The names of the parts of a
  // zip are stored uncompressed, so a plain byte search finds them.
  if (buffer.includes('xl/workbook.bin')) {
    throw new RowbotError(
      'FILE_UNREADABLE',
      `"${fileName}" is an Excel Binary Workbook (.xlsb), which Rowbot cannot read. Open it in Excel, choose File > Save As > Excel Workbook (.xlsx), and import the new file.`,
    );
  }
  if (buffer.subarray(30, 38).toString('latin1') === 'mimetype' && buffer.includes('opendocument.spreadsheet')) {
    throw new RowbotError(
      'FILE_UNREADABLE',
      `"${fileName}" is an OpenDocument spreadsheet (.ods), which Rowbot cannot read. Open it in your spreadsheet app, save it as an Excel Workbook (.xlsx), and import the new file.`,
    );
  }
}

function damaged(fileName: string): RowbotError {
  return new RowbotError(
    'FILE_UNREADABLE',
    `"${fileName}" could not be opened: the workbook is damaged or incomplete (it may not have finished downloading or copying), or it is not an Excel workbook. Open it in Excel, save it again as .xlsx, and import the new file.`,
  );
}

function quotedList(names: readonly string[]): string {
  return names.map((name) => `"${name}"`).join(', ');
}

function noWorksheets(fileName: string): RowbotError {
  return new RowbotError(
    'FILE_EMPTY',
    `"${fileName}" has no worksheets with cells (only charts, or nothing at all). Add a sheet with a header row and at least one row of data, save it, and import it again.`,
  );
}

/** The sheet asked for (exact name first, then ignoring case), or by default the first visible one. */
function pickSheet<T extends { name: string; hidden: boolean }>(
  sheets: readonly T[],
  wanted: string | undefined,
  fileName: string,
): T {
  if (wanted === undefined || wanted === '') return sheets.find((sheet) => !sheet.hidden) ?? (sheets[0] as T);
  const sheet =
    sheets.find((s) => s.name === wanted) ?? sheets.find((s) => s.name.toLowerCase() === wanted.toLowerCase());
  if (sheet === undefined) {
    throw new RowbotError(
      'NOT_FOUND',
      `"${fileName}" has no sheet named "${wanted}". Its sheets are ${quotedList(sheets.map((s) => s.name))}; choose one of those.`,
    );
  }
  return sheet;
}

// The zip container. The whole file is already in memory, so its central directory gives
// random access to the few parts a read needs; only the chosen worksheet and the shared
// strings are big, and each is inflated and parsed as a stream, never held whole. Any
// structural fault throws a plain Error, which readXlsx turns into damaged().

const EOCD_SIGNATURE = 0x06054b50;
const ZIP64_LOCATOR_SIGNATURE = 0x07064b50;
const ZIP64_EOCD_SIGNATURE = 0x06064b50;
const CENTRAL_SIGNATURE = 0x02014b50;
const LOCAL_SIGNATURE = 0x04034b50;
const U32_MAX = 0xffffffff;
const CHUNK_BYTES = 64 * 1024;

interface ZipEntry {
  method: number;
  flags: number;
  crc: number;
  compressedSize: number;
  size: number;
  /** Of the entry's local header. */
  offset: number;
}

/** Where the end of central directory record starts, or -1 (the file is cut short, or not a zip). */
function endOfCentralDirectory(zip: Buffer): number {
  const stop = Math.max(0, zip.length - 22 - 0xffff);
  for (let at = zip.length - 22; at >= stop; at -= 1) {
    if (zip.readUInt32LE(at) === EOCD_SIGNATURE) return at;
  }
  return -1;
}

/** The entries of a zip by lower-case name (part names in a package ignore case). */
function zipEntries(zip: Buffer): Map<string, ZipEntry> {
  const end = endOfCentralDirectory(zip);
  if (end < 0) throw new Error('no end of central directory');
  let count = zip.readUInt16LE(end + 10);
  let at = zip.readUInt32LE(end + 16);
  if ((count === 0xffff || at === U32_MAX) && end >= 20 && zip.readUInt32LE(end - 20) === ZIP64_LOCATOR_SIGNATURE) {
    const record = Number(zip.readBigUInt64LE(end - 12));
    if (zip.readUInt32LE(record) !== ZIP64_EOCD_SIGNATURE) throw new Error('bad zip64 end of central directory');
    count = Number(zip.readBigUInt64LE(record + 32));
    at = Number(zip.readBigUInt64LE(record + 48));
  }
  const entries = new Map<string, ZipEntry>();
  for (let n = 0; n < count; n += 1) {
    if (zip.readUInt32LE(at) !== CENTRAL_SIGNATURE) throw new Error('bad central directory');
    const nameLength = zip.readUInt16LE(at + 28);
    const extraLength = zip.readUInt16LE(at + 30);
    const entry: ZipEntry = {
      flags: zip.readUInt16LE(at + 8),
      method: zip.readUInt16LE(at + 10),
      crc: zip.readUInt32LE(at + 16),
      compressedSize: zip.readUInt32LE(at + 20),
      size: zip.readUInt32LE(at + 24),
      offset: zip.readUInt32LE(at + 42),
    };
    const name = zip.toString('utf8', at + 46, at + 46 + nameLength);
    if (entry.size === U32_MAX || entry.compressedSize === U32_MAX || entry.offset === U32_MAX) {
      readZip64Sizes(zip.subarray(at + 46 + nameLength, at + 46 + nameLength + extraLength), entry);
    }
    entries.set(name.toLowerCase(), entry);
    at += 46 + nameLength + extraLength + zip.readUInt16LE(at + 32);
  }
  return entries;
}

/** The zip64 extra field holds, in this order, the 64-bit values of the fields that are 0xFFFFFFFF. */
function readZip64Sizes(extra: Buffer, entry: ZipEntry): void {
  for (let at = 0; at + 4 <= extra.length; at += 4 + extra.readUInt16LE(at + 2)) {
    if (extra.readUInt16LE(at) !== 0x0001) continue;
    let field = at + 4;
    const next = (): number => {
      const value = Number(extra.readBigUInt64LE(field));
      field += 8;
      return value;
    };
    if (entry.size === U32_MAX) entry.size = next();
    if (entry.compressedSize === U32_MAX) entry.compressedSize = next();
    if (entry.offset === U32_MAX) entry.offset = next();
    return;
  }
}

/** The stored or deflated bytes of an entry, in chunks. */
function entryChunks(zip: Buffer, entry: ZipEntry): AsyncIterable<Buffer> | Iterable<Buffer> {
  if (entry.flags & 0x1) throw new Error('encrypted entry');
  if (zip.readUInt32LE(entry.offset) !== LOCAL_SIGNATURE) throw new Error('bad local header');
  const start = entry.offset + 30 + zip.readUInt16LE(entry.offset + 26) + zip.readUInt16LE(entry.offset + 28);
  const data = zip.subarray(start, start + entry.compressedSize);
  if (data.length !== entry.compressedSize) throw new Error('entry cut short');
  if (entry.method === 0) {
    return (function* () {
      for (let at = 0; at < data.length; at += CHUNK_BYTES) yield data.subarray(at, at + CHUNK_BYTES);
    })();
  }
  if (entry.method !== 8) throw new Error(`compression method ${entry.method}`);
  const inflate = createInflateRaw({ chunkSize: CHUNK_BYTES });
  inflate.end(data);
  return inflate;
}

/** An entry's text, decoded as UTF-8 across chunk boundaries; its size and CRC-32 are checked at the end. */
async function* entryText(zip: Buffer, entry: ZipEntry): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let size = 0;
  let crc = 0;
  for await (const chunk of entryChunks(zip, entry)) {
    size += chunk.length;
    if (size > entry.size) throw new Error('entry longer than its size');
    crc = crc32(chunk, crc);
    yield decoder.decode(chunk, { stream: true });
  }
  if (size !== entry.size || crc !== entry.crc) throw new Error('entry size or CRC-32 mismatch');
  const rest = decoder.decode();
  if (rest !== '') yield rest;
}

// The package: relationships lead from the root to the workbook, and from it to its sheets,
// styles and shared strings.

interface XlsxPackage {
  zip: Buffer;
  entries: Map<string, ZipEntry>;
  parseSax: ParseSax;
}

function findPart(pkg: XlsxPackage, path: string): ZipEntry | undefined {
  const name = path.toLowerCase();
  const entry = pkg.entries.get(name);
  if (entry !== undefined || !name.includes('%')) return entry;
  try {
    return pkg.entries.get(decodeURIComponent(name));
  } catch {
    return undefined;
  }
}

function partEvents(pkg: XlsxPackage, entry: ZipEntry): AsyncIterable<XmlEvent[]> {
  return pkg.parseSax(entryText(pkg.zip, entry));
}

/** An element's name without its namespace prefix: some writers spell <sheetData> as <x:sheetData>. */
function localName(name: string): string {
  const colon = name.indexOf(':');
  return colon < 0 ? name : name.slice(colon + 1);
}

interface Relationship {
  type: string;
  /** The part it points to, as a path inside the zip. */
  target: string;
}

/** The relationships of a part ('' for the package itself), by id. */
async function readRelationships(pkg: XlsxPackage, part: string): Promise<Map<string, Relationship>> {
  const folder = posix.dirname(part);
  const relationships = new Map<string, Relationship>();
  const entry = findPart(pkg, posix.join(folder, '_rels', `${posix.basename(part)}.rels`));
  if (entry === undefined) return relationships;
  for await (const events of partEvents(pkg, entry)) {
    for (const event of events) {
      if (event.eventType !== 'opentag' || localName(event.value.name) !== 'Relationship') continue;
      const { Id: id, Type: type = '', Target: target, TargetMode: mode } = event.value.attributes;
      if (id === undefined || target === undefined || mode === 'External') continue;
      const path = target.startsWith('/') ? posix.normalize(target.slice(1)) : posix.join(folder, target);
      relationships.set(id, { type, target: path });
    }
  }
  return relationships;
}

/** The first relationship of a type, by the last part of its type URI (transitional and strict differ before it). */
function relatedPart(relationships: Map<string, Relationship>, type: string): string | undefined {
  for (const relationship of relationships.values()) {
    if (relationship.type.endsWith(`/${type}`)) return relationship.target;
  }
  return undefined;
}

interface SheetPart {
  name: string;
  hidden: boolean;
  part: string;
}

interface WorkbookParts {
  /** The worksheets in tab order (chart, dialog and macro sheets left out). */
  sheets: SheetPart[];
  date1904: boolean;
  styles: string;
  sharedStrings: string;
}

async function readWorkbookParts(pkg: XlsxPackage, fileName: string): Promise<WorkbookParts> {
  const root = await readRelationships(pkg, '');
  const workbookPart = relatedPart(root, 'officeDocument') ?? 'xl/workbook.xml';
  const entry = findPart(pkg, workbookPart);
  if (entry === undefined) throw damaged(fileName);

  const listed: { name: string; hidden: boolean; id: string | undefined }[] = [];
  let rootElement: string | undefined;
  let date1904 = false;
  for await (const events of partEvents(pkg, entry)) {
    for (const event of events) {
      if (event.eventType !== 'opentag') continue;
      const name = localName(event.value.name);
      const attributes = event.value.attributes;
      rootElement ??= name;
      if (name === 'sheet') {
        // The relationship id is r:id, whatever the prefix of its namespace.
        const idKey = Object.keys(attributes).find((key) => key.endsWith(':id'));
        const state = attributes.state;
        listed.push({
          name: attributes.name ?? '',
          hidden: state === 'hidden' || state === 'veryHidden',
          id: idKey === undefined ? undefined : attributes[idKey],
        });
      } else if (name === 'workbookPr') {
        date1904 = attributes.date1904 === '1' || attributes.date1904 === 'true';
      }
    }
  }
  // A Word document, a presentation or some other zip.
  if (rootElement !== 'workbook') throw damaged(fileName);

  const related = await readRelationships(pkg, workbookPart);
  const sheets: SheetPart[] = [];
  let missing = false;
  for (const { name, hidden, id } of listed) {
    const relationship = id === undefined ? undefined : related.get(id);
    if (relationship === undefined || !relationship.type.endsWith('/worksheet')) continue;
    if (findPart(pkg, relationship.target) === undefined) missing = true;
    else sheets.push({ name, hidden, part: relationship.target });
  }
  if (sheets.length === 0) throw missing ? damaged(fileName) : noWorksheets(fileName);
  const folder = posix.dirname(workbookPart);
  return {
    sheets,
    date1904,
    styles: relatedPart(related, 'styles') ?? posix.join(folder, 'styles.xml'),
    sharedStrings: relatedPart(related, 'sharedStrings') ?? posix.join(folder, 'sharedStrings.xml'),
  };
}

/** Text in an XML part escapes characters XML cannot hold as _xHHHH_ (and a literal "_x" as _x005F_x). */
function unescapeText(text: string): string {
  if (!text.includes('_x')) return text;
  return text.replace(/_x([0-9A-Fa-f]{4})_/g, (_match, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

/** Each shared string as Excel shows it: the runs of rich text joined, phonetic guides (<rPh>) left out. */
async function readSharedStrings(pkg: XlsxPackage, part: string): Promise<string[]> {
  const strings: string[] = [];
  const entry = findPart(pkg, part);
  if (entry === undefined) return strings;
  let text: string | null = null;
  let inText = false;
  let phonetic = 0;
  for await (const events of partEvents(pkg, entry)) {
    for (const event of events) {
      if (event.eventType === 'text') {
        if (inText) text += event.value;
        continue;
      }
      const name = localName(event.value.name);
      if (event.eventType === 'opentag') {
        if (name === 'si') text = '';
        else if (name === 't') inText = text !== null && phonetic === 0;
        else if (name === 'rPh') phonetic += 1;
      } else if (name === 't') {
        inText = false;
      } else if (name === 'rPh') {
        phonetic -= 1;
      } else if (name === 'si' && text !== null) {
        strings.push(unescapeText(text));
        text = null;
      }
    }
  }
  return strings;
}

/**
 * The number format of each cell style (the index a cell's s attribute gives), or undefined for
 * General. A built-in format, stored as an id only, is the one Excel shows for it in en-US.
 */
async function readNumberFormats(
  pkg: XlsxPackage,
  part: string,
  numfmt: NumfmtModule,
): Promise<(string | undefined)[]> {
  const entry = findPart(pkg, part);
  if (entry === undefined) return [];
  const custom = new Map<number, string>();
  const styleFormatIds: number[] = [];
  let section = '';
  for await (const events of partEvents(pkg, entry)) {
    for (const event of events) {
      if (event.eventType === 'text') continue;
      const name = localName(event.value.name);
      if (event.eventType === 'closetag') {
        if (name === section) section = '';
        continue;
      }
      const attributes = event.value.attributes;
      if (name === 'numFmts' || name === 'cellXfs') section = name;
      else if (name === 'numFmt' && section === 'numFmts') {
        custom.set(Number(attributes.numFmtId), attributes.formatCode ?? '');
      } else if (name === 'xf' && section === 'cellXfs') {
        styleFormatIds.push(Number(attributes.numFmtId ?? 0));
      }
    }
  }
  return styleFormatIds.map((id) => custom.get(id) ?? builtInFormat(id, numfmt));
}

/**
 * Excel's built-in formats: ids 1-4, 9-22, 37-40 and 45-49 are the same everywhere; 5-8, 27-36,
 * 41-44 and 50-81 depend on the locale, and these are the ones of en-US (5-8 and 41-44 in dollars).
 */
function builtInFormat(id: number, numfmt: NumfmtModule): string | undefined {
  if (!Number.isInteger(id) || id < 1 || id > 81) return undefined;
  const pattern = numfmt.getFormatFromId(id);
  return pattern === 'General' ? undefined : pattern;
}

interface CellFormat {
  pattern: string | undefined;
  /** Shows a date or a time. */
  date: boolean;
  /** Shows a day, month or year, so it depends on the workbook's date system (a time or a duration does not). */
  calendar: boolean;
}

const GENERAL: CellFormat = { pattern: undefined, date: false, calendar: false };

function describeFormat(pattern: string | undefined, numfmt: NumfmtModule): CellFormat {
  if (pattern === undefined) return GENERAL;
  try {
    if (!numfmt.isDateFormat(pattern)) return { pattern, date: false, calendar: false };
    const { year, month, day } = numfmt.getFormatDateInfo(pattern);
    return { pattern, date: true, calendar: year || month || day };
  } catch {
    return { pattern, date: false, calendar: false };
  }
}

const MS_PER_DAY = 86_400_000;
/** Days from Excel's day 0 (1899-12-30, counting the 1900 leap-year bug) to 1970-01-01. */
const UNIX_EPOCH_SERIAL = 25_569;
/** A workbook in the 1904 date system counts its days from 1904-01-01, day 1462 of the 1900 system. */
const DATE_1904_OFFSET = 1_462;

/**
 * Excel's General format shows as many digits as the column has room for, up to 15
 * significant ones. Rowbot has no column width, so it shows what a wide enough column shows:
 * 15 significant digits (0.1+0.2 is 0.3, and long ids stay whole), with scientific notation
 * only for numbers too large or too small to show that way (1E+21, 1.2345E-07).
 */
function formatGeneral(value: number, numfmt: NumfmtModule): string {
  if (!Number.isFinite(value)) return numfmt.format('General', value);
  const rounded = Number(value.toPrecision(15));
  if (rounded === 0) return '0';
  const magnitude = Math.abs(rounded);
  if (magnitude >= 1e15 || magnitude < 1e-6) return numfmt.format('General', rounded);
  return String(rounded);
}

function formatNumber(value: number, pattern: string | undefined, numfmt: NumfmtModule): string {
  if (pattern === undefined || pattern === '' || pattern === '@' || pattern.toLowerCase() === 'general') {
    return formatGeneral(value, numfmt);
  }
  try {
    // The trim drops the padding that `_)` and `* ` put in to line up columns.
    return numfmt.format(pattern, value).trim();
  } catch {
    // A format numfmt cannot parse: the number is still worth more than '######'.
    return formatGeneral(value, numfmt);
  }
}

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2}(?:\.\d+)?))?)?/;

/** A date cell (t="d", which Excel never writes but other tools do) holds an ISO 8601 date and time. */
function isoDateText(value: string, format: CellFormat, numfmt: NumfmtModule): string {
  const match = ISO_DATE.exec(value);
  if (!match) return value;
  const [, year, month, day, hours = '0', minutes = '0', seconds = '0'] = match;
  const time = Date.UTC(Number(year), Number(month) - 1, Number(day), Number(hours), Number(minutes));
  const ms = time + Math.round(Number(seconds) * 1000);
  if (!Number.isFinite(ms)) return value;
  const pattern = format.date ? format.pattern : ms % MS_PER_DAY === 0 ? 'yyyy-mm-dd' : 'yyyy-mm-dd hh:mm:ss';
  return formatNumber(ms / MS_PER_DAY + UNIX_EPOCH_SERIAL, pattern, numfmt);
}

interface CellContext {
  sharedStrings: readonly string[];
  date1904: boolean;
  numfmt: NumfmtModule;
}

/**
 * The text Excel shows for a cell, from its type (t), its value (the <v> text) and its format.
 * A formula cell shows the result Excel saved when it last calculated, which is its <v>; a file
 * saved by other tools may have none.
 */
function cellText(type: string, value: string, format: CellFormat, context: CellContext): string {
  switch (type) {
    case 's':
      return context.sharedStrings[Number(value)] ?? '';
    case 'str':
    case 'inlineStr':
    case 'e':
      return value;
    case 'b':
      return parseInt(value, 10) !== 0 ? 'TRUE' : 'FALSE';
    case 'd':
      return isoDateText(value, format, context.numfmt);
    default: {
      const number = parseFloat(value);
      if (!format.date) return formatNumber(number, format.pattern, context.numfmt);
      if (!Number.isFinite(number)) return '';
      const serial = context.date1904 && format.calendar ? number + DATE_1904_OFFSET : number;
      return formatNumber(serial, format.pattern, context.numfmt);
    }
  }
}

/** The column number of a cell reference like "AB12", or 0. */
function columnOf(ref: string): number {
  let column = 0;
  for (let i = 0; i < ref.length; i += 1) {
    const code = ref.charCodeAt(i) & ~0x20; // upper case
    if (code < 65 || code > 90) break;
    column = column * 26 + code - 64;
  }
  return column;
}

function rowOf(ref: string): number {
  const digits = /\d+$/.exec(ref);
  return digits ? Number(digits[0]) : 0;
}

/** A merged range keeps its value in the top-left cell only, as Excel does. */
function clearMergedCells(rows: Map<number, string[]>, range: string): void {
  const [from = '', to = from] = range.replaceAll('$', '').split(':');
  const [top, bottom] = [rowOf(from), rowOf(to)].sort((a, b) => a - b) as [number, number];
  const [left, right] = [columnOf(from), columnOf(to)].sort((a, b) => a - b) as [number, number];
  if (top < 1 || left < 1 || (top === bottom && left === right)) return;
  const clear = (rowNumber: number, cells: string[]): void => {
    for (let column = left; column <= Math.min(right, cells.length); column += 1) {
      if (rowNumber !== top || column !== left) delete cells[column - 1];
    }
    while (cells.length > 0 && cells[cells.length - 1] === undefined) cells.length -= 1;
    if (cells.length === 0) rows.delete(rowNumber);
  };
  if (bottom - top < rows.size) {
    for (let rowNumber = top; rowNumber <= bottom; rowNumber += 1) {
      const cells = rows.get(rowNumber);
      if (cells !== undefined) clear(rowNumber, cells);
    }
  } else {
    for (const [rowNumber, cells] of rows) if (rowNumber >= top && rowNumber <= bottom) clear(rowNumber, cells);
  }
}

/**
 * The non-empty cells of a worksheet part as text, by row number; a row's array may have holes.
 * One pass over the XML as it inflates: only the texts are kept.
 */
async function readCells(
  pkg: XlsxPackage,
  entry: ZipEntry,
  formats: readonly (string | undefined)[],
  context: CellContext,
): Promise<Map<number, string[]>> {
  const rows = new Map<number, string[]>();
  const merges: string[] = [];
  const cellFormats: CellFormat[] = [];
  const formatOf = (style: number): CellFormat =>
    (cellFormats[style] ??= describeFormat(formats[style], context.numfmt));

  let inData = false;
  let rowNumber = 0;
  let cells: string[] | null = null;
  let column = 0;
  // The cell being read: its type, style, <v> text and inline string (<is>), if any.
  let inCell = false;
  let type = '';
  let style = 0;
  let value: string | null = null;
  let inline: string | null = null;
  /** Where text goes: nowhere, to the value or to the inline string. */
  let capture: 'none' | 'value' | 'inline' = 'none';
  let phonetic = 0;

  for await (const events of partEvents(pkg, entry)) {
    for (const event of events) {
      if (event.eventType === 'text') {
        if (capture === 'value') value += event.value;
        else if (capture === 'inline') inline += event.value;
        continue;
      }
      const name = localName(event.value.name);
      if (event.eventType === 'opentag') {
        const attributes = event.value.attributes;
        switch (name) {
          case 'sheetData':
            inData = true;
            break;
          case 'row': {
            if (!inData) break;
            // r may be left out: then it is the row after the last one.
            const r = Number(attributes.r);
            rowNumber = Number.isInteger(r) && r >= 1 ? r : rowNumber + 1;
            if (rowNumber > MAX_ROWS) throw new Error('row number out of range');
            cells = rows.get(rowNumber) ?? [];
            column = 0;
            break;
          }
          case 'c': {
            if (cells === null) break;
            const ref = attributes.r;
            const at = ref === undefined ? 0 : columnOf(ref);
            column = at > 0 ? at : column + 1;
            if (column > MAX_COLUMNS) throw new Error('column out of range');
            type = attributes.t ?? 'n';
            const s = Number(attributes.s ?? 0);
            style = Number.isInteger(s) && s >= 0 ? s : 0;
            value = null;
            inline = null;
            inCell = true;
            break;
          }
          case 'v':
            if (inCell) {
              value = '';
              capture = 'value';
            }
            break;
          case 'is':
            if (inCell) inline = '';
            break;
          case 't':
            if (inline !== null && phonetic === 0) capture = 'inline';
            break;
          case 'rPh':
            phonetic += 1;
            break;
          case 'mergeCell':
            if (attributes.ref !== undefined) merges.push(attributes.ref);
            break;
          default:
            break;
        }
        continue;
      }
      switch (name) {
        case 'v':
        case 't':
          capture = 'none';
          break;
        case 'rPh':
          phonetic -= 1;
          break;
        case 'c':
          if (inCell && cells !== null) {
            const text =
              inline !== null
                ? unescapeText(inline)
                : value === null || value === ''
                  ? ''
                  : cellText(type, value, formatOf(style), context);
            if (text !== '') cells[column - 1] = text;
            inCell = false;
            inline = null;
          }
          break;
        case 'row':
          if (cells !== null && cells.length > 0) rows.set(rowNumber, cells);
          cells = null;
          break;
        case 'sheetData':
          inData = false;
          break;
        default:
          break;
      }
    }
  }
  for (const range of merges) clearMergedCells(rows, range);
  return rows;
}

/**
 * Reads one worksheet of an .xlsx workbook, every cell as the text Excel shows. It reads the
 * zip's parts itself (workbook, relationships, styles, shared strings, the one worksheet) and
 * parses their XML as it inflates: no model of the workbook is built.
 */
export async function readXlsx(
  bytes: Uint8Array,
  fileName: string,
  options: { sheet?: string } = {},
): Promise<XlsxSheet> {
  checkSignature(bytes, fileName);
  const { parseSax, numfmt } = await readingLibraries();
  try {
    const zip = asBuffer(bytes);
    const pkg: XlsxPackage = { zip, entries: zipEntries(zip), parseSax };
    const workbook = await readWorkbookParts(pkg, fileName);
    const sheetNames = workbook.sheets.map((sheet) => sheet.name);
    const chosen = pickSheet(workbook.sheets, options.sheet, fileName);
    const formats = await readNumberFormats(pkg, workbook.styles, numfmt);
    const sharedStrings = await readSharedStrings(pkg, workbook.sharedStrings);
    const used = await readCells(pkg, findPart(pkg, chosen.part) as ZipEntry, formats, {
      sharedStrings,
      date1904: workbook.date1904,
      numfmt,
    });

    if (used.size === 0) {
      const others = sheetNames.filter((name) => name !== chosen.name);
      throw new RowbotError(
        'FILE_EMPTY',
        `The sheet "${chosen.name}" in "${fileName}" is empty.${others.length > 0 ? ` Choose another sheet (${quotedList(others)}), or add` : ' Add'} a header row and at least one row of data, save it, and import it again.`,
      );
    }
    let first = Infinity;
    let last = 0;
    for (const rowNumber of used.keys()) {
      if (rowNumber < first) first = rowNumber;
      if (rowNumber > last) last = rowNumber;
    }
    const rows: string[][] = [];
    const rowNumbers: number[] = [];
    for (let rowNumber = first; rowNumber <= last; rowNumber += 1) {
      const cells = used.get(rowNumber) ?? [];
      // Fill the holes left by empty cells.
      for (let i = 0; i < cells.length; i += 1) cells[i] ??= '';
      rows.push(cells);
      rowNumbers.push(rowNumber);
    }
    return { sheetNames, sheet: chosen.name, rows, rowNumbers };
  } catch (error) {
    if (error instanceof RowbotError) throw error;
    throw damaged(fileName);
  }
}

// ---------------------------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------------------------

/** Loads a workbook for a write-back; every failure becomes a RowbotError that says what to do next. */
async function loadWorkbook(newWorkbook: () => Workbook, bytes: Uint8Array, fileName: string): Promise<Workbook> {
  checkSignature(bytes, fileName);
  const workbook = newWorkbook();
  try {
    // ExcelJS's types ask for an ArrayBuffer; it reads (and documents) a Node Buffer just as well.
    await workbook.xlsx.load(asBuffer(bytes) as unknown as ArrayBuffer);
  } catch {
    throw damaged(fileName);
  }
  if (workbook.worksheets.length === 0) {
    // Part names are stored uncompressed: a workbook that truly has no worksheets has a
    // workbook part but no worksheet parts; anything else that gives none is damaged.
    const buffer = asBuffer(bytes);
    if (!buffer.includes('xl/workbook') || buffer.includes('xl/worksheets/')) throw damaged(fileName);
    throw noWorksheets(fileName);
  }
  return workbook;
}

function findSheet(workbook: Workbook, wanted: string, fileName: string): Worksheet {
  const sheets = workbook.worksheets.map((worksheet) => ({
    name: worksheet.name,
    hidden: worksheet.state === 'hidden' || worksheet.state === 'veryHidden',
    worksheet,
  }));
  return pickSheet(sheets, wanted, fileName).worksheet;
}

/** OWASP's list of first characters that make a spreadsheet treat a cell as a formula. */
const FORMULA_START = /^[=+\-@\t\r]/;
/** Excel refuses (as a damaged file) a cell longer than this. */
const MAX_CELL_CHARS = 32_767;
const MIN_WIDTH = 8;
const MAX_WIDTH = 60;

function fitCellText(text: string): string {
  if (text.length <= MAX_CELL_CHARS) return text;
  // Do not cut a surrogate pair in half.
  const end = /[\uD800-\uDBFF]/.test(text.charAt(MAX_CELL_CHARS - 1)) ? MAX_CELL_CHARS - 1 : MAX_CELL_CHARS;
  return text.slice(0, end);
}

/**
 * Strings are written as strings and numbers as numbers; never a formula. A string cell that
 * begins like a formula (OWASP: = + - @ tab CR) is already inert as stored, but Excel would run
 * it as soon as someone edits the cell and presses Enter, and other tools that re-import the
 * values may run it too. ExcelJS cannot set Excel's "quote prefix", so such a cell gets the Text
 * number format '@', under which Excel shows and keeps whatever is typed as text.
 */
function setCell(cell: Cell, value: XlsxCell | undefined): void {
  if (value === null || value === undefined) return;
  if (typeof value === 'number') {
    cell.value = Number.isFinite(value) ? value : String(value);
    return;
  }
  const text = fitCellText(value);
  cell.value = text;
  // A fresh style object: a loaded workbook shares one style object among cells of the same style.
  if (FORMULA_START.test(text)) cell.style = { ...cell.style, numFmt: '@' };
}

/** Width in characters for a column: its longest line, within limits. */
function widthFor(values: Iterable<XlsxCell | undefined>): number {
  let longest = 0;
  for (const value of values) {
    if (value === null || value === undefined) continue;
    // A number shows with at most 15 significant digits (0.1+0.2 shows as 0.3).
    const text = typeof value === 'number' ? String(Number(value.toPrecision(15))) : value;
    if (text.length <= longest) continue;
    for (const line of text.split('\n')) longest = Math.max(longest, line.length);
    if (longest >= MAX_WIDTH) break;
  }
  return Math.min(MAX_WIDTH, Math.max(MIN_WIDTH, longest + 2));
}

function* columnValues(
  header: string,
  rows: readonly (readonly XlsxCell[])[],
  index: number,
): Generator<XlsxCell | undefined> {
  yield header;
  for (const row of rows) yield row[index];
}

function failureReason(error: unknown): string {
  switch ((error as NodeJS.ErrnoException | null)?.code) {
    case 'ENOENT':
      return ' (the folder does not exist)';
    case 'EACCES':
    case 'EPERM':
      return ' (permission denied, or the file is open in another program)';
    case 'EBUSY':
      return ' (the file is open in another program)';
    case 'EISDIR':
      return ' (a folder has that name)';
    case 'ENOSPC':
      return ' (the disk is full)';
    case 'EROFS':
      return ' (the disk is read-only)';
    default:
      return '';
  }
}

/** Writes next to the target and renames into place, so a failure never leaves half a file. */
async function saveWorkbook(workbook: Workbook, path: string): Promise<void> {
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await workbook.xlsx.writeFile(temp);
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true }).catch(() => undefined);
    throw new RowbotError(
      'EXPORT_FAILED',
      `Could not save the export to "${path}"${failureReason(error)}. Choose another folder; your results are safe in Rowbot.`,
    );
  }
}

/** Excel's rules for sheet names: at most 31 characters, none of : \ / ? * [ ], no leading or trailing '. */
function safeSheetName(name: string): string {
  const cleaned = name
    .replace(/[:\\/?*[\]]/g, ' ')
    .slice(0, 31)
    .replace(/^'+|'+$/g, '')
    .trim();
  return cleaned === '' ? 'Results' : cleaned;
}

/** A new workbook with one sheet: a bold, frozen header row, then the rows. */
export async function writeResultsXlsx(
  path: string,
  header: string[],
  rows: XlsxCell[][],
  sheetName = 'Results',
): Promise<void> {
  const { newWorkbook } = await libraries();
  const workbook = newWorkbook();
  const sheet = workbook.addWorksheet(safeSheetName(sheetName), { views: [{ state: 'frozen', ySplit: 1 }] });
  const width = rows.reduce((widest, row) => Math.max(widest, row.length), header.length);
  if (rows.length + 1 > MAX_ROWS || width > MAX_COLUMNS) {
    throw new RowbotError(
      'EXPORT_FAILED',
      `Could not save the export to "${path}": Excel holds at most ${MAX_ROWS.toLocaleString('en-US')} rows and ${MAX_COLUMNS.toLocaleString('en-US')} columns. Export as CSV or JSON lines instead; your results are safe in Rowbot.`,
    );
  }
  const headerRow = sheet.getRow(1);
  header.forEach((name, i) => setCell(headerRow.getCell(i + 1), name));
  headerRow.font = { bold: true };
  rows.forEach((values, r) => {
    const row = sheet.getRow(r + 2);
    values.forEach((value, c) => setCell(row.getCell(c + 1), value));
  });
  for (let c = 0; c < width; c += 1) {
    sheet.getColumn(c + 1).width = widthFor(columnValues(header[c] ?? '', rows, c));
  }
  await saveWorkbook(workbook, path);
}

/** The right-most column with anything in it (a value, or part of a merged range), or 0. */
function lastUsedColumn(worksheet: Worksheet): number {
  let last = 0;
  worksheet.eachRow({ includeEmpty: false }, (row) => {
    row.eachCell({ includeEmpty: false }, (cell, column) => {
      if (column > last && (cell.value !== '' || cell.master !== cell)) last = column;
    });
  });
  return last;
}

function validRowNumber(n: number): boolean {
  return Number.isInteger(n) && n >= 1 && n <= MAX_ROWS;
}

/**
 * The user's own workbook with new columns after the last used column of one sheet: the names
 * in the header row, the values in the rows the map names. Everything else stays as it was
 * (as far as ExcelJS keeps it).
 */
export async function writeBackXlsx(options: WriteBackOptions): Promise<void> {
  const { source, sheet, headerRowNumber, newColumns, values, outPath, sourceName = 'the imported workbook' } = options;
  if (!validRowNumber(headerRowNumber) || [...values.keys()].some((n) => !validRowNumber(n))) {
    throw new RowbotError('BAD_REQUEST', 'Rows of a worksheet are numbered from 1 to 1,048,576.');
  }
  const { newWorkbook } = await libraries();
  const workbook = await loadWorkbook(newWorkbook, source, sourceName);
  const worksheet = findSheet(workbook, sheet, sourceName);
  const last = lastUsedColumn(worksheet);
  if (last + newColumns.length > MAX_COLUMNS) {
    throw new RowbotError(
      'EXPORT_FAILED',
      `Could not save the export to "${outPath}": the sheet "${worksheet.name}" has no room for ${newColumns.length} more columns. Export as CSV or a new .xlsx instead; your results are safe in Rowbot.`,
    );
  }

  const headerRow = worksheet.getRow(headerRowNumber);
  // The new header cells look like the last one already there (font, fill, borders), but keep
  // no number format of it.
  const { numFmt: _numFmt, ...headerStyle } = last > 0 ? headerRow.getCell(last).style : {};
  newColumns.forEach((name, i) => {
    const cell = headerRow.getCell(last + 1 + i);
    cell.style = { ...headerStyle };
    setCell(cell, name);
  });
  for (const [rowNumber, cells] of values) {
    const row = worksheet.getRow(rowNumber);
    cells.slice(0, newColumns.length).forEach((value, i) => setCell(row.getCell(last + 1 + i), value));
  }
  newColumns.forEach((name, i) => {
    const column = worksheet.getColumn(last + 1 + i);
    column.width = widthFor(
      (function* () {
        yield name;
        for (const cells of values.values()) yield cells[i];
      })(),
    );
  });
  await saveWorkbook(workbook, outPath);
}
