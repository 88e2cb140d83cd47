import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { JobSummary, RunSettings } from '../../shared/api.ts';
import { KEY_IDS } from '../../shared/providers.ts';
import { Engine, type EngineOptions } from '../../electron/engine/engine.ts';
import { startMockLlmServer, type MockLlmServer, type MockOptions } from '../fixtures/mock-llm-server.ts';

export interface Bench {
  dir: string;
  dbFile: string;
  mock: MockLlmServer;
  engine: Engine;
  /** Creates a job of `rows` rows whose prompts are `Row <n>` (n from 1), on the mock server. */
  job(rows: number, settings?: Partial<RunSettings>): Promise<string>;
  /** Job summaries as the UI sees them. */
  jobEvents: JobSummary[];
  close(): Promise<void>;
}

export const prompt = (n: number): string => `Row ${n}`;

/** A real engine on a fresh SQLite file, talking to a real mock server on loopback. */
export async function openBench(
  mockOptions: MockOptions = {},
  engineOptions: Partial<EngineOptions> = {},
): Promise<Bench> {
  const dir = mkdtempSync(join(tmpdir(), 'rowbot-sched-'));
  const dbFile = join(dir, 'rowbot.db');
  const mock = await startMockLlmServer(mockOptions);
  // These tests are about the wire, not about where keys may go: every key may go to the mock.
  const allowKeyTo = KEY_IDS.map((keyId) => ({ keyId, origin: new URL(mock.baseUrl).origin }));
  const engine = new Engine({ dbFile, backoff: { baseDelayMs: 5, maxDelayMs: 40 }, allowKeyTo, ...engineOptions });
  const jobEvents: JobSummary[] = [];
  engine.on((message) => {
    if (message.name === 'job') jobEvents.push(message.payload);
  });
  let closed = false;
  return {
    dir,
    dbFile,
    mock,
    engine,
    jobEvents,
    async job(rows, settings = {}) {
      const lines = ['n'];
      for (let i = 1; i <= rows; i += 1) lines.push(String(i));
      const preview = await engine.importBytes('rows.csv', Buffer.from(lines.join('\n')));
      return engine.createJob({
        sheetId: preview.sheetId,
        template: 'Row {{n}}',
        provider: { kind: 'openai', baseUrl: mock.baseUrl, model: 'mock-1' },
        settings,
      }).id;
    },
    async close() {
      if (closed) return;
      closed = true;
      await engine.close();
      await mock.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Resolves once `predicate` holds, checking every few milliseconds (no fixed sleeps). */
export async function until(predicate: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const start = performance.now();
  while (!predicate()) {
    if (performance.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const ENGINE_CHILD = resolve(import.meta.dirname, '../fixtures/engine-child.ts');

/**
 * Runs the job in a child process (test/fixtures/engine-child.ts) until it reports `done` answers
 * (done cells, by the job's counts), then kills it with SIGKILL: a crash in the middle of a run.
 */
export async function killMidRun(dbFile: string, jobId: string, done: number): Promise<void> {
  const child = spawn(process.execPath, [ENGINE_CHILD, dbFile, jobId], { stdio: ['ignore', 'pipe', 'inherit'] });
  let childDone = 0;
  child.stdout.on('data', (chunk: Buffer) => {
    const last = chunk
      .toString()
      .trim()
      .split('\n')
      .at(-1)
      ?.match(/done (\d+)/);
    if (last) childDone = Number(last[1]);
  });
  const exited = new Promise((settled) => child.once('exit', settled));
  await until(() => childDone >= done, `the child to finish ${done} answers`);
  child.kill('SIGKILL');
  await exited;
}
