// The streamed exports (issue 14): the file is the very text the whole-table functions make, however
// the chunks fall; a failure to read the rows midway is reported as that failure and leaves no file
// behind; a failure to write is the export's own, with its reason.
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RowView } from '../../shared/api.ts';
import { RowbotError } from '../../shared/errors.ts';
import { exportResults, resultsToJsonl } from '../../electron/engine/sheets/export.ts';
import { resultsToCsv } from '../../electron/engine/sheets/export-csv.ts';
import { CHUNK_CHARS } from '../../electron/engine/sheets/export-stream.ts';
import { outputColumn, PAGE_ROWS, type RowPages } from '../../electron/engine/sheets/export-table.ts';
import { oneCellRow } from '../fixtures/row-views.ts';

const dir = mkdtempSync(join(tmpdir(), 'rowbot-export-stream-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Text that is one to four bytes a character in UTF-8, with a lone surrogate at either end. */
const WIDE = '\uDC00 Zoë, "Köln"\n日本語 😀 =1+1\r\n;\t\uD800';

function row(index: number): RowView {
  return oneCellRow({
    index,
    values: [`item ${index}`, WIDE.repeat(index % 7)],
    output: index % 11 === 0 ? null : `{"score": ${index / 8}, "ok": ${index % 2 === 0}, "note": "${index}"} ${WIDE}`,
    status: index % 11 === 0 ? 'failed' : 'done',
    error: index % 11 === 0 ? `HTTP 500 ${WIDE}` : null,
    attempts: 1 + (index % 3),
    latencyMs: index % 5 === 0 ? null : 100 + index,
    promptTokens: 40,
    completionTokens: index % 13,
    cost: index % 4 === 0 ? null : index * 0.000000345,
    cached: false,
    finish: index % 11 === 0 ? null : 'stop',
  });
}

/** Enough rows for the text to fill many chunks, given out of order. */
const ROWS = Array.from({ length: 3_000 }, (_, i) => row(i)).reverse();

describe('streamed exports write the text the whole-table functions make', () => {
  it.each([
    ['comma, with a byte-order mark', { bom: true, delimiter: ',' }, []],
    ['semicolon, JSON fields, no byte-order mark', { bom: false, delimiter: ';' }, ['score', 'ok']],
  ] as const)('CSV (%s)', async (_, options, fields) => {
    const path = join(dir, 'rows.csv');
    await exportResults(path, ['name', 'note'], ROWS, { format: 'csv', ...options }, outputColumn(fields));
    const expected = resultsToCsv(['name', 'note'], ROWS, { ...options, ai: outputColumn(fields) });
    expect(expected.length).toBeGreaterThan(5 * CHUNK_CHARS);
    expect(readFileSync(path).equals(Buffer.from(expected, 'utf8'))).toBe(true);
  });

  it('JSON lines, with JSON fields', async () => {
    const path = join(dir, 'rows.jsonl');
    await exportResults(path, ['name', 'note'], ROWS, { format: 'jsonl' }, outputColumn(['score', 'note']));
    const expected = resultsToJsonl(['name', 'note'], ROWS, outputColumn(['score', 'note']));
    expect(expected.length).toBeGreaterThan(5 * CHUNK_CHARS);
    expect(readFileSync(path).equals(Buffer.from(expected, 'utf8'))).toBe(true);
  });
});

describe('a streamed export that fails midway leaves no file', () => {
  const failure = Object.assign(new Error('disk I/O error'), { code: 'SQLITE_IOERR' });
  /** Two pages of rows, then the database fails. */
  const failing: RowPages = function* () {
    yield ROWS.slice(0, PAGE_ROWS);
    yield ROWS.slice(PAGE_ROWS, 2 * PAGE_ROWS);
    throw failure;
  };

  it.each(['csv', 'jsonl', 'xlsx'] as const)(
    '%s: the database’s own error, not one about saving the file',
    async (format) => {
      const path = join(dir, `failing.${format}`);
      await expect(exportResults(path, ['name', 'note'], failing, { format })).rejects.toBe(failure);
      expect(existsSync(path)).toBe(false);
      expect(readdirSync(dir).filter((name) => name.endsWith('.tmp'))).toEqual([]);
    },
  );

  it.each(['csv', 'jsonl'] as const)(
    '%s: a folder that does not exist is the export’s failure, said so',
    async (format) => {
      const path = join(dir, 'missing', `rows.${format}`);
      const error = await exportResults(path, ['name', 'note'], ROWS, { format }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RowbotError);
      expect((error as RowbotError).code).toBe('EXPORT_FAILED');
      expect((error as RowbotError).message).toContain('the folder does not exist');
    },
  );
});
