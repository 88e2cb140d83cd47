import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cutOffReplies, startMockLlmServer, type MockLlmServer } from '../fixtures/mock-llm-server.ts';
import { launchChromium, SCREENSHOTS, startServe, type ServeProcess } from './harness.ts';

const ROWS = 12;
const tagline = (n: number): string => `Write a tagline for Lamp ${n}`;
/** Rows 3 and 7: their first answer stops at the output limit. */
const CUT = new Set([tagline(3), tagline(7)]);

describe('answers cut off at the output limit, in Chromium', () => {
  let browser: Browser;
  let mock: MockLlmServer;
  let serve: ServeProcess;

  beforeAll(async () => {
    mock = await startMockLlmServer({
      latencyMs: 20,
      replyBody: cutOffReplies(CUT, { keep: 24, completionTokens: 60 }),
    });
    serve = await startServe();
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await serve?.stop();
    await mock?.close();
  });

  it('marks them amber with a word, filters them, explains them in the drawer, and runs them again with a higher limit', async () => {
    const lines = ['product,color'];
    for (let n = 1; n <= ROWS; n += 1) lines.push(`Lamp ${n},${['red', 'green', 'blue'][n % 3]}`);
    const { preview } = await serve.call<{ preview: { sheetId: string } }>('importUpload', {
      fileName: 'lamps.csv',
      dataBase64: Buffer.from(lines.join('\n')).toString('base64'),
    });
    await serve.call('setPrice', { model: 'mock-1', input: 0.15, cachedInput: null, output: 0.6 });
    const job = await serve.call<{ id: string }>('createJob', {
      sheetId: preview.sheetId,
      name: 'Lamp taglines',
      template: 'Write a tagline for {{product}}',
      provider: { kind: 'openai', baseUrl: mock.baseUrl, model: 'mock-1', keyId: null },
      settings: { concurrency: 3, maxOutputTokens: 60 },
    });

    const page: Page = await (
      await browser.newContext({ viewport: { width: 1280, height: 800 }, reducedMotion: 'reduce' })
    ).newPage();
    await page.goto(serve.url);
    await page.goto(`${serve.origin}/#/jobs/${job.id}`);
    await page.getByRole('button', { name: 'Start' }).click();
    await page.getByText('All rows have run.').waitFor({ timeout: 20_000 });

    // The header and the filters count them; the table marks them with a word, not colour alone.
    await page.getByText('2 cut off', { exact: true }).waitFor();
    const chip = page.getByRole('button', { name: 'Cut off 2' });
    await chip.waitFor();
    await expect.poll(() => page.getByRole('button', { name: /^Done/ }).innerText()).toBe('Done 12');
    const badges = page.getByRole('table').getByText('Cut off', { exact: true });
    await expect.poll(() => badges.count()).toBe(2);
    expect(await badges.first().evaluate((el) => getComputedStyle(el).backgroundColor)).not.toBe(
      await page
        .getByRole('table')
        .getByText('Done', { exact: true })
        .first()
        .evaluate((el) => getComputedStyle(el).backgroundColor),
    );
    await page.screenshot({ path: join(SCREENSHOTS, 'cut-off-1-job.png') });

    await chip.click();
    await expect.poll(() => page.getByRole('button', { name: /^Open row \d+$/ }).allInnerTexts()).toEqual(['3', '7']);
    await page.screenshot({ path: join(SCREENSHOTS, 'cut-off-2-filter.png') });

    // The drawer says where the answer stopped and what to do.
    await page.getByRole('button', { name: 'Open row 3', exact: true }).click();
    const drawer = page.getByRole('dialog', { name: 'Row 3' });
    await drawer.getByText('Cut off at the output limit (60 tokens): retry with a higher limit.').waitFor();
    await drawer.getByRole('cell', { name: '$0.000037' }).waitFor();
    await page.screenshot({ path: join(SCREENSHOTS, 'cut-off-3-drawer.png') });

    // From the drawer to the dialog: a limit that is not higher is refused in plain words.
    await drawer.getByRole('button', { name: 'Retry cut-off rows with a higher limit…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Retry cut-off rows' });
    const limit = dialog.getByRole('textbox', { name: 'Max output tokens' });
    expect(await limit.inputValue()).toBe('256');
    await limit.fill('60');
    await dialog.getByRole('button', { name: 'Retry 2 rows' }).click();
    await dialog
      .getByRole('alert')
      .getByText('Choose more than 60: these answers were cut off at that limit.')
      .waitFor();
    await limit.fill('1,000');
    await page.screenshot({ path: join(SCREENSHOTS, 'cut-off-4-dialog.png') });
    await dialog.getByRole('button', { name: 'Retry 2 rows' }).click();
    await page.getByText('2 cut-off rows sent back to the queue with an output limit of 1,000 tokens.').waitFor();

    await expect.poll(() => mock.requestsByPrompt.get(tagline(7)), { timeout: 20_000 }).toBe(2);
    expect(mock.requestsByPrompt.get(tagline(3))).toBe(2);
    expect(mock.lastRequest?.max_tokens).toBe(1000);
    await page.getByRole('button', { name: /^All/ }).click();
    await expect.poll(() => page.getByRole('button', { name: /^Done/ }).innerText()).toBe('Done 12');
    await page.getByText('All rows have run.').waitFor({ timeout: 20_000 });
    expect(await page.getByText(/^\d+ cut off$/).count()).toBe(0);
    await expect.poll(() => page.getByRole('table').getByText('Cut off', { exact: true }).count()).toBe(0);
    await page.screenshot({ path: join(SCREENSHOTS, 'cut-off-5-after.png') });
  });
});
