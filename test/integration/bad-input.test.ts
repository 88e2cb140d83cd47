import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Engine } from '../../electron/engine/engine.ts';
import { RowbotError } from '../../shared/errors.ts';
import { startMockLlmServer, type MockLlmServer } from '../fixtures/mock-llm-server.ts';

describe('bad input is refused before anything is sent, and stored data is untouched', () => {
  let dir: string;
  let server: MockLlmServer;
  let engine: Engine;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rowbot-bad-'));
    server = await startMockLlmServer();
    engine = new Engine({ dbFile: join(dir, 'rowbot.db') });
  });

  afterEach(async () => {
    await engine.close();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function refusal(fileName: string, bytes: Uint8Array): Promise<RowbotError> {
    const error = await engine.importBytes(fileName, bytes).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(RowbotError);
    return error as RowbotError;
  }

  it('an empty file, a blank one, a header without rows', async () => {
    expect((await refusal('empty.csv', new Uint8Array())).code).toBe('FILE_EMPTY');
    expect((await refusal('blank.csv', Buffer.from('\n\n  \n'))).code).toBe('FILE_EMPTY');
    expect((await refusal('header-only.csv', Buffer.from('a,b\n'))).code).toBe('FILE_EMPTY');
  });

  it('a CSV that cannot be parsed names the row', async () => {
    const error = await refusal('broken.csv', Buffer.from('a,b\n1,2\n3,"never closed\n4,5\n'));
    expect(error.code).toBe('CSV_INVALID');
    expect(error.message).toContain('row 3');
  });

  it('a binary file', async () => {
    expect((await refusal('photo.csv', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 1, 2, 3, 4, 5]))).code).toBe(
      'FILE_UNREADABLE',
    );
  });

  it('a failed import leaves nothing behind and does not touch earlier imports', async () => {
    const good = await engine.importBytes('good.csv', Buffer.from('a\n1\n'));
    await refusal('broken.csv', Buffer.from('a,b\n1,2\n3,"never closed\n4,5\n'));
    const job = engine.createJob({
      sheetId: good.sheetId,
      template: '{{a}}',
      provider: { kind: 'demo', model: 'demo' },
    });
    expect(engine.getRows(job.id).rows.map((r) => r.values)).toEqual([['1']]);
  });

  it('a template naming a column the file does not have: suggestion given, no job, no request, old jobs intact', async () => {
    const preview = await engine.importBytes('p.csv', Buffer.from('product,price\nLamp,10\n'));
    const existing = engine.createJob({
      sheetId: preview.sheetId,
      template: 'Describe {{product}}',
      systemPrompt: '',
      provider: { kind: 'openai', baseUrl: server.baseUrl, model: 'mock-1' },
      settings: { concurrency: 1 },
    });
    engine.startJob(existing.id);
    await engine.waitForJob(existing.id);
    const before = engine.getRows(existing.id).rows;
    server.resetCounters();

    let message = '';
    try {
      engine.createJob({
        sheetId: preview.sheetId,
        template: 'Describe {{prodct}} at {{cost}}',
        systemPrompt: '',
        provider: { kind: 'openai', baseUrl: server.baseUrl, model: 'mock-1' },
        settings: { concurrency: 1 },
      });
    } catch (error) {
      expect((error as RowbotError).code).toBe('TEMPLATE_INVALID');
      message = (error as RowbotError).message;
    }
    expect(message).toContain('{{prodct}} is not a column of this file. Did you mean {{product}}?');
    expect(message).toContain('{{cost}} is not a column');
    expect(engine.listJobs()).toHaveLength(1);
    expect(engine.getRows(existing.id).rows).toEqual(before);
    expect(server.totalRequests).toBe(0);
  });
});
