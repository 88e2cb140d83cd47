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

  it('a model without a price sends you to Settings → Prices; the job draft waits, then is priced with yours', async () => {
    const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    await page.goto(serve.url);
    await page.getByRole('button', { name: 'New job' }).click();
    await page
      .getByLabel('Spreadsheet file')
      .setInputFiles({ name: 'items.csv', mimeType: 'text/csv', buffer: Buffer.from('item\nLamp\nChair\n') });
    await page.getByText('2 rows · 1 column').waitFor();
    const template = page.getByRole('textbox', { name: 'Prompt template' });
    await template.fill('Describe {{item}}');
    await page.getByRole('radio', { name: /OpenAI-compatible API/ }).check();
    await page.getByRole('textbox', { name: 'API address' }).fill('https://llm.example.com/v1');
    await page.getByRole('combobox', { name: 'Model' }).fill('acme-large');
    const priceNote = page.getByLabel('Price used');
    await priceNote.getByText('Rowbot has no price for this model').waitFor();
    await priceNote.getByRole('link', { name: 'Add its price in Settings' }).click();

    const prices = page.getByRole('region', { name: 'Prices' });
    await prices.getByRole('rowheader', { name: 'gpt-4o-mini' }).waitFor();
    const add = page.getByRole('form', { name: 'Add a model’s price' });
    await add.getByLabel('Model name').fill('acme-large');
    await add.getByLabel('Input $ / 1M', { exact: true }).fill('abc');
    await add.getByLabel('Output $ / 1M').fill('2');
    await add.getByRole('button', { name: 'Add price' }).click();
    await prices
      .getByRole('alert')
      .getByText('Type the input price in dollars per million tokens, like 0.15.')
      .waitFor();
    // The box at fault is marked, and points to the message.
    const badInput = add.getByLabel('Input $ / 1M', { exact: true });
    expect(await badInput.getAttribute('aria-invalid')).toBe('true');
    const describedBy = (await badInput.getAttribute('aria-describedby')) ?? 'none';
    expect(await page.locator(`[id="${describedBy}"]`).textContent()).toContain('Type the input price');
    await add.getByLabel('Input $ / 1M', { exact: true }).fill('1.25');
    await add.getByRole('button', { name: 'Add price' }).click();
    await prices.getByRole('row', { name: /acme-large yours \$1\.25 as input \$2\.00/ }).waitFor();
    expect(await add.getByLabel('Model name').inputValue()).toBe('');

    await prices.getByRole('button', { name: 'Edit the price of gpt-4o-mini' }).click();
    await prices.getByLabel('Input price of gpt-4o-mini', { exact: true }).fill('0.2');
    await prices.getByLabel('Input price of gpt-4o-mini', { exact: true }).press('Enter');
    await prices.getByRole('row', { name: /gpt-4o-mini edited \$0\.20/ }).waitFor();
    // Keyboard users land back on the row they edited.
    await expect
      .poll(() => page.evaluate(() => document.activeElement?.getAttribute('aria-label')))
      .toBe('Edit the price of gpt-4o-mini');
    await add.getByLabel('Model name').fill('GPT-4o');
    await add.getByText('gpt-4o is already in the list: its price will be replaced.').waitFor();
    await add.getByRole('button', { name: 'Replace price' }).waitFor();
    await add.getByLabel('Model name').fill('');
    await page.getByRole('heading', { name: 'Prices' }).evaluate((heading) => heading.scrollIntoView());
    await page.screenshot({ path: join(SCREENSHOTS, 'settings-prices.png') });

    // Back to the job: everything typed is still there, and the estimate now has a cost.
    await page.getByRole('button', { name: 'New job' }).click();
    expect(await template.inputValue()).toBe('Describe {{item}}');
    await priceNote
      .getByText(/Priced as acme-large: \$1\.25 per million prompt tokens, \$2\.00 per million output/)
      .waitFor();
    await priceNote.getByText('(your price)').waitFor();
    await page
      .getByLabel('Estimate')
      .getByText(/\$0\.\d+–\$0\.\d+/)
      .waitFor();
    await priceNote.scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(SCREENSHOTS, 'new-job-price-note.png') });
    // "Start over" ends the draft: the file and the template are gone.
    await page.getByRole('button', { name: 'Start over' }).click();
    await page.getByRole('heading', { name: 'Choose your spreadsheet' }).waitFor();
    expect(await template.count()).toBe(0);
    expect(await page.getByText('2 rows · 1 column').count()).toBe(0);

    await page.goto(`${serve.origin}/#/settings/prices`);
    await prices.getByRole('button', { name: 'Reset the price of gpt-4o-mini' }).click();
    await prices.getByRole('row', { name: /^gpt-4o-mini \$0\.15/ }).waitFor();
    await prices.getByRole('button', { name: 'Remove acme-large' }).click();
    await expect.poll(() => prices.getByRole('rowheader', { name: 'acme-large' }).count()).toBe(0);
    await page.context().close();
  });

  it('defaults for new jobs: any service, with its own address and model; Azure asks for its deployment address', async () => {
    const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    await page.goto(serve.url);
    await page.getByRole('link', { name: 'Settings' }).click();
    const defaults = page.getByRole('region', { name: 'Defaults for new jobs' });
    await defaults.getByRole('combobox', { name: 'Service' }).selectOption('groq');
    expect(await defaults.getByRole('textbox', { name: 'API address' }).inputValue()).toBe(
      'https://api.groq.com/openai/v1',
    );
    await defaults.getByRole('textbox', { name: 'Model' }).fill('llama-3.3-70b-versatile');
    await defaults.scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(SCREENSHOTS, 'settings-defaults.png') });

    await page.getByRole('button', { name: 'New job' }).click();
    await page
      .getByLabel('Spreadsheet file')
      .setInputFiles({ name: 'items.csv', mimeType: 'text/csv', buffer: Buffer.from('item\nLamp\n') });
    await page.getByRole('textbox', { name: 'Prompt template' }).fill('Describe {{item}}');
    expect(await page.getByRole('radio', { name: /OpenAI-compatible API/ }).isChecked()).toBe(true);
    expect(await page.getByRole('combobox', { name: 'Service' }).inputValue()).toBe('groq');
    expect(await page.getByRole('textbox', { name: 'API address' }).inputValue()).toBe(
      'https://api.groq.com/openai/v1',
    );
    expect(await page.getByRole('combobox', { name: 'Model' }).inputValue()).toBe('llama-3.3-70b-versatile');
    await page
      .getByLabel('Price used')
      .getByText(/Priced as llama-3\.3-70b-versatile/)
      .waitFor();

    // Azure: the example address has placeholders; nothing runs until they are replaced.
    await page.getByRole('combobox', { name: 'Service' }).selectOption('azure');
    const note = page.getByRole('note').filter({ hasText: 'Azure OpenAI: the address of your deployment' });
    await note.waitFor();
    expect(await note.getAttribute('class')).toContain('banner-warning');
    const run = page.getByRole('button', { name: 'Run 1 row' });
    expect(await run.isDisabled()).toBe(true);
    await page.getByText('Put your Azure resource name and deployment name in the address').waitFor();
    await note.scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(SCREENSHOTS, 'new-job-azure.png') });
    await page
      .getByRole('textbox', { name: 'API address' })
      .fill('https://contoso.openai.azure.com/openai/deployments/gpt4o-prod');
    await expect.poll(() => run.isDisabled()).toBe(false);
    expect(await note.getAttribute('class')).not.toContain('banner-warning');
    await page.context().close();
  });
});
