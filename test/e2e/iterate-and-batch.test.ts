/**
 * Issue 15 §9–11 and issue 16 §1 in Chromium against the real `rowbot serve` and the mock server:
 * edit a job after a ten-row try and run the rest or all again; the jobs list's details and search;
 * picking a model from the service's list after Test connection; and a job sent as a batch at about
 * half the price, watched to the end and exported. No console error or page error anywhere.
 */
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { mockReply, startMockLlmServer, type MockLlmServer } from '../fixtures/mock-llm-server.ts';
import {
  exportCsvDownload,
  launchChromium,
  ROOT,
  SCREENSHOTS,
  type ServeProcess,
  startServeForMock,
  uploadCsv,
} from './harness.ts';

/** Screenshots the README shows. */
const DOCS = join(ROOT, 'docs');

describe('iterate on a job, find it again, set up a provider, send a batch', () => {
  let browser: Browser;
  let mock: MockLlmServer;
  let serve: ServeProcess;
  let page: Page;

  beforeAll(async () => {
    mock = await startMockLlmServer({ latencyMs: 5, models: ['mock-1', 'mock-2', 'gpt-4o-mini'] });
    serve = await startServeForMock(mock, 'sk-e2e-iterate-0123456789');
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

  async function open(): Promise<void> {
    page = await (
      await browser.newContext({
        acceptDownloads: true,
        viewport: { width: 1280, height: 800 },
        reducedMotion: 'reduce',
        colorScheme: 'light',
      })
    ).newPage();
    await page.goto(serve.url);
  }

  /** New job with `rows` rows and the prompt, at the mock through the given OpenAI-compatible service. */
  async function draft(name: string, rows: number, template: string, service: string, model = 'mock-1') {
    await page.getByRole('button', { name: 'New job' }).click();
    const lines = ['item'];
    for (let n = 1; n <= rows; n += 1) lines.push(`${name} ${n}`);
    await page
      .getByLabel('Spreadsheet file')
      .setInputFiles({ name: `${name}.csv`, mimeType: 'text/csv', buffer: Buffer.from(lines.join('\n')) });
    await page.getByText(`${rows} rows · 1 column`).waitFor();
    await page.getByRole('textbox', { name: 'Prompt template' }).fill(template);
    await page.getByRole('radio', { name: /OpenAI-compatible API/ }).check();
    await page.getByRole('combobox', { name: 'Service' }).selectOption(service);
    await page.getByRole('textbox', { name: 'API address' }).fill(mock.baseUrl);
    await page.getByRole('combobox', { name: 'Model' }).fill(model);
  }

  const done = (): Promise<string> => page.getByRole('button', { name: /^Done/ }).innerText();
  const sent = (prompt: string): number => mock.requestsByPrompt.get(prompt) ?? 0;

  it('edits a job after a ten-row try: Run the rest keeps the answers, Run all again asks first', async () => {
    await open();
    mock.resetCounters();
    await draft('edit', 30, 'first: {{item}}', 'vllm');
    await page.getByRole('button', { name: 'Try 10 rows first' }).click();
    await page
      .getByRole('status')
      .filter({ hasText: /^Sample run done/ })
      .waitFor({ timeout: 20_000 });
    expect(await done()).toBe('Done 10');

    // The edit form opens from the job's header, filled in as the job is.
    await page.getByRole('button', { name: 'Edit prompt and settings' }).click();
    await page.getByRole('heading', { name: /^Edit “edit · mock-1/ }).waitFor();
    const template = page.getByRole('textbox', { name: 'Prompt template' });
    await expect.poll(() => template.inputValue()).toBe('first: {{item}}');
    expect(await page.getByRole('combobox', { name: 'Model' }).inputValue()).toBe('mock-1');
    expect(await page.getByRole('textbox', { name: 'API address' }).inputValue()).toBe(mock.baseUrl);
    expect(await page.getByRole('combobox', { name: 'Service' }).inputValue()).toBe('vllm');
    expect(await page.getByRole('spinbutton', { name: 'Rows at once' }).inputValue()).toBe('4');
    await page
      .getByText('10 answered rows keep their answers with “Run the rest”; 20 rows run with your changes.')
      .waitFor();
    await template.fill('second: {{item}}');
    await page.getByText('second: edit 1', { exact: true }).waitFor();
    await page.screenshot({ path: join(SCREENSHOTS, 'iterate-1-edit-form.png') });
    await page.getByRole('button', { name: 'Run the rest' }).scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(SCREENSHOTS, 'iterate-1b-edit-run.png') });

    await page.getByRole('button', { name: 'Run the rest' }).click();
    await page.getByRole('group', { name: 'Run controls' }).waitFor();
    await expect.poll(done, { timeout: 30_000 }).toBe('Done 30');
    for (let n = 1; n <= 10; n += 1) {
      expect(sent(`first: edit ${n}`)).toBe(1);
      expect(sent(`second: edit ${n}`)).toBe(0);
    }
    for (let n = 11; n <= 30; n += 1) {
      expect(sent(`first: edit ${n}`)).toBe(0);
      expect(sent(`second: edit ${n}`)).toBe(1);
    }
    // The answered rows keep their answers.
    await page.getByText(mockReply('first: edit 1'), { exact: true }).waitFor();

    // Run all again: the confirmation says how many answered rows go again and what they may cost.
    await page.getByRole('button', { name: 'Edit prompt and settings' }).click();
    await expect.poll(() => template.inputValue()).toBe('second: {{item}}');
    await template.fill('third: {{item}}');
    await page.getByRole('button', { name: 'Run all again…' }).click();
    const confirm = page.getByRole('alertdialog', { name: 'Run all 30 rows again?' });
    await confirm
      .getByText(/The 30 answered rows are sent again and their answers are replaced\. That may cost about \$/)
      .waitFor();
    await page.screenshot({ path: join(SCREENSHOTS, 'iterate-2-run-all-again.png') });
    // Keeping the answers sends nothing.
    await confirm.getByRole('button', { name: 'Keep the answers' }).click();
    await confirm.waitFor({ state: 'hidden' });
    expect(sent('third: edit 1')).toBe(0);
    await page.getByRole('button', { name: 'Run all again…' }).click();
    await confirm.getByRole('button', { name: 'Send 30 answered rows again' }).click();
    await page.getByRole('group', { name: 'Run controls' }).waitFor();
    await expect.poll(() => sent('third: edit 30'), { timeout: 30_000 }).toBe(1);
    await expect.poll(done, { timeout: 30_000 }).toBe('Done 30');
    for (let n = 1; n <= 30; n += 1) expect(sent(`third: edit ${n}`)).toBe(1);
    await page.getByText(mockReply('third: edit 1'), { exact: true }).waitFor();

    // A draft of a new job waits hidden while a job is edited: neither takes the other's choices.
    const jobHash = new URL(page.url()).hash;
    await page.getByRole('button', { name: 'New job' }).click();
    await page.getByRole('radio', { name: /^Demo \(offline\)/ }).check();
    await page.evaluate((hash) => (window.location.hash = `${hash}/edit`), jobHash);
    const compatible = page.getByRole('radio', { name: /OpenAI-compatible API/ });
    await expect.poll(() => compatible.isChecked()).toBe(true);
    await page.getByRole('button', { name: 'New job' }).click();
    await expect.poll(() => page.getByRole('radio', { name: /^Demo \(offline\)/ }).isChecked()).toBe(true);
  });

  it('lists each job with its prompt, model and failures, and finds it by a search the keyboard reaches', async () => {
    // A job with failures, through the API: two rows the server refuses.
    mock.updateOptions({
      fault: (prompt) =>
        prompt.endsWith('broken')
          ? { status: 400, body: { error: { message: 'No', type: 'x', code: null } } }
          : undefined,
    });
    const sheetId = await uploadCsv(serve, 'reviews.csv', 'text\ngood\nbroken\nfine\nbroken\n');
    const failing = await serve.call<{ id: string; name: string }>('createJob', {
      sheetId,
      template: 'Classify the sentiment of this review: {{text}}',
      provider: { kind: 'openai', baseUrl: mock.baseUrl, model: 'mock-2', keyId: null },
    });
    await serve.call('startJob', { jobId: failing.id });
    await expect
      .poll(async () => (await serve.call<{ status: string }>('getJob', { jobId: failing.id })).status, {
        timeout: 20_000,
      })
      .toBe('completed');
    mock.updateOptions({ fault: undefined });

    await open();
    const row = page.locator('.jobs-table tbody tr').filter({ hasText: 'reviews.csv' });
    await row.getByText('Classify the sentiment of this review: {{text}}').waitFor();
    expect(await row.getByRole('cell', { name: 'mock-2', exact: true }).count()).toBe(1);
    const failed = row.getByText('· 2 failed');
    expect(await failed.evaluate((element) => element.className)).toContain('warning-text');
    // Not a green "Completed": how many failed, in amber, beside the others.
    await row.getByText('Finished, 2 failed', { exact: true }).waitFor();
    expect(failing.name).toMatch(/^reviews · mock-2 · \d+ \w+ \d\d:\d\d$/);
    await page.screenshot({ path: join(SCREENSHOTS, 'jobs-list-1-details.png') });
    await page.screenshot({ path: join(DOCS, 'jobs.png') });

    // The search is among the first stops of Tab, and "/" goes there too.
    const search = page.getByRole('searchbox', { name: 'Search jobs' });
    let tabs = 0;
    while (!(await search.evaluate((element) => element === document.activeElement)) && tabs < 8) {
      await page.keyboard.press('Tab');
      tabs += 1;
    }
    expect(tabs).toBeLessThanOrEqual(6);
    await page.locator('h1').click();
    await page.keyboard.press('/');
    expect(await search.evaluate((element) => element === document.activeElement)).toBe(true);

    const names = () => page.locator('.jobs-table tbody tr a').allInnerTexts();
    await page.keyboard.type('sentiment');
    await expect.poll(names).toEqual([failing.name]);
    await search.fill('EDIT.CSV');
    await expect.poll(async () => (await names()).every((name) => name.startsWith('edit · '))).toBe(true);
    expect((await names()).length).toBeGreaterThan(0);
    await search.fill('mock-2 reviews');
    await expect.poll(names).toEqual([failing.name]);
    await page.screenshot({ path: join(SCREENSHOTS, 'jobs-list-2-search.png') });
    await search.fill('nothing like this');
    await page.getByText('No job matches “nothing like this”.').waitFor();
    await page.getByRole('button', { name: 'Clear the search' }).click();
    await expect.poll(async () => (await names()).length).toBeGreaterThan(1);

    // At 1024×700 each job's details still fit beside its menu.
    await page.setViewportSize({ width: 1024, height: 700 });
    const table = await page.locator('.jobs-table').boundingBox();
    const menu = await row.getByRole('button', { name: `Actions for ${failing.name}` }).boundingBox();
    expect((menu?.x ?? 0) + (menu?.width ?? 0)).toBeLessThanOrEqual((table?.x ?? 0) + (table?.width ?? 0) + 1);
    expect((table?.x ?? 0) + (table?.width ?? 0)).toBeLessThanOrEqual(1024);
    await page.screenshot({ path: join(SCREENSHOTS, 'jobs-list-3-1024.png') });

    // The row menu offers the edit form too, by keyboard.
    await row.getByRole('button', { name: `Actions for ${failing.name}` }).focus();
    await page.keyboard.press('Enter');
    const edit = page.getByRole('menuitem', { name: 'Edit prompt and settings…' });
    await edit.waitFor();
    await page.keyboard.press('ArrowDown');
    await expect.poll(() => edit.evaluate((element) => element === document.activeElement)).toBe(true);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: `Edit “${failing.name}”` }).waitFor();
    await expect
      .poll(() => page.getByRole('textbox', { name: 'Prompt template' }).inputValue())
      .toBe('Classify the sentiment of this review: {{text}}');

    // Duplicate opens the copy in the edit form; saved without running, it waits for Start.
    await page.getByRole('link', { name: 'Jobs', exact: true }).click();
    await row.getByRole('button', { name: `Actions for ${failing.name}` }).click();
    await page.getByRole('menuitem', { name: 'Duplicate and edit…' }).click();
    await page.getByRole('heading', { name: `Edit “${failing.name} (copy)”` }).waitFor();
    const template = page.getByRole('textbox', { name: 'Prompt template' });
    await expect.poll(() => template.inputValue()).toBe('Classify the sentiment of this review: {{text}}');
    await template.fill('Rate {{text}}');
    await page.getByText('No row has an answer yet: 4 rows run with your changes.').waitFor();
    await page.getByRole('button', { name: 'Save without running' }).click();
    await page.getByRole('button', { name: 'Start' }).waitFor();
    expect(sent('Rate good')).toBe(0);
    await page.getByRole('button', { name: 'Edit prompt and settings' }).click();
    await expect.poll(() => template.inputValue()).toBe('Rate {{text}}');
    await page.getByRole('button', { name: 'Run 4 rows' }).click();
    await expect.poll(done, { timeout: 30_000 }).toBe('Done 4');
    expect(sent('Rate good')).toBe(1);
  });

  it('sets up a provider: Other starts empty, an address without /v1 gets a hint, the model is picked from the list', async () => {
    await open();
    await page.getByRole('button', { name: 'New job' }).click();
    await page.getByRole('radio', { name: /OpenAI-compatible API/ }).check();
    const address = page.getByRole('textbox', { name: 'API address' });
    expect(await address.inputValue()).toBe('https://api.openai.com/v1');
    await page.getByText('The service’s API address, starting with http:// or https://').waitFor();
    await page.getByRole('combobox', { name: 'Service' }).selectOption('custom');
    expect(await address.inputValue()).toBe('');

    await page.getByRole('combobox', { name: 'Service' }).selectOption('vllm');
    await address.fill(new URL(mock.baseUrl).origin);
    await page.getByText(/This address has no \/v1 at the end/).waitFor();
    await address.fill(mock.baseUrl);
    await page.getByText('The service’s API address, starting with http:// or https://').waitFor();
    const model = page.getByRole('combobox', { name: 'Model' });
    await model.fill('mock');
    await page.getByRole('button', { name: 'Test connection' }).click();
    await page
      .getByRole('status')
      .getByText(/Connected, but the provider has no model called “mock”/)
      .waitFor();

    // The service's models, listed right there.
    const list = page.getByRole('listbox', { name: 'Models of this service' });
    await list.waitFor();
    expect(await list.getByRole('option').allInnerTexts()).toEqual(['gpt-4o-mini', 'mock-1', 'mock-2']);
    await page.screenshot({ path: join(SCREENSHOTS, 'provider-1-model-list.png') });
    await page
      .getByRole('heading', { name: 'Choose the model' })
      .evaluate((heading) => heading.closest('section')?.scrollIntoView({ block: 'start' }));
    await page.screenshot({ path: join(DOCS, 'provider-setup.png') });
    // By keyboard: down the list, Enter.
    await model.focus();
    for (let i = 0; i < 3; i += 1) await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter');
    expect(await model.inputValue()).toBe('mock-2');
    await list.waitFor({ state: 'hidden' });
    await page.getByRole('button', { name: 'Test connection' }).click();
    await page.getByRole('status').getByText(/^✓/).waitFor();
    // Typing filters the list; a click picks.
    await model.fill('gpt');
    expect(await list.getByRole('option').allInnerTexts()).toEqual(['gpt-4o-mini']);
    await list.getByRole('option', { name: 'gpt-4o-mini' }).click();
    expect(await model.inputValue()).toBe('gpt-4o-mini');
    // The ▾ button shows the whole list.
    await page.getByRole('button', { name: 'Show the service’s 3 models' }).click();
    expect(await list.getByRole('option').count()).toBe(3);
    await page.screenshot({ path: join(SCREENSHOTS, 'provider-2-model-list-open.png') });
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.screenshot({ path: join(SCREENSHOTS, 'provider-3-model-list-dark.png') });
    await page.emulateMedia({ colorScheme: 'light' });
    await page.keyboard.press('Escape');
    await list.waitFor({ state: 'hidden' });
  });

  it('runs a job as a batch at about half the price, watches it complete, and exports it', async () => {
    mock.updateOptions({ batch: { completeAfterMs: 1_000 } });
    mock.resetCounters();
    await open();
    await draft('batched', 12, 'Name a colour for {{item}}', 'vllm', 'gpt-4o-mini');
    // A server without a Batch API: no choice of when.
    await page.getByRole('button', { name: 'Run 12 rows' }).waitFor();
    expect(await page.getByRole('group', { name: 'When' }).count()).toBe(0);

    await page.getByRole('combobox', { name: 'Service' }).selectOption('openai');
    await page.getByRole('textbox', { name: 'API address' }).fill(mock.baseUrl);
    await page.getByRole('combobox', { name: 'Model' }).fill('gpt-4o-mini');
    const when = page.getByRole('group', { name: 'When' });
    await when.getByRole('radio', { name: /^Now \(live\)/ }).waitFor();
    expect(await when.getByRole('radio', { name: /^Now \(live\)/ }).isChecked()).toBe(true);
    const estimate = page.getByLabel('Estimate');
    await expect.poll(() => estimate.innerText(), { timeout: 10_000 }).toMatch(/now \$[\d.]+–\$[\d.]+ · /);
    await when
      .getByText(/^About \$[\d.]+–\$[\d.]+$/)
      .first()
      .waitFor();
    // Both prices, each beside its choice.
    expect(await when.getByText(/^About \$[\d.]+–\$[\d.]+$/).count()).toBe(2);

    await when.getByRole('radio', { name: /^Cheaper \(batch/ }).check();
    await expect.poll(() => estimate.innerText()).toMatch(/as a batch \$[\d.]+–\$[\d.]+ · results within 24 hours/);
    // The batch price is about half the live one.
    const [live, cheaper] = (await when.getByText(/^About \$/).allInnerTexts()).map((text) =>
      Number(/\$([\d.]+)/.exec(text)?.[1]),
    );
    expect(cheaper).toBeCloseTo((live ?? 0) / 2, 4);
    await page.getByRole('button', { name: 'Run 12 rows as a batch' }).scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(SCREENSHOTS, 'batch-1-when.png') });
    await page.screenshot({ path: join(DOCS, 'new-job-batch.png') });
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.screenshot({ path: join(SCREENSHOTS, 'batch-1-when-dark.png') });
    await page.emulateMedia({ colorScheme: 'light' });
    await page.getByRole('button', { name: 'Run 12 rows as a batch' }).click();
    await page.getByRole('group', { name: 'Run controls' }).waitFor();
    await expect.poll(done, { timeout: 60_000 }).toBe('Done 12');
    const jobId = new URL(page.url()).hash.replace('#/jobs/', '');
    await expect
      .poll(async () => (await serve.call<{ status: string }>('getJob', { jobId })).status, { timeout: 20_000 })
      .toBe('completed');
    expect(mock.batchesCreated).toBe(1);
    expect(mock.batchRequests).toBe(12);
    await page.getByText(mockReply('Name a colour for batched 1'), { exact: true }).waitFor();
    await page.screenshot({ path: join(SCREENSHOTS, 'batch-2-done.png') });

    const text = await exportCsvDownload(page);
    for (let n = 1; n <= 12; n += 1) expect(text).toContain(mockReply(`Name a colour for batched ${n}`));
  });

  it('after a ten-row try, sends the rest as a batch from the edit form, with both prices for the rest', async () => {
    mock.updateOptions({ batch: { completeAfterMs: 500 } });
    mock.resetCounters();
    await open();
    await draft('rest', 25, 'Tag {{item}}', 'openai', 'gpt-4o-mini');
    // "Try 10 rows first" runs live whatever the choice.
    await page.getByRole('button', { name: 'Try 10 rows first' }).click();
    await page
      .getByRole('status')
      .filter({ hasText: /^Sample run done/ })
      .waitFor({ timeout: 20_000 });
    expect(await done()).toBe('Done 10');
    expect(mock.batchesCreated).toBe(0);

    await page.getByRole('button', { name: 'Edit prompt and settings' }).click();
    const when = page.getByRole('group', { name: 'When' });
    await when.getByRole('radio', { name: /^Now \(live\)/ }).waitFor();
    expect(await when.getByRole('radio', { name: /^Now \(live\)/ }).isChecked()).toBe(true);
    await expect
      .poll(() => when.getByText(/^About \$[\d.]+–\$[\d.]+ for the 15 rows without an answer$/).count())
      .toBe(2);
    await when.getByRole('radio', { name: /^Cheaper \(batch/ }).check();
    const send = page.getByRole('button', { name: 'Run the rest as a batch' });
    await send.scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(SCREENSHOTS, 'batch-3-rest-after-try.png') });
    await send.click();
    await page.getByRole('group', { name: 'Run controls' }).waitFor();
    await expect.poll(done, { timeout: 60_000 }).toBe('Done 25');
    expect(mock.batchesCreated).toBe(1);
    expect(mock.batchRequests).toBe(15);
    await page.getByText(mockReply('Tag rest 1'), { exact: true }).waitFor();
  });
});
