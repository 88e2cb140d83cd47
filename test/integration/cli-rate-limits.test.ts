// `rowbot run` as a whole process while the provider rate-limits it: it says it is waiting (also
// without a terminal), gives up after the job's patience, and Ctrl+C stops it at once with nothing
// sent afterwards and no row left running.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockLlmServer, type MockLlmServer } from '../fixtures/mock-llm-server.ts';
import { until } from './harness.ts';

const BIN = resolve(import.meta.dirname, '../../bin/rowbot.js');

interface Run {
  status: Promise<number | null>;
  stderr: () => string;
  signal: (name: NodeJS.Signals) => void;
}

function rowbot(dir: string, args: string[]): Run {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { ...process.env, ROWBOT_DB: join(dir, 'rowbot.db') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdout.resume();
  return {
    status: new Promise((done) => child.on('close', (code) => done(code))),
    stderr: () => stderr,
    signal: (name) => child.kill(name),
  };
}

describe('rowbot run under rate limits', () => {
  let dir: string;
  let mock: MockLlmServer;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rowbot-cli-429-'));
    mock = await startMockLlmServer({});
    writeFileSync(join(dir, 'in.csv'), `n\n${Array.from({ length: 20 }, (_, i) => i + 1).join('\n')}\n`);
  });
  afterAll(async () => {
    await mock.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const args = (...extra: string[]) => [
    'run',
    join(dir, 'in.csv'),
    '--template',
    'Row {{n}}',
    '--provider',
    'openai',
    '--base-url',
    mock.baseUrl,
    '--model',
    'mock-1',
    '--no-cache',
    ...extra,
  ];

  it('says it is waiting for the rate limit (no terminal), then pauses after its patience with the reason', async () => {
    mock.setOptions({ fault: () => ({ status: 429 }) });
    const run = rowbot(dir, args('--concurrency', '2', '--rate-limit-patience', '0.04'));
    expect(await run.status).toBe(1);
    expect(run.stderr()).toMatch(/^rowbot: waiting for the rate limit, \d+ s$/m);
    expect(run.stderr()).toContain('Paused: the provider has refused every request with “too many requests”');
    expect(run.stderr()).toMatch(/To continue: rowbot run --resume \S+/);
  });

  it('refuses a patience that is not a positive number of minutes', async () => {
    const run = rowbot(dir, args('--rate-limit-patience', '0'));
    expect(await run.status).toBe(2);
    expect(run.stderr()).toContain('--rate-limit-patience must be a number of minutes above zero');
  });

  it('Ctrl+C during a rate-limit wait and slow requests: nothing is sent after it, no row is left running', async () => {
    const db = join(dir, 'sigint.db');
    // Row 1 is refused at once with a long Retry-After; every other request answers only after a minute.
    mock.setOptions({
      latencyMs: (p) => (p === 'Row 1' ? 0 : 60_000),
      fault: (p, attempt) =>
        p === 'Row 1' && attempt === 1 ? { status: 429, headers: { 'retry-after': '30' } } : undefined,
    });
    mock.resetCounters();
    const child = spawn(process.execPath, [BIN, ...args('--concurrency', '4', '--db', db)], {
      env: { ...process.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const status = new Promise<number | null>((done) => child.on('close', (code) => done(code)));
    await until(() => mock.rateLimited === 1 && mock.inFlight === 3, 'the 429 and three slow requests');
    const sentBeforeSigint = mock.totalRequests;
    child.kill('SIGINT');
    // The requests in flight take a minute: the CLI must not wait for them (the test's own timeout guards this).
    expect(await status).toBe(130);
    expect(stderr).toContain('Pausing: nothing more is sent');
    expect(mock.totalRequests).toBe(sentBeforeSigint);
    await until(() => mock.inFlight === 0, 'the server to see the requests abandoned');
    const check = new Database(db, { readonly: true });
    try {
      const running = check.prepare("SELECT COUNT(*) AS n FROM job_cells WHERE status = 'running'").get() as {
        n: number;
      };
      expect(running.n).toBe(0);
      const job = check.prepare('SELECT status FROM jobs').get() as { status: string };
      expect(job.status).toBe('paused');
    } finally {
      check.close();
    }
  }, 30_000);
});
