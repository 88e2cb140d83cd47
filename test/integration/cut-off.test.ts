import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Papa from 'papaparse';
import { afterEach, describe, expect, it } from 'vitest';
import { createHandlers, dispatch } from '../../electron/engine/handlers.ts';
import { cutOffReplies } from '../fixtures/mock-llm-server.ts';
import { openBench, prompt, type Bench } from './harness.ts';
import { firstCells } from '../fixtures/cells.ts';

const BIN = resolve(import.meta.dirname, '../../bin/rowbot.js');

describe('answers cut off at the output limit', () => {
  let bench: Bench;
  afterEach(async () => {
    await bench?.close();
  });

  it('an answer cut off is never handed to another job from the response cache', async () => {
    bench = await openBench({ replyBody: cutOffReplies(new Set([prompt(1)])) });
    const { engine, mock } = bench;
    const first = await bench.job(2);
    engine.startJob(first);
    expect(await engine.waitForJob(first)).toMatchObject({ cutOff: 1, counts: { done: 2 } });
    // The same requests again: the whole answer comes from the cache, the cut-off one is asked again.
    const second = await bench.job(2);
    engine.startJob(second);
    expect(await engine.waitForJob(second)).toMatchObject({ cutOff: 0, counts: { done: 2 } });
    expect(firstCells(engine.getRows(second)).map((row) => row.cached)).toEqual([false, true]);
    expect(mock.requestsByPrompt.get(prompt(1))).toBe(2);
  });

  it('are marked and counted, exported with their finish, and run again with a higher limit; every reply stays billed', async () => {
    bench = await openBench({ replyBody: cutOffReplies(new Set([prompt(2), prompt(5)])) });
    const { engine } = bench;
    engine.setPrice({ model: 'mock-1', input: 1, cachedInput: null, output: 2 });
    const jobId = await bench.job(6, { maxOutputTokens: 50, concurrency: 2 });
    engine.startJob(jobId);
    const first = await engine.waitForJob(jobId);
    expect(first).toMatchObject({ status: 'completed', cutOff: 2, counts: { done: 6, failed: 0 } });
    expect(firstCells(engine.getRows(jobId)).map((row) => row.finish)).toEqual([
      'stop',
      'length',
      'stop',
      'stop',
      'length',
      'stop',
    ]);

    const out = join(bench.dir, 'cut.csv');
    await engine.exportTo(jobId, out);
    const [header, ...records] = Papa.parse<string[]>(readFileSync(out, 'utf8').slice(1), { skipEmptyLines: true })
      .data as [string[], ...string[][]];
    expect(records.map((record) => record[header.indexOf('finish')])).toEqual([
      'stop',
      'length',
      'stop',
      'stop',
      'length',
      'stop',
    ]);

    // The limit must go up, and the command is checked at the boundary like every other.
    expect(() => engine.retryCutOff(jobId, 50)).toThrow(/cut off at the output limit of 50 tokens/);
    const handlers = createHandlers(engine, {
      importDialog: () => Promise.resolve({ kind: 'cancelled' }),
      exportJob: () => Promise.resolve({ kind: 'cancelled' }),
    });
    for (const bad of [
      { jobId },
      { jobId, maxOutputTokens: 0 },
      { jobId, maxOutputTokens: 1.5 },
      { jobId, maxOutputTokens: null },
    ]) {
      expect(await dispatch(handlers, 'retryCutOff', bad)).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    }
    expect(engine.getJob(jobId).settings.maxOutputTokens).toBe(50);

    const retried = await dispatch(handlers, 'retryCutOff', { jobId, maxOutputTokens: 200 });
    expect(retried).toMatchObject({ ok: true, value: { requeued: 2, job: { settings: { maxOutputTokens: 200 } } } });
    const second = await engine.waitForJob(jobId);
    expect(second).toMatchObject({ status: 'completed', cutOff: 0, counts: { done: 6 } });
    expect(bench.mock.lastRequest?.max_tokens).toBe(200);
    expect(bench.mock.requestsByPrompt.get(prompt(2))).toBe(2);
    expect(bench.mock.requestsByPrompt.get(prompt(1))).toBe(1);
    const rows = firstCells(engine.getRows(jobId));
    expect(rows.map((row) => [row.finish, row.attempts])).toEqual([
      ['stop', 1],
      ['stop', 2],
      ['stop', 1],
      ['stop', 1],
      ['stop', 2],
      ['stop', 1],
    ]);
    // Both replies to a cut-off row were billed: the job counts exactly what the server billed.
    const billed = bench.mock.usageBilled;
    expect(second.usage).toEqual({
      promptTokens: billed.promptTokens,
      completionTokens: billed.completionTokens,
      cost: (billed.promptTokens * 1 + billed.completionTokens * 2) / 1e6,
    });
    const twice = engine.getRow(jobId, 1);
    expect(twice.promptTokens).toBe((twice.attemptLog[0]?.promptTokens ?? 0) * 2);

    // The cut-off answers left the response cache: a job asking the same at the old limit sends them again.
    const copy = await bench.job(6, { maxOutputTokens: 50, concurrency: 2 });
    engine.startJob(copy);
    await engine.waitForJob(copy);
    expect(firstCells(engine.getRows(copy)).map((row) => row.cached)).toEqual([true, false, true, true, false, true]);
    expect(bench.mock.requestsByPrompt.get(prompt(2))).toBe(3);
  });

  it('rowbot run says how many rows were cut off, and --json counts them', async () => {
    bench = await openBench({ replyBody: cutOffReplies(new Set(['Capital of Peru?', 'Capital of Chad?'])) });
    const input = join(bench.dir, 'in.csv');
    writeFileSync(input, 'country\nFrance\nPeru\nChad\nNorway\n');
    const result = await new Promise<{ status: number | null; stdout: string; stderr: string }>((done) => {
      const child = spawn(
        process.execPath,
        [
          BIN,
          'run',
          input,
          '--template',
          'Capital of {{country}}?',
          '--provider',
          'openai',
          '--base-url',
          bench.mock.baseUrl,
          '--model',
          'mock-1',
          '--max-tokens',
          '40',
          '--json',
        ],
        { env: { ...process.env, ROWBOT_DB: join(bench.dir, 'cli.db') } },
      );
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.on('close', (status) => done({ status, stdout, stderr }));
    });
    expect(result.stderr).toContain('4 of 4 rows done, 0 failed.');
    expect(result.stderr).toContain(
      '2 rows were cut off at the output limit (--max-tokens 40): their answers are incomplete.',
    );
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout.trim().split('\n').at(-1) ?? '')).toMatchObject({ done: 4, cutOff: 2 });
  });
});
