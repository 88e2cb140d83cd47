import { join } from 'node:path';
import Papa from 'papaparse';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mockReply, startMockLlmServer, type MockLlmServer } from '../fixtures/mock-llm-server.ts';
import { exportCsvDownload, launchChromium, ROOT, type ServeProcess, startServeForMock, uploadCsv } from './harness.ts';

const DOCS = join(ROOT, 'docs');
const ROWS = 12;
const review = (n: number): string => `Review ${n}: ${n % 2 ? 'sturdy and cheap' : 'broke after a week'}`;

/**
 * The label a model gives a review: mock-1 says positive for odd rows; mock-2 agrees except on every
 * third row, where it says the opposite. So the two agree on 8 of 12 rows.
 */
function label(model: string, n: number): string {
  const positive = n % 2 === 1;
  return (model === 'mock-2' && n % 3 === 0 ? !positive : positive) ? 'positive' : 'negative';
}

describe('several AI columns in the job view, in Chromium (issue 17)', () => {
  let browser: Browser;
  let mock: MockLlmServer;
  let serve: ServeProcess;
  let page: Page;
  let jobId: string;

  beforeAll(async () => {
    mock = await startMockLlmServer({
      latencyMs: 20,
      replyBody: ({ id, created, model, prompt, content, usage }) => {
        const n = /^Label: Review (\d+)/.exec(prompt)?.[1];
        return {
          id,
          object: 'chat.completion',
          created,
          model,
          choices: [
            {
              index: 0,
              message: { role: 'assistant', content: n === undefined ? content : label(model, Number(n)) },
              finish_reason: 'stop',
            },
          ],
          usage,
        };
      },
    });
    serve = await startServeForMock(mock, 'sk-columns');
    await serve.call('setPrice', { model: 'mock-2', input: 20, cachedInput: null, output: 60 });
    browser = await launchChromium();
    const lines = ['product,review'];
    for (let n = 1; n <= ROWS; n += 1) lines.push(`Product ${n},${review(n)}`);
    const sheetId = await uploadCsv(serve, 'reviews.csv', lines.join('\n'));
    // Two columns from the start: `short` uses the first column's answer.
    const job = await serve.call<{ id: string }>('createJob', {
      sheetId,
      name: 'Reviews',
      template: 'Describe {{product}}',
      provider: { kind: 'openai', baseUrl: mock.baseUrl, model: 'mock-1' },
      // Nothing from the cache: a cell run again is asked again.
      settings: { concurrency: 4, useCache: false },
      moreColumns: [{ name: 'short', template: 'Shorten: {{output}}' }],
    });
    jobId = job.id;
    page = await (
      await browser.newContext({
        acceptDownloads: true,
        viewport: { width: 1280, height: 800 },
        reducedMotion: 'reduce',
      })
    ).newPage();
    await page.goto(serve.url);
    await page.goto(`${serve.origin}/#/jobs/${jobId}`);
    await page.getByRole('button', { name: 'Open row 1', exact: true }).waitFor();
  });

  afterAll(async () => {
    await browser?.close();
    await serve?.stop();
    await mock?.close();
  });

  /** Row `n`'s (1-based) cell in the AI column `col` (its id). */
  const cell = (n: number, col: number): Locator =>
    page.locator(`.grid tbody tr[aria-rowindex="${n + 1}"] td[data-column="ai:${col}"]`);
  const columnId = async (name: string): Promise<number> => {
    const job = await serve.call<{ aiColumns: { id: number; name: string }[] }>('getJob', { jobId });
    const column = job.aiColumns.find((c) => c.name === name);
    if (!column) throw new Error(`no AI column ${name}`);
    return column.id;
  };
  const columnMenu = async (name: string): Promise<void> => {
    await page.getByRole('button', { name: `Column ${name}: actions` }).click();
    await page.getByRole('menu').waitFor();
  };
  const finished = () => page.getByText('All rows have run.').waitFor({ timeout: 30_000 });

  it('shows a column that uses another waiting on it, then the chained answers', async () => {
    const output = await columnId('output');
    const short = await columnId('short');
    // Both AI columns have a header; a queued cell whose input is not answered says what it waits on.
    await page.getByRole('button', { name: 'Column output: actions' }).waitFor();
    await page.getByRole('button', { name: 'Column short: actions' }).waitFor();
    await cell(1, short).getByText('waiting on output').waitFor();

    await page.getByRole('button', { name: 'Start' }).click();
    await finished();
    const described = mockReply('Describe Product 1');
    await cell(1, output).getByText(described, { exact: true }).waitFor();
    await cell(1, short)
      .getByText(mockReply(`Shorten: ${described}`), { exact: true })
      .waitFor();
    // The counts are cells: two per row.
    await page.getByText(`✓ ${2 * ROWS} done`, { exact: true }).waitFor();

    // Clicking a cell opens the drawer on that column; the tabs switch to the row's other cells.
    await cell(3, short).click();
    const drawer = page.getByRole('dialog');
    await drawer.getByRole('tab', { name: 'short', selected: true }).waitFor();
    await drawer.getByText(`Shorten: ${mockReply('Describe Product 3')}`, { exact: true }).waitFor();
    await drawer.getByRole('tab', { name: 'output' }).click();
    await drawer.getByText('Describe Product 3', { exact: true }).waitFor();
    await page.keyboard.press('Escape');
    await drawer.waitFor({ state: 'hidden' });
  });

  it('adds a column with the Add AI column dialog, and compares two models side by side', async () => {
    await page.getByRole('button', { name: 'Add AI column' }).click();
    const dialog = page.getByRole('dialog', { name: 'Add AI column' });
    await dialog.getByLabel('Column name').fill('sentiment');
    // The AI columns to its left are offered as placeholders beside the sheet's.
    await dialog.getByRole('button', { name: 'Insert column short' }).waitFor();
    await dialog.getByLabel('Prompt template').fill('Label: {{review}}');
    await dialog.getByText(`Label: ${review(1)}`, { exact: true }).waitFor();
    await page.screenshot({ path: join(DOCS, 'columns-add-dialog.png') });
    await dialog.getByRole('button', { name: 'Add and run' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await finished();
    const sentiment = await columnId('sentiment');
    await cell(1, sentiment).getByText('positive', { exact: true }).waitFor();
    await cell(2, sentiment).getByText('negative', { exact: true }).waitFor();
    await page.screenshot({ path: join(DOCS, 'columns-3.png') });

    await columnMenu('sentiment');
    // What cannot be done says why, in the menu itself.
    const moveRight = page.getByRole('menuitem', { name: /^Move right/ });
    expect(await moveRight.getAttribute('aria-disabled')).toBe('true');
    expect(await moveRight.innerText()).toContain('It is the last AI column.');
    await page.screenshot({ path: join(DOCS, 'columns-menu.png') });
    await page.getByRole('menuitem', { name: 'Compare with another model…' }).click();
    const compare = page.getByRole('dialog', { name: 'Compare sentiment with another model' });
    await compare.getByLabel('Model', { exact: true }).fill('mock-2');
    await compare.getByLabel('Name of the new column').fill('sentiment mock-2');
    await compare.getByRole('button', { name: 'Add comparison column' }).click();
    await compare.waitFor({ state: 'hidden' });
    await finished();
    const other = await columnId('sentiment mock-2');
    // The two models agree on 8 of the 12 rows; the 4 others are marked in the new column.
    await page.getByText('agrees on 8 of 12', { exact: true }).waitFor();
    await cell(3, other).getByText('differs', { exact: true }).waitFor();
    await cell(3, other).getByText(label('mock-2', 3), { exact: true }).waitFor();
    expect(await page.locator(`td[data-column="ai:${other}"] .tag-differs`).count()).toBe(4);
    expect(await cell(1, other).locator('.tag-differs').count()).toBe(0);
    // The headers name each column's model once the columns use more than one.
    await page.locator('.ai-model', { hasText: 'mock-2' }).waitFor();
    await page.screenshot({ path: join(DOCS, 'columns-compare.png') });
  });

  it('will not remove or move a column another one uses, and says why', async () => {
    await columnMenu('output');
    const remove = page.getByRole('menuitem', { name: /^Remove column/ });
    expect(await remove.getAttribute('aria-disabled')).toBe('true');
    expect(await remove.innerText()).toContain('short uses it');
    const moveRight = page.getByRole('menuitem', { name: /^Move right/ });
    expect(await moveRight.innerText()).toContain('short uses it, so it must stay to its left.');
    await page.keyboard.press('Escape');
    await page.getByRole('menu').waitFor({ state: 'hidden' });
  });

  it("edits a column's prompt: its cells are marked stale until Run stale cells", async () => {
    const short = await columnId('short');
    await columnMenu('short');
    await page.getByRole('menuitem', { name: 'Edit prompt and model…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Edit short' });
    await dialog.getByLabel('Prompt template').fill('Shorten briefly: {{output}}');
    await dialog.getByRole('button', { name: 'Save', exact: true }).click();
    await dialog.waitFor({ state: 'hidden' });

    const runStale = page.getByRole('button', { name: `Run stale cells (${ROWS})` });
    await runStale.waitFor();
    await cell(1, short).getByText('stale', { exact: true }).waitFor();
    expect(await page.locator(`td[data-column="ai:${short}"] .tag-stale`).count()).toBeGreaterThan(0);
    await page.screenshot({ path: join(DOCS, 'columns-stale.png') });

    // The status filters can look at one column: its cells' counts, and the rows by its cell.
    const filters = page.getByRole('group', { name: 'Show rows' });
    const byColumn = filters.getByRole('combobox', { name: 'Filter by AI column' });
    await byColumn.selectOption({ label: 'short' });
    await filters.getByRole('button', { name: `Stale ${ROWS}` }).click();
    await page.getByRole('button', { name: `Open row ${ROWS}`, exact: true }).waitFor();
    await byColumn.selectOption({ label: 'output' });
    await page.getByText('No rows match.').waitFor();
    await byColumn.selectOption({ label: 'Any AI column' });
    await filters.getByRole('button', { name: `All ${ROWS}` }).click();

    await runStale.click();
    await finished();
    const described = mockReply('Describe Product 1');
    await cell(1, short)
      .getByText(mockReply(`Shorten briefly: ${described}`), { exact: true })
      .waitFor();
    await runStale.waitFor({ state: 'hidden' });
    expect(await page.locator('.grid .tag-stale').count()).toBe(0);
  });

  it('corrects an answer by hand: marked edited, and the column using it goes stale', async () => {
    const output = await columnId('output');
    const short = await columnId('short');
    await cell(2, output).click();
    const drawer = page.getByRole('dialog');
    await drawer.getByRole('tab', { name: 'output', selected: true }).waitFor();
    await drawer.getByRole('button', { name: 'Edit answer' }).click();
    await drawer.getByLabel('Corrected answer').fill('A lamp, written by hand');
    await page.screenshot({ path: join(DOCS, 'columns-edit-cell.png') });
    await drawer.getByRole('button', { name: 'Save', exact: true }).click();
    await drawer.getByText('A lamp, written by hand', { exact: true }).waitFor();
    await page.keyboard.press('Escape');
    await drawer.waitFor({ state: 'hidden' });

    await cell(2, output).getByText('edited', { exact: true }).waitFor();
    await cell(2, output).getByText('A lamp, written by hand', { exact: true }).waitFor();
    await cell(2, short).getByText('stale', { exact: true }).waitFor();
    await page.getByRole('button', { name: 'Run stale cells (1)' }).click();
    await cell(2, short)
      .getByText(mockReply('Shorten briefly: A lamp, written by hand'), { exact: true })
      .waitFor({ timeout: 30_000 });
    // The correction is kept through the run.
    await cell(2, output).getByText('A lamp, written by hand', { exact: true }).waitFor();
  });

  it('runs the selected rows again after asking, keeping answers corrected by hand', async () => {
    const sentiment = await columnId('sentiment');
    await page.getByRole('checkbox', { name: 'Select row 1', exact: true }).check();
    await page.getByRole('checkbox', { name: 'Select row 2', exact: true }).check();
    await page.getByRole('button', { name: 'Run selected again (2)' }).click();
    const confirm = page.getByRole('dialog', { name: 'Run 2 rows again?' });
    await confirm.getByRole('button', { name: 'Run them again' }).click();
    // Both rows' cells were asked again: the mock saw row 1's label prompt again from both models, row 3's not.
    await expect.poll(() => mock.requestsByPrompt.get(`Label: ${review(1)}`), { timeout: 30_000 }).toBe(4);
    expect(mock.requestsByPrompt.get(`Label: ${review(3)}`)).toBe(2);
    await finished();
    await cell(1, sentiment).getByText(label('mock-1', 1), { exact: true }).waitFor();
    await cell(2, await columnId('output'))
      .getByText('A lamp, written by hand', { exact: true })
      .waitFor();
  });

  it('renames a column, and the prompts that use it follow; moves a column left', async () => {
    await columnMenu('output');
    await page.getByRole('menuitem', { name: 'Rename…' }).click();
    const rename = page.getByRole('dialog', { name: 'Rename output' });
    await rename.getByLabel('New name').fill('description');
    await rename.getByRole('button', { name: 'Rename' }).click();
    await page.getByRole('button', { name: 'Column description: actions' }).waitFor();
    const job = await serve.call<{ aiColumns: { name: string; template: string }[] }>('getJob', { jobId });
    expect(job.aiColumns.find((c) => c.name === 'short')?.template).toBe('Shorten briefly: {{description}}');

    await columnMenu('sentiment');
    await page.getByRole('menuitem', { name: 'Move left' }).click();
    await expect
      .poll(async () =>
        page.locator('.grid thead .ai-name').evaluateAll((names) => names.map((n) => n.firstChild?.textContent)),
      )
      .toEqual(['description', 'sentiment', 'short', 'sentiment mock-2']);
  });

  it('uses the answers corrected by hand as examples, shown in the exact prompt', async () => {
    await columnMenu('description');
    await page.getByRole('menuitem', { name: 'Edit prompt and model…' }).click();
    let dialog = page.getByRole('dialog', { name: 'Edit description' });
    await dialog.getByRole('checkbox', { name: /Use my corrections as examples/ }).check();
    await dialog.getByText(/1 answer of this column was corrected by hand/).waitFor();
    await dialog.getByRole('button', { name: 'Save', exact: true }).click();
    await dialog.waitFor({ state: 'hidden' });

    await columnMenu('description');
    await page.getByRole('menuitem', { name: 'Edit prompt and model…' }).click();
    dialog = page.getByRole('dialog', { name: 'Edit description' });
    const preview = dialog.getByRole('region', { name: 'Prompt with examples' });
    await preview.getByText('Row 1’s prompt as saved, with 1 corrected answer as an example').waitFor();
    expect(await preview.locator('pre').last().innerText()).toContain('A lamp, written by hand');
    expect(await preview.locator('pre').last().innerText()).toContain('Describe Product 1');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden' });
  });

  it('exports every AI column under its name', async () => {
    await finished();
    const text = (await exportCsvDownload(page)).replace(/^\uFEFF/, '');
    const [header = [], ...records] = Papa.parse<string[]>(text, { skipEmptyLines: true }).data;
    for (const name of ['product', 'review', 'description', 'short', 'sentiment', 'sentiment mock-2']) {
      expect(header).toContain(name);
    }
    expect(records).toHaveLength(ROWS);
    const at = (record: string[] | undefined, name: string): string | undefined => record?.[header.indexOf(name)];
    expect(at(records[0], 'description')).toBe(mockReply('Describe Product 1'));
    expect(at(records[1], 'description')).toBe('A lamp, written by hand');
    expect(at(records[1], 'short')).toBe(mockReply('Shorten briefly: A lamp, written by hand'));
    expect(at(records[2], 'sentiment')).toBe(label('mock-1', 3));
    expect(at(records[2], 'sentiment mock-2')).toBe(label('mock-2', 3));
  });
});
