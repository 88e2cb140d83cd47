// npm run bench -- hostile: files made to take Rowbot down (issue 13), each given to
// `rowbot inspect` as a whole process, with its wall time, peak RSS and what it printed.
// The target: a specific message within 30 s and a peak under 1 GB.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  deepJson,
  sharedStringsBombXlsx,
  sheetBombXlsx,
  sparseXlsx,
  writeLongFieldCsv,
} from '../test/fixtures/hostile-files.ts';
import { ROWBOT_BIN, table } from './whole-process.ts';

const MB = 1024 * 1024;
/** A run still going after this is stopped and reported as such. */
const GIVE_UP_MS = 120_000;

interface Measured {
  seconds: number;
  peakRssMb: number;
  code: number | null;
  signal: string | null;
  output: string;
}

/** The peak resident set (VmHWM) of a process and of its children, in kB; 0 once it is gone. */
function peakKb(pid: number): number {
  const of = (id: number): number => {
    try {
      return Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${id}/status`, 'utf8'))?.[1] ?? 0);
    } catch {
      return 0;
    }
  };
  let children: number[] = [];
  try {
    children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
  } catch {
    // Gone, or no children.
  }
  return Math.max(of(pid), ...children.map(of));
}

function inspect(file: string): Promise<Measured> {
  return new Promise((done, reject) => {
    const began = performance.now();
    const child = spawn(process.execPath, [ROWBOT_BIN, 'inspect', file], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    let peak = 0;
    const poll = setInterval(() => (peak = Math.max(peak, child.pid ? peakKb(child.pid) : 0)), 20);
    const giveUp = setTimeout(() => child.kill('SIGKILL'), GIVE_UP_MS);
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      clearInterval(poll);
      clearTimeout(giveUp);
      done({ seconds: (performance.now() - began) / 1000, peakRssMb: peak / 1024, code, signal, output });
    });
  });
}

interface Case {
  name: string;
  /** Writes the file, returns its path. */
  make: (dir: string) => string;
}

const write = (dir: string, name: string, bytes: Uint8Array | string): string => {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
};

const CASES: Case[] = [
  { name: 'sparse XLSX: 200,000 rows, A and XFD', make: (dir) => write(dir, 'sparse.xlsx', sparseXlsx(200_000)) },
  { name: 'zip bomb: sheet XML 2.8 GB', make: (dir) => write(dir, 'sheet-bomb.xlsx', sheetBombXlsx(2800 * MB)) },
  {
    name: 'zip bomb: sheet XML 2.8 GB, listed as 1 GB',
    make: (dir) => write(dir, 'sheet-liar.xlsx', sheetBombXlsx(2800 * MB, { declare: 1023 * MB })),
  },
  {
    name: 'zip bomb: shared strings 2.8 GB',
    make: (dir) => write(dir, 'strings-bomb.xlsx', sharedStringsBombXlsx(2800 * MB)),
  },
  {
    name: 'zip bomb: shared strings 2.8 GB, listed as 1 GB',
    make: (dir) => write(dir, 'strings-liar.xlsx', sharedStringsBombXlsx(2800 * MB, { declare: 1023 * MB })),
  },
  ...[7, 10, 40, 200].map((size) => ({
    name: `CSV: one quoted field of ${size} MB${size < 8 ? ' (under the limit)' : ''}`,
    make: (dir: string) => {
      const path = join(dir, `field-${size}.csv`);
      writeLongFieldCsv(path, size * MB);
      return path;
    },
  })),
  { name: 'JSON nested 100,000 deep', make: (dir) => write(dir, 'deep.json', deepJson(100_000)) },
];

export async function hostileFigures(): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'rowbot-bench-hostile-'));
  const rows: string[][] = [];
  try {
    for (const { name, make } of CASES) {
      const path = make(dir);
      const size = statSync(path).size;
      const run = await inspect(path);
      const said = run.output.trim().split('\n')[0] ?? '';
      const outcome =
        run.signal === 'SIGKILL' ? `gave up after ${GIVE_UP_MS / 1000} s` : `exit ${run.code ?? run.signal}`;
      rows.push([
        name,
        `${(size / MB).toFixed(1)} MB`,
        `${run.seconds.toFixed(2)} s`,
        `${Math.round(run.peakRssMb)} MB`,
        outcome,
        said.length > 160 ? `${said.slice(0, 159)}…` : said,
      ]);
      rmSync(path, { force: true });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return [
    `Hostile files — rowbot inspect FILE as a whole process (Node ${process.version}); target: a specific message within 30 s, peak RSS under 1 GB`,
    '',
    ...table(['file', 'on disk', 'wall', 'peak RSS', 'outcome', 'message (first line)'], rows),
  ];
}
