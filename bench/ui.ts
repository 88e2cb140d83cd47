/**
 * UI responsiveness under load, in Chromium: a 100,000-row job while 500 rows a second
 * finish. Reports long tasks (> 50 ms) per second of run, the time from a concurrency
 * slider key press to the new value on screen, and long tasks while scrolling the grid.
 * Run: npm run bench -- ui   (needs the UI built: npm run build)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchChromium, startServe } from '../test/e2e/harness.ts';
import { startMockLlmServer } from '../test/fixtures/mock-llm-server.ts';

const ROWS = 100_000;
const RUN_SECONDS = 20;

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

export async function uiBench(): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'rowbot-bench-ui-'));
  const mock = await startMockLlmServer({ latencyMs: 100 });
  const serve = await startServe({ dbFile: join(dir, 'ui.db') });
  const browser = await launchChromium();
  try {
    const lines = ['product,description'];
    for (let i = 1; i <= ROWS; i += 1) lines.push(`Product ${i},"A sturdy thing, number ${i}"`);
    const { preview } = await serve.call<{ preview: { sheetId: string } }>('importUpload', {
      fileName: 'big.csv',
      dataBase64: Buffer.from(lines.join('\n')).toString('base64'),
    });
    const job = await serve.call<{ id: string }>('createJob', {
      sheetId: preview.sheetId,
      template: 'Describe {{product}}: {{description}}',
      provider: { kind: 'openai', baseUrl: mock.baseUrl, model: 'mock' },
      settings: { concurrency: 70 },
    });

    const page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
    await page.goto(serve.url);
    const loadStart = performance.now();
    await page.goto(`${serve.origin}/#/jobs/${job.id}`);
    await page.getByRole('button', { name: 'Open row 1', exact: true }).waitFor({ timeout: 60_000 });
    const loadSeconds = (performance.now() - loadStart) / 1000;
    await page.evaluate(() => {
      const w = window as unknown as { longTasks: number[] };
      w.longTasks = [];
      new PerformanceObserver((list) => {
        for (const entry of list.getEntries()) w.longTasks.push(entry.duration);
      }).observe({ type: 'longtask', buffered: false });
    });

    await serve.call('startJob', { jobId: job.id });
    const runStart = performance.now();
    const sliderMs: number[] = [];
    let next = 71;
    while (performance.now() - runStart < RUN_SECONDS * 1000) {
      await new Promise((resolve) => setTimeout(resolve, 1500));
      // Press a key on the slider thumb and time it until the new value is on screen.
      const ms = await page.evaluate(async (target) => {
        const thumb = document.querySelector<HTMLElement>('[role="slider"][aria-label="Concurrency"]');
        const output = document.querySelector<HTMLElement>('output[aria-label="Concurrency in use"]');
        if (!thumb || !output) return NaN;
        const start = performance.now();
        thumb.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowRight', bubbles: true }));
        while (output.textContent !== String(target)) {
          if (performance.now() - start > 5000) return NaN;
          await new Promise((resolve) => requestAnimationFrame(resolve));
        }
        return performance.now() - start;
      }, next);
      if (Number.isFinite(ms)) {
        sliderMs.push(ms);
        next += 1;
      }
    }
    const runSeconds = (performance.now() - runStart) / 1000;
    const runTasks = await page.evaluate(() => (window as unknown as { longTasks: number[] }).longTasks.splice(0));
    const doneDuringRun = (await serve.call<{ counts: { done: number } }>('getJob', { jobId: job.id })).counts.done;

    // Scroll the grid from top to bottom over two seconds while the job keeps running.
    await page.evaluate(async () => {
      const grid = document.querySelector<HTMLElement>('.grid-scroll');
      if (!grid) return;
      const start = performance.now();
      while (performance.now() - start < 2000) {
        grid.scrollTop = ((performance.now() - start) / 2000) * grid.scrollHeight;
        await new Promise((resolve) => requestAnimationFrame(resolve));
      }
    });
    const scrollTasks = await page.evaluate(() => (window as unknown as { longTasks: number[] }).longTasks.splice(0));
    await serve.call('cancelJob', { jobId: job.id });

    const total = (tasks: number[]): number => tasks.reduce((sum, t) => sum + t, 0);
    return [
      `UI with a ${ROWS.toLocaleString('en-US')}-row job in Chromium (rowbot serve; mock 100 ms, concurrency 70):`,
      `- first load of the job view (snapshot of every row): ${loadSeconds.toFixed(2)} s`,
      `- rows finished during the run: ${Math.round(doneDuringRun / runSeconds)} rows/s over ${runSeconds.toFixed(0)} s`,
      `- long tasks (> 50 ms) while running: ${(runTasks.length / runSeconds).toFixed(2)} per second, ${(total(runTasks) / runSeconds).toFixed(1)} ms per second, longest ${Math.round(Math.max(0, ...runTasks))} ms`,
      `- slider key press to new value shown: median ${percentile(sliderMs, 50).toFixed(1)} ms, p95 ${percentile(sliderMs, 95).toFixed(1)} ms (${sliderMs.length} moves)`,
      `- scrolling 100,000 rows top to bottom in 2 s: ${scrollTasks.length} long tasks, ${Math.round(total(scrollTasks))} ms in all`,
    ];
  } finally {
    await browser.close();
    await serve.stop();
    await mock.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
