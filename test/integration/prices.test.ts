import { afterEach, describe, expect, it } from 'vitest';
import { Engine } from '../../electron/engine/engine.ts';
import { PRICES_CHECKED_ON } from '../../electron/engine/pricing.ts';
import { mockReply } from '../fixtures/mock-llm-server.ts';
import { openBench, prompt, type Bench } from './harness.ts';
import { firstCells } from '../fixtures/cells.ts';

/** The price table: shipped with a date, edited and extended by the user, kept in SQLite, used at once. */
describe('prices', () => {
  let bench: Bench;
  afterEach(async () => {
    await bench?.close();
  });

  async function jobFor(model: string, rows: number): Promise<string> {
    const lines = ['n', ...Array.from({ length: rows }, (_, i) => String(i + 1))];
    const preview = await bench.engine.importBytes('rows.csv', Buffer.from(lines.join('\n')));
    return bench.engine.createJob({
      sheetId: preview.sheetId,
      template: 'Row {{n}}',
      provider: { kind: 'openai', baseUrl: bench.mock.baseUrl, model, keyId: null },
      settings: { concurrency: 1, maxOutputTokens: 100 },
    }).id;
  }

  function estimateFor(model: string, sheetId: string) {
    return bench.engine.estimateJob({
      sheetId,
      template: 'Row {{n}}',
      provider: { kind: 'openai', baseUrl: bench.mock.baseUrl, model },
      settings: { maxOutputTokens: 100 },
    });
  }

  it('ships a dated list; an edit wins over it, survives a restart and can be taken back', async () => {
    bench = await openBench();
    const shipped = bench.engine.getPrices();
    expect(shipped.checkedOn).toBe(PRICES_CHECKED_ON);
    expect(shipped.prices.find((p) => p.model === 'gpt-4o-mini')).toEqual({
      model: 'gpt-4o-mini',
      input: 0.15,
      cachedInput: 0.075,
      output: 0.6,
      source: 'shipped',
    });

    const preview = await bench.engine.importBytes('rows.csv', Buffer.from('n\n1\n2\n3\n'));
    const before = estimateFor('gpt-4o-mini-2024-07-18', preview.sheetId);
    expect(before.price).toMatchObject({ model: 'gpt-4o-mini', source: 'shipped' });
    expect(before.pricesCheckedOn).toBe(PRICES_CHECKED_ON);

    bench.engine.setPrice({ model: 'gpt-4o-mini', input: 1.5, cachedInput: null, output: 6 });
    const after = estimateFor('gpt-4o-mini-2024-07-18', preview.sheetId);
    expect(after.price).toMatchObject({ model: 'gpt-4o-mini', input: 1.5, source: 'edited' });
    expect(after.cost?.[1]).toBeCloseTo((before.cost?.[1] ?? 0) * 10, 10);

    // A model Rowbot has no price for: none is guessed; the user's own makes the estimate whole.
    expect(estimateFor('acme-large', preview.sheetId).cost).toBeNull();
    bench.engine.setPrice({ model: 'acme-large', input: 1, cachedInput: 0.5, output: 2 });
    const acme = estimateFor('vendor/ACME-large-2026-01-15', preview.sheetId);
    expect(acme.price).toMatchObject({ model: 'acme-large', source: 'added' });
    expect(acme.cost?.[0]).toBeCloseTo((acme.promptTokens * 1 + acme.outputTokens[0] * 2) / 1e6, 12);

    // Kept in the database file: a new engine on it sees both.
    await bench.engine.close();
    const reopened = new Engine({ dbFile: bench.dbFile });
    try {
      const kept = reopened.getPrices().prices.filter((p) => p.source !== 'shipped');
      expect(kept.map((p) => [p.model, p.source])).toEqual([
        ['acme-large', 'added'],
        ['gpt-4o-mini', 'edited'],
      ]);
      const reset = reopened.resetPrice('gpt-4o-mini');
      expect(reset.prices.find((p) => p.model === 'gpt-4o-mini')).toMatchObject({ input: 0.15, source: 'shipped' });
      expect(reopened.resetPrice('acme-large').prices.some((p) => p.model === 'acme-large')).toBe(false);
    } finally {
      await reopened.close();
    }
  });

  it('bills prompt tokens served from the provider’s cache at the cached-input price', async () => {
    // A chat completion shaped as OpenAI documents it, with usage.prompt_tokens_details.cached_tokens.
    bench = await openBench({
      fault: (p) => ({
        status: 200,
        body: {
          id: 'chatcmpl-1',
          object: 'chat.completion',
          created: 1741569952,
          model: 'gpt-4.1-2025-04-14',
          choices: [
            {
              index: 0,
              message: { role: 'assistant', content: mockReply(p), refusal: null, annotations: [] },
              logprobs: null,
              finish_reason: 'stop',
            },
          ],
          usage: {
            prompt_tokens: 2000,
            completion_tokens: 100,
            total_tokens: 2100,
            prompt_tokens_details: { cached_tokens: p === prompt(1) ? 0 : 1536, audio_tokens: 0 },
            completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0 },
          },
          service_tier: 'default',
        },
      }),
    });
    bench.engine.setPrice({ model: 'cache-model', input: 2, cachedInput: 0.5, output: 8 });
    const jobId = await jobFor('cache-model', 2);
    bench.engine.startJob(jobId);
    expect((await bench.engine.waitForJob(jobId)).counts.done).toBe(2);
    const [cold, warm] = firstCells(bench.engine.getRows(jobId));
    expect(cold?.cost).toBeCloseTo((2000 * 2 + 100 * 8) / 1e6, 12);
    expect(warm?.cost).toBeCloseTo((464 * 2 + 1536 * 0.5 + 100 * 8) / 1e6, 12);
    expect(warm?.promptTokens).toBe(2000);
  });

  it('Anthropic: cache reads count in the prompt and are billed at the cached-input price', async () => {
    // A Messages API reply as Anthropic documents it when prompt caching served part of the prompt.
    bench = await openBench({
      replyBody: ({ id, model, content }) => ({
        id,
        type: 'message',
        role: 'assistant',
        model,
        content: [{ type: 'text', text: content }],
        stop_reason: 'end_turn',
        stop_sequence: null,
        usage: { input_tokens: 100, cache_creation_input_tokens: 20, cache_read_input_tokens: 1000, output_tokens: 50 },
      }),
    });
    const preview = await bench.engine.importBytes('rows.csv', Buffer.from('n\n1\n'));
    const jobId = bench.engine.createJob({
      sheetId: preview.sheetId,
      template: 'Row {{n}}',
      provider: { kind: 'anthropic', baseUrl: bench.mock.baseUrl, model: 'claude-sonnet-4-20250514' },
    }).id;
    bench.engine.startJob(jobId);
    await bench.engine.waitForJob(jobId);
    const [row] = firstCells(bench.engine.getRows(jobId));
    expect(row).toMatchObject({ status: 'done', promptTokens: 1120, completionTokens: 50 });
    // claude-sonnet-4: $3 input, $0.30 cache read, $15 output per million.
    expect(row?.cost).toBeCloseTo((120 * 3 + 1000 * 0.3 + 50 * 15) / 1e6, 12);
  });

  it('a price set between runs applies to the answers after it', async () => {
    bench = await openBench();
    bench.engine.setPrice({ model: 'mock-1', input: 1, cachedInput: null, output: 1 });
    const jobId = await jobFor('mock-1', 4);
    bench.engine.sampleJob(jobId, 2);
    await bench.engine.waitForJob(jobId);
    bench.engine.setPrice({ model: 'mock-1', input: 10, cachedInput: null, output: 10 });
    bench.engine.startJob(jobId);
    await bench.engine.waitForJob(jobId);
    const rows = firstCells(bench.engine.getRows(jobId));
    for (const [i, row] of rows.entries()) {
      const perToken = i < 2 ? 1 : 10;
      expect(row.cost).toBeCloseTo((((row.promptTokens ?? 0) + (row.completionTokens ?? 0)) * perToken) / 1e6, 12);
    }
  });

  it('answers stored before their model had a price are priced when it gets one, follow its edits, and go back to unknown without it', async () => {
    bench = await openBench();
    const jobId = await jobFor('unlisted-model', 3);
    bench.engine.startJob(jobId);
    const unpriced = await bench.engine.waitForJob(jobId);
    expect(unpriced.counts.done).toBe(3);
    expect(unpriced.usage.cost).toBeNull();

    bench.engine.setPrice({ model: 'unlisted-model', input: 2, cachedInput: null, output: 4 });
    const priced = bench.engine.getJob(jobId);
    const expected = (priced.usage.promptTokens * 2 + priced.usage.completionTokens * 4) / 1e6;
    expect(priced.usage.cost).toBeCloseTo(expected, 12);
    expect(bench.jobEvents.at(-1)?.usage.cost).toBeCloseTo(expected, 12);

    // A mistyped price is put right by editing it: these answers were never billed at any price.
    bench.engine.setPrice({ model: 'unlisted-model', input: 200, cachedInput: null, output: 400 });
    expect(bench.engine.getJob(jobId).usage.cost).toBeCloseTo(expected * 100, 10);
    bench.engine.setPrice({ model: 'unlisted-model', input: 2, cachedInput: null, output: 4 });

    // Answers that came with a cost keep it whatever the price does later.
    const more = await jobFor('unlisted-model', 2);
    bench.engine.startJob(more);
    const billed = (await bench.engine.waitForJob(more)).usage.cost ?? 0;
    bench.engine.setPrice({ model: 'unlisted-model', input: 20, cachedInput: null, output: 40 });
    expect(bench.engine.getJob(more).usage.cost).toBeCloseTo(billed, 12);
    expect(bench.engine.getJob(jobId).usage.cost).toBeCloseTo(expected * 10, 10);

    // Without a price, the answers priced after the fact are unknown again; the billed ones stay.
    bench.engine.resetPrice('unlisted-model');
    expect(bench.engine.getJob(jobId).usage.cost).toBeNull();
    expect(bench.engine.getJob(more).usage.cost).toBeCloseTo(billed, 12);
  });
});
