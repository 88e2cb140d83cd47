import { afterEach, describe, expect, it } from 'vitest';
import { mockReply } from '../fixtures/mock-llm-server.ts';
import { openBench, prompt, type Bench } from './harness.ts';
import { firstCells } from '../fixtures/cells.ts';

/** The Anthropic Messages API end to end, against the mock server's Anthropic dialect. */
describe('Anthropic wire format', () => {
  let bench: Bench;
  afterEach(async () => {
    await bench?.close();
  });

  async function anthropicJob(rows: number, settings = {}) {
    const lines = ['n', ...Array.from({ length: rows }, (_, i) => String(i + 1))];
    const preview = await bench.engine.importBytes('rows.csv', Buffer.from(lines.join('\n')));
    return bench.engine.createJob({
      sheetId: preview.sheetId,
      template: 'Row {{n}}',
      systemPrompt: 'Be brief.',
      provider: { kind: 'anthropic', baseUrl: bench.mock.baseUrl, model: 'claude-sonnet-4-20250514' },
      settings: { concurrency: 2, ...settings },
    }).id;
  }

  it('sends x-api-key, anthropic-version, max_tokens and the system prompt apart; reads content blocks, usage and cost', async () => {
    bench = await openBench({ requireKey: 'sk-ant-test', latencyMs: 2 });
    bench.engine.setKey('anthropic', 'sk-ant-test');
    const jobId = await anthropicJob(3, { temperature: 0.5, stop: ['END'] });
    bench.engine.startJob(jobId);
    const summary = await bench.engine.waitForJob(jobId);
    expect(summary.counts.done).toBe(3);
    expect(bench.mock.lastRequest).toMatchObject({
      model: 'claude-sonnet-4-20250514',
      max_tokens: 1024,
      system: 'Be brief.',
      temperature: 0.5,
      stop_sequences: ['END'],
    });
    const [first] = firstCells(bench.engine.getRows(jobId));
    expect(first).toMatchObject({ output: mockReply(prompt(1)), status: 'done' });
    expect(first?.promptTokens).toBeGreaterThan(0);
    expect(first?.cost).toBeGreaterThan(0);
  });

  it('a rejected key stops the line with Anthropic’s own message', async () => {
    bench = await openBench({ requireKey: 'sk-ant-right' });
    bench.engine.setKey('anthropic', 'sk-ant-wrong');
    const jobId = await anthropicJob(5);
    bench.engine.startJob(jobId);
    const paused = await bench.engine.waitForJob(jobId);
    expect(paused.pauseReason).toBe(
      'Paused: the provider rejected the API key (401: invalid x-api-key). Check the key, then press Resume.',
    );
    expect(paused.counts.failed).toBe(0);
  });

  it('429 with retry-after waits and succeeds; 529 overloaded is retried; 400 fails the row with its message', async () => {
    bench = await openBench({
      fault: (p, attempt) =>
        p === prompt(1) && attempt === 1
          ? { status: 429, headers: { 'retry-after': '0' } }
          : p === prompt(2) && attempt === 1
            ? { status: 529 }
            : p === prompt(3)
              ? { status: 400 }
              : undefined,
    });
    bench.engine.setKey('anthropic', 'sk-ant-any');
    const jobId = await anthropicJob(4);
    bench.engine.startJob(jobId);
    const summary = await bench.engine.waitForJob(jobId);
    expect(summary.counts).toMatchObject({ done: 3, failed: 1 });
    const rows = firstCells(bench.engine.getRows(jobId));
    expect(rows[0]?.attempts).toBe(2);
    expect(rows[1]?.attempts).toBe(2);
    expect(rows[2]).toMatchObject({ status: 'failed', error: 'The provider answered 400: Mock fault 400' });
  });
});

describe('OpenAI-compatible variants', () => {
  let bench: Bench;
  afterEach(async () => {
    await bench?.close();
  });

  async function runOne(provider: Parameters<Bench['engine']['createJob']>[0]['provider']) {
    const preview = await bench.engine.importBytes('rows.csv', Buffer.from('n\n1\n'));
    const jobId = bench.engine.createJob({ sheetId: preview.sheetId, template: 'Row {{n}}', provider }).id;
    bench.engine.startJob(jobId);
    return bench.engine.waitForJob(jobId);
  }

  it('Azure OpenAI: the deployment in the address, api-version in the query, the key as api-key', async () => {
    bench = await openBench({ requireKey: 'azure-key-1234' });
    bench.engine.setKey('azure', 'azure-key-1234');
    const summary = await runOne({
      kind: 'openai',
      baseUrl: `${bench.mock.baseUrl}/openai/deployments/blurbs`,
      model: 'gpt-4o-mini',
      keyId: 'azure',
      azureApiVersion: '2024-10-21',
    });
    expect(summary.counts.done).toBe(1);
    expect(bench.mock.lastUrl).toBe('/v1/openai/deployments/blurbs/chat/completions?api-version=2024-10-21');
    expect(bench.mock.lastHeaders['api-key']).toBe('azure-key-1234');
    expect(bench.mock.lastHeaders.authorization).toBeUndefined();
  });

  it('a custom address with extra headers, and a local server with no key at all', async () => {
    bench = await openBench();
    bench.engine.setKey('custom', 'sk-custom-5678');
    await runOne({
      kind: 'openai',
      baseUrl: bench.mock.baseUrl,
      model: 'm',
      keyId: 'custom',
      headers: { 'X-Team': 'marketing' },
    });
    expect(bench.mock.lastHeaders['x-team']).toBe('marketing');
    expect(bench.mock.lastHeaders.authorization).toBe('Bearer sk-custom-5678');
    await runOne({ kind: 'openai', baseUrl: bench.mock.baseUrl, model: 'llama3.1', keyId: null });
    expect(bench.mock.lastHeaders.authorization).toBeUndefined();
  });

  it('a header named like the key’s is replaced by the saved key, not sent beside it; header values stay in the backend', async () => {
    bench = await openBench();
    bench.engine.setKey('custom', 'sk-custom-5678');
    const summary = await runOne({
      kind: 'openai',
      baseUrl: bench.mock.baseUrl,
      model: 'm',
      keyId: 'custom',
      headers: { Authorization: 'Bearer typed-by-hand', 'Helicone-Auth': 'Bearer sk-helicone-secret-9876' },
    });
    expect(bench.mock.lastHeaders.authorization).toBe('Bearer sk-custom-5678');
    expect(bench.mock.lastHeaders['helicone-auth']).toBe('Bearer sk-helicone-secret-9876');
    // What the UI is given of the job: the names, and only the last four characters of each value.
    const shown = [summary, bench.engine.getJob(summary.id), ...bench.engine.listJobs(), ...bench.jobEvents];
    expect(JSON.stringify(shown)).not.toContain('sk-helicone-secret');
    expect(bench.engine.getJob(summary.id).provider).toMatchObject({ headers: { 'Helicone-Auth': '…9876' } });
  });
});
