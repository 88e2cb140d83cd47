/**
 * Issue 16 in the job view, in Chromium against the real `rowbot serve` and the mock server's
 * OpenAI Batch API: each batch's state in words, the time since it was sent, the rows collected
 * and the cost at the batch price; Cancel says it cancels at the provider; "Send the rest as a
 * batch" after "Try 10 rows first"; a batch job's failed rows retried live or in a new batch; and
 * the export. No console error or page error anywhere.
 */
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { mockReply, startMockLlmServer, type MockLlmServer } from '../fixtures/mock-llm-server.ts';
import { exportCsvDownload, launchChromium, ROOT, type ServeProcess, startServeForMock, uploadCsv } from './harness.ts';

const DOCS = join(ROOT, 'docs');

interface JobState {
  status: string;
  counts: { done: number; failed: number; queued: number; total: number };
  settings: { batch: boolean };
  batches: { phase: string }[];
}

describe('batch jobs in the job view', () => {
  let browser: Browser;
  let mock: MockLlmServer;
  let serve: ServeProcess;
  let page: Page;

  beforeAll(async () => {
    mock = await startMockLlmServer({ latencyMs: 5, batch: { completeAfterMs: 1_500 } });
    serve = await startServeForMock(mock, 'sk-e2e-batch-view-0123456789');
    browser = await launchChromium();
  });

  afterEach(async () => {
    await page?.context().close();
  });

  afterAll(async () => {
    await browser?.close();
    await serve?.stop();
    await mock?.close();
  });

  async function open(jobId: string): Promise<void> {
    page = await (
      await browser.newContext({
        acceptDownloads: true,
        viewport: { width: 1280, height: 800 },
        reducedMotion: 'reduce',
        colorScheme: 'light',
      })
    ).newPage();
    await page.goto(serve.url);
    await page.goto(`${serve.origin}/#/jobs/${jobId}`);
    await page.getByRole('button', { name: 'Open row 1', exact: true }).waitFor();
  }

  /** A job of `rows` rows at the mock, through the OpenAI key (a service with a Batch API). */
  async function createJob(name: string, rows: number, batch: boolean): Promise<string> {
    const lines = ['item'];
    for (let n = 1; n <= rows; n += 1) lines.push(`${name} ${n}`);
    const sheetId = await uploadCsv(serve, `${name}.csv`, lines.join('\n'));
    const job = await serve.call<{ id: string }>('createJob', {
      sheetId,
      name,
      template: 'Name a colour for {{item}}',
      provider: { kind: 'openai', baseUrl: mock.baseUrl, model: 'mock-1' },
      settings: { batch, concurrency: 2 },
    });
    return job.id;
  }

  const stateOf = (jobId: string) => serve.call<JobState>('getJob', { jobId });
  const batches = () => page.getByRole('region', { name: 'Batches at the provider' });

  it('shows the batch in words while the provider works, says Cancel cancels there, and exports when done', async () => {
    mock.updateOptions({ batch: { completeAfterMs: 1_500 } });
    const jobId = await createJob('batched', 12, true);
    await open(jobId);
    await page.getByRole('button', { name: 'Start' }).click();
    await batches().getByText('Batch 1', { exact: true }).waitFor();
    await batches()
      .getByText(/^(Sending the rows to the provider|The provider is checking the file|In progress.*)$/)
      .waitFor();
    await batches()
      .getByText(/^sent \d+ (s|min) ago$/)
      .waitFor();
    await batches().getByText('0 of 12 rows collected').waitFor();
    // No concurrency to set: the provider works at its own pace.
    expect(await page.getByRole('slider', { name: 'Concurrency' }).count()).toBe(0);
    await page.screenshot({ path: join(DOCS, 'job-batch.png') });

    // Cancel says it cancels at the provider; keep it running.
    await page.getByRole('group', { name: 'Run controls' }).getByRole('button', { name: 'Cancel' }).click();
    const confirm = page.getByRole('dialog', { name: 'Cancel the batch?' });
    await confirm.getByText(/cancels the batch at the provider/).waitFor();
    await confirm.getByRole('button', { name: 'Keep running' }).click();
    await confirm.waitFor({ state: 'hidden' });

    await expect.poll(async () => (await stateOf(jobId)).status, { timeout: 60_000 }).toBe('completed');
    await batches().getByText('Done', { exact: true }).waitFor();
    await batches().getByText('12 of 12 rows collected').waitFor();
    await batches()
      .getByText(/^\$[\d.]+, at the batch price \(about half\)$/)
      .waitFor();
    await batches()
      .getByText(/^took \d+ (s|min)$/)
      .waitFor();
    await page.getByText('All rows have run.').waitFor();
    await page.getByText(mockReply('Name a colour for batched 1'), { exact: true }).waitFor();
    expect(mock.batchRequests).toBe(12);
    await page.screenshot({ path: join(DOCS, 'job-batch-done.png') });

    const text = await exportCsvDownload(page);
    for (let n = 1; n <= 12; n += 1) expect(text).toContain(mockReply(`Name a colour for batched ${n}`));
  });

  it('offers "Send the rest as a batch" after "Try 10 rows first", and sends each row once', async () => {
    mock.updateOptions({ batch: { completeAfterMs: 500 } });
    mock.resetCounters();
    const jobId = await createJob('tried', 30, false);
    await open(jobId);
    await serve.call('sampleJob', { jobId });
    await expect.poll(async () => (await stateOf(jobId)).status, { timeout: 30_000 }).toBe('paused');
    await page.getByRole('button', { name: 'Send the rest as a batch' }).click();
    await batches().getByText('Batch 1', { exact: true }).waitFor();
    await expect.poll(async () => (await stateOf(jobId)).status, { timeout: 60_000 }).toBe('completed');
    const done = await stateOf(jobId);
    expect(done.counts.done).toBe(30);
    expect(done.settings.batch).toBe(true);
    expect(mock.batchRequests).toBe(20);
    for (let n = 1; n <= 30; n += 1)
      expect(mock.repliesByPrompt.get(`Name a colour for tried ${n}`) ?? 0).toBeLessThanOrEqual(1);
    await batches().getByText('30 of 30 rows collected').waitFor();
  });

  it('retries a batch job’s failed rows in a new batch, or now (live)', async () => {
    mock.updateOptions({ batch: { completeAfterMs: 300, errorRate: 0.3, seed: 3 } });
    const first = await createJob('again', 20, true);
    const second = await createJob('live', 20, true);
    await serve.call('startJob', { jobId: first });
    await serve.call('startJob', { jobId: second });
    for (const jobId of [first, second]) {
      await expect.poll(async () => (await stateOf(jobId)).status, { timeout: 60_000 }).toBe('completed');
      expect((await stateOf(jobId)).counts.failed).toBeGreaterThan(0);
    }
    mock.updateOptions({ batch: { completeAfterMs: 300 } });

    // In a new batch.
    await open(first);
    const failed = (await stateOf(first)).counts.failed;
    await page.getByText(`Finished, ${failed} failed`).first().waitFor();
    await page.getByRole('button', { name: 'Retry failed now (live)' }).waitFor();
    await page.screenshot({ path: join(DOCS, 'job-batch-failed.png') });
    const created = mock.batchesCreated;
    await page.getByRole('button', { name: 'Retry failed in a new batch' }).click();
    await batches()
      .getByText(/^Batch 2\b/)
      .waitFor();
    await expect.poll(async () => (await stateOf(first)).counts.done, { timeout: 60_000 }).toBe(20);
    expect(mock.batchesCreated).toBe(created + 1);
    await page.getByText('All rows have run.').waitFor();
    await page.context().close();

    // Now, live.
    await open(second);
    const before = mock.totalRequests;
    await page.getByRole('button', { name: 'Retry failed now (live)' }).click();
    await expect.poll(async () => (await stateOf(second)).counts.done, { timeout: 60_000 }).toBe(20);
    const after = await stateOf(second);
    expect(after.settings.batch).toBe(false);
    expect(after.batches).toHaveLength(1);
    expect(mock.totalRequests).toBeGreaterThan(before);
    await page.getByText('All rows have run.').waitFor();
  });
});
