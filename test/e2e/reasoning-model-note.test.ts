/**
 * New job: a reasoning model (o3-mini) with a temperature is said before the run, where the
 * temperature is typed, and the run cannot start until it is cleared. OpenAI refuses such a
 * request ("Unsupported value: 'temperature' does not support 0.3 with this model. Only the default
 * (1) value is supported.", https://platform.openai.com/docs/guides/reasoning, "Limitations").
 */
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockLlmServer, type MockLlmServer } from '../fixtures/mock-llm-server.ts';
import { launchChromium, SCREENSHOTS, startServe, type ServeProcess } from './harness.ts';

describe('New job: a reasoning model’s temperature', () => {
  let browser: Browser;
  let mock: MockLlmServer;
  let serve: ServeProcess;

  beforeAll(async () => {
    mock = await startMockLlmServer();
    serve = await startServe();
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await serve?.stop();
    await mock?.close();
  });

  it('shows a note beside the settings and keeps Run off until the temperature is cleared', async () => {
    const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    await page.goto(serve.url);
    await page.getByRole('button', { name: 'New job' }).click();
    await page
      .getByLabel('Spreadsheet file')
      .setInputFiles({ name: 'items.csv', mimeType: 'text/csv', buffer: Buffer.from('item\n1\n2\n') });
    await page.getByText('2 rows · 1 column').waitFor();
    await page.getByRole('textbox', { name: 'Prompt template' }).fill('Summarize item {{item}}');
    await page.getByRole('radio', { name: /OpenAI-compatible API/ }).check();
    await page.getByRole('textbox', { name: 'API address' }).fill(mock.baseUrl);
    await page.getByRole('combobox', { name: 'Model' }).fill('o3-mini');
    await page.getByText('Answer options: length, creativity, budget, JSON').click();
    const run = page.getByRole('button', { name: 'Run 2 rows' });
    expect(await run.isEnabled()).toBe(true);

    await page.getByRole('spinbutton', { name: 'Temperature (0–2)' }).fill('0.3');
    const note = page.getByRole('alert').filter({ hasText: '“o3-mini” is a reasoning model' });
    await note.waitFor();
    expect(await note.innerText()).toContain('the provider would refuse every row with temperature 0.3');
    expect(await run.isDisabled()).toBe(true);
    await page.screenshot({ path: join(SCREENSHOTS, 'new-job-reasoning-temperature.png') });

    await page.getByRole('spinbutton', { name: 'Temperature (0–2)' }).fill('');
    await note.waitFor({ state: 'detached' });
    expect(await run.isEnabled()).toBe(true);
    await page.context().close();
    expect(mock.totalRequests).toBe(0);
  });
});
