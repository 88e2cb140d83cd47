/**
 * `npm run bench -- baseline` (issue 14): `rowbot run` beside the classic pattern, a minimal Python
 * asyncio + aiohttp script (bench/baseline_aiohttp.py), on scenarios A–E. Each client is a whole
 * process doing the same work (read the CSV, fill the template, call the mock server, write a CSV
 * of results) under bench/rusage.py, which reports its wall time, CPU seconds and peak RSS from
 * wait4(). The client runs on core 1 and the mock server, in its own process, on core 0.
 */
import { fork, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Papa from 'papaparse';
import type { BaselineMockMessage, BaselineMockStats } from './baseline-mock.ts';
import type { MockProcessConfig } from './mock-process.ts';
import { SCENARIOS, type Scenario } from './scenarios.ts';
import { median, ROWBOT_BIN, RUNS, sheet, table } from './whole-process.ts';

const here = import.meta.dirname;
const RUSAGE = join(here, 'rusage.py');
const BASELINE = join(here, 'baseline_aiohttp.py');
const TEMPLATE = 'Write one line about {{name}}.';
export const CLIENT_CORE = '1';
const MOCK_CORE = '0';

export interface Usage {
  wallSeconds: number;
  cpuSeconds: number;
  peakRssMb: number;
  spawnEpochMs: number;
  exitEpochMs: number;
  code: number;
}

interface Measured extends Usage {
  done: number;
  failed: number;
  firstRequestSeconds: number;
  afterLastAnswerSeconds: number;
  requests: number;
  rateLimited: number;
}

/** A python3 that can import aiohttp (the one on PATH, else Debian's), or why there is none. */
export function findPython(): { python: string; aiohttp: string } | { missing: string } {
  for (const python of ['python3', '/usr/bin/python3']) {
    const probe = spawnSync(python, ['-c', 'import aiohttp, sys; print(aiohttp.__version__, sys.version.split()[0])'], {
      encoding: 'utf8',
    });
    if (probe.status === 0) return { python, aiohttp: probe.stdout.trim() };
  }
  return { missing: 'no python3 here can import aiohttp (Debian: apt-get install -y python3-aiohttp)' };
}

const hasTaskset = spawnSync('taskset', ['-V']).status === 0;
export const pinned = (core: string, command: string[]): string[] =>
  hasTaskset ? ['taskset', '-c', core, ...command] : command;

/** Asks a mock process (a bench's own, by default the baseline's) for something and waits for its answer. */
export function ask<T, M extends string | object = Exclude<BaselineMockMessage, 'stop'>>(
  child: ChildProcess,
  message: M,
): Promise<T> {
  return new Promise((resolveAnswer) => {
    child.once('message', (answer) => resolveAnswer(answer as T));
    child.send(message);
  });
}

export function startMock(config: MockProcessConfig): Promise<{ baseUrl: string; child: ChildProcess }> {
  return startMockProcess('baseline-mock.ts', config);
}

/** A mock server script of bench/ in its own process, pinned to the mock's core; resolves with its address. */
export async function startMockProcess(
  script: string,
  config: unknown,
): Promise<{ baseUrl: string; child: ChildProcess }> {
  const child = fork(join(here, script), [JSON.stringify(config)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const { baseUrl } = await new Promise<{ baseUrl: string }>((resolveStart, reject) => {
    child.once('error', reject);
    child.once('message', (message) => resolveStart(message as { baseUrl: string }));
  });
  // -a: every thread of the running process (libuv's pool, V8's helpers), not only the main one.
  if (hasTaskset) spawnSync('taskset', ['-a', '-p', '-c', MOCK_CORE, String(child.pid)], { stdio: 'ignore' });
  return { baseUrl, child };
}

/** The whole-process columns every bench table starts with, and their cells for one run. */
export const USAGE_HEADER = ['wall', 'CPU s', 'peak RSS'];
export function usageCells(usage: Usage): string[] {
  return [`${usage.wallSeconds.toFixed(1)} s`, usage.cpuSeconds.toFixed(1), `${Math.round(usage.peakRssMb)} MB`];
}

/** `command` under bench/rusage.py with `python`; the figures it wrote, and what the child printed. */
export function underRusage(python: string, report: string, command: string[]): Promise<Usage & { stderr: string }> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(python, [RUSAGE, report, ...command], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, OPENAI_API_KEY: 'sk-bench' },
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
    child.once('error', reject);
    child.once('exit', () => {
      try {
        resolveRun({ ...(JSON.parse(readFileSync(report, 'utf8')) as Usage), stderr });
      } catch {
        reject(new Error(`${command.join(' ')} left no report\n${stderr}`));
      }
    });
  });
}

/**
 * `rowbot run` over `rows` generated rows ("item 1", …) against the mock, with `flags` (model,
 * concurrency, --batch…), as one whole process on the client core under bench/rusage.py, with a
 * fresh database and --out CSV. Throws when it does not exit 0.
 */
export async function wholeRowbotRun(
  python: string,
  dir: string,
  baseUrl: string,
  rows: number,
  flags: string[],
): Promise<{ usage: Usage; dbFile: string; out: string }> {
  const csv = join(dir, 'rows.csv');
  writeFileSync(csv, `name\n${Array.from({ length: rows }, (_, i) => `item ${i + 1}`).join('\n')}\n`);
  const dbFile = join(dir, 'run.db');
  const out = join(dir, 'out.csv');
  const command = [process.execPath, ROWBOT_BIN, 'run', csv, '--template', TEMPLATE, '--provider', 'openai'].concat([
    '--base-url',
    baseUrl,
    ...flags,
    '--db',
    dbFile,
    '--out',
    out,
  ]);
  const usage = await underRusage(python, join(dir, 'usage.json'), pinned(CLIENT_CORE, command));
  if (usage.code !== 0) throw new Error(`rowbot run exited with ${usage.code}\n${usage.stderr}`);
  return { usage, dbFile, out };
}

function statusCounts(outCsv: string): { done: number; failed: number } {
  const parsed = Papa.parse<Record<string, string>>(readFileSync(outCsv, 'utf8').replace(/^\uFEFF/, ''), {
    header: true,
    skipEmptyLines: true,
  });
  const done = parsed.data.filter((row) => row.status === 'done').length;
  return { done, failed: parsed.data.length - done };
}

type Client = 'rowbot' | 'aiohttp';

interface Context {
  dir: string;
  /** Runs the wrapper; with aiohttp, also the baseline. */
  python: string;
  mock: { baseUrl: string; child: ChildProcess };
  csv: string;
  count: number;
}

async function measure(context: Context, scenario: Scenario, client: Client): Promise<Measured> {
  const { dir, mock, csv } = context;
  context.count += 1;
  const out = join(dir, `out-${context.count}.csv`);
  const report = join(dir, `usage-${context.count}.json`);
  const common = ['--template', TEMPLATE, '--model', 'mock-1', '--concurrency', String(scenario.concurrency)];
  const rpm = scenario.rpm ? ['--rpm', String(scenario.rpm)] : [];
  const command =
    client === 'rowbot'
      ? [process.execPath, ROWBOT_BIN, 'run', csv, '--provider', 'openai', '--base-url', mock.baseUrl]
          .concat(common, rpm)
          .concat(['--no-cache', '--db', join(dir, `run-${context.count}.db`), '--out', out])
      : [context.python, BASELINE, csv, '--base-url', mock.baseUrl, ...common, ...rpm, '--out', out];
  await ask(mock.child, 'reset');
  const usage = await underRusage(context.python, report, pinned(CLIENT_CORE, command));
  if (usage.code !== 0 && usage.code !== 1) throw new Error(`${client} exited with ${usage.code}\n${usage.stderr}`);
  const stats = await ask<BaselineMockStats>(mock.child, 'stats');
  const counts = statusCounts(out);
  if (counts.done + counts.failed !== scenario.rows)
    throw new Error(`${client} wrote ${counts.done + counts.failed} of ${scenario.rows} rows`);
  return {
    ...usage,
    ...counts,
    firstRequestSeconds: ((stats.firstArrivalEpochMs ?? NaN) - usage.spawnEpochMs) / 1000,
    afterLastAnswerSeconds: (usage.exitEpochMs - (stats.lastAnswerEpochMs ?? NaN)) / 1000,
    requests: stats.requests,
    rateLimited: stats.rateLimited,
  };
}

const fixed = (n: number, digits = 2): string => n.toFixed(digits);
const mb = (n: number): string => `${Math.round(n)} MB`;
const ratio = (a: number, b: number): string => (b > 0 ? fixed(a / b) : 'n/a');

interface Summary {
  wall: number;
  cpu: number;
  rss: number;
  first: number;
  tail: number;
  done: number;
  failed: number;
  requests: number;
  rateLimited: number;
  walls: string;
}

/** Median of each figure over the runs (the most failed and 429s of any run), with the runs' walls. */
function summary(runs: Measured[]): Summary {
  const m = (pick: (r: Measured) => number): number => median(runs.map(pick));
  return {
    wall: m((r) => r.wallSeconds),
    cpu: m((r) => r.cpuSeconds),
    rss: m((r) => r.peakRssMb),
    first: m((r) => r.firstRequestSeconds),
    tail: m((r) => r.afterLastAnswerSeconds),
    done: m((r) => r.done),
    failed: Math.max(...runs.map((r) => r.failed)),
    requests: m((r) => r.requests),
    rateLimited: Math.max(...runs.map((r) => r.rateLimited)),
    walls: runs.map((r) => fixed(r.wallSeconds)).join(', '),
  };
}

/** `rowbot help` and `python3 -c "import aiohttp"`: start-up alone, median of RUNS on the client core. */
async function startupLines(python: string, dir: string, withAiohttp: boolean): Promise<string[]> {
  const time = async (command: string[]): Promise<{ wall: number; rss: number }> => {
    const runs: Usage[] = [];
    for (let i = 0; i < RUNS; i += 1) runs.push(await underRusage(python, join(dir, `startup-${i}.json`), command));
    return { wall: median(runs.map((r) => r.wallSeconds)), rss: median(runs.map((r) => r.peakRssMb)) };
  };
  const help = await time(pinned(CLIENT_CORE, [process.execPath, ROWBOT_BIN, 'help']));
  const lines = [
    `rowbot help: ${fixed(help.wall)} s wall, ${mb(help.rss)} peak RSS (median of ${RUNS}, start-up alone)`,
  ];
  if (withAiohttp) {
    const imported = await time(pinned(CLIENT_CORE, [python, '-c', 'import aiohttp']));
    lines.push(`python3 -c "import aiohttp": ${fixed(imported.wall)} s wall, ${mb(imported.rss)} peak RSS (the same)`);
  }
  return lines;
}

export async function baselineFigures(only: string[] = []): Promise<string[]> {
  const found = findPython();
  const python = 'python' in found ? found.python : 'python3';
  const dir = mkdtempSync(join(tmpdir(), 'rowbot-bench-baseline-'));
  const notes: string[] = [];
  const startup: string[] = [];
  if ('missing' in found) notes.push(`Baseline skipped: ${found.missing}. Only rowbot run is measured.`);
  if (!hasTaskset) notes.push('taskset not found (util-linux): client and mock are not pinned to cores.');
  const clients: Client[] = 'missing' in found ? ['rowbot'] : ['rowbot', 'aiohttp'];
  const picked = SCENARIOS.filter((s) => only.length === 0 || only.includes(s.name));
  const results: { scenario: Scenario; by: Partial<Record<Client, Summary>> }[] = [];
  try {
    for (const scenario of picked) {
      const mock = await startMock(scenario.mock);
      const context: Context = { dir, python, mock, csv: sheet(dir, scenario.rows).csv, count: 0 };
      const runs: Record<Client, Measured[]> = { rowbot: [], aiohttp: [] };
      try {
        // Interleaved, so both clients meet the same moments of a shared machine.
        for (let i = 0; i < RUNS; i += 1) {
          for (const client of clients) runs[client].push(await measure(context, scenario, client));
        }
      } finally {
        await new Promise((resolveStop) => {
          mock.child.once('exit', resolveStop);
          mock.child.send('stop' satisfies BaselineMockMessage);
        });
      }
      results.push({
        scenario,
        by: Object.fromEntries(clients.map((client) => [client, summary(runs[client])])),
      });
    }
    startup.push(...(await startupLines(python, dir, !('missing' in found))));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const cell = (s: Summary | undefined, pick: (s: Summary) => string): string => (s ? pick(s) : '—');
  const rows = results.map(({ scenario, by: { rowbot: r, aiohttp: a } }) => [
    `${scenario.name} N=${scenario.rows} C=${scenario.concurrency}${scenario.rpm ? ` ${scenario.rpm}/min` : ''}`,
    cell(r, (s) => `${fixed(s.wall)} (${s.walls})`),
    cell(a, (s) => `${fixed(s.wall)} (${s.walls})`),
    r && a ? ratio(r.wall, a.wall) : '—',
    cell(r, (s) => fixed(s.cpu)),
    cell(a, (s) => fixed(s.cpu)),
    r && a ? ratio(r.cpu, a.cpu) : '—',
    cell(r, (s) => mb(s.rss)),
    cell(a, (s) => mb(s.rss)),
    r && a ? ratio(r.rss, a.rss) : '—',
    cell(r, (s) => String(Math.round(s.done / s.wall))),
    cell(a, (s) => String(Math.round(s.done / s.wall))),
    `${cell(r, (s) => `${s.failed}`)} / ${cell(a, (s) => `${s.failed}`)}`,
    `${cell(r, (s) => `${s.rateLimited}`)} / ${cell(a, (s) => `${s.rateLimited}`)}`,
  ]);
  const timing = results.map(({ scenario, by: { rowbot: r, aiohttp: a } }) => [
    scenario.name,
    cell(r, (s) => `${fixed(s.first, 3)} s`),
    cell(a, (s) => `${fixed(s.first, 3)} s`),
    cell(r, (s) => `${fixed(s.tail, 3)} s`),
    cell(a, (s) => `${fixed(s.tail, 3)} s`),
    `${cell(r, (s) => String(s.requests))} / ${cell(a, (s) => String(s.requests))}`,
  ]);
  const version = 'aiohttp' in found ? `aiohttp ${found.aiohttp.replace(' ', ', Python ')}` : 'aiohttp missing';
  return [
    ...notes,
    `Baseline (issue 14) — rowbot run beside a minimal asyncio + ${version} script (bench/baseline_aiohttp.py),`,
    `whole processes from spawn to exit, median of ${RUNS} (walls in brackets), client on core ${CLIENT_CORE}, mock server on core ${MOCK_CORE}.`,
    `rowbot: node bin/rowbot.js run FILE --template T --provider openai --base-url MOCK --model mock-1 --concurrency C [--rpm R] --no-cache --db TMP --out OUT.csv`,
    `aiohttp: one ClientSession, TCPConnector(limit=C), Semaphore(C), gather over all rows, 60 s timeout, 3 tries 0.5 s/1 s apart`,
    `(connection errors, timeouts, 429, 5xx; the semaphore held while waiting), rows keyed by index, CSV out; C: starts spaced 60/rpm s.`,
    ...table(
      [
        'scenario',
        'wall s rowbot',
        'wall s aiohttp',
        '÷',
        'CPU s rowbot',
        'CPU s aiohttp',
        '÷',
        'RSS rowbot',
        'RSS aiohttp',
        '÷',
        'rows/s rowbot',
        'rows/s aiohttp',
        'failed r / a',
        '429s r / a',
      ],
      rows,
    ),
    '',
    ...table(
      ['', 'spawn → first request: rowbot', 'aiohttp', 'last answer → exit: rowbot', 'aiohttp', 'requests r / a'],
      timing,
    ),
    '',
    ...startup,
  ];
}
