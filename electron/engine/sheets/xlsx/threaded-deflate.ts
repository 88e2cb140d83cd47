import type { AsyncFlateStreamHandler, ZipInputFile } from 'fflate';
import { crc32, createDeflateRaw, type DeflateRaw } from 'node:zlib';

/**
 * An entry of a zip made with fflate's streaming Zip, deflated by Node's zlib: natively, in libuv's
 * thread pool, so the event loop is free while it works and the next rows can be made into XML
 * meanwhile. (fflate's own ZipDeflate is plain JavaScript on the event loop, some times slower.)
 * The zip writes the CRC-32 and sizes after the data, in a data descriptor.
 */
export class ThreadedDeflate implements ZipInputFile {
  readonly filename: string;
  /** Deflate, in PKZIP's numbering. */
  readonly compression = 8;
  crc = 0;
  size = 0;
  /** Set by Zip.add(). */
  ondata?: AsyncFlateStreamHandler;
  readonly #deflate: DeflateRaw;

  constructor(filename: string, level: number) {
    this.filename = filename;
    this.#deflate = createDeflateRaw({ level });
    // Zlib's chunks are never views of a SharedArrayBuffer.
    this.#deflate.on('data', (chunk: Buffer<ArrayBuffer>) => this.ondata?.(null, chunk, false));
    this.#deflate.on('end', () => this.ondata?.(null, new Uint8Array(0), true));
    // The error reaches the caller through push() or end(); this listener keeps it from being
    // thrown as an unhandled 'error' event.
    this.#deflate.on('error', () => undefined);
  }

  /** Hands on a chunk of the entry; resolves once it is deflated. */
  push(chunk: Uint8Array): Promise<void> {
    this.crc = crc32(chunk, this.crc);
    this.size += chunk.length;
    return new Promise((resolve, reject) => {
      this.#deflate.write(chunk, (error) => (error ? reject(error) : resolve()));
    });
  }

  /** Resolves once the last deflated bytes and the data descriptor are handed to the zip. */
  end(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#deflate.once('end', resolve);
      this.#deflate.once('error', reject);
      this.#deflate.end();
    });
  }

  /** Called by Zip.terminate(), and by the writer when it gives up. */
  terminate(): void {
    this.#deflate.destroy();
  }
}
