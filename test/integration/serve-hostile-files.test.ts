import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServe, type RunningServer } from '../../electron/cli/serve.ts';
import { Engine } from '../../electron/engine/engine.ts';
import {
  deepJson,
  sharedStringsBombXlsx,
  sheetBombXlsx,
  sparseXlsx,
  writeLongFieldCsv,
} from '../fixtures/hostile-files.ts';

// Issue 13: uploading the sparse workbook killed `rowbot serve` (out of memory after a minute).
// Each hostile upload now gets a coded refusal, and the server answers other calls meanwhile and after.

const MB = 1024 * 1024;

describe('rowbot serve: hostile uploads are refused and the server keeps serving', () => {
  let dir: string;
  let engine: Engine;
  let server: RunningServer;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rowbot-serve-hostile-'));
    engine = new Engine({ dbFile: join(dir, 'rowbot.db') });
    server = await startServe({ engine, staticDir: resolve(dir, 'static') });
  });

  afterAll(async () => {
    await server.close();
    await engine.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function call(
    name: string,
    input: unknown,
  ): Promise<{ ok: boolean; error?: { code: string; message: string } }> {
    const response = await fetch(`${server.origin}/api/call/${name}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' },
      body: JSON.stringify(input),
    });
    return (await response.json()) as { ok: boolean; error?: { code: string; message: string } };
  }

  const csv = (): Uint8Array => {
    const path = join(dir, 'long.csv');
    writeLongFieldCsv(path, 20 * MB);
    return readFileSync(path);
  };

  it.each([
    ['sparse.xlsx', () => sparseXlsx(200_000), 'FILE_TOO_LARGE', 'is too wide: row 1 has a value in column 16,384'],
    ['bomb.xlsx', () => sheetBombXlsx(MB, { declare: 3_000_000_000 }), 'FILE_TOO_LARGE', 'the sheet unpacks to 2.8 GB'],
    [
      'strings.xlsx',
      () => sharedStringsBombXlsx(MB, { declare: 3_000_000_000 }),
      'FILE_TOO_LARGE',
      'its text (the shared strings) unpacks to 2.8 GB',
    ],
    ['long.csv', csv, 'FILE_TOO_LARGE', 'has a row longer than 8 MB of text, starting at row 2'],
    ['deep.json', () => Buffer.from(deepJson(100_000)), 'FILE_UNREADABLE', 'holds JSON nested too deeply'],
  ])('%s: a coded refusal, and other calls are answered', async (fileName, make, code, message) => {
    const upload = call('importUpload', { fileName, dataBase64: Buffer.from(make()).toString('base64') });
    const beside = call('listJobs', {});
    const reply = await upload;
    expect(reply.ok).toBe(false);
    expect(reply.error?.code).toBe(code);
    expect(reply.error?.message).toContain(`"${fileName}" `);
    expect(reply.error?.message).toContain(message);
    expect((await beside).ok).toBe(true);
    expect((await call('listJobs', {})).ok).toBe(true);
  });
});
