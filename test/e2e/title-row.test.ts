import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, SCREENSHOTS, startServe, type ServeProcess } from './harness.ts';

describe('rowbot serve in Chromium: a row taken as a title above the table', () => {
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

  it('is shown in the preview, kept as data with one click (the header off), made the header, and left out again', async () => {
    const page = await (
      await browser.newContext({ viewport: { width: 1280, height: 800 }, reducedMotion: 'reduce' })
    ).newPage();
    await page.goto(serve.url);
    await page.getByRole('button', { name: 'New job' }).click();
    const text = 'Q3 sales by store,,\nstore,city,sales\nNorth,Leeds,1200\nSouth,Bath,980\nEast,Hull,1410\n';
    await page
      .getByLabel('Spreadsheet file')
      .setInputFiles({ name: 'sales.csv', mimeType: 'text/csv', buffer: Buffer.from(text) });
    await page.getByText('3 rows · 3 columns').waitFor();

    const title = page.getByRole('region', { name: 'Left out as a title' });
    await title.getByRole('cell', { name: 'Q3 sales by store' }).waitFor();
    await title.getByRole('rowheader', { name: 'Row 1' }).waitFor();
    const preview = page.getByRole('table', { name: 'First rows of the file' });
    await preview.getByRole('columnheader', { name: 'store' }).waitFor();
    // The preview shows the row itself, so the note saying the same is not repeated.
    expect(await page.getByText('looked like a title').count()).toBe(0);
    await page.screenshot({ path: join(SCREENSHOTS, 'import-title-row.png') });
    await page.locator('.preview').screenshot({ path: join(SCREENSHOTS, 'import-title-row-close.png') });

    await title.getByRole('button', { name: 'Keep row 1 as data' }).click();
    await page.getByText('5 rows · 3 columns').waitFor();
    expect(await title.count()).toBe(0);
    await preview.getByRole('columnheader', { name: 'A', exact: true }).waitFor();
    await preview.getByRole('cell', { name: 'Q3 sales by store' }).waitFor();
    await preview.getByRole('cell', { name: 'store', exact: true }).waitFor();
    const header = page.getByRole('checkbox', { name: 'First row is the header' });
    expect(await header.isChecked()).toBe(false);
    await page.screenshot({ path: join(SCREENSHOTS, 'import-title-row-kept.png') });

    // Ticking the header box again makes the kept row the header; it can be left out again.
    await header.check();
    await page.getByText('4 rows · 3 columns').waitFor();
    await preview.getByRole('columnheader', { name: 'Q3 sales by store' }).waitFor();
    const leaveOut = page.getByRole('checkbox', { name: 'Leave out a title above the table' });
    expect(await leaveOut.isChecked()).toBe(false);
    await leaveOut.click();
    await page.getByText('3 rows · 3 columns').waitFor();
    await title.getByRole('cell', { name: 'Q3 sales by store' }).waitFor();
    await preview.getByRole('columnheader', { name: 'store' }).waitFor();

    await page.context().close();
  });
});

describe('rowbot serve in Chromium: the title row in the dark theme', () => {
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

  it('is legible', async () => {
    const context = await browser.newContext({
      viewport: { width: 1000, height: 700 },
      reducedMotion: 'reduce',
      colorScheme: 'dark',
    });
    const page = await context.newPage();
    await page.goto(serve.url);
    await page.getByRole('button', { name: 'New job' }).click();
    const text =
      'Customer list (exported 2024-05-01)\nname,email,plan\nAnn,ann@example.org,pro\nBo,bo@example.org,free\n';
    await page
      .getByLabel('Spreadsheet file')
      .setInputFiles({ name: 'customers.csv', mimeType: 'text/csv', buffer: Buffer.from(text) });
    await page
      .getByRole('region', { name: 'Left out as a title' })
      .getByRole('button', { name: 'Keep row 1 as data' })
      .waitFor();
    await page.locator('.preview').screenshot({ path: join(SCREENSHOTS, 'import-title-row-dark.png') });
    await context.close();
  });
});
