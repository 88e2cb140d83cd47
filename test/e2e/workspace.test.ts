import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startMockLlmServer, type MockLlmServer } from '../fixtures/mock-llm-server.ts';
import { launchChromium, SCREENSHOTS, startServe, type ServeProcess } from './harness.ts';

/** Each test's job has its own prompts, so late requests of an earlier test never count. */
const prompt = (n: number, job = 'retry'): string => `${job}: summarize item ${n}`;

describe('the live workspace in Chromium, against the mock server', () => {
  let browser: Browser;
  let mock: MockLlmServer;
  let serve: ServeProcess;
  let page: Page;

  beforeAll(async () => {
    mock = await startMockLlmServer();
    serve = await startServe();
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

  /** Through the real wizard: upload, template, the mock as provider, start. */
  async function startJob(
    rows: number,
    concurrency: number,
    name: string,
    configure?: () => Promise<void>,
    sample = false,
  ): Promise<void> {
    page = await (
      await browser.newContext({ viewport: { width: 1280, height: 800 }, reducedMotion: 'reduce' })
    ).newPage();
    await page.goto(serve.url);
    await page.getByRole('button', { name: 'New job' }).click();
    const lines = ['item'];
    for (let n = 1; n <= rows; n += 1) lines.push(String(n));
    await page
      .getByLabel('Spreadsheet file')
      .setInputFiles({ name: `${name}.csv`, mimeType: 'text/csv', buffer: Buffer.from(lines.join('\n')) });
    await page.getByText(`${rows} rows · 1 column`).waitFor();
    await page.getByRole('checkbox', { name: 'First row is the header' }).waitFor();
    await page.getByRole('textbox', { name: 'Prompt template' }).fill(`${name}: summarize item {{item}}`);
    await page.getByRole('radio', { name: /OpenAI-compatible API/ }).check();
    await page.getByRole('textbox', { name: 'API address' }).fill(mock.baseUrl);
    await page.getByRole('combobox', { name: 'Model' }).fill('mock-1');
    await page.getByRole('spinbutton', { name: 'Rows at once' }).fill(String(concurrency));
    await configure?.();
    await page.getByRole('button', { name: sample ? 'Try 10 rows first' : `Run ${rows} rows` }).click();
    await page.getByRole('group', { name: 'Run controls' }).waitFor();
  }

  const done = (): Promise<string> => page.getByRole('button', { name: /^Done/ }).innerText();

  it('moving the concurrency slider mid-run changes what the server sees', async () => {
    mock.setOptions({ latencyMs: 250 });
    mock.resetCounters();
    await startJob(300, 2, 'slider');
    await expect.poll(() => mock.inFlight, { timeout: 10_000 }).toBe(2);

    const slider = page.getByRole('slider', { name: 'Concurrency' });
    await slider.focus();
    for (let i = 0; i < 6; i += 1) await slider.press('ArrowRight');
    await expect.poll(() => page.getByLabel('Concurrency in use').innerText()).toBe('8');
    await expect.poll(() => mock.inFlight, { timeout: 10_000 }).toBe(8);
    await page.screenshot({ path: join(SCREENSHOTS, 'workspace-1-slider.png') });

    for (let i = 0; i < 5; i += 1) await slider.press('ArrowLeft');
    await expect.poll(() => page.getByLabel('Concurrency in use').innerText()).toBe('3');
    await expect.poll(() => mock.inFlight, { timeout: 10_000 }).toBeLessThanOrEqual(3);
    const from = mock.concurrencyTimeline.length;
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(Math.max(...mock.concurrencyTimeline.slice(from).map((p) => p.inFlight))).toBeLessThanOrEqual(3);
    await page.getByRole('button', { name: 'Cancel' }).click();
    // It asks first.
    await page.getByRole('dialog', { name: 'Cancel the run?' }).getByRole('button', { name: 'Cancel the run' }).click();
    await page.getByText('Canceled', { exact: true }).first().waitFor();
  });

  it('retries one failed row, then all failed rows, until every row is done', async () => {
    const failing = new Set([prompt(2), prompt(5), prompt(7)]);
    const sent = (n: number): number | undefined => mock.requestsByPrompt.get(prompt(n));
    mock.setOptions({
      latencyMs: 5,
      fault: (p, attempt) =>
        failing.has(p) && attempt === 1
          ? {
              status: 400,
              body: { error: { message: 'The model refused this one', type: 'invalid_request_error', code: null } },
            }
          : undefined,
    });
    mock.resetCounters();
    await startJob(10, 4, 'retry');
    await page.getByRole('button', { name: 'Retry all failed (3)' }).waitFor({ timeout: 15_000 });
    await expect.poll(done, { timeout: 15_000 }).toBe('Done 7');
    await page.getByRole('button', { name: /^Failed/ }).click();
    await page.screenshot({ path: join(SCREENSHOTS, 'workspace-2-failed.png') });

    // The row drawer shows what happened.
    await page.getByRole('button', { name: 'Open row 5' }).click();
    const drawer = page.getByRole('dialog', { name: 'Row 5' });
    await drawer.getByText('The provider answered 400: The model refused this one').first().waitFor();
    await drawer.getByRole('cell', { name: /Failed/ }).waitFor();
    await page.screenshot({ path: join(SCREENSHOTS, 'workspace-3-drawer.png') });
    await drawer.getByRole('button', { name: 'Close' }).click();

    await page.getByRole('button', { name: 'Retry row 2' }).click();
    await page.getByRole('button', { name: 'Retry all failed (2)' }).waitFor();
    expect(sent(2)).toBe(2);
    expect(sent(5)).toBe(1);

    await page.getByRole('button', { name: 'Retry all failed (2)' }).click();
    await expect.poll(done, { timeout: 15_000 }).toContain('10');
    expect(await page.getByRole('button', { name: /Retry all failed/ }).isDisabled()).toBe(true);
    for (const n of [1, 3, 4, 6, 8, 9, 10]) expect(sent(n)).toBe(1);
    // The table shows each row as it is now: tries, status and answer.
    await page.getByRole('button', { name: /^All/ }).click();
    const row = (n: number) =>
      page.locator('tbody tr').filter({ has: page.getByRole('button', { name: `Open row ${n}`, exact: true }) });
    await expect.poll(() => row(2).locator('td[data-column="attempts"]').innerText()).toBe('2');
    await expect.poll(() => row(3).locator('td[data-column="attempts"]').innerText()).toBe('1');
    expect(await row(2).getByText('Done', { exact: true }).count()).toBe(1);
  });

  it('asks for JSON with named fields and shows each field as its own column', async () => {
    mock.setOptions({ latencyMs: 5 });
    await startJob(4, 2, 'json', async () => {
      await page.getByText('Answer options: length, creativity, budget, JSON').click();
      await page.getByRole('spinbutton', { name: 'Temperature (0–2)' }).fill('0.3');
      await page.getByRole('radio', { name: /JSON with these fields/ }).check();
      await page.getByRole('textbox', { name: 'Field 1 name' }).fill('title');
      await page.getByRole('button', { name: 'Add field' }).click();
      await page.getByRole('textbox', { name: 'Field 2 name' }).fill('words');
      await page.getByRole('combobox', { name: 'Field 2 type' }).selectOption('number');
      await page.screenshot({ path: join(SCREENSHOTS, 'workspace-5-json-options.png') });
    });
    await expect.poll(done, { timeout: 15_000 }).toBe('Done 4');
    expect(mock.lastRequest).toMatchObject({ temperature: 0.3, response_format: { type: 'json_schema' } });
    await page.getByRole('columnheader', { name: 'title' }).waitFor();
    await page.getByText(`title of ${prompt(1, 'json')}`, { exact: true }).waitFor();
    await page.screenshot({ path: join(SCREENSHOTS, 'workspace-6-json-columns.png') });
  });

  it('tries ten rows first, shows the projection, then runs the rest', async () => {
    mock.setOptions({ latencyMs: 5 });
    mock.resetCounters();
    await startJob(30, 3, 'sample', undefined, true);
    await page
      .getByRole('status')
      .filter({ hasText: /^Sample run done: answers averaged \d+ tokens/ })
      .waitFor({ timeout: 15_000 });
    expect(await done()).toBe('Done 10');
    expect(mock.totalRequests).toBe(10);
    await page.screenshot({ path: join(SCREENSHOTS, 'workspace-7-sample.png') });
    await page.getByRole('button', { name: 'Resume' }).click();
    await expect.poll(done, { timeout: 15_000 }).toBe('Done 30');
    expect(mock.totalRequests).toBe(30);
  });

  it('pause, reload the page, resume: nothing is lost and nothing is sent twice', async () => {
    mock.setOptions({ latencyMs: 120 });
    mock.resetCounters();
    await startJob(60, 2, 'pause');
    await expect
      .poll(async () => Number((await done()).replace(/\D/g, '')), { timeout: 15_000 })
      .toBeGreaterThanOrEqual(6);
    await expect.poll(() => page.locator('.live-chart').count(), { timeout: 10_000 }).toBe(1);
    await page.screenshot({ path: join(SCREENSHOTS, 'workspace-0-running.png') });
    await page.getByRole('button', { name: 'Pause' }).click();
    await page.getByRole('status').filter({ hasText: 'Paused. Press Resume to continue.' }).waitFor();
    await expect.poll(() => mock.inFlight).toBe(0);
    // Rows in flight at the pause finish and are shown before the page reloads.
    await expect.poll(() => page.getByRole('button', { name: /^Running/ }).innerText()).toBe('Running 0');
    const sent = mock.totalRequests;
    const doneBefore = await done();

    await page.reload();
    await page.getByRole('button', { name: 'Resume' }).waitFor();
    expect(await done()).toBe(doneBefore);
    expect(mock.totalRequests).toBe(sent);
    await page.screenshot({ path: join(SCREENSHOTS, 'workspace-4-paused.png') });

    await page.keyboard.press('Control+Enter');
    await expect.poll(done, { timeout: 30_000 }).toContain('60');
    expect(mock.totalRequests).toBe(60);
    expect([...mock.requestsByPrompt.values()].every((n) => n === 1)).toBe(true);
  });

  it('shows a rate-limit wait with its countdown; a pause during it leaves nothing running, also after a reload', async () => {
    mock.setOptions({ latencyMs: 10, fault: () => ({ status: 429, headers: { 'retry-after': '30' } }) });
    mock.resetCounters();
    await startJob(12, 4, 'wait');
    const wait = page.getByRole('status').filter({ hasText: /^waiting for the rate limit, \d+ s$/ });
    await wait.waitFor();
    await page.screenshot({ path: join(SCREENSHOTS, 'workspace-rate-limit-wait.png') });
    await expect.poll(() => page.getByRole('button', { name: /^Running/ }).innerText()).toBe('Running 0');
    const sent = mock.totalRequests;
    await page.getByRole('button', { name: 'Pause' }).click();
    await page.getByRole('status').filter({ hasText: 'Paused. Press Resume to continue.' }).waitFor();
    await expect(wait.count()).resolves.toBe(0);
    await page.reload();
    await page.getByRole('button', { name: 'Resume' }).waitFor();
    expect(await page.getByRole('button', { name: /^Running/ }).innerText()).toBe('Running 0');
    expect(await page.getByRole('button', { name: /^Queued/ }).innerText()).toBe('Queued 12');
    expect(mock.totalRequests).toBe(sent);
    mock.setOptions({});
  });
});
