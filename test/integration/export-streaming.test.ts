// Exports are streamed (issue 14): the engine reads a job's rows from its SQLite file a page at a
// time and writes each page out before it reads far ahead, so a job of a million rows is exported
// in bounded memory. Shown here on a real database file: the rows are never loaded whole, the pages
// are taken one by one, and when a page is taken the text of the rows before it is already on
// the disk (in the temp file the export renames into place), all but the chunk or two in flight.
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Papa from 'papaparse';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { RowView } from '../../shared/api.ts';
import { Engine } from '../../electron/engine/engine.ts';
import { CHUNK_CHARS } from '../../electron/engine/sheets/export-stream.ts';
import { PAGE_ROWS, type RowPages } from '../../electron/engine/sheets/export-table.ts';
import { readXlsx } from '../../electron/engine/sheets/xlsx.ts';
import { Repository } from '../../electron/engine/store/repository.ts';
import { RowSnapshot } from '../../electron/engine/store/row-cursor.ts';
import { FINISHED_JOB_COLUMNS, makeFinishedJob } from '../fixtures/finished-job.ts';

const ROWS = 20_000;

let dir: string;
let engine: Engine;
let jobId: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'rowbot-export-streaming-'));
  const dbFile = join(dir, 'rowbot.db');
  jobId = makeFinishedJob(dbFile, ROWS);
  engine = new Engine({ dbFile });
});
afterAll(async () => {
  await engine.close();
  rmSync(dir, { recursive: true, force: true });
});
afterEach(() => {
  vi.restoreAllMocks();
});

/** A page as the export took it: which reading of the rows, its rows, and the temp file's size then. */
interface Taken {
  reading: number;
  firstIndex: number;
  rows: number;
  bytesOnDisk: number;
}

/** The size of the export's temp file (`.<name>.<random>.tmp` beside it); 0 before it exists. */
function tempBytes(name: string): number {
  const temp = readdirSync(dir).find((file) => file.startsWith(`.${name}.`) && file.endsWith('.tmp'));
  if (temp === undefined) return 0;
  try {
    return statSync(join(dir, temp)).size;
  } catch {
    return 0;
  }
}

/**
 * Watches the rows the engine's snapshot hands the export: every page, with the size of the temp
 * file at the moment the page was asked for. The engine's only other way to the rows (loading
 * them all, as getRows does) is watched too.
 */
function watchPages(name: string): { taken: Taken[]; loadedWhole: () => number } {
  const taken: Taken[] = [];
  let readings = 0;
  const pages = RowSnapshot.prototype.pages;
  vi.spyOn(RowSnapshot.prototype, 'pages').mockImplementation(function (this: RowSnapshot, ...args) {
    const source = pages.apply(this, args);
    const watched: RowPages = function* () {
      readings += 1;
      const reading = readings;
      for (const page of source() as Iterable<readonly RowView[]>) {
        taken.push({ reading, firstIndex: page[0]?.index ?? -1, rows: page.length, bytesOnDisk: tempBytes(name) });
        yield page;
      }
    };
    return watched;
  });
  const whole = vi.spyOn(Repository.prototype, 'rowViews');
  return { taken, loadedWhole: () => whole.mock.calls.length };
}

/** Where each record of a CSV or JSON lines file starts, in bytes (the answers hold LF, never CRLF). */
function recordStarts(bytes: Buffer, end: string, skip: number): number[] {
  const starts: number[] = [];
  let at = skip;
  while (at < bytes.length) {
    starts.push(at);
    at = bytes.indexOf(end, at) + end.length;
  }
  return starts;
}

describe('exports are streamed from the database (issue 14)', () => {
  it.each([
    ['csv', '\r\n'],
    ['jsonl', '\n'],
  ])(
    '%s: the rows are read a page at a time, and each page is taken only once the rows before it are on the disk',
    async (format, end) => {
      const name = `results.${format}`;
      const { taken, loadedWhole } = watchPages(name);
      await engine.exportTo(jobId, join(dir, name));

      expect(loadedWhole()).toBe(0);
      // One reading, in pages of at most PAGE_ROWS rows, in input order, every row once.
      expect(new Set(taken.map((page) => page.reading))).toEqual(new Set([1]));
      expect(taken.length).toBe(Math.ceil(ROWS / PAGE_ROWS));
      expect(Math.max(...taken.map((page) => page.rows))).toBeLessThanOrEqual(PAGE_ROWS);
      expect(taken.map((page) => page.firstIndex)).toEqual(taken.map((_, i) => i * PAGE_ROWS));

      const bytes = readFileSync(join(dir, name));
      // CSV: the byte-order mark and the header come before the first record.
      const starts = recordStarts(bytes, end, format === 'csv' ? bytes.indexOf('\r\n') + 2 : 0);
      expect(starts.length).toBe(ROWS);
      const longest = Math.max(...starts.map((start, i) => (starts[i + 1] ?? bytes.length) - start));
      // Taken lazily: when a page is asked for, what the rows before it made is on the disk, all but
      // the chunk being gathered and the one being written (the text is ASCII: a character, a byte).
      const inFlight = 2 * (CHUNK_CHARS + longest);
      for (const page of taken) {
        expect(page.bytesOnDisk).toBeGreaterThanOrEqual((starts[page.firstIndex] as number) - inFlight);
      }
      // So the file grew while the rows were read, far beyond what the export ever held.
      expect(bytes.length).toBeGreaterThan(20 * inFlight);

      if (format === 'csv') {
        const parsed = Papa.parse<string[]>(bytes.toString('utf8').slice(1), { skipEmptyLines: true });
        expect(parsed.errors).toEqual([]);
        expect(parsed.data.length).toBe(ROWS + 1);
        expect(parsed.data[0]?.slice(0, 4)).toEqual([...FINISHED_JOB_COLUMNS, 'output']);
        expect(parsed.data[ROWS]?.[0]).toBe(`Item ${ROWS - 1}`);
      } else {
        const last = JSON.parse(bytes.toString('utf8').trimEnd().split('\n').at(-1) as string) as Record<
          string,
          unknown
        >;
        expect(last.name).toBe(`Item ${ROWS - 1}`);
      }
    },
  );

  it('xlsx: the rows are read twice (measured, then written), and the sheet is written while the second reading goes on', async () => {
    const name = 'results.xlsx';
    const { taken, loadedWhole } = watchPages(name);
    await engine.exportTo(jobId, join(dir, name), { rows: 'done' });

    expect(loadedWhole()).toBe(0);
    const done = ROWS - ROWS / 50;
    for (const reading of [1, 2]) {
      const pages = taken.filter((page) => page.reading === reading);
      expect(pages.reduce((sum, page) => sum + page.rows, 0)).toBe(done);
      expect(Math.max(...pages.map((page) => page.rows))).toBeLessThanOrEqual(PAGE_ROWS);
    }
    expect(Math.max(...taken.map((page) => page.reading))).toBe(2);

    const size = statSync(join(dir, name)).size;
    const first = taken.filter((page) => page.reading === 1);
    const second = taken.filter((page) => page.reading === 2);
    // Nothing is written while the rows are measured; then the sheet goes out page by page.
    expect(Math.max(...first.map((page) => page.bytesOnDisk))).toBe(0);
    const sizes = second.map((page) => page.bytesOnDisk);
    expect(sizes).toEqual([...sizes].sort((a, b) => a - b));
    expect(new Set(sizes).size).toBeGreaterThan(10);
    expect(sizes.at(-1)).toBeGreaterThan(size / 2);

    const sheet = await readXlsx(readFileSync(join(dir, name)), name);
    expect(sheet.rows.length).toBe(done + 1);
    expect(sheet.rows[1]?.slice(0, 5)).toEqual([
      'Item 0',
      'City 0',
      'A thing of kind 0, "made" in 1900; sold by the dozen',
      'Item 0 is a fine thing of kind 0, "well made" and sold in City 0.\nIt costs 10.00 dollars; buyers rate it 1 out of 5.',
      'done',
    ]);
  });
});
