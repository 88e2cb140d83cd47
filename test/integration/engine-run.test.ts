import { EXPECTED_RESULT_COLUMNS } from '../fixtures/expected.ts';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import Papa from 'papaparse';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Engine } from '../../electron/engine/engine.ts';
import { mockReply, startMockLlmServer, type MockLlmServer } from '../fixtures/mock-llm-server.ts';
import { firstCells } from '../fixtures/cells.ts';

const ROWS = 200;
const CONCURRENCY = 8;

function productsCsv(rows: number): string {
  const lines = ['id,product,notes'];
  for (let i = 1; i <= rows; i += 1) lines.push(`${i},"Product ${i}, deluxe","Line one\nline ""two"" of ${i}"`);
  return lines.join('\r\n');
}

describe('Engine.startJob against the mock LLM server', () => {
  let dir: string;
  let server: MockLlmServer;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rowbot-int-'));
    // Varying latency makes rows finish out of order.
    server = await startMockLlmServer({ latencyMs: (prompt) => 5 + ((prompt.length * 7) % 40) });
  });

  afterEach(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs 200 rows into a real SQLite file: every output right, none lost or duplicated, never over the limit', async () => {
    const dbFile = join(dir, 'rowbot.db');
    const csvFile = join(dir, 'products.csv');
    writeFileSync(csvFile, productsCsv(ROWS));
    const engine = new Engine({ dbFile });
    const events: number[] = [];
    engine.on((message) => {
      if (message.name === 'rows') events.push(message.payload.upserts.length);
    });

    const preview = await engine.importFile(csvFile);
    expect(preview.columns).toEqual(['id', 'product', 'notes']);
    expect(preview.rowCount).toBe(ROWS);
    const template = 'Write a blurb for {{product}} (#{{id}}). Notes: {{notes}}';
    const job = engine.createJob({
      sheetId: preview.sheetId,
      template,
      systemPrompt: '',
      provider: { kind: 'openai', baseUrl: server.baseUrl, model: 'mock-1' },
      settings: { concurrency: CONCURRENCY },
    });
    engine.startJob(job.id);
    const summary = await engine.waitForJob(job.id);
    await engine.close();

    expect(summary.status).toBe('completed');
    expect(summary.counts).toEqual({ queued: 0, running: 0, done: ROWS, failed: 0, skipped: 0, total: ROWS });
    expect(server.peakConcurrent).toBeLessThanOrEqual(CONCURRENCY);
    expect(server.peakConcurrent).toBeGreaterThan(1);
    expect(server.totalRequests).toBe(ROWS);
    expect([...server.requestsByPrompt.values()].every((n) => n === 1)).toBe(true);
    // Keep-alive: a handful of connections, not one per row.
    expect(server.connections).toBeLessThanOrEqual(CONCURRENCY);
    // Batched events: far fewer messages than rows.
    expect(events.length).toBeLessThan(ROWS);

    // Read the file back with a separate connection: the results are really on disk.
    const db = new Database(dbFile, { readonly: true });
    const stored = db
      .prepare(
        'SELECT row_index, status, prompt, output, attempts FROM job_cells WHERE job_id = ? AND col = 0 ORDER BY row_index',
      )
      .all(job.id) as { row_index: number; status: string; prompt: string; output: string; attempts: number }[];
    db.close();
    expect(stored.map((r) => r.row_index)).toEqual([...Array(ROWS).keys()]);
    for (const [i, row] of stored.entries()) {
      const n = i + 1;
      expect(row.prompt).toBe(`Write a blurb for Product ${n}, deluxe (#${n}). Notes: Line one\nline "two" of ${n}`);
      expect(row.output).toBe(mockReply(row.prompt));
      expect(row.status).toBe('done');
      expect(row.attempts).toBe(1);
    }
  });

  it('exports CSV in the original row order even though rows finished out of order', async () => {
    const dbFile = join(dir, 'rowbot.db');
    // Early rows are the slowest, so they finish last.
    server.setOptions({ latencyMs: (prompt) => (prompt.includes('row 1)') ? 80 : 1) });
    const engine = new Engine({ dbFile });
    const preview = await engine.importBytes('rows.csv', Buffer.from('n\n1\n2\n3\n4\n5\n6\n'));
    const job = engine.createJob({
      sheetId: preview.sheetId,
      template: 'Say hi (row {{n}})',
      systemPrompt: '',
      provider: { kind: 'openai', baseUrl: server.baseUrl, model: 'mock-1' },
      settings: { concurrency: 6 },
    });
    engine.startJob(job.id);
    await engine.waitForJob(job.id);
    const out = join(dir, 'out.csv');
    await engine.exportTo(job.id, out);
    await engine.close();

    const text = readFileSync(out, 'utf8');
    expect(text.startsWith('\uFEFF')).toBe(true);
    const parsed = Papa.parse<string[]>(text.slice(1), { skipEmptyLines: true }).data;
    expect(parsed[0]).toEqual(['n', ...EXPECTED_RESULT_COLUMNS]);
    expect(parsed.slice(1).map((r) => r[0])).toEqual(['1', '2', '3', '4', '5', '6']);
    expect(parsed.slice(1).map((r) => r[1])).toEqual([1, 2, 3, 4, 5, 6].map((n) => mockReply(`Say hi (row ${n})`)));
  });

  it('fails a row with the provider’s own message on a 400 and keeps the batch going', async () => {
    server.setOptions({
      fault: (prompt) =>
        prompt.endsWith('#3')
          ? {
              status: 400,
              body: { error: { message: 'This prompt is not allowed', type: 'invalid_request_error', code: null } },
            }
          : undefined,
    });
    const engine = new Engine({ dbFile: join(dir, 'rowbot.db') });
    const preview = await engine.importBytes('rows.csv', Buffer.from('n\n1\n2\n3\n4\n'));
    const job = engine.createJob({
      sheetId: preview.sheetId,
      template: 'Row #{{n}}',
      systemPrompt: '',
      provider: { kind: 'openai', baseUrl: server.baseUrl, model: 'mock-1' },
      settings: { concurrency: 2 },
    });
    engine.startJob(job.id);
    const summary = await engine.waitForJob(job.id);
    const rows = firstCells(engine.getRows(job.id));
    await engine.close();

    expect(summary.counts.done).toBe(3);
    expect(summary.counts.failed).toBe(1);
    expect(rows[2]).toMatchObject({
      status: 'failed',
      attempts: 1,
      error: 'The provider answered 400: This prompt is not allowed',
    });
    expect(server.requestsByPrompt.get('Row #3')).toBe(1);
  });

  it('retries a 500 with backoff and succeeds', async () => {
    server.setOptions({ fault: (_prompt, attempt) => (attempt < 3 ? { status: 500 } : undefined) });
    const engine = new Engine({
      dbFile: join(dir, 'rowbot.db'),
      backoff: { baseDelayMs: 5, maxDelayMs: 20 },
    });
    const preview = await engine.importBytes('rows.csv', Buffer.from('n\n1\n2\n'));
    const job = engine.createJob({
      sheetId: preview.sheetId,
      template: 'Row {{n}}',
      systemPrompt: '',
      provider: { kind: 'openai', baseUrl: server.baseUrl, model: 'mock-1' },
      settings: { concurrency: 2 },
    });
    engine.startJob(job.id);
    const summary = await engine.waitForJob(job.id);
    const rows = firstCells(engine.getRows(job.id));
    await engine.close();
    expect(summary.counts.done).toBe(2);
    expect(rows.map((r) => r.attempts)).toEqual([3, 3]);
  });
});
