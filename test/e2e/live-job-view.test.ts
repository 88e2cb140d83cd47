import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mockReply, startMockLlmServer, type MockLlmServer } from '../fixtures/mock-llm-server.ts';
import { launchChromium, type ServeProcess, startServe, uploadCsv } from './harness.ts';

const ROWS = 6_000;
const prompt = (n: number): string => `Describe Product ${n}: A sturdy thing, number ${n}`;
/** Row 1 takes its time, so the drawer is open while it runs. */
const SLOW = prompt(1);

interface JobState {
  status: string;
  counts: { done: number; running: number; queued: number; total: number };
}

describe('the job view while thousands of rows finish, in Chromium', () => {
  let browser: Browser;
  let mock: MockLlmServer;
  let serve: ServeProcess;
  let page: Page;
  let jobId: string;

  beforeAll(async () => {
    mock = await startMockLlmServer({ latencyMs: (text) => (text.includes(SLOW) ? 3_000 : 150) });
    serve = await startServe();
    browser = await launchChromium();
    const lines = ['product,description'];
    for (let n = 1; n <= ROWS; n += 1) lines.push(`Product ${n},"A sturdy thing, number ${n}"`);
    const sheetId = await uploadCsv(serve, 'products.csv', lines.join('\n'));
    const job = await serve.call<{ id: string }>('createJob', {
      sheetId,
      name: 'Many products',
      template: 'Describe {{product}}: {{description}}',
      provider: { kind: 'openai', baseUrl: mock.baseUrl, model: 'mock-1', keyId: null },
      settings: { concurrency: 100 },
    });
    jobId = job.id;
    page = await (
      await browser.newContext({ viewport: { width: 1280, height: 800 }, reducedMotion: 'reduce' })
    ).newPage();
    await page.goto(serve.url);
    await page.goto(`${serve.origin}/#/jobs/${jobId}`);
    await page.getByRole('button', { name: 'Open row 1', exact: true }).waitFor();
  });

  afterAll(async () => {
    await browser?.close();
    await serve?.stop();
    await mock?.close();
  });

  const drawer = () => page.getByRole('dialog');
  const job = () => serve.call<JobState>('getJob', { jobId });

  it("opens a row's drawer with the row at once and shows its answer as it arrives, without reopening", async () => {
    await page.getByRole('button', { name: 'Start' }).click();
    await page.getByRole('button', { name: 'Pause' }).waitFor();
    await page.getByRole('button', { name: 'Open row 1', exact: true }).click();
    await drawer().getByRole('heading', { name: 'Row 1' }).waitFor();
    await drawer().getByText('Product 1', { exact: true }).waitFor();
    await drawer().getByText('Running', { exact: true }).waitFor();
    expect(await drawer().getByText('No answer yet.').isVisible()).toBe(true);

    // The answer comes in while the drawer stays open, with the attempt that brought it.
    await drawer().getByText(mockReply(SLOW), { exact: true }).waitFor({ timeout: 20_000 });
    await drawer().getByText('Done', { exact: true }).waitFor();
    await drawer().getByRole('cell', { name: 'Answered' }).waitFor();
    await drawer().getByText(SLOW, { exact: true }).waitFor();
    await page.keyboard.press('Escape');
    await drawer().waitFor({ state: 'hidden' });
  });

  it('never shows one row in the drawer opened for another', async () => {
    await page.getByRole('button', { name: 'Open row 2', exact: true }).click();
    await drawer().getByText(prompt(2), { exact: true }).waitFor();
    await page.keyboard.press('Escape');
    await drawer().waitFor({ state: 'hidden' });
    // Row 2's detail is on hand; row 3's has to be fetched: until it comes, nothing of row 2 shows.
    await page.locator('dialog.drawer').evaluate((element) => {
      const seen: string[] = [];
      (window as unknown as { drawerTexts: string[] }).drawerTexts = seen;
      new MutationObserver(() => seen.push(element.textContent ?? '')).observe(element, {
        subtree: true,
        childList: true,
        characterData: true,
      });
    });
    await page.getByRole('button', { name: 'Open row 3', exact: true }).click();
    await drawer().getByText(prompt(3), { exact: true }).waitFor();
    const seen = await page.evaluate(() => (window as unknown as { drawerTexts: string[] }).drawerTexts);
    expect(seen.some((text) => text.includes('Product 2'))).toBe(false);
    expect(seen.at(-1)).toContain('Product 3');
    await page.keyboard.press('Escape');
    await drawer().waitFor({ state: 'hidden' });
  });

  it('pauses while hundreds of rows finish, shows the counts it stopped at, and resumes to the end', async () => {
    const before = await job();
    expect(before.status).toBe('running');
    expect(before.counts.done).toBeLessThan(ROWS);

    await page.getByRole('button', { name: 'Pause' }).click();
    await page.getByRole('button', { name: 'Resume' }).waitFor();
    await page.locator('.job-title').getByText('Paused', { exact: true }).waitFor();
    await page.getByText('Paused. Press Resume to continue.').waitFor();

    // Rows in flight finish; then nothing moves, and the header says what the backend says.
    await expect.poll(async () => (await job()).counts.running, { timeout: 20_000 }).toBe(0);
    const paused = await job();
    expect(paused.status).toBe('paused');
    expect(paused.counts.done).toBeLessThan(ROWS);
    const doneText = `✓ ${paused.counts.done.toLocaleString('en-US')} done`;
    await page.getByText(doneText, { exact: true }).waitFor();
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect((await job()).counts.done).toBe(paused.counts.done);
    expect(await page.getByRole('progressbar', { name: 'Job progress' }).getAttribute('aria-valuenow')).toBe(
      String(paused.counts.done),
    );

    await page.getByRole('button', { name: 'Resume' }).click();
    await page.getByText('All rows have run.').waitFor({ timeout: 60_000 });
    const finished = await job();
    expect(finished.status).toBe('completed');
    expect(finished.counts.done).toBe(ROWS);
    await page.getByText(`✓ ${ROWS.toLocaleString('en-US')} done`, { exact: true }).waitFor();
    expect(await page.getByRole('progressbar', { name: 'Job progress' }).getAttribute('aria-valuenow')).toBe(
      String(ROWS),
    );
    // Rows on screen that changed while the table stood still are drawn as they are now.
    const shown = page.locator('.grid tbody tr');
    await expect
      .poll(async () =>
        (await shown.evaluateAll((rows) => rows.map((row) => row.getAttribute('data-status')))).every(
          (status) => status === 'done',
        ),
      )
      .toBe(true);
    await page.getByText(mockReply(prompt(2)), { exact: true }).waitFor();
  });
});
