import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, SCREENSHOTS, startServe, type ServeProcess } from './harness.ts';

describe('rowbot serve in Chromium: importing real-world spreadsheets', () => {
  let browser: Browser;
  let serve: ServeProcess;

  beforeAll(async () => {
    serve = await startServe();
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await serve?.stop();
  });

  it('shows what it detected in a European Excel CSV, and re-reads the file when a setting changes', async () => {
    const page = await (
      await browser.newContext({ viewport: { width: 1280, height: 800 }, reducedMotion: 'reduce' })
    ).newPage();
    await page.goto(serve.url);
    await page.getByRole('button', { name: 'New job' }).click();
    // Windows-1252, semicolons, decimal commas: what Excel writes on a French or German PC.
    const bytes = Buffer.from('Produit;Prix\nCafé crème;3,50\nThé vert;2,10\nGâteau;4,00\n', 'latin1');
    await page.getByLabel('Spreadsheet file').setInputFiles({ name: 'menu.csv', mimeType: 'text/csv', buffer: bytes });
    await page.getByText('3 rows · 2 columns').waitFor();
    // The picker is gone: focus moves on to the prompt, the next thing to do (not back to the page).
    await expect.poll(() => page.evaluate(() => document.activeElement?.tagName.toLowerCase())).toBe('textarea');
    const separator = page.getByRole('combobox', { name: 'Separator' });
    const encoding = page.getByRole('combobox', { name: 'Encoding' });
    expect(await separator.inputValue()).toBe(';');
    expect(await encoding.inputValue()).toBe('windows-1252');
    const preview = page.getByRole('table', { name: 'First rows of the file' });
    await preview.getByRole('cell', { name: 'Café crème' }).waitFor();
    await page.screenshot({ path: join(SCREENSHOTS, 'import-1-detected.png') });

    // The user says the first row is data: the columns become A, B and the header row a row.
    await page.getByRole('checkbox', { name: 'First row is the header' }).uncheck();
    await page.getByText('4 rows · 2 columns').waitFor();
    await preview.getByRole('columnheader', { name: 'A', exact: true }).waitFor();
    await preview.getByRole('cell', { name: 'Produit' }).waitFor();

    // A wrong encoding shows as broken accents, and can be put right.
    await page.getByRole('checkbox', { name: 'First row is the header' }).check();
    await encoding.selectOption('utf-8');
    await page.getByText(/could not be read as UTF-8/).waitFor();
    await encoding.selectOption('windows-1252');
    await preview.getByRole('cell', { name: 'Café crème' }).waitFor();
    expect(await page.getByText(/could not be read/).count()).toBe(0);

    // Choosing another file puts focus back on the file picker.
    await page.getByRole('button', { name: 'Choose a different file' }).click();
    await expect
      .poll(() => page.evaluate(() => document.activeElement?.closest('section')?.getAttribute('aria-labelledby')))
      .toBe('step-file');
    await page.context().close();
  });
});
