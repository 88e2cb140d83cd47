import { open } from 'node:fs/promises';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { RowView } from '../../../shared/api.ts';
import type { RowPages } from './export-table.ts';
import { writeAll, writeAtomically } from './atomic-file.ts';

// The text exports (CSV, JSON lines) are written as they are made: a page of rows at a time from
// the database, some 64 KB of text at a time to the file. The next chunk is made while the
// last is written, and never more than that: however many rows a job has, the export holds two
// chunks of text and a page of rows.

/**
 * Characters gathered before they go to the file (one to three bytes each in UTF-8): small enough
 * that V8 frees each chunk young, rather than piling spent ones up until a full collection.
 */
export const CHUNK_CHARS = 1 << 16;
/** The longest the export keeps the event loop to itself. */
const YIELD_MS = 15;

/**
 * Writes `first`, then `line(row)` for every row in order, to a temp file next to `path`, then
 * renames it into place (see writeAtomically: a failure removes the temp file and says why).
 * Each chunk ends with a whole line, so a character is never cut in two between chunks, and the
 * file is byte for byte the text the lines make, encoded as UTF-8.
 */
export async function writeLinesAtomically(
  path: string,
  first: string,
  pages: RowPages,
  line: (row: RowView) => string,
): Promise<void> {
  await writeAtomically(path, async (temp) => {
    const file = await open(temp, 'w');
    let writing = Promise.resolve();
    try {
      let text = first;
      let since = performance.now();
      // The chunk before goes to the disk while this one is made; wait for it before the next.
      const flush = async (): Promise<void> => {
        const bytes = Buffer.from(text, 'utf8');
        text = '';
        await writing;
        writing = writeAll(file, bytes);
        writing.catch(() => undefined); // awaited at the next flush or below; never left unhandled
        // The event loop (Electron's main process, in the app) gets a turn now and then, even
        // when the disk keeps up and no write is left to wait for.
        if (performance.now() - since > YIELD_MS) {
          await nextTurn();
          since = performance.now();
        }
      };
      for await (const page of pages()) {
        for (const row of page) {
          text += line(row);
          if (text.length >= CHUNK_CHARS) await flush();
        }
      }
      await flush();
      await writing;
    } finally {
      await writing.catch(() => undefined);
      await file.close();
    }
  });
}
