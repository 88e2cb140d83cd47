import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, SCREENSHOTS, startServe, type ServeProcess } from './harness.ts';

describe('settings in Chromium', () => {
  let browser: Browser;
  let serve: ServeProcess;

  beforeAll(async () => {
    serve = await startServe({ env: { OPENAI_API_KEY: '', ANTHROPIC_API_KEY: 'sk-ant-from-env-9z9z' } });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await serve?.stop();
  });

  it('takes a key and never shows it again, only that it is set; switches the theme', async () => {
    const page = await (
      await browser.newContext({ viewport: { width: 1280, height: 800 }, colorScheme: 'light' })
    ).newPage();
    await page.goto(serve.url);
    await page.getByRole('link', { name: 'Settings' }).click();
    await page.getByText('Set (…9z9z) from ANTHROPIC_API_KEY').waitFor();

    const secret = 'sk-test-0123456789abcdefWXYZ';
    await page.getByLabel('OpenAI API key', { exact: true }).fill(secret);
    await page.getByRole('button', { name: 'Save key' }).first().click();
    await page.getByText('Set (…WXYZ), for this session').waitFor();
    expect(await page.getByLabel('OpenAI API key', { exact: true }).inputValue()).toBe('');
    expect(await page.content()).not.toContain(secret);
    // What the backend answers holds the last four characters only.
    const answer = await page.evaluate(async () =>
      (await fetch('/api/call/getKeys', { method: 'POST', body: '{}' })).text(),
    );
    expect(answer).not.toContain(secret);
    expect(answer).toContain('WXYZ');

    await page.getByRole('radio', { name: 'Dark' }).check();
    expect(await page.locator('html').getAttribute('data-theme')).toBe('dark');
    await page.screenshot({ path: join(SCREENSHOTS, 'settings-dark.png') });
    await page.reload();
    expect(await page.locator('html').getAttribute('data-theme')).toBe('dark');
    await page.getByRole('radio', { name: 'Follow the system' }).check();
    // The system (this browser context) is light.
    expect(await page.locator('html').getAttribute('data-theme')).toBe('light');
    expect(await page.locator('html').getAttribute('data-theme-choice')).toBe('system');

    await page.getByRole('button', { name: 'Remove' }).first().click();
    await expect.poll(() => page.getByText('Not set').count()).toBe(7);
    await page.context().close();
  });
});
