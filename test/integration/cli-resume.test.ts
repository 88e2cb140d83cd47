/**
 * `rowbot run … --resume JOB`: what people do is press the up arrow and add `--resume`, so the job's
 * own file, prompt and provider flags are accepted; only a value the job was not created with is
 * refused, named beside the job's own, before anything is sent.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startMockLlmServer, type MockLlmServer } from '../fixtures/mock-llm-server.ts';

const BIN = resolve(import.meta.dirname, '../../bin/rowbot.js');

describe('rowbot run --resume with the job’s own flags', () => {
  let dir: string;
  let mock: MockLlmServer;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rowbot-resume-'));
    mock = await startMockLlmServer();
    writeFileSync(join(dir, 'in.csv'), 'city,country\nParis,France\nLima,Peru\nOslo,Norway\n');
    writeFileSync(join(dir, 'prompt.txt'), 'Capital of {{country}}?');
  });
  beforeEach(() => {
    mock.setOptions({});
    mock.resetCounters();
  });
  afterAll(async () => {
    await mock.close();
    rmSync(dir, { recursive: true, force: true });
  });

  // The mock server runs in this process, so the CLI must run asynchronously beside it.
  function rowbot(...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
    return new Promise((done) => {
      const child = spawn(process.execPath, [BIN, ...args], {
        env: { ...process.env, ROWBOT_DB: join(dir, 'resume.db') },
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.on('close', (status) => done({ status, stdout, stderr }));
    });
  }

  const jobIdOf = (stdout: string): string =>
    (JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as { jobId: string }).jobId;

  /** A job whose Lima row failed (a 400 the first time): something left to resume. */
  async function jobWithAFailedRow(flags: string[]): Promise<string> {
    mock.setOptions({ fault: (p) => (p.includes('Peru') ? { status: 400 } : undefined) });
    const first = await rowbot('run', ...flags, '--json');
    expect(first.status).toBe(1);
    expect(first.stderr).toContain('2 of 3 rows done, 1 failed.');
    mock.setOptions({});
    mock.resetCounters();
    return jobIdOf(first.stdout);
  }

  it('the same command with --resume is accepted and runs the job on', async () => {
    const flags = [
      join(dir, 'in.csv'),
      '--template',
      'Capital of {{country}}?',
      '--system',
      'Be brief.',
      '--provider',
      'custom',
      '--base-url',
      mock.baseUrl,
      '--model',
      'mock-1',
      '--http-header',
      'X-Team-Token: team-secret-123456',
      '--keep-empty',
    ];
    const jobId = await jobWithAFailedRow(flags);
    const resumed = await rowbot('run', ...flags, '--resume', jobId, '--retry-failed', '--concurrency', '2', '--json');
    expect(resumed.stderr).toContain('3 of 3 rows done, 0 failed.');
    expect(resumed.status).toBe(0);
    expect(mock.totalRequests).toBe(1);
    expect(mock.lastHeaders['x-team-token']).toBe('team-secret-123456');
  });

  it('a prompt from --template-file with the job’s words is the same prompt', async () => {
    const flags = ['--provider', 'openai', '--base-url', mock.baseUrl, '--model', 'mock-1'];
    const jobId = await jobWithAFailedRow([join(dir, 'in.csv'), '--template-file', join(dir, 'prompt.txt'), ...flags]);
    const resumed = await rowbot(
      'run',
      join(dir, 'in.csv'),
      '--template',
      'Capital of {{country}}?',
      ...flags,
      '--resume',
      jobId,
      '--retry-failed',
    );
    expect(resumed.stderr).toContain('3 of 3 rows done, 0 failed.');
    expect(resumed.status).toBe(0);
  });

  it('Azure: the same deployment address and api-version are the job’s', async () => {
    const deployment = `${mock.baseUrl.replace(/\/v1$/, '')}/openai/deployments/gpt4o-prod`;
    const flags = [
      join(dir, 'in.csv'),
      '--template',
      'About {{country}}',
      '--provider',
      'azure',
      '--base-url',
      `${deployment}/`,
      '--model',
      'gpt-4o',
      '--api-version',
      '2025-01-01-preview',
    ];
    const jobId = await jobWithAFailedRow(flags);
    const resumed = await rowbot('run', ...flags, '--resume', jobId, '--retry-failed');
    expect(resumed.stderr).toContain('3 of 3 rows done, 0 failed.');
    expect(mock.lastUrl).toBe('/openai/deployments/gpt4o-prod/chat/completions?api-version=2025-01-01-preview');
  });

  it('a value the job was not created with is refused, named with the job’s own, and nothing is sent', async () => {
    // A prompt of its own: an answer cached by another test would leave nothing to resume.
    const flags = ['--template', 'Capital city of {{country}}?', '--provider', 'openai', '--base-url', mock.baseUrl];
    const jobId = await jobWithAFailedRow([join(dir, 'in.csv'), ...flags, '--model', 'mock-1']);
    writeFileSync(join(dir, 'other.csv'), 'city,country\nRome,Italy\n');

    const model = await rowbot('run', join(dir, 'in.csv'), ...flags, '--model', 'mock-2', '--resume', jobId);
    expect(model.status).toBe(2);
    expect(model.stderr).toContain(
      `A resumed job keeps its file, prompt and provider, and this differs from job ${jobId}: --model "mock-2" (the job's is "mock-1"). Leave it out (or give the job's own), or start a new job.`,
    );

    const several = await rowbot(
      'run',
      join(dir, 'other.csv'),
      '--template',
      'Country of {{city}}?',
      '--provider',
      'groq',
      '--resume',
      jobId,
    );
    expect(several.status).toBe(2);
    expect(several.stderr).toContain('these differ from job');
    expect(several.stderr).toContain(`${join(dir, 'other.csv')} (the job's file is in.csv)`);
    expect(several.stderr).toContain(
      `--template "Country of {{city}}?" (the job's prompt is "Capital city of {{country}}?")`,
    );
    expect(several.stderr).toContain("--provider groq (the job's provider is openai, with the openai key)");
    expect(several.stderr).toContain(
      `--provider groq's address "https://api.groq.com/openai/v1" (the job's is "${mock.baseUrl}")`,
    );

    const header = await rowbot('run', '--resume', jobId, '--http-header', 'X-Team-Token: another-value-999');
    expect(header.status).toBe(2);
    expect(header.stderr).toContain("--http-header (the job's headers are none)");
    expect(mock.totalRequests).toBe(0);
  });

  it('a job id that is not there is said first', async () => {
    const missing = await rowbot('run', '--resume', 'no-such-job', '--template', 'x {{city}}');
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain('There is no job no-such-job in this database.');
  });
});
