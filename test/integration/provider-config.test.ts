// A provider as the UI sends it crosses the API boundary (IPC and `rowbot serve` share `dispatch`)
// with everything the engine can use: Azure's api-version and a gateway's extra headers were
// refused there ("Unrecognized key") though New job sends them, so neither worked outside the CLI.
import { afterEach, describe, expect, it } from 'vitest';
import { createHandlers, dispatch } from '../../electron/engine/handlers.ts';
import { openBench, type Bench } from './harness.ts';

describe('createJob over the API: Azure and gateway settings', () => {
  let bench: Bench;
  afterEach(async () => {
    await bench?.close();
  });

  async function create(provider: Record<string, unknown>) {
    const preview = await bench.engine.importBytes('rows.csv', Buffer.from('n\n1\n'));
    const handlers = createHandlers(bench.engine, {
      importDialog: () => Promise.resolve({ kind: 'cancelled' }),
      exportJob: () => Promise.resolve({ kind: 'cancelled' }),
    });
    return dispatch(handlers, 'createJob', { sheetId: preview.sheetId, template: 'Row {{n}}', provider });
  }

  it('takes an api-version and extra headers, and the requests carry them', async () => {
    bench = await openBench();
    const created = await create({
      kind: 'openai',
      baseUrl: bench.mock.baseUrl,
      model: 'mock-1',
      keyId: null,
      azureApiVersion: '2024-10-21',
      headers: { 'X-Gateway-Team': 'research' },
    });
    expect(created).toMatchObject({ ok: true });
    const jobId = (created as { value: { id: string } }).value.id;
    bench.engine.startJob(jobId);
    expect((await bench.engine.waitForJob(jobId)).counts.done).toBe(1);
    expect(bench.mock.lastUrl).toContain('api-version=2024-10-21');
    expect(bench.mock.lastHeaders['x-gateway-team']).toBe('research');
  });

  it.each([
    [{ azureApiVersion: 'latest' }, 'must be a date like 2024-10-21'],
    [{ headers: { 'Bad Name': 'x' } }, 'must be a header name'],
    [{ headers: { 'X-Token': 'a\r\nHost: evil' } }, 'must be one line'],
    [{ headers: { Host: 'evil.example' } }, 'is set by Rowbot itself'],
    [{ headers: Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`X-H${i}`, 'v'])) }, 'at most 20 headers'],
  ])('refuses %j in plain words', async (extra, words) => {
    bench = await openBench();
    const result = await create({ kind: 'openai', baseUrl: bench.mock.baseUrl, model: 'mock-1', ...extra });
    expect(result).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    expect((result as { error: { message: string } }).error.message).toContain(words);
    expect(bench.mock.totalRequests).toBe(0);
  });
});
