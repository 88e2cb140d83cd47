import { afterEach, describe, expect, it } from 'vitest';
import { defaultJobName } from '../../electron/engine/engine.ts';
import { exportFileName } from '../../electron/engine/sheets/export.ts';
import { openBench, type Bench } from './harness.ts';

describe('rename, duplicate, delete', () => {
  let bench: Bench;
  afterEach(async () => {
    await bench?.close();
  });

  it('renames a job, duplicates it unstarted with the same settings, and deletes one without touching the other', async () => {
    bench = await openBench({ latencyMs: 1 });
    const { engine } = bench;
    const jobId = await bench.job(5, { concurrency: 3, requestsPerMinute: 600 });
    engine.startJob(jobId);
    await engine.waitForJob(jobId);

    expect(engine.renameJob(jobId, '  Product blurbs  ').name).toBe('Product blurbs');
    const copy = engine.duplicateJob(jobId);
    expect(copy).toMatchObject({
      name: 'Product blurbs (copy)',
      status: 'ready',
      template: 'Row {{n}}',
      settings: { concurrency: 3, requestsPerMinute: 600 },
      counts: { queued: 5, done: 0 },
    });
    const deleted: string[] = [];
    engine.on((message) => {
      if (message.name === 'jobDeleted') deleted.push(message.payload.jobId);
    });
    await engine.deleteJob(jobId);
    expect(deleted).toEqual([jobId]);
    expect(engine.listJobs().map((job) => job.id)).toEqual([copy.id]);
    expect(() => engine.getJob(jobId)).toThrow(/does not exist/);
    // The copy still has its file: it runs.
    engine.startJob(copy.id);
    expect((await engine.waitForJob(copy.id)).counts.done).toBe(5);
  });

  it('deleting a running job cancels it first', async () => {
    bench = await openBench({ latencyMs: 2_000 });
    const jobId = await bench.job(4, { concurrency: 2 });
    bench.engine.startJob(jobId);
    await new Promise((resolve) => setTimeout(resolve, 50));
    await bench.engine.deleteJob(jobId);
    expect(bench.engine.listJobs()).toEqual([]);
  });
});

describe('estimates before a run', () => {
  let bench: Bench;
  afterEach(async () => {
    await bench?.close();
  });

  it('prices the real prompts of every row, and says how long at this concurrency', async () => {
    bench = await openBench();
    const preview = await bench.engine.importBytes(
      'q.csv',
      Buffer.from('q\nWhat is the capital of France?\n\nWho wrote Hamlet?\n,\n'),
    );
    const free = bench.engine.estimateJob({
      sheetId: preview.sheetId,
      template: 'Answer: {{q}}',
      provider: { kind: 'demo', model: 'demo' },
    });
    expect(free).toMatchObject({ rows: 2, skipped: 0, cost: [0, 0], tokensEstimated: true });
    expect(free.promptTokens).toBeGreaterThan(10);
    const paid = bench.engine.estimateJob({
      sheetId: preview.sheetId,
      template: 'Answer: {{q}}',
      provider: { kind: 'openai', baseUrl: 'https://api.openai.com/v1', model: 'gpt-4o-mini' },
      settings: { concurrency: 1, maxOutputTokens: 100, requestsPerMinute: 6 },
    });
    expect(paid.outputTokens).toEqual([60, 200]);
    expect(paid.cost?.[0]).toBeCloseTo((paid.promptTokens * 0.15 + 60 * 0.6) / 1e6, 12);
    expect(paid.cost?.[1]).toBeCloseTo((paid.promptTokens * 0.15 + 200 * 0.6) / 1e6, 12);
    // Six requests a minute: two rows take twenty seconds whatever the latency.
    expect(paid.seconds[0]).toBe(20);
    expect(() =>
      bench.engine.estimateJob({
        sheetId: preview.sheetId,
        template: '{{qq}}',
        provider: { kind: 'demo', model: 'demo' },
      }),
    ).toThrow(/not a column/);
  });
});

describe('Test connection', () => {
  let bench: Bench;
  afterEach(async () => {
    await bench?.close();
  });

  const at = (baseUrl: string, model = 'mock-1') => ({ kind: 'openai' as const, baseUrl, model });

  it('lists the models, and suggests one when the name is wrong', async () => {
    bench = await openBench({ models: ['mock-1', 'mock-2-large'] });
    const ok = await bench.engine.testConnection(at(bench.mock.baseUrl));
    expect(ok).toEqual({ ok: true, message: 'Connected. 2 models available.', models: ['mock-1', 'mock-2-large'] });
    const typo = await bench.engine.testConnection(at(bench.mock.baseUrl, 'mock-2-lrge'));
    expect(typo.ok).toBe(false);
    expect(typo.message).toContain('no model called “mock-2-lrge”. Did you mean “mock-2-large”');
  });

  it('falls back to a one-token request on a server without a model list', async () => {
    bench = await openBench();
    const result = await bench.engine.testConnection(at(bench.mock.baseUrl));
    expect(result).toMatchObject({ ok: true, models: [] });
    expect(result.message).toContain('a one-token request worked');
    expect(bench.mock.totalRequests).toBe(1);
  });

  it('explains a rejected key and an address where nothing answers', async () => {
    bench = await openBench({ requireKey: 'sk-right', models: ['mock-1'] });
    const rejected = await bench.engine.testConnection(at(bench.mock.baseUrl));
    expect(rejected.message).toBe(
      'The provider rejected the API key (Incorrect API key provided: sk-…wxyz.). Check the key in Settings.',
    );
    bench.engine.setKey('openai', 'sk-right');
    expect((await bench.engine.testConnection(at(bench.mock.baseUrl))).ok).toBe(true);
    // Without a key: an OpenAI key goes to no address of the user's but those allowed for it.
    bench.engine.clearKey('openai');
    const nobody = await bench.engine.testConnection(at('http://127.0.0.1:9/v1'));
    expect(nobody.ok).toBe(false);
    expect(nobody.message).toContain('Nothing answers at http://127.0.0.1:9/v1');
    expect(nobody.message).toContain('connection refused');
  });

  it('sends the key a preset names, and none for a local server', async () => {
    bench = await openBench({ requireKey: 'gsk-groq-key', models: ['mock-1'] });
    bench.engine.setKey('groq', 'gsk-groq-key');
    expect((await bench.engine.testConnection({ ...at(bench.mock.baseUrl), keyId: 'groq' })).ok).toBe(true);
    expect((await bench.engine.testConnection({ ...at(bench.mock.baseUrl), keyId: null })).ok).toBe(false);
  });
});

describe('a sample run', () => {
  let bench: Bench;
  afterEach(async () => {
    await bench?.close();
  });

  it('runs ten rows, pauses with a projection, and the projection lands within 10% of the real cost', async () => {
    bench = await openBench({ latencyMs: 5 });
    const { engine } = bench;
    const lines = ['n', ...Array.from({ length: 200 }, (_, i) => String(i + 1))];
    const preview = await engine.importBytes('rows.csv', Buffer.from(lines.join('\n')));
    const job = engine.createJob({
      sheetId: preview.sheetId,
      template: 'Write a short, friendly product blurb for catalogue item number {{n}}, in one sentence.',
      provider: { kind: 'openai', baseUrl: bench.mock.baseUrl, model: 'gpt-4o-mini' },
      settings: { concurrency: 4 },
    });
    engine.sampleJob(job.id);
    const sampled = await engine.waitForJob(job.id);
    expect(sampled.status).toBe('paused');
    expect(sampled.counts).toMatchObject({ done: 10, queued: 190 });
    expect(sampled.pauseReason).toMatch(
      /^Sample run done: answers averaged \d+ tokens .* The other 190 rows should take .* Press Resume to run them\.$/,
    );
    expect(bench.mock.totalRequests).toBe(10);

    const projection = engine.projectJob(job.id);
    expect(projection.rows).toBe(190);
    const [low, high] = projection.cost ?? [0, 0];
    engine.startJob(job.id);
    const done = await engine.waitForJob(job.id);
    expect(done.counts.done).toBe(200);
    const actual = done.usage.cost ?? 0;
    const projected = (low + high) / 2;
    expect(Math.abs(projected - actual) / actual).toBeLessThan(0.1);
  });
});

describe('job names', () => {
  let bench: Bench;
  afterEach(async () => {
    await bench?.close();
  });

  it('a new job is named after its file, its model and when it was made, and its export file after that', async () => {
    bench = await openBench();
    const jobId = await bench.job(2);
    const { name, promptStart } = bench.engine.getJob(jobId);
    expect(name).toMatch(/^rows · mock-1 · \d{1,2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d\d:\d\d$/);
    expect(promptStart).toBe('Row {{n}}');
    expect(defaultJobName('products.xlsx', 'gpt-4o-mini', new Date(2026, 11, 1, 9, 5))).toBe(
      'products · gpt-4o-mini · 1 Dec 09:05',
    );
    expect(
      exportFileName('products · gpt-4o-mini · 1 Dec 09:05', { format: 'csv', rows: 'all', writeBack: false }),
    ).toBe('products - gpt-4o-mini - 1 Dec 09.05-results.csv');
  });
});
