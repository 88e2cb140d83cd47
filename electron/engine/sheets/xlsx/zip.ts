import { Inflate } from 'fflate';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { SHEET_LIMITS, unpacksTooLarge, type SheetLimits } from '../limits.ts';

// The zip container. The whole file is already in memory. The central directory lists the
// entries, with their sizes and where each starts; an entry is inflated as a stream from there,
// a few kilobytes of compressed data at a time, so that no part is ever held whole and the event
// loop gets a turn between two. Any fault (a file cut short, a damaged directory, a deflate
// stream that does not decode, an entry of the wrong size) throws a plain Error, which readXlsx
// turns into damaged().
//
// The sizes the directory gives are a ceiling: an entry is refused (FILE_TOO_LARGE) before it
// is inflated when they are beyond the limits, and stopped as soon as it inflates to more than
// it said, so a zip bomb costs at most the limits, never gigabytes.
//
// CRC-32 is not checked (nor does ExcelJS's loader, JSZip, by default); most damage inside a
// deflated part breaks its deflate stream or its XML, which the parser refuses.

export interface ZipEntry {
  name: string;
  /** Inflated, as the central directory gives it. */
  size: number;
  compressedSize: number;
  /** 0 stored, 8 deflated. */
  method: number;
  /** Where its local header starts. */
  offset: number;
}

export interface Zip {
  bytes: Uint8Array;
  fileName: string;
  limits: SheetLimits;
  /** The entries by partKey(name): lower case, folders separated by "/". */
  entries: Map<string, ZipEntry>;
  /** Bytes inflated so far, over every entry read. */
  unpacked: number;
}

/** Each entry of a central directory takes at least this many bytes. */
const CENTRAL_ENTRY_BYTES = 46;
/** Compressed bytes inflated at a time: at most ~8 MB of XML (deflate's best ratio is ~1:1032). */
const PUSH_BYTES = 8 * 1024;
const END_OF_DIRECTORY = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_END = 0x06064b50;
const CENTRAL_HEADER = 0x02014b50;
const LOCAL_HEADER = 0x04034b50;
const FULL = 0xffffffff;

/**
 * The key of an entry: its name in lower case (part names in a package ignore case), with
 * folders separated by "/". Some writers use backslashes (`xl\worksheets\sheet1.xml`), which
 * the zip format forbids; Excel and LibreOffice open such files all the same, and so do we.
 */
export function partKey(name: string): string {
  return name.replaceAll('\\', '/').replace(/^\/+/, '').toLowerCase();
}

function reader(bytes: Uint8Array): {
  u16: (at: number) => number;
  u32: (at: number) => number;
  u64: (at: number) => number;
} {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return {
    u16: (at) => view.getUint16(at, true),
    u32: (at) => view.getUint32(at, true),
    u64: (at) => Number(view.getBigUint64(at, true)),
  };
}

/** Reads the central directory (zip64 too); nothing is inflated. */
export function openZip(bytes: Uint8Array, fileName: string, limits: SheetLimits = SHEET_LIMITS): Zip {
  const { u16, u32, u64 } = reader(bytes);
  let end = bytes.length - 22;
  while (end >= 0 && u32(end) !== END_OF_DIRECTORY) {
    end -= 1;
    if (bytes.length - end > 65_558) end = -1;
  }
  if (end < 0) throw new Error('no end of central directory');
  let count = u16(end + 10);
  let at = u32(end + 16);
  const zip64 = end >= 20 && u32(end - 20) === ZIP64_LOCATOR;
  if (zip64) {
    const record = u64(end - 12);
    if (u32(record) !== ZIP64_END) throw new Error('damaged zip64 directory');
    count = u64(record + 32);
    at = u64(record + 48);
  }
  // A damaged directory can claim more entries than the file has room for.
  if (count * CENTRAL_ENTRY_BYTES > bytes.length) throw new Error('more entries than the zip can hold');
  const entries = new Map<string, ZipEntry>();
  for (let i = 0; i < count; i += 1) {
    if (u32(at) !== CENTRAL_HEADER) throw new Error('damaged central directory');
    const flags = u16(at + 8);
    const method = u16(at + 10);
    const nameLength = u16(at + 28);
    const extraLength = u16(at + 30);
    const nameBytes = bytes.subarray(at + 46, at + 46 + nameLength);
    const name = Buffer.from(nameBytes).toString(flags & 0x800 ? 'utf8' : 'latin1');
    let compressedSize = u32(at + 20);
    let size = u32(at + 24);
    let offset = u32(at + 42);
    if (compressedSize === FULL || size === FULL || offset === FULL) {
      // The zip64 extended information: the 8-byte values in this order, only those that overflowed.
      const extraEnd = at + 46 + nameLength + extraLength;
      for (let field = at + 46 + nameLength; field + 4 <= extraEnd; field += 4 + u16(field + 2)) {
        if (u16(field) !== 1) continue;
        let value = field + 4;
        if (size === FULL) {
          size = u64(value);
          value += 8;
        }
        if (compressedSize === FULL) {
          compressedSize = u64(value);
          value += 8;
        }
        if (offset === FULL) offset = u64(value);
        break;
      }
    }
    entries.set(partKey(name), { name, size, compressedSize, method, offset });
    at += 46 + nameLength + extraLength + u16(at + 32);
  }
  return { bytes, fileName, limits, entries, unpacked: 0 };
}

/** What a part is, in words, for a message. */
function described(entry: ZipEntry): string {
  const name = partKey(entry.name);
  if (name.includes('sharedstrings')) return 'its text (the shared strings)';
  if (name.includes('worksheets/')) return 'the sheet';
  return `a part of it (${entry.name})`;
}

/** Inflates an entry, handing its bytes on in chunks, within the limits. */
export async function readEntry(zip: Zip, entry: ZipEntry, write: (chunk: Uint8Array) => void): Promise<void> {
  const { limits } = zip;
  if (entry.size > limits.partBytes)
    throw unpacksTooLarge(zip.fileName, described(entry), entry.size, limits.partBytes);
  if (zip.unpacked + entry.size > limits.unpackedBytes) {
    throw unpacksTooLarge(zip.fileName, 'the workbook', zip.unpacked + entry.size, limits.unpackedBytes);
  }
  const { u16, u32 } = reader(zip.bytes);
  if (u32(entry.offset) !== LOCAL_HEADER) throw new Error(`${entry.name}: no local header`);
  const start = entry.offset + 30 + u16(entry.offset + 26) + u16(entry.offset + 28);
  const data = zip.bytes.subarray(start, start + entry.compressedSize);
  if (data.length !== entry.compressedSize) throw new Error(`${entry.name}: cut short`);
  let size = 0;
  const take = (chunk: Uint8Array): void => {
    size += chunk.length;
    // More than the directory said: stop now, not after gigabytes.
    if (size > entry.size) throw new Error(`${entry.name}: larger than listed`);
    zip.unpacked += chunk.length;
    if (chunk.length > 0) write(chunk);
  };
  if (entry.method === 0) {
    for (let at = 0; at < data.length; at += 1024 * 1024) {
      if (at > 0) await nextTurn();
      take(data.subarray(at, at + 1024 * 1024));
    }
  } else if (entry.method === 8) {
    let finished = false;
    const inflate = new Inflate((chunk, final) => {
      take(chunk);
      if (final) finished = true;
    });
    for (let at = 0; at < data.length; at += PUSH_BYTES) {
      if (at > 0) await nextTurn();
      inflate.push(data.subarray(at, at + PUSH_BYTES), at + PUSH_BYTES >= data.length);
    }
    if (data.length === 0) inflate.push(data, true);
    if (!finished) throw new Error(`${entry.name}: deflate stream cut short`);
  } else {
    throw new Error(`${entry.name}: compression method ${entry.method}`);
  }
  if (size !== entry.size) throw new Error(`${entry.name}: not the size listed`);
}
