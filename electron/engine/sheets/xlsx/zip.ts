import { Unzip, UnzipInflate, unzipSync } from 'fflate';
import { setImmediate as nextTurn } from 'node:timers/promises';

// The zip container, read with fflate. The whole file is already in memory. The central
// directory lists the entries; small ones are inflated whole, big ones (a worksheet, the shared
// strings) as a stream, so that no big part is ever held whole. Any fault (a file cut short, a
// damaged directory, a deflate stream that does not decode, an entry of the wrong size) throws a
// plain Error, which readXlsx turns into damaged().
//
// fflate does not check CRC-32 (nor does ExcelJS's loader, JSZip, by default). The inflated size
// is checked against the central directory instead, and most damage inside a deflated part
// breaks its deflate stream or its XML, which the parser refuses; a changed byte in a stored
// (uncompressed) part, or one that still decodes, goes unseen.

export interface ZipEntry {
  name: string;
  /** Inflated, as the central directory gives it. */
  size: number;
}

export interface Zip {
  bytes: Uint8Array;
  /** The entries by partKey(name): lower case, folders separated by "/". */
  entries: Map<string, ZipEntry>;
  /** Whether big entries are inflated as a stream. */
  stream: boolean;
}

/** Each entry of a central directory takes at least this many bytes. */
const CENTRAL_ENTRY_BYTES = 46;
/** Entries bigger than this are inflated as a stream. */
const STREAM_ABOVE = 1024 * 1024;
/**
 * Compressed bytes pushed into the streaming reader at a time (each push hands on up to some
 * hundreds of kilobytes of XML), and inflated bytes of an entry read whole handed on at a time.
 * The event loop gets a turn between two.
 */
const PUSH_BYTES = 16 * 1024;
const WHOLE_CHUNK_BYTES = 1024 * 1024;

/**
 * The key of an entry: its name in lower case (part names in a package ignore case), with
 * folders separated by "/". Some writers use backslashes (`xl\worksheets\sheet1.xml`), which
 * the zip format forbids; Excel and LibreOffice open such files all the same, and so do we.
 */
export function partKey(name: string): string {
  return name.replaceAll('\\', '/').replace(/^\/+/, '').toLowerCase();
}

export function openZip(bytes: Uint8Array, options: { stream: boolean }): Zip {
  const entries = new Map<string, ZipEntry>();
  let count = 0;
  // The filter sees every entry of the central directory; it keeps none, so nothing is inflated.
  unzipSync(bytes, {
    filter: ({ name, originalSize }) => {
      // A damaged directory can claim more entries than the file has room for.
      count += 1;
      if (count * CENTRAL_ENTRY_BYTES > bytes.length) throw new Error('more entries than the zip can hold');
      entries.set(partKey(name), { name, size: originalSize });
      return false;
    },
  });
  return { bytes, entries, stream: options.stream };
}

/** Inflates an entry, handing its bytes on in chunks. */
export async function readEntry(zip: Zip, entry: ZipEntry, write: (chunk: Uint8Array) => void): Promise<void> {
  if (zip.stream && entry.size > STREAM_ABOVE) return streamEntry(zip, entry, write);
  const data = unzipSync(zip.bytes, { filter: (file) => file.name === entry.name })[entry.name];
  if (data === undefined || data.length !== entry.size) throw new Error(`${entry.name}: not the size listed`);
  for (let at = 0; at < data.length; at += WHOLE_CHUNK_BYTES) {
    if (at > 0) await nextTurn();
    write(data.subarray(at, at + WHOLE_CHUNK_BYTES));
  }
}

/**
 * Inflates an entry as fflate's streaming reader goes through the zip from its start. That
 * reader works from the local headers: when an entry gives its sizes only after its data (as
 * Java's zip writers do), it finds the end by looking for the next signature, which compressed
 * data can hold by chance. Such a misreading shows as a fault here; readXlsx then reads again
 * with streaming off.
 */
async function streamEntry(zip: Zip, entry: ZipEntry, write: (chunk: Uint8Array) => void): Promise<void> {
  let found = false;
  let finished = false;
  let size = 0;
  let failure: unknown;
  const unzip = new Unzip((file) => {
    if (found || file.name !== entry.name) return;
    found = true;
    file.ondata = (error, chunk, final) => {
      if (failure !== undefined) return;
      try {
        if (error !== null) throw error;
        size += chunk.length;
        write(chunk);
      } catch (thrown) {
        failure = thrown;
      }
      if (final) finished = true;
    };
    file.start();
  });
  unzip.register(UnzipInflate);
  for (let at = 0; at < zip.bytes.length && !finished; at += PUSH_BYTES) {
    if (at > 0) await nextTurn();
    unzip.push(zip.bytes.subarray(at, at + PUSH_BYTES), at + PUSH_BYTES >= zip.bytes.length);
    if (failure !== undefined) throw failure;
  }
  if (!finished || size !== entry.size) throw new Error(`${entry.name}: not the size listed`);
}
