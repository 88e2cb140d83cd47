// npm run bench -- hostile: files made to take Rowbot down (issue 13), each given to
// `rowbot inspect` as a whole process, with its wall time, peak RSS and what it printed.
// The target: a specific message within 30 s and a peak under 1 GB.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
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
    name: 'zip bomb: 2.8 GB of spaces in the sheet, listed as 1 GB',
    make: (dir) => write(dir, 'spaces-liar.xlsx', sheetBombXlsx(2800 * MB, { fill: 'spaces', declare: 1023 * MB })),
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

interface Served {
  seconds: number;
  /** The longest a listJobs call sent every 50 ms waited while the upload ran. */
  longestOtherMs: number;
  peakRssMb: number;
  outcome: string;
}

/** A fresh `rowbot serve` (its own database), the file uploaded as the browser does, listJobs polled beside it. */
async function upload(dir: string, path: string): Promise<Served> {
  const child = spawn(process.execPath, [ROWBOT_BIN, 'serve', '--db', join(dir, `serve-${Date.now()}.db`)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let printed = '';
  try {
    const url = await new Promise<URL>((resolveUrl, reject) => {
      const onData = (chunk: Buffer): void => {
        printed += chunk.toString();
        const match = /http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+/.exec(printed);
        if (match) resolveUrl(new URL(match[0]));
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      child.once('exit', (code) => reject(new Error(`rowbot serve exited with ${code}: ${printed}`)));
    });
    const call = async (name: string, input: unknown): Promise<{ ok: boolean; error?: { code: string } }> => {
      const response = await fetch(`${url.origin}/api/call/${name}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${url.searchParams.get('token')}`, 'content-type': 'application/json' },
        // Given as text, the upload is serialized before listJobs starts to be timed.
        body: typeof input === 'string' ? input : JSON.stringify(input),
      });
      return (await response.json()) as { ok: boolean; error?: { code: string } };
    };
    await call('listJobs', {});
    const body = JSON.stringify({ fileName: basename(path), dataBase64: readFileSync(path).toString('base64') });
    let peak = 0;
    const poll = setInterval(() => (peak = Math.max(peak, child.pid ? peakKb(child.pid) : 0)), 20);
    let done = false;
    let longest = 0;
    const others = (async () => {
      while (!done) {
        const sent = performance.now();
        await call('listJobs', {}).catch(() => undefined);
        longest = Math.max(longest, performance.now() - sent);
        await new Promise((wait) => setTimeout(wait, 50));
      }
    })();
    const began = performance.now();
    const reply = await call('importUpload', body).catch((error: unknown) => ({
      ok: false,
      error: { code: `no reply (${(error as Error).message})` },
    }));
    const seconds = (performance.now() - began) / 1000;
    done = true;
    await others;
    clearInterval(poll);
    const alive =
      child.exitCode === null &&
      (await call('listJobs', {}).then(
        (r) => r.ok,
        () => false,
      ));
    const outcome = `${reply.ok ? 'imported' : (reply.error?.code ?? '?')}${alive ? '' : ', serve died'}`;
    return { seconds, longestOtherMs: longest, peakRssMb: peak / 1024, outcome };
  } finally {
    child.kill('SIGTERM');
  }
}

export async function hostileFigures(): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'rowbot-bench-hostile-'));
  const rows: string[][] = [];
  const served: string[][] = [];
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
      const serve = await upload(dir, path);
      served.push([
        name,
        `${serve.seconds.toFixed(2)} s`,
        `${Math.round(serve.longestOtherMs)} ms`,
        `${Math.round(serve.peakRssMb)} MB`,
        serve.outcome,
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
    '',
    'The same files uploaded to rowbot serve (importUpload, as the browser sends them; a fresh server each), listJobs sent every 50 ms meanwhile',
    '',
    ...table(['file', 'upload reply', 'longest listJobs', 'serve peak RSS', 'outcome'], served),
  ];
}
