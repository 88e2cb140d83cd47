import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Papa from 'papaparse';
import { afterEach, describe, expect, it } from 'vitest';
import { mockReply, startMockLlmServer, type MockLlmServer } from '../fixtures/mock-llm-server.ts';
import { rowbot, STACK_LINE } from './cli-process.ts';

/** `rowbot run --batch` (issue 16): submit, wait and collect; or submit, detach, and collect later with --resume. */
describe('rowbot run --batch', () => {
  let dir: string;
  let mock: MockLlmServer | undefined;
  afterEach(async () => {
    await mock?.close();
    mock = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  function setUp(rows: number): { csv: string; db: string; common: string[] } {
    dir = mkdtempSync(join(tmpdir(), 'rowbot-cli-batch-'));
    const csv = join(dir, 'items.csv');
    writeFileSync(csv, ['name', ...Array.from({ length: rows }, (_, i) => `item ${i + 1}`)].join('\n'));
    const db = join(dir, 'rowbot.db');
    const common = [
      '--template',
      'About {{name}}',
      '--provider',
      'openai',
      '--base-url',
      mock?.baseUrl ?? '',
      '--model',
      'gpt-4o-mini',
      '--db',
      db,
    ];
    return { csv, db, common };
  }

  const results = (file: string): Record<string, string>[] =>
    Papa.parse<Record<string, string>>(readFileSync(file, 'utf8').replace(/^\uFEFF/, ''), {
      header: true,
      skipEmptyLines: true,
    }).data;

  it('sends the rows as a batch, waits, collects and writes the results', async () => {
    mock = await startMockLlmServer({ batch: { completeAfterMs: 300, shuffle: true } });
    const { csv, common } = setUp(12);
    const out = join(dir, 'out.csv');
    const run = await rowbot(['run', csv, ...common, '--batch', '--out', out, '--json'], { OPENAI_API_KEY: 'sk-test' });
    expect(run.stderr).not.toMatch(STACK_LINE);
    expect(run.status).toBe(0);
    expect(mock.batchesCreated).toBe(1);
    expect(mock.totalRequests).toBe(0);
    const rows = results(out);
    expect(rows.map((row) => row.output)).toEqual(
      Array.from({ length: 12 }, (_, i) => mockReply(`About item ${i + 1}`)),
    );
    expect(rows.every((row) => row.status === 'done')).toBe(true);
    const summary = JSON.parse(run.stdout.trim().split('\n').at(-1) ?? '{}') as { cost: number; done: number };
    expect(summary.done).toBe(12);
  });

  it('--detach prints the job id once the batch is sent; --resume collects it later', async () => {
    mock = await startMockLlmServer({ batch: { completeAfterMs: 1500 } });
    const { csv, common, db } = setUp(5);
    const sent = await rowbot(['run', csv, ...common, '--batch', '--detach'], { OPENAI_API_KEY: 'sk-test' });
    expect(sent.status).toBe(0);
    expect(sent.stderr).toMatch(/Sent 5 rows in a batch/);
    const jobId = sent.stdout.trim();
    expect(jobId).toMatch(/^[0-9a-f-]{36}$/);
    expect(mock.batchesCreated).toBe(1);
    const out = join(dir, 'later.csv');
    // The key goes to the mock's address only when told again: a resumed job's address was typed before.
    const allow = `openai=${new URL(mock.baseUrl).origin}`;
    const collected = await rowbot(['run', '--resume', jobId, '--db', db, '--allow-key-to', allow, '--out', out], {
      OPENAI_API_KEY: 'sk-test',
    });
    expect(collected.stderr).not.toMatch(STACK_LINE);
    expect(collected.status).toBe(0);
    expect(mock.batchesCreated).toBe(1);
    expect(results(out).map((row) => row.status)).toEqual(Array(5).fill('done'));
  });

  it('refuses --batch for a service without a Batch API, in plain words', async () => {
    mock = await startMockLlmServer({});
    const { csv, db } = setUp(2);
    const run = await rowbot(['run', csv, '--template', 'About {{name}}', '--batch', '--db', db]);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/no Batch API/);
    expect(run.stderr).not.toMatch(STACK_LINE);
  });
});
