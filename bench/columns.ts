/**
 * `npm run bench -- columns [--rows N]` (issue 17): N rows (default 100,000) × 3 chained AI columns
 * (summary; label, which uses summary; reply, which uses label) as one whole `rowbot run … --out
 * OUT.csv` process (spawn to exit, under bench/rusage.py: wall, CPU seconds, peak RSS), the mock
 * server in its own process on the other core. Prints rows fully done per second, cells per
 * second, and from the mock's log of arrivals whether a later column's first request came before
 * the column it uses had its last answer (cells flow through the columns rather than column by
 * column). The CSV is read back by PapaParse, and each row's chain checked.
 */
import { spawnSync } from 'node:child_process';
import { createReadStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import Papa from 'papaparse';
import type { ColumnsMockMessage, ColumnsMockStats } from './columns-mock.ts';
import { ask, CLIENT_CORE, pinned, startMockProcess, underRusage, USAGE_HEADER, usageCells } from './baseline.ts';
import { ROWBOT_BIN, table } from './whole-process.ts';

const CONCURRENCY = 200;
const LATENCY_MS = 5;
/** The chain: each column's template starts with its own word, which the mock logs arrivals by. */
const COLUMNS = [
  ['summary', 'Summarize {{name}}'],
  ['label', 'Label {{summary}}'],
  ['reply', 'Reply {{label}}'],
] as const;

/** `--rows N` from the bench's arguments, else 100,000. */
export function columnsRows(args: readonly string[]): number {
  const at = args.indexOf('--rows');
  const rows = at === -1 ? 100_000 : Number(args[at + 1]);
  if (!Number.isInteger(rows) || rows < 1)
    throw new Error(`--rows must be a whole number above 0, not "${args[at + 1]}"`);
  return rows;
}

function python(): string | null {
  for (const candidate of ['python3', '/usr/bin/python3']) {
    if (spawnSync(candidate, ['-c', 'import os; os.wait4'], { stdio: 'ignore' }).status === 0) return candidate;
  }
  return null;
}

/** Rows of the CSV, those whose three cells are done, and those whose chain holds (each answer built on the one it uses). */
function readBack(file: string): Promise<{ rows: number; done: number; chained: number }> {
  return new Promise((resolveRead, reject) => {
    let rows = 0;
    let done = 0;
    let chained = 0;
    Papa.parse<Record<string, string>>(createReadStream(file, 'utf8') as unknown as File, {
      header: true,
      skipEmptyLines: true,
      step: ({ data }) => {
        rows += 1;
        if (COLUMNS.every(([name]) => data[`${name}.status`] === 'done')) done += 1;
        // The mock answers "Mock reply to: <prompt>": label's answer holds summary's, reply's label's.
        const summary = data.summary ?? '';
        const label = data.label ?? '';
        if (summary !== '' && label.includes(`Label ${summary}`) && (data.reply ?? '').includes(`Reply ${label}`))
          chained += 1;
      },
      complete: () => resolveRead({ rows, done, chained }),
      error: reject,
    });
  });
}

export async function columnsFigures(args: readonly string[] = []): Promise<string[]> {
  const rows = columnsRows(args);
  const py = python();
  if (py === null) return ['Columns skipped: no python3 here (bench/rusage.py measures the process).'];
  const dir = mkdtempSync(join(tmpdir(), 'rowbot-bench-columns-'));
  const mock = await startMockProcess('columns-mock.ts', { latencyMs: LATENCY_MS });
  try {
    const csv = join(dir, 'rows.csv');
    writeFileSync(csv, `name\n${Array.from({ length: rows }, (_, i) => `item ${i + 1}`).join('\n')}\n`);
    const out = join(dir, 'out.csv');
    const command = [process.execPath, ROWBOT_BIN, 'run', csv, '--provider', 'openai', '--base-url', mock.baseUrl]
      .concat(['--model', 'mock-1', '--concurrency', String(CONCURRENCY), '--no-cache', '--json'])
      .concat(COLUMNS.flatMap(([name, template]) => ['--column', `${name}=${template}`]))
      .concat(['--db', join(dir, 'run.db'), '--out', out]);
    const dbFile = join(dir, 'run.db');
    const usage = await underRusage(py, join(dir, 'usage.json'), pinned(CLIENT_CORE, command));
    if (usage.code !== 0) throw new Error(`rowbot run exited with ${usage.code}\n${usage.stderr}`);
    // The finished job exported again, to .xlsx: the cells read a row at a time from the database.
    const db = new Database(dbFile, { readonly: true });
    const { id: jobId } = db.prepare('SELECT id FROM jobs').get() as { id: string };
    db.close();
    const xlsx = await underRusage(
      py,
      join(dir, 'export.json'),
      pinned(CLIENT_CORE, [
        process.execPath,
        ROWBOT_BIN,
        'run',
        '--resume',
        jobId,
        '--db',
        dbFile,
        '--out',
        join(dir, 'out.xlsx'),
        // Nothing is sent (every cell is done), but the stored address is checked all the same.
        '--allow-key-to',
        `openai=${new URL(mock.baseUrl).origin}`,
      ]),
    );
    if (xlsx.code !== 0) throw new Error(`rowbot run --resume --out .xlsx exited with ${xlsx.code}\n${xlsx.stderr}`);
    const stats = await ask<ColumnsMockStats, ColumnsMockMessage>(mock.child, 'stats');
    const read = await readBack(out);
    const at = (epochMs: number): string => `${((epochMs - usage.spawnEpochMs) / 1000).toFixed(2)} s`;
    const logged = COLUMNS.map(([name, template]) => ({ name, arrivals: stats.columns[template.split(' ')[0] ?? ''] }));
    const spans = logged.map(({ name, arrivals }) =>
      arrivals
        ? `${name}: ${arrivals.requests.toLocaleString('en-US')} requests, the first at ${at(arrivals.firstEpochMs)}, the last answered at ${at(arrivals.lastEpochMs + stats.latencyMs)}`
        : `${name}: no requests logged`,
    );
    const overlap = logged.slice(1).map(({ name, arrivals }, i) => {
      const earlier = logged[i];
      if (!arrivals || !earlier?.arrivals) return `${name}: no requests logged`;
      const before = arrivals.firstEpochMs < earlier.arrivals.lastEpochMs + stats.latencyMs;
      return `${name} started ${before ? 'before' : 'after'} ${earlier.name} was finished`;
    });
    const cells = rows * COLUMNS.length;
    return [
      `Columns (issue 17) — rowbot run of ${rows.toLocaleString('en-US')} rows × ${COLUMNS.length} chained AI columns (${COLUMNS.map(([n]) => n).join(' → ')}),`,
      `${LATENCY_MS} ms answers, concurrency ${CONCURRENCY}, --out CSV; one whole process (spawn to exit) on core ${CLIENT_CORE}, the mock on the other.`,
      ...table(
        [...USAGE_HEADER, 'rows/s (all cells done)', 'cells/s', 'requests', '429s', 'dup', 'CSV read back (PapaParse)'],
        [
          [
            ...usageCells(usage),
            String(Math.round(read.done / usage.wallSeconds)),
            String(Math.round(cells / usage.wallSeconds)),
            stats.requests.toLocaleString('en-US'),
            String(stats.rateLimited),
            String(stats.duplicated),
            `${read.rows.toLocaleString('en-US')} rows, ${read.done.toLocaleString('en-US')} all done, ${read.chained.toLocaleString('en-US')} chained right`,
          ],
        ],
      ),
      'Arrivals at the mock by column (seconds from spawn):',
      ...spans.map((line) => `  ${line}`),
      `Did a later column start before the one it uses was finished? ${overlap.join('; ')}.`,
      `The finished job exported again to .xlsx (rowbot run --resume JOB --out FILE.xlsx): ${xlsx.wallSeconds.toFixed(1)} s wall, peak RSS ${Math.round(xlsx.peakRssMb)} MB.`,
    ];
  } finally {
    await new Promise((resolveStop) => {
      mock.child.once('exit', resolveStop);
      mock.child.send('stop' satisfies ColumnsMockMessage);
    });
    rmSync(dir, { recursive: true, force: true });
  }
}
