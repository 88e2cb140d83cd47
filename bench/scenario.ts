// One benchmark scenario in its own process (clean CPU and peak-RSS figures).
// Usage: node bench/scenario.ts '<json ScenarioRun>'
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine } from '../electron/engine/engine.ts';

export interface ScenarioRun {
  baseUrl: string;
  rows: number;
  concurrency: number;
  requestsPerMinute?: number;
}

export interface ScenarioResult {
  makespanSeconds: number;
  done: number;
  failed: number;
  cpuSeconds: number;
  peakRssMb: number;
}

const run = JSON.parse(process.argv[2] ?? '{}') as ScenarioRun;
const dir = mkdtempSync(join(tmpdir(), 'rowbot-bench-'));
const engine = new Engine({ dbFile: join(dir, 'bench.db') });
try {
  const lines = ['n'];
  for (let i = 1; i <= run.rows; i += 1) lines.push(String(i));
  const preview = await engine.importBytes('rows.csv', Buffer.from(lines.join('\n')));
  const job = engine.createJob({
    sheetId: preview.sheetId,
    template: 'Write one line about item {{n}}',
    provider: { kind: 'openai', baseUrl: run.baseUrl, model: 'mock' },
    settings: { concurrency: run.concurrency, requestsPerMinute: run.requestsPerMinute ?? null },
  });
  const cpuBefore = process.cpuUsage();
  const start = performance.now();
  engine.startJob(job.id);
  const summary = await engine.waitForJob(job.id);
  const makespanSeconds = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const result: ScenarioResult = {
    makespanSeconds,
    done: summary.counts.done,
    failed: summary.counts.failed,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
  };
  console.log(JSON.stringify(result));
} finally {
  await engine.close();
  rmSync(dir, { recursive: true, force: true });
}
