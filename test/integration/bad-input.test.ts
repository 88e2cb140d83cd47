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

  function codeOf(action: () => unknown): string | undefined {
    try {
      action();
    } catch (error) {
      expect(error).toBeInstanceOf(RowbotError);
      return (error as RowbotError).code;
    }
    return undefined;
  }

  it('an empty file', () => {
    expect(codeOf(() => engine.importBytes('empty.csv', new Uint8Array()))).toBe('FILE_EMPTY');
    expect(codeOf(() => engine.importBytes('blank.csv', Buffer.from('\n\n  \n')))).toBe('FILE_EMPTY');
    expect(codeOf(() => engine.importBytes('header-only.csv', Buffer.from('a,b\n')))).toBe('FILE_EMPTY');
  });

  it('a CSV that cannot be parsed names the line', () => {
    const error = (() => {
      try {
        engine.importBytes('broken.csv', Buffer.from('a,b\n1,2\n3,"never closed\n4,5\n'));
      } catch (e) {
        return e as RowbotError;
      }
      throw new Error('expected a failure');
    })();
    expect(error.code).toBe('CSV_INVALID');
    expect(error.message).toContain('line 3');
  });

  it('a binary file', () => {
    expect(codeOf(() => engine.importBytes('photo.csv', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 1])))).toBe(
      'FILE_UNREADABLE',
    );
  });

  it('a template naming a column the file does not have: suggestion given, no job, no request, old jobs intact', async () => {
    const preview = engine.importBytes('p.csv', Buffer.from('product,price\nLamp,10\n'));
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
