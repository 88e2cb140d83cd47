/**
 * npm run bench: the figures quoted in issues and the README. Never asserted in tests.
 * Each scenario runs the real engine (SQLite on) in one process against the mock server
 * in another, so each gets a core of this 2-core machine.
 */
import { fork, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'vite';
import type { MockProcessConfig, MockStats } from './mock-process.ts';
import { baselineFigures } from './baseline.ts';
import { hostileFigures } from './hostile.ts';
import { rateLimitFigures } from './ratelimits.ts';
import { batchFigures } from './batch.ts';
import { exportScaleFigures } from './export-scale.ts';
import { scaleFigures } from './scale.ts';
import { columnsFigures } from './columns.ts';
import type { ScenarioResult, ScenarioRun } from './scenario.ts';
import { SCENARIOS, type Scenario } from './scenarios.ts';

const here = import.meta.dirname;
const builtDir = join(here, '..', '.tmp', 'bench');

/**
 * The scenario runs as bundled JavaScript, the way the engine ships inside the app,
 * rather than through Node's TypeScript stripping (which alone adds ~70 MB of RSS).
 */
async function bundleScenarios(): Promise<{ run: string; import: string }> {
  await build({
    configFile: false,
    logLevel: 'warn',
    build: {
      ssr: true,
      outDir: builtDir,
      emptyOutDir: true,
      target: 'node22',
      minify: false,
      rollupOptions: { input: { scenario: join(here, 'scenario.ts'), import: join(here, 'import-scenario.ts') } },
    },
  });
  return { run: join(builtDir, 'scenario.js'), import: join(builtDir, 'import.js') };
}

function startMock(
  config: MockProcessConfig,
): Promise<{ baseUrl: string; stats(): Promise<MockStats>; stop(): Promise<void> }> {
  const child = fork(join(here, 'mock-process.ts'), [JSON.stringify(config)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolveStart, reject) => {
    child.once('error', reject);
    child.once('message', (message) => {
      const { baseUrl } = message as { baseUrl: string };
      resolveStart({
        baseUrl,
        stats: () =>
          new Promise((resolveStats) => {
            child.once('message', (stats) => resolveStats(stats as MockStats));
            child.send('stats');
          }),
        stop: () =>
          new Promise((resolveStop) => {
            child.once('exit', () => resolveStop());
            child.send('stop');
          }),
      });
    });
  });
}

function runScenario(script: string, run: ScenarioRun): Promise<ScenarioResult> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(process.execPath, [script, JSON.stringify(run)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.once('exit', (code) => {
      if (code !== 0) reject(new Error(`scenario exited with ${code}`));
      else resolveRun(JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as ScenarioResult);
    });
  });
}

async function scenarioRow(script: string, scenario: Scenario): Promise<string[]> {
  const mock = await startMock(scenario.mock);
  try {
    const result = await runScenario(script, {
      baseUrl: mock.baseUrl,
      rows: scenario.rows,
      concurrency: scenario.concurrency,
      requestsPerMinute: scenario.rpm,
    });
    const stats = await mock.stats();
    const byLatency = Math.ceil(scenario.rows / scenario.concurrency) * (scenario.meanLatencyMs / 1000);
    const byRate = scenario.rpm ? scenario.rows / (scenario.rpm / 60) : 0;
    const ideal = Math.max(byLatency, byRate);
    const lost = scenario.rows - result.done - result.failed;
    return [
      scenario.name,
      `N=${scenario.rows} C=${scenario.concurrency}`,
      `${result.makespanSeconds.toFixed(2)} s`,
      `${ideal.toFixed(2)} s`,
      (ideal / result.makespanSeconds).toFixed(3),
      `${Math.round(result.done / result.makespanSeconds)}`,
      String(stats.rateLimited),
      String(result.failed),
      String(lost),
      String(stats.duplicated),
      String(stats.connections),
      result.cpuSeconds.toFixed(2),
      `${Math.round(result.peakRssMb)} MB`,
      scenario.target,
    ];
  } finally {
    await mock.stop();
  }
}

function childJson<T>(script: string, args: string[]): Promise<T> {
  return new Promise((resolveChild, reject) => {
    const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.once('exit', (code) => {
      if (code !== 0) reject(new Error(`${script} exited with ${code}`));
      else resolveChild(JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as T);
    });
  });
}

/** Import of 100,000 rows × 10 columns, CSV and XLSX, each in a fresh process. */
async function importFigures(script: string): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'rowbot-bench-files-'));
  try {
    const header = Array.from({ length: 10 }, (_, c) => `col${c}`);
    const cell = (r: number, c: number): string => (c === 1 ? `text, ${r} with "quotes"` : `v${r}_${c}`);
    const csvLines = [header.join(',')];
    for (let r = 0; r < 100_000; r += 1) {
      csvLines.push(
        Array.from({ length: 10 }, (_, c) => (c === 1 ? `"${cell(r, c).replaceAll('"', '""')}"` : cell(r, c))).join(
          ',',
        ),
      );
    }
    const csv = join(dir, 'big.csv');
    writeFileSync(csv, csvLines.join('\n'));
    const { default: ExcelJS } = await import('exceljs');
    const workbook = new ExcelJS.Workbook();
    const sheet = workbook.addWorksheet('Data');
    sheet.addRow(header);
    for (let r = 0; r < 100_000; r += 1) sheet.addRow(Array.from({ length: 10 }, (_, c) => cell(r, c)));
    const xlsx = join(dir, 'big.xlsx');
    await workbook.xlsx.writeFile(xlsx);
    const lines: string[] = [];
    for (const [label, file] of [
      ['CSV', csv],
      ['XLSX', xlsx],
    ] as const) {
      const result = await childJson<{ seconds: number; rows: number; peakRssMb: number; exportSeconds: number }>(
        script,
        [file],
      );
      lines.push(
        `import of ${result.rows.toLocaleString('en-US')} rows × 10 columns (${label}): ${result.seconds.toFixed(2)} s, peak RSS ${Math.round(result.peakRssMb)} MB; then XLSX export of all rows: ${result.exportSeconds.toFixed(2)} s`,
      );
    }
    return lines;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// `--rows N` belongs to the columns bench (npm run bench -- columns --rows 20000), not to the names.
const args = process.argv.slice(2);
const rowsAt = args.indexOf('--rows');
const only = rowsAt === -1 ? args : [...args.slice(0, rowsAt), ...args.slice(rowsAt + 2)];
const header = [
  '',
  'scenario',
  'makespan',
  'ideal',
  'efficiency',
  'rows/s',
  '429s',
  'failed',
  'lost',
  'dup',
  'sockets',
  'CPU s',
  'peak RSS',
  'target',
];
const table: string[][] = [];
const scripts = await bundleScenarios();
const onlyOthers =
  only.length > 0 &&
  only.every((name) =>
    ['ui', 'import', 'ratelimits', 'hostile', 'baseline', 'scale', 'export', 'batch', 'columns'].includes(name),
  );
for (const scenario of SCENARIOS.filter((s) => !onlyOthers && (only.length === 0 || only.includes(s.name)))) {
  table.push(await scenarioRow(scripts.run, scenario));
}
const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i]?.length ?? 0)));
const line = (cells: string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
console.log(
  `Rowbot bench — Node ${process.version}, ${process.platform}/${process.arch}, engine and mock server in separate processes\n`,
);
if (table.length > 0) {
  console.log(line(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const row of table) console.log(line(row));
}
if (only.length === 0 || only.includes('ui')) {
  // Loaded by URL: ui.ts runs code in the browser and is type-checked with the DOM (tsconfig.e2e.json).
  const { uiBench } = (await import(new URL('./ui.ts', import.meta.url).href)) as { uiBench: () => Promise<string[]> };
  console.log('');
  for (const line of await uiBench()) console.log(line);
}
if (only.length === 0 || only.includes('import')) {
  console.log('');
  for (const line of await importFigures(scripts.import)) console.log(line);
}
if (only.length === 0 || only.includes('ratelimits')) {
  console.log('');
  for (const line of await rateLimitFigures()) console.log(line);
}
if (only.length === 0 || only.includes('hostile')) {
  console.log('');
  for (const line of await hostileFigures()) console.log(line);
}
if (only.length === 0 || only.includes('baseline')) {
  console.log('');
  // `npm run bench -- baseline A C` limits the baseline to those scenarios.
  for (const line of await baselineFigures(only.filter((name) => SCENARIOS.some((s) => s.name === name))))
    console.log(line);
}
if (only.length === 0 || only.includes('scale')) {
  console.log('');
  for (const line of await scaleFigures()) console.log(line);
}
if (only.length === 0 || only.includes('export')) {
  console.log('');
  for (const line of await exportScaleFigures()) console.log(line);
}
if (only.length === 0 || only.includes('batch')) {
  console.log('');
  for (const line of await batchFigures()) console.log(line);
}
if (only.length === 0 || only.includes('columns')) {
  console.log('');
  for (const line of await columnsFigures(args)) console.log(line);
}
