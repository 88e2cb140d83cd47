// What the rate-limit figures share: a whole process timed from spawn to exit, `rowbot run` against
// the mock server with a fresh database, the spreadsheet and its prompts, and a small table.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MockLlmServer } from '../test/fixtures/mock-llm-server.ts';

export const ROWBOT_BIN = join(import.meta.dirname, '..', 'bin', 'rowbot.js');
/** Runs of each timed figure; the median is shown. */
export const RUNS = 3;

export interface BenchContext {
  mock: MockLlmServer;
  /** A scratch folder: spreadsheets, prompt lists and one database per run. */
  dir: string;
  /** The `rowbot` entry point to time (bin/rowbot.js of this tree unless told otherwise). */
  rowbotBin: string;
}

export interface Timed {
  seconds: number;
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A whole process, from spawn to exit. */
export function timeProcess(args: string[]): Promise<Timed> {
  return new Promise((resolveRun, reject) => {
    const began = performance.now();
    const child = spawn(process.execPath, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, OPENAI_API_KEY: 'sk-bench' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => resolveRun({ seconds: (performance.now() - began) / 1000, code, stdout, stderr }));
  });
}

export function check(ok: boolean, what: string, run: Timed): void {
  if (!ok) throw new Error(`${what} (exit ${run.code})\n${run.stderr.slice(-2000)}`);
}

let dbCount = 0;
export function rowbotRun(context: BenchContext, csv: string, flags: string[]): Promise<Timed> {
  dbCount += 1;
  const db = join(context.dir, `run-${dbCount}.db`);
  const base = ['--provider', 'openai', '--base-url', context.mock.baseUrl, '--no-cache', '--db', db];
  return timeProcess([context.rowbotBin, 'run', csv, ...base, ...flags]);
}

/** The prompt of every run ("JSON" in it, so JSON mode adds no instruction of its own). */
export const TEMPLATE = 'Write one line about {{name}}. Answer in JSON.';

/** A spreadsheet of `rows` items and the prompts TEMPLATE makes of them. */
export function sheet(dir: string, rows: number): { csv: string; prompts: string[] } {
  const names = Array.from({ length: rows }, (_, i) => `item ${i + 1}`);
  const csv = join(dir, `items-${rows}.csv`);
  writeFileSync(csv, ['name', ...names].join('\n'));
  return { csv, prompts: names.map((name) => TEMPLATE.replace('{{name}}', name)) };
}

export const median = (values: number[]): number =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;
export const seconds = (s: number): string => `${s.toFixed(2)} s`;

export function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]?.length ?? 0)));
  const line = (cells: string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)];
}
