/**
 * npm run bench: figures for the README and issue notes. Never asserted in tests.
 * Run with the machine otherwise idle; numbers vary with the machine.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine } from '../electron/engine/engine.ts';
import { startMockLlmServer } from '../test/fixtures/mock-llm-server.ts';

const dir = mkdtempSync(join(tmpdir(), 'rowbot-bench-'));
const results: Record<string, string> = {};

function csv(rows: number, columns: number): string {
  const header = Array.from({ length: columns }, (_, c) => `col${c}`).join(',');
  const lines = [header];
  for (let r = 0; r < rows; r += 1) {
    lines.push(
      Array.from({ length: columns }, (_, c) => (c === 1 ? `"text, ${r} with ""quotes"""` : `v${r}_${c}`)).join(','),
    );
  }
  return lines.join('\n');
}

async function benchImport(): Promise<void> {
  const rows = 100_000;
  const file = join(dir, 'big.csv');
  writeFileSync(file, csv(rows, 10));
  const engine = new Engine({ dbFile: join(dir, 'import.db') });
  const rssBefore = process.memoryUsage().rss;
  let peak = rssBefore;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
  const start = performance.now();
  const preview = await engine.importFile(file);
  const ms = performance.now() - start;
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().rss);
  await engine.close();
  results['import 100,000 rows × 10 columns'] =
    `${(ms / 1000).toFixed(2)} s, peak RSS ${Math.round(peak / 2 ** 20)} MB (${preview.rowCount} rows stored)`;
}

async function benchRun(rows: number, concurrency: number, latencyMs: number): Promise<void> {
  const mock = await startMockLlmServer({ latencyMs });
  const engine = new Engine({ dbFile: join(dir, `run-${rows}-${concurrency}.db`) });
  let batches = 0;
  engine.on((message) => {
    if (message.name === 'rows') batches += 1;
  });
  const lines = ['n'];
  for (let i = 0; i < rows; i += 1) lines.push(String(i));
  const preview = engine.importBytes('n.csv', Buffer.from(lines.join('\n')));
  const job = engine.createJob({
    sheetId: preview.sheetId,
    template: 'Row {{n}}',
    systemPrompt: '',
    provider: { kind: 'openai', baseUrl: mock.baseUrl, model: 'mock' },
    settings: { concurrency },
  });
  const start = performance.now();
  engine.startJob(job.id);
  const summary = await engine.waitForJob(job.id);
  const seconds = (performance.now() - start) / 1000;
  const ideal = (rows / concurrency) * (latencyMs / 1000);
  results[`run ${rows} rows, concurrency ${concurrency}, server latency ${latencyMs} ms`] =
    `${seconds.toFixed(2)} s (${Math.round(rows / seconds)} rows/s; ideal ${ideal.toFixed(2)} s), ` +
    `${summary.counts.done} done, peak in flight ${mock.peakConcurrent}, TCP connections ${mock.connections}, ` +
    `${batches} row batches sent to the UI`;
  await engine.close();
  await mock.close();
}

try {
  await benchImport();
  await benchRun(2_000, 32, 20);
  await benchRun(5_000, 64, 0);
  console.log(`Rowbot bench (${process.version}, ${process.platform}/${process.arch})`);
  for (const [name, value] of Object.entries(results)) console.log(`- ${name}: ${value}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
