import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Papa from 'papaparse';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockLlmServer, type MockLlmServer } from '../fixtures/mock-llm-server.ts';
import { launchChromium, SCREENSHOTS, startServe, type ServeProcess } from './harness.ts';

const ROWS = 6;
/** A multi-line answer, with the characters a CSV writer must quote. */
const answer = (prompt: string): string => `Tagline for ${prompt}\nsecond line; "quoted"\r\nthird line`;

describe('the export dialog in Chromium: the separator (issue 12)', () => {
  let browser: Browser;
  let mock: MockLlmServer;
  let serve: ServeProcess;

  beforeAll(async () => {
    mock = await startMockLlmServer({
      latencyMs: 5,
      replyBody: ({ id, created, model, prompt, usage }) => ({
        id,
        object: 'chat.completion',
        created,
        model,
        choices: [
          {
            index: 0,
            // Row 6's answer is longer than an Excel cell holds.
            message: { role: 'assistant', content: prompt.endsWith('Lampe 6') ? 'lang '.repeat(8000) : answer(prompt) },
            finish_reason: 'stop',
          },
        ],
        usage,
      }),
    });
    serve = await startServe();
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await serve?.stop();
    await mock?.close();
  });

  it('offers comma, semicolon and tab, starts on the separator of the imported file, and writes multi-line answers whole', async () => {
    const lines = ['Produkt;Farbe;PLZ'];
    for (let n = 1; n <= ROWS; n += 1) lines.push(`Lampe ${n};${['rot', 'grün', 'blau'][n % 3]};0${n}067`);
    const { preview } = await serve.call<{ preview: { sheetId: string } }>('importUpload', {
      fileName: 'lampen.csv',
      dataBase64: Buffer.from(lines.join('\r\n'), 'latin1').toString('base64'),
    });
    const job = await serve.call<{ id: string }>('createJob', {
      sheetId: preview.sheetId,
      name: 'Lampen',
      template: 'Slogan für {{Produkt}}',
      provider: { kind: 'openai', baseUrl: mock.baseUrl, model: 'mock-1', keyId: null },
    });

    const page: Page = await (
      await browser.newContext({
        acceptDownloads: true,
        viewport: { width: 1280, height: 800 },
        reducedMotion: 'reduce',
      })
    ).newPage();
    await page.goto(serve.url);
    await page.goto(`${serve.origin}/#/jobs/${job.id}`);
    await page.getByRole('button', { name: 'Start' }).click();
    await page.getByText('All rows have run.').waitFor({ timeout: 20_000 });

    await page.getByRole('button', { name: 'Export…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Export results' });
    await dialog.getByRole('radio', { name: /^CSV/ }).check();
    const separators = dialog.getByRole('group', { name: 'Separator' });
    await separators.waitFor();
    expect(
      await separators.getByRole('radio').evaluateAll((radios) => radios.map((r) => r.parentElement?.textContent)),
    ).toEqual(['Comma (,)', 'Semicolon (;) as in the imported file', 'Tab']);
    expect(await separators.getByRole('radio', { name: /^Semicolon/ }).isChecked()).toBe(true);
    await page.screenshot({ path: join(SCREENSHOTS, 'export-separator-1-dialog.png') });

    const download = async (): Promise<string> => {
      const [file] = await Promise.all([
        page.waitForEvent('download'),
        dialog.getByRole('button', { name: 'Export', exact: true }).click(),
      ]);
      return readFileSync((await file.path()) ?? '', 'utf8');
    };
    const check = (text: string, delimiter: string): void => {
      expect(text.startsWith('\uFEFF')).toBe(true);
      expect(text.slice(1).startsWith(['Produkt', 'Farbe', 'PLZ', 'output', 'status', ''].join(delimiter))).toBe(true);
      const [header, ...records] = Papa.parse<string[]>(text.slice(1), { delimiter, skipEmptyLines: true }).data;
      expect(header?.slice(0, 5)).toEqual(['Produkt', 'Farbe', 'PLZ', 'output', 'status']);
      expect(records).toHaveLength(ROWS);
      expect(records[1]?.slice(0, 4)).toEqual(['Lampe 2', 'blau', '02067', answer('Slogan für Lampe 2')]);
    };
    check(await download(), ';');

    // Hidden when not CSV; tab when asked.
    await page.getByRole('button', { name: 'Export…' }).click();
    await dialog.getByRole('radio', { name: /^Excel/ }).check();
    expect(await dialog.getByRole('group', { name: 'Separator' }).count()).toBe(0);
    await dialog.getByRole('radio', { name: /^CSV/ }).check();
    await separators.getByRole('radio', { name: 'Tab' }).check();
    await page.screenshot({ path: join(SCREENSHOTS, 'export-separator-2-tab.png') });
    check(await download(), '\t');
    await page.getByText(/Downloading Lampen-results\.csv/).waitFor();

    // An answer longer than Excel allows: the workbook is cut and marked, and the user is told where.
    await page.getByRole('button', { name: 'Export…' }).click();
    await dialog.getByRole('radio', { name: /^Excel/ }).check();
    await Promise.all([
      page.waitForEvent('download'),
      dialog.getByRole('button', { name: 'Export', exact: true }).click(),
    ]);
    await page
      .getByText(
        'Downloading Lampen-results.xlsx. 1 cell was longer than the 32,767 characters Excel holds in a cell, so it was cut and marked "[cut: …]" (row 6, output). Export as CSV or JSON lines for the full text.',
      )
      .waitFor();
    await page.screenshot({ path: join(SCREENSHOTS, 'export-separator-3-cut-note.png') });
    await page.context().close();
  });
});
