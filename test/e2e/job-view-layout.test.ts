/**
 * Issue 15 §1, 2, 4–8 and 12 in Chromium against the real `rowbot serve` and the mock server: the
 * job view of a 300-row run with failures and 429s, measured by bounding boxes at 1280×800 and
 * 1024×700. No console error or page error anywhere.
 */
import { join } from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startMockLlmServer, type MockLlmServer } from '../fixtures/mock-llm-server.ts';
import { launchChromium, ROOT, type ServeProcess, startServe, uploadCsv } from './harness.ts';

const DOCS = join(ROOT, 'docs');
const ROWS = 300;
const SIZES = [
  { width: 1280, height: 800 },
  { width: 1024, height: 700 },
] as const;

interface JobState {
  status: string;
  counts: { done: number; failed: number; queued: number; running: number; total: number };
  live: { secondsLeft: number | null } | null;
}

type Box = { x: number; y: number; width: number; height: number };

async function box(locator: Locator): Promise<Box> {
  const found = await locator.boundingBox();
  if (!found) throw new Error(`No box for ${String(locator)}`);
  return found;
}

/** `inner` lies within `outer`, left to right (a pixel of rounding allowed). */
function withinX(inner: Box, outer: Box): boolean {
  return inner.x >= outer.x - 1 && inner.x + inner.width <= outer.x + outer.width + 1;
}

function overlaps(a: Box, b: Box): boolean {
  return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
}

/** "ETA 4 min" / "ETA 45 s" in seconds. */
function etaSeconds(text: string): number | null {
  const match = /ETA (\d+) (s|min)/.exec(text);
  if (!match) return null;
  return Number(match[1]) * (match[2] === 'min' ? 60 : 1);
}

describe('the job view of a run with failures, measured, in Chromium', () => {
  let browser: Browser;
  let mock: MockLlmServer;
  let serve: ServeProcess;
  let page: Page;
  let jobId: string;

  beforeAll(async () => {
    // Some requests answer 500 (retried, some fail for good); the server takes 3 at once, so a
    // 4th gets a 429.
    mock = await startMockLlmServer({ latencyMs: 120, faultRates: { status500: 0.2 }, maxConcurrent: 3, seed: 7 });
    serve = await startServe();
    browser = await launchChromium();
    const lines = ['product,description,notes'];
    for (let n = 1; n <= ROWS; n += 1) {
      lines.push(
        `Product ${n},"A sturdy thing, number ${n}, with a description longer than its column","first line\nsecond line"`,
      );
    }
    const sheetId = await uploadCsv(serve, 'products.csv', lines.join('\n'));
    const job = await serve.call<{ id: string }>('createJob', {
      sheetId,
      name: 'Product blurbs',
      template: 'Describe {{product}}: {{description}}',
      provider: { kind: 'openai', baseUrl: mock.baseUrl, model: 'mock-1', keyId: null },
      settings: { concurrency: 4, maxAttempts: 2 },
    });
    jobId = job.id;
    page = await (
      await browser.newContext({ viewport: SIZES[0], reducedMotion: 'reduce', colorScheme: 'light' })
    ).newPage();
    await page.goto(serve.url);
    await page.goto(`${serve.origin}/#/jobs/${jobId}`);
    await page.getByRole('button', { name: 'Open row 1', exact: true }).waitFor();
  });

  afterEach(() => {});

  afterAll(async () => {
    await browser?.close();
    await serve?.stop();
    await mock?.close();
  });

  const job = () => serve.call<JobState>('getJob', { jobId });
  const grid = () => page.locator('.grid-scroll');
  const rowOf = (n: number) =>
    page.locator('.grid tbody tr').filter({ has: page.getByRole('button', { name: `Open row ${n}`, exact: true }) });

  async function pageDoesNotScroll(): Promise<void> {
    const sizes = await page.evaluate(() => ({
      document: document.documentElement.scrollHeight,
      body: document.body.scrollHeight,
      window: window.innerHeight,
      wide: document.documentElement.scrollWidth,
      windowWidth: window.innerWidth,
    }));
    expect(sizes.document).toBe(sizes.window);
    expect(sizes.body).toBe(sizes.window);
    expect(sizes.wide).toBe(sizes.windowWidth);
  }

  /** Status, the answer and the row's actions in view without scrolling sideways; the table to the window's bottom. */
  async function checkTable(size: { width: number; height: number }): Promise<void> {
    await pageDoesNotScroll();
    const area = await box(grid());
    expect(area.x + area.width).toBeLessThanOrEqual(size.width);
    expect(area.y + area.height).toBeLessThanOrEqual(size.height);
    expect(size.height - (area.y + area.height)).toBeLessThan(24);
    expect(area.height).toBeGreaterThan(size.height * 0.4);

    // The columns fit: nothing to scroll sideways.
    const overflow = await grid().evaluate((element) => element.scrollWidth - element.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await grid().evaluate((element) => element.scrollTo({ left: 0, top: 0 }));
    const row = rowOf(1);
    for (const column of ['row', 'output', 'status', 'actions']) {
      expect(withinX(await box(row.locator(`td[data-column="${column}"]`)), area), column).toBe(true);
    }
    const output = await box(row.locator('td[data-column="output"]'));
    expect(output.width).toBeGreaterThanOrEqual(280);
    for (const column of ['in:0', 'in:1', 'in:2']) {
      const cell = row.locator(`td[data-column="${column}"]`);
      expect((await box(cell)).width).toBeLessThanOrEqual(180);
      expect((await box(cell)).width).toBeLessThan(output.width);
    }
    // Cut short in the table, whole on hover.
    expect(await row.locator('td[data-column="in:1"] [title]').getAttribute('title')).toBe(
      'A sturdy thing, number 1, with a description longer than its column',
    );

    // A failed row's Retry, in view without scrolling sideways.
    await page.getByRole('button', { name: /^Failed/ }).click();
    const retry = page.getByRole('button', { name: /^Retry row \d+$/ }).first();
    expect(withinX(await box(retry), area)).toBe(true);
    expect(withinX(await box(page.locator('.grid tbody tr').first().locator('td[data-column="status"]')), area)).toBe(
      true,
    );
    // Scrolled sideways to the end, the row number, the status and Retry stay pinned in view.
    await grid().evaluate((element) => element.scrollTo({ left: element.scrollWidth }));
    expect(withinX(await box(retry), area)).toBe(true);
    expect(withinX(await box(page.locator('.grid tbody tr').first().locator('td[data-column="row"]')), area)).toBe(
      true,
    );
    await grid().evaluate((element) => element.scrollTo({ left: 0 }));
    await page.getByRole('button', { name: /^All/ }).click();
  }

  it('shows status, answer and Retry without scrolling sideways at 1280×800 and 1024×700 while it runs; the ETA is the engine’s', async () => {
    await page.getByRole('button', { name: 'Start' }).click();
    await expect.poll(async () => (await job()).counts.failed, { timeout: 30_000 }).toBeGreaterThanOrEqual(2);
    // The ETA shown is the engine's figure (it follows the slider, the limits and the waits).
    await expect
      .poll(
        async () => {
          const shown = etaSeconds(await page.locator('.progress-text').innerText());
          const secondsLeft = (await job()).live?.secondsLeft ?? null;
          return shown !== null && secondsLeft !== null && Math.abs(shown - secondsLeft) <= 3;
        },
        { timeout: 15_000 },
      )
      .toBe(true);
    await page.screenshot({ path: join(DOCS, 'job-running.png') });
    for (const size of SIZES) {
      await page.setViewportSize(size);
      await checkTable(size);
    }
    await page.screenshot({ path: join(DOCS, 'job-running-1024.png') });
    await page.setViewportSize(SIZES[0]);
  });

  it('says "Finished, N failed" in amber with Retry all failed beside it, and no pop-up covers a Retry button', async () => {
    await expect.poll(async () => (await job()).status, { timeout: 90_000 }).toBe('completed');
    const { counts } = await job();
    expect(counts.failed).toBeGreaterThan(0);
    const words = `Finished, ${counts.failed} failed`;
    const badge = page.locator('.job-title').getByText(words, { exact: true });
    await badge.waitFor();
    expect(await page.getByText('Completed', { exact: true }).count()).toBe(0);
    expect(await page.getByText('All rows have run.').count()).toBe(0);
    const amber = await page.evaluate(() =>
      getComputedStyle(document.documentElement).getPropertyValue('--paused').trim(),
    );
    expect(amber).not.toBe('');
    const color = await badge.evaluate((element) => getComputedStyle(element).color);
    const probe = await page.evaluate((value) => {
      const element = document.createElement('span');
      element.style.color = value;
      document.body.append(element);
      const computed = getComputedStyle(element).color;
      element.remove();
      return computed;
    }, amber);
    expect(color).toBe(probe);

    const controls = page.getByRole('group', { name: 'Run controls' });
    const note = controls.getByText(words, { exact: true });
    const retryAll = controls.getByRole('button', { name: `Retry all failed (${counts.failed})` });
    const [noteBox, retryBox] = [await box(note), await box(retryAll)];
    expect(Math.abs(noteBox.y + noteBox.height / 2 - (retryBox.y + retryBox.height / 2))).toBeLessThan(8);
    expect(retryBox.x - (noteBox.x + noteBox.width)).toBeLessThan(40);
    expect(await page.getByRole('button', { name: /Retry all failed/ }).count()).toBe(1);

    for (const toast of await page.locator('.toast').all()) {
      for (const button of await page.getByRole('button', { name: /Retry/ }).all()) {
        if (await button.isVisible()) expect(overlaps(await box(toast), await box(button))).toBe(false);
      }
    }
    await page.screenshot({ path: join(DOCS, 'job-finished-failed.png') });
    for (const size of SIZES) {
      await page.setViewportSize(size);
      await checkTable(size);
    }
    await page.setViewportSize(SIZES[0]);
  });

  it('pins the row number, the status and Retry when a narrower window makes the table scroll sideways', async () => {
    await page.setViewportSize({ width: 860, height: 700 });
    await page.getByRole('button', { name: /^Failed/ }).click();
    await expect.poll(() => grid().evaluate((element) => element.scrollWidth - element.clientWidth)).toBeGreaterThan(0);
    const area = await box(grid());
    const first = page.locator('.grid tbody tr').first();
    const retry = first.getByRole('button', { name: /^Retry row \d+$/ });
    for (const left of [0, 10_000]) {
      await grid().evaluate((element, x) => element.scrollTo({ left: x }), left);
      for (const column of ['row', 'status', 'actions']) {
        expect(withinX(await box(first.locator(`td[data-column="${column}"]`)), area), `${column} at ${left}`).toBe(
          true,
        );
      }
      expect(withinX(await box(retry), area)).toBe(true);
    }
    await grid().evaluate((element) => element.scrollTo({ left: 0 }));
    await page.getByRole('button', { name: /^All/ }).click();
    await page.setViewportSize(SIZES[0]);
  });

  it('charts failed attempts and 429s, and keeps the chart across a reload', async () => {
    const chart = page.locator('figure.live-chart');
    const failedAttempts = async () => Number(await chart.getAttribute('data-failed-attempts'));
    // Retried 500s count, not only the rows that failed for good.
    const { counts } = await job();
    expect(await failedAttempts()).toBeGreaterThan(counts.failed);
    expect(Number(await chart.getAttribute('data-rate-limited'))).toBeGreaterThan(0);

    await page.reload();
    await chart.waitFor();
    await expect.poll(async () => Number(await chart.getAttribute('data-seconds'))).toBeGreaterThan(2);
    expect(await failedAttempts()).toBeGreaterThan(counts.failed);
    expect(Number(await chart.getAttribute('data-rate-limited'))).toBeGreaterThan(0);
    // The left axis has room for its widest label (the highest rows per minute, "1,000" or so).
    const axis = await page.evaluate(() => {
      const over = document.querySelector<HTMLElement>('figure.live-chart .u-over');
      const most = Number(document.querySelector('figure.live-chart')?.getAttribute('data-most-rows-per-minute'));
      const context = document.createElement('canvas').getContext('2d')!;
      context.font = '11px system-ui';
      return { left: over?.offsetLeft ?? 0, label: context.measureText(most.toLocaleString('en-US')).width, most };
    });
    expect(axis.most).toBeGreaterThan(100);
    expect(axis.left).toBeGreaterThan(axis.label + 8);
  });

  it('keeps a value’s lines in the drawer, and gives the focus back to “Open row N” when it closes', async () => {
    const open = page.getByRole('button', { name: 'Open row 1', exact: true });
    await open.focus();
    await page.keyboard.press('Enter');
    const drawer = page.getByRole('dialog', { name: 'Row 1' });
    await drawer.waitFor();
    const value = drawer.locator('dd').filter({ hasText: 'first line' });
    expect(await value.innerText()).toBe('first line\nsecond line');
    const lines = await value.evaluate(
      (element) => element.getBoundingClientRect().height / parseFloat(getComputedStyle(element).lineHeight),
    );
    expect(lines).toBeGreaterThan(1.5);
    await page.screenshot({ path: join(DOCS, 'row-drawer.png') });
    await page.keyboard.press('Escape');
    await drawer.waitFor({ state: 'hidden' });
    await expect.poll(() => open.evaluate((element) => element === document.activeElement)).toBe(true);

    // Its focus ring is drawn whole: no box around it cuts it off.
    const clipped = await open.evaluate((element) => {
      const style = getComputedStyle(element);
      const grow = parseFloat(style.outlineWidth) + parseFloat(style.outlineOffset);
      const ring = element.getBoundingClientRect();
      const edges = {
        left: ring.left - grow,
        right: ring.right + grow,
        top: ring.top - grow,
        bottom: ring.bottom + grow,
      };
      const cut: string[] = [];
      for (let parent = element.parentElement; parent; parent = parent.parentElement) {
        if (getComputedStyle(parent).overflow === 'visible') continue;
        const clip = parent.getBoundingClientRect();
        if (edges.left < clip.left || edges.right > clip.right || edges.top < clip.top || edges.bottom > clip.bottom) {
          cut.push(parent.className || parent.tagName);
        }
        if (parent.classList.contains('grid-scroll')) break;
      }
      return { style: style.outlineStyle, cut };
    });
    expect(clipped.style).not.toBe('none');
    expect(clipped.cut).toEqual([]);
  });

  it('starts a new sort at the top, not at the old scroll position', async () => {
    await grid().evaluate((element) => element.scrollTo({ top: 3_000 }));
    await expect.poll(() => grid().evaluate((element) => element.scrollTop)).toBeGreaterThan(2_000);
    await page.getByRole('button', { name: 'Status', exact: true }).click();
    await expect.poll(() => grid().evaluate((element) => element.scrollTop)).toBe(0);
    // The first rows of the new order show: done rows sort before failed ones.
    await expect.poll(() => page.locator('.grid tbody tr').first().getAttribute('data-status')).toBe('done');
    await page.getByRole('button', { name: 'Status', exact: true }).click();
    await expect.poll(() => page.locator('.grid tbody tr').first().getAttribute('data-status')).toBe('failed');
    // Nothing but rows right under the header.
    const under = await page.evaluate(() => {
      const head = document.querySelector('.grid thead')!.getBoundingClientRect();
      const scroller = document.querySelector('.grid-scroll')!.getBoundingClientRect();
      const seen = new Set<string>();
      for (let x = head.left + 5; x < Math.min(head.right, scroller.right) - 5; x += 20) {
        const element = document.elementFromPoint(x, head.bottom + 3);
        seen.add(element?.closest('tbody') ? 'row' : (element?.className ?? 'nothing'));
      }
      return [...seen];
    });
    expect(under).toEqual(['row']);
    await page.getByRole('button', { name: 'Status', exact: true }).click();
  });

  it('asks before canceling a run', async () => {
    mock.setOptions({ latencyMs: 300 });
    const lines = ['item'];
    for (let n = 1; n <= 60; n += 1) lines.push(`Item ${n}`);
    const sheetId = await uploadCsv(serve, 'items.csv', lines.join('\n'));
    const other = await serve.call<{ id: string }>('createJob', {
      sheetId,
      template: 'Name {{item}}',
      provider: { kind: 'openai', baseUrl: mock.baseUrl, model: 'mock-1', keyId: null },
      settings: { concurrency: 1 },
    });
    await page.goto(`${serve.origin}/#/jobs/${other.id}`);
    await page.getByRole('button', { name: 'Start' }).click();
    await page.getByRole('button', { name: 'Pause' }).waitFor();
    const cancel = page.getByRole('group', { name: 'Run controls' }).getByRole('button', { name: 'Cancel' });
    await cancel.click();
    const confirm = page.getByRole('dialog', { name: 'Cancel the run?' });
    await confirm.waitFor();
    await confirm.getByRole('button', { name: 'Keep running' }).click();
    await confirm.waitFor({ state: 'hidden' });
    const status = async () => (await serve.call<JobState>('getJob', { jobId: other.id })).status;
    expect(await status()).toBe('running');
    await cancel.click();
    await confirm.getByRole('button', { name: 'Cancel the run' }).click();
    await expect.poll(status).toBe('canceled');
    await page.locator('.job-title').getByText('Canceled', { exact: true }).waitFor();
  });

  it('never scrolls the page: the jobs list, a new job and the settings at both sizes', async () => {
    for (const size of SIZES) {
      await page.setViewportSize(size);
      for (const hash of ['#/jobs', '#/new', '#/settings', `#/jobs/${jobId}`]) {
        await page.goto(`${serve.origin}/${hash}`);
        await page.locator('main h1:visible').first().waitFor();
        await page.waitForTimeout(500);
        await pageDoesNotScroll();
      }
    }
  });
});
