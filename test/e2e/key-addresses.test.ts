/**
 * Settings → API keys: a key for "Other OpenAI-compatible" is saved with the address of the
 * user's server, and jobs there run; at another address New job says what to do and leads back to
 * Settings with the address offered. Through the real `rowbot serve` and Chromium, no console error.
 */
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockLlmServer, type MockLlmServer } from '../fixtures/mock-llm-server.ts';
import { launchChromium, SCREENSHOTS, startServe, type ServeProcess } from './harness.ts';

const CUSTOM_KEY = 'rk-custom-e2e-0123456789abQRST';

describe('a key saved with its address in Settings', () => {
  let browser: Browser;
  /** The user's own server. */
  let mine: MockLlmServer;
  /** Another server, not saved with the key. */
  let other: MockLlmServer;
  let serve: ServeProcess;

  beforeAll(async () => {
    mine = await startMockLlmServer({ models: ['mock-1'], latencyMs: 1 });
    other = await startMockLlmServer({ models: ['mock-1'], latencyMs: 1 });
    // No key and no allowance from the environment: everything is done in the UI.
    serve = await startServe({ env: { ROWBOT_API_KEY: '', OPENAI_API_KEY: '', ROWBOT_ALLOW_KEY_TO: '' } });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await serve?.stop();
    await mine?.close();
    await other?.close();
  });

  async function newJob(page: Page): Promise<void> {
    await page.getByRole('button', { name: 'New job' }).click();
    await page
      .getByLabel('Spreadsheet file')
      .setInputFiles({ name: 'items.csv', mimeType: 'text/csv', buffer: Buffer.from('item\nLamp\nChair\n') });
    await page.getByText('2 rows · 1 column').waitFor();
    await page.getByRole('textbox', { name: 'Prompt template' }).fill('Describe {{item}}');
    await page.getByRole('radio', { name: /OpenAI-compatible API/ }).check();
    await page.getByRole('combobox', { name: 'Service' }).selectOption('custom');
  }

  it('saves the key with the server’s address, runs a job there, and at another address says what to do', async () => {
    const page = await (
      await browser.newContext({ viewport: { width: 1280, height: 900 }, colorScheme: 'light' })
    ).newPage();
    const mineOrigin = new URL(mine.baseUrl).origin;
    const otherOrigin = new URL(other.baseUrl).origin;

    // The user's server, set as the default for "Other" in Settings: the key's address starts with it.
    await page.goto(serve.url);
    await page.getByRole('link', { name: 'Settings' }).click();
    const defaults = page.getByRole('region', { name: 'Defaults for new jobs' });
    await defaults.getByRole('combobox', { name: 'Service' }).selectOption('custom');
    await defaults.getByRole('textbox', { name: 'API address' }).fill(mine.baseUrl);
    await defaults.getByRole('textbox', { name: 'Model' }).fill('mock-1');

    const custom = page.getByRole('form', { name: 'Other OpenAI-compatible API key' });
    const row = page.locator('.key-row').filter({ has: custom });
    await row.getByText('Sent nowhere yet').waitFor();
    const addresses = custom.getByRole('textbox', { name: /Send this key to/ });
    expect(await addresses.count()).toBe(0);
    await custom.getByLabel('Other OpenAI-compatible API API key').fill(CUSTOM_KEY);
    // Typing the key opens the address field, filled with the server last used for this service.
    expect(await addresses.inputValue()).toBe(mineOrigin);
    // Required for this key: emptied, the key is not saved, and the row says why.
    await addresses.fill('');
    await custom.getByRole('button', { name: 'Save key' }).click();
    await page.getByRole('alert').getByText('Type the address of your server under “Send this key to”').waitFor();
    await addresses.fill(`${mine.baseUrl}\n`);
    // Fixed: the complaint about the empty field goes away.
    await expect.poll(() => page.getByRole('alert').count()).toBe(0);
    await page.getByRole('heading', { name: 'API keys' }).evaluate((heading) => heading.scrollIntoView());
    await custom.evaluate((form) => form.closest('.key-row')?.scrollIntoView({ block: 'center' }));
    await page.screenshot({ path: join(SCREENSHOTS, 'settings-key-addresses.png') });
    await custom.getByRole('button', { name: 'Save key' }).click();
    await row.getByText('Set (…QRST), for this session').waitFor();
    await row.getByText(`Sent only to ${mineOrigin}`).waitFor();
    expect(await page.content()).not.toContain(CUSTOM_KEY);
    await page.screenshot({ path: join(SCREENSHOTS, 'settings-key-saved.png') });

    // A job at that server runs, with the key.
    await newJob(page);
    expect(await page.getByRole('textbox', { name: 'API address' }).inputValue()).toBe(mine.baseUrl);
    await page.getByRole('button', { name: 'Test connection' }).click();
    await page.getByRole('status').getByText(/✓/).waitFor();
    await page.getByRole('button', { name: 'Run 2 rows' }).click();
    await page.getByText('2 / 2').first().waitFor();
    expect(mine.lastHeaders.authorization).toBe(`Bearer ${CUSTOM_KEY}`);

    // The same key at another server: refused before anything is sent, with what to do.
    await page.getByRole('button', { name: 'New job' }).click();
    await newJob(page);
    await page.getByRole('textbox', { name: 'API address' }).fill(other.baseUrl);
    await page.getByRole('combobox', { name: 'Model' }).fill('mock-1');
    await page.getByRole('button', { name: 'Test connection' }).click();
    await page
      .getByRole('status')
      .getByText(/save the key again in Settings → API keys with this address added/)
      .waitFor();
    await page.getByRole('button', { name: 'Run 2 rows' }).click();
    const refusal = page.getByRole('alert').filter({ hasText: 'so nothing was sent' });
    await refusal.waitFor();
    expect(await refusal.innerText()).toContain(
      `Rowbot sends your Other OpenAI-compatible API key only to ${mineOrigin}, not to ${otherOrigin}, so nothing was sent. If you trust ${otherOrigin} with this key, save the key again in Settings → API keys with this address added`,
    );
    const toSettings = page.getByRole('button', {
      name: 'Open Settings → API keys to add this address (your job stays here)',
    });
    await toSettings.last().scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(SCREENSHOTS, 'new-job-key-not-allowed.png') });
    expect(other.totalRequests).toBe(0);
    expect(other.lastUrl).toBe('');

    // The button leads to the key, the address offered beside the saved one; saved with the key typed again.
    await toSettings.last().click();
    await custom
      .getByText(`Sent only to ${mineOrigin}`)
      .waitFor({ state: 'detached' })
      .catch(() => undefined);
    expect(await addresses.inputValue()).toBe(`${mineOrigin}\n${otherOrigin}`);
    await expect
      .poll(() => page.evaluate(() => document.activeElement?.getAttribute('aria-label')))
      .toBe('Other OpenAI-compatible API API key');
    await row
      .getByRole('status')
      .getByText(`${otherOrigin.replace('https://', '')} is added below, from New job`)
      .waitFor();
    await page.screenshot({ path: join(SCREENSHOTS, 'settings-key-address-offered.png') });
    await custom.getByLabel('Other OpenAI-compatible API API key').fill(CUSTOM_KEY);
    await custom.getByRole('button', { name: 'Save key' }).click();
    await row.getByText(`Sent only to ${mineOrigin}, ${otherOrigin}`).waitFor();

    // Back to the waiting job: it runs now.
    await page.getByRole('button', { name: 'New job' }).click();
    // The draft comes back as it was left (it settles as the screen shows again: polled, not read once).
    await expect.poll(() => page.getByRole('textbox', { name: 'API address' }).inputValue()).toBe(other.baseUrl);
    await page.getByRole('button', { name: 'Run 2 rows' }).click();
    await page.getByText('2 / 2').first().waitFor();
    expect(other.lastHeaders.authorization).toBe(`Bearer ${CUSTOM_KEY}`);

    // A service's own key: the field is optional, and says where the key goes without it.
    await page.getByRole('link', { name: 'Settings' }).click();
    const openai = page.getByRole('form', { name: 'OpenAI key', exact: true });
    await openai.getByLabel('OpenAI API key', { exact: true }).fill('sk-test-0123456789abcdef');
    await openai
      .getByRole('textbox', { name: 'Also send this key to (addresses, one per line)' })
      .fill('gateway.example.com');
    await openai.getByRole('button', { name: 'Save key' }).click();
    await page.getByRole('alert').getByText('“gateway.example.com” is not a web address').waitFor();
    await openai
      .getByRole('textbox', { name: 'Also send this key to (addresses, one per line)' })
      .fill('https://gateway.example.com/openai/v1');
    await page.getByRole('heading', { name: 'API keys' }).scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(SCREENSHOTS, 'settings-key-gateway.png') });
    await openai.getByRole('button', { name: 'Save key' }).click();
    await page.getByText('Sent only to api.openai.com, gateway.example.com').waitFor();
    await page.context().close();
  });
});
