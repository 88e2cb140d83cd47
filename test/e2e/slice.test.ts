import { EXPECTED_RESULT_COLUMNS } from '../fixtures/expected.ts';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Papa from 'papaparse';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mockReply, startMockLlmServer, type MockLlmServer } from '../fixtures/mock-llm-server.ts';
import { launchChromium, SCREENSHOTS, startServe, type ServeProcess } from './harness.ts';

const ROWS = 30;
const CONCURRENCY = 4;

function productsCsv(): Buffer {
  const colors = ['red', 'green', 'blue'];
  const lines = ['product,color,notes'];
  for (let i = 1; i <= ROWS; i += 1) lines.push(`Lamp ${i},${colors[i % 3]},"Brass, ${i} watts"`);
  return Buffer.from(lines.join('\n'));
}

describe('rowbot serve in Chromium: the whole slice', () => {
  let browser: Browser;
  let mock: MockLlmServer;
  let serve: ServeProcess;

  beforeAll(async () => {
    mock = await startMockLlmServer({ latencyMs: 120 });
    serve = await startServe();
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await serve?.stop();
    await mock?.close();
  });

  async function openApp(): Promise<Page> {
    const context = await browser.newContext({
      acceptDownloads: true,
      viewport: { width: 1280, height: 800 },
      reducedMotion: 'reduce',
    });
    const page = await context.newPage();
    await page.goto(serve.url);
    return page;
  }

  it('imports a CSV, builds a template with the chips, runs it live, and exports the results in row order', async () => {
    const page = await openApp();
    await expect.poll(() => page.getByRole('heading', { name: /every row of a spreadsheet/ }).isVisible()).toBe(true);
    await page.screenshot({ path: join(SCREENSHOTS, 'slice-1-empty.png') });
    await page.getByRole('button', { name: 'Start your first job' }).click();

    await page
      .getByLabel('Spreadsheet file')
      .setInputFiles({ name: 'lamps.csv', mimeType: 'text/csv', buffer: productsCsv() });
    await page.getByText(`${ROWS} rows · 3 columns`).waitFor();
    await page.getByRole('combobox', { name: 'Separator' }).waitFor();
    expect(await page.getByRole('combobox', { name: 'Separator' }).inputValue()).toBe(',');
    await page.screenshot({ path: join(SCREENSHOTS, 'slice-2a-preview.png') });

    const template = page.getByRole('textbox', { name: 'Prompt template' });
    await template.click();
    await template.pressSequentially('Write a tagline for ');
    await page.getByRole('button', { name: 'Insert column product' }).click();
    await template.pressSequentially(' in ');
    await page.getByRole('button', { name: 'Insert column color' }).click();
    await expect.poll(() => template.inputValue()).toBe('Write a tagline for {{product}} in {{color}}');
    await page
      .getByRole('region', { name: 'Prompt preview' })
      .getByText('Write a tagline for Lamp 1 in green')
      .waitFor();

    await page.getByRole('radio', { name: /OpenAI-compatible API/ }).check();
    await page.getByRole('textbox', { name: 'API address' }).fill(mock.baseUrl);
    await page.getByRole('combobox', { name: 'Model' }).fill('mock-1');
    await page.getByRole('button', { name: 'Test connection' }).click();
    await page.getByRole('status').filter({ hasText: '✓ Connected' }).waitFor();
    mock.resetCounters();
    await page.getByRole('spinbutton', { name: 'Rows at once' }).fill(String(CONCURRENCY));
    await page.getByRole('button', { name: `Run ${ROWS} rows` }).scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(SCREENSHOTS, 'slice-2b-new-job.png') });
    await page.getByRole('button', { name: `Run ${ROWS} rows` }).click();

    // Watch the progress bar move: the table updates live, not only at the end.
    const progress = page.getByRole('progressbar', { name: 'Job progress' });
    const seen = new Set<string>();
    await expect
      .poll(
        async () => {
          const value = (await progress.getAttribute('aria-valuenow')) ?? '';
          seen.add(value);
          return value;
        },
        { timeout: 30_000, interval: 50 },
      )
      .toBe(String(ROWS));
    expect(seen.size).toBeGreaterThan(2);
    await page.getByRole('status').or(page.getByText('Completed')).first().waitFor();
    const doneRows = page.locator('tbody tr[data-status="done"]');
    await expect.poll(() => doneRows.count()).toBeGreaterThan(10);
    await expect.poll(() => page.getByRole('button', { name: /^Done/ }).textContent()).toContain(String(ROWS));
    await page.screenshot({ path: join(SCREENSHOTS, 'slice-3-job-done.png') });

    expect(mock.peakConcurrent).toBeLessThanOrEqual(CONCURRENCY);
    expect(mock.totalRequests).toBe(ROWS);

    await page.getByRole('button', { name: 'Export…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Export results' });
    await dialog.getByRole('radio', { name: /^CSV/ }).check();
    await page.screenshot({ path: join(SCREENSHOTS, 'slice-3b-export.png') });
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      dialog.getByRole('button', { name: 'Export', exact: true }).click(),
    ]);
    const text = readFileSync((await download.path()) ?? '', 'utf8');
    // The job is named after the file, the model and the time: "lamps · mock-1 · 1 Dec 14:05".
    expect(download.suggestedFilename()).toMatch(/^lamps - mock-1 - \d{1,2} [A-Z][a-z]{2} \d\d\.\d\d-results\.csv$/);
    expect(text.startsWith('\uFEFF')).toBe(true);
    const [header, ...records] = Papa.parse<string[]>(text.slice(1), { skipEmptyLines: true }).data;
    expect(header).toEqual(['product', 'color', 'notes', ...EXPECTED_RESULT_COLUMNS]);
    expect(records).toHaveLength(ROWS);
    records.forEach((record, i) => {
      const colors = ['red', 'green', 'blue'];
      expect(record.slice(0, 3)).toEqual([`Lamp ${i + 1}`, colors[(i + 1) % 3], `Brass, ${i + 1} watts`]);
      expect(record[3]).toBe(mockReply(`Write a tagline for Lamp ${i + 1} in ${colors[(i + 1) % 3]}`));
      expect(record[4]).toBe('done');
    });

    // The job list shows it too.
    await page.getByRole('link', { name: '‹ Jobs' }).click();
    await page.getByRole('link', { name: 'lamps' }).waitFor();
    await page.screenshot({ path: join(SCREENSHOTS, 'slice-4-jobs.png') });
    await page.context().close();
  });

  it('a broken file and a bad template each get a specific message, and nothing is sent', async () => {
    mock.resetCounters();
    const page = await openApp();
    await page.getByRole('button', { name: 'New job' }).click();

    await page
      .getByLabel('Spreadsheet file')
      .setInputFiles({ name: 'empty.csv', mimeType: 'text/csv', buffer: Buffer.from('') });
    await page.getByRole('alert').filter({ hasText: '"empty.csv" is empty' }).waitFor();

    await page
      .getByLabel('Spreadsheet file')
      .setInputFiles({ name: 'broken.csv', mimeType: 'text/csv', buffer: Buffer.from('a,b\n1,2\n3,"oops\n4,5\n') });
    await page.getByRole('alert').filter({ hasText: 'a quoted field that starts on row 3 is never closed' }).waitFor();
    await page.screenshot({ path: join(SCREENSHOTS, 'bad-1-broken-file.png') });

    await page
      .getByLabel('Spreadsheet file')
      .setInputFiles({ name: 'ok.csv', mimeType: 'text/csv', buffer: Buffer.from('product,price\nLamp,10\n') });
    const template = page.getByRole('textbox', { name: 'Prompt template' });
    await template.fill('Describe {{prodct}}');
    await page
      .getByRole('alert')
      .filter({ hasText: '{{prodct}} is not a column of this file. Did you mean {{product}}?' })
      .waitFor();
    expect(await page.getByRole('button', { name: 'Run 1 row' }).isDisabled()).toBe(true);
    await page.screenshot({ path: join(SCREENSHOTS, 'bad-2-template.png') });
    expect(mock.totalRequests).toBe(0);
    await page.context().close();
  });
});
