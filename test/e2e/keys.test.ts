import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobDetail, ProviderConfig } from '../../shared/api.ts';
import { Engine } from '../../electron/engine/engine.ts';
import { MemoryKeyStore } from '../../electron/engine/keys.ts';
import { startMockLlmServer, type MockLlmServer } from '../fixtures/mock-llm-server.ts';
import { ROOT, startServe, type ServeProcess } from './harness.ts';

// Keys as the environment of `rowbot serve` holds them; the test checks none of them reaches a
// server it does not belong to, nor comes back in any answer.
const OPENAI_KEY = 'sk-openai-secret-0001112223334445';
const ANTHROPIC_KEY = 'sk-ant-secret-6667778889990001';
const CUSTOM_KEY = 'rk-custom-secret-2223334445556667';
const GATEWAY_TOKEN = 'gw-token-secret-8889990001112223';

/** Every text the serve API answers about a job: its detail, list entry, rows, one row and an export. */
async function everythingAbout(serve: ServeProcess, jobId: string): Promise<string> {
  const exported = await serve.call<{ url: string }>('exportJob', { jobId, format: 'csv', rows: 'all' });
  const download = await fetch(`${serve.origin}${exported.url}`, {
    headers: { authorization: `Bearer ${new URL(serve.url).searchParams.get('token')}` },
  });
  return JSON.stringify([
    await serve.call('getJob', { jobId }),
    await serve.call('listJobs', {}),
    await serve.call('getRows', { jobId }),
    await serve.call('getRow', { jobId, index: 0 }),
    await download.text(),
  ]);
}

async function finished(serve: ServeProcess, jobId: string): Promise<JobDetail> {
  for (let i = 0; i < 400; i += 1) {
    const job = await serve.call<JobDetail>('getJob', { jobId });
    if (job.status !== 'running' && job.status !== 'ready') return job;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error('the job did not finish');
}

describe('keys go only to the address they belong to, and never come back (rowbot serve)', () => {
  let mock: MockLlmServer;
  let dir: string;
  let serve: ServeProcess;
  let storedJobId: string;
  let gatewayJobId: string;
  let sheetId: string;
  const at = (config: Partial<ProviderConfig> & { kind?: 'openai' }): ProviderConfig =>
    ({ kind: 'openai', baseUrl: mock.baseUrl, model: 'mock-1', ...config }) as ProviderConfig;

  beforeAll(async () => {
    mock = await startMockLlmServer({ models: ['mock-1'], latencyMs: 1 });
    dir = mkdtempSync(join(tmpdir(), 'rowbot-keys-'));
    const dbFile = join(dir, 'rowbot.db');
    // A job already in the database that points at another server (whoever wrote it).
    const writer = new Engine({ dbFile, keys: new MemoryKeyStore({}) });
    const preview = await writer.importBytes('rows.csv', Buffer.from('n\n1\n2\n'));
    sheetId = preview.sheetId;
    storedJobId = writer.createJob({
      sheetId,
      template: 'Row {{n}}',
      provider: { kind: 'openai', baseUrl: mock.baseUrl, model: 'mock-1', keyId: 'openai' },
    }).id;
    // One made by `rowbot run --http-header` for the user's own gateway (the API takes no headers).
    gatewayJobId = writer.createJob({
      sheetId,
      template: 'Row {{n}}',
      provider: {
        kind: 'openai',
        baseUrl: mock.baseUrl,
        model: 'mock-1',
        keyId: 'custom',
        headers: { 'X-Gateway-Token': GATEWAY_TOKEN },
      },
    }).id;
    await writer.close();
    serve = await startServe({
      dbFile,
      env: {
        OPENAI_API_KEY: OPENAI_KEY,
        ANTHROPIC_API_KEY: ANTHROPIC_KEY,
        ROWBOT_API_KEY: CUSTOM_KEY,
        // The user's own server, allowed for the "custom" key only.
        ROWBOT_ALLOW_KEY_TO: `custom=${new URL(mock.baseUrl).origin}`,
      },
    });
    // The upload the new jobs use lives in the serve process.
    const imported = await serve.call<{ preview: { sheetId: string } }>('importUpload', {
      fileName: 'rows.csv',
      dataBase64: Buffer.from('n\n1\n2\n').toString('base64'),
    });
    sheetId = imported.preview.sheetId;
  });

  afterAll(async () => {
    await serve?.stop();
    await mock?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses to send a service’s key to another address: Test connection, a new job, a stored job', async () => {
    mock.resetCounters();
    const before = mock.lastUrl;
    for (const provider of [
      at({ keyId: 'openai' }),
      at({}), // no preset named: the OpenAI key
      { kind: 'anthropic', baseUrl: mock.baseUrl, model: 'claude-x' } as ProviderConfig,
      at({ keyId: 'custom', baseUrl: mock.baseUrl.replace('127.0.0.1', 'localhost') }), // not the allowed origin
    ]) {
      await expect(serve.call('testConnection', { provider })).rejects.toThrow(/sends your .* key only to/);
      await expect(serve.call('createJob', { sheetId, template: 'Row {{n}}', provider })).rejects.toThrow(
        /not to http:\/\/(127\.0\.0\.1|localhost):\d+, so nothing was sent\. .*save the key again in Settings → API keys with this address added/,
      );
    }
    await expect(serve.call('startJob', { jobId: storedJobId })).rejects.toThrow(
      'Rowbot sends your OpenAI key only to https://api.openai.com, not to',
    );
    // Nothing at all reached the server.
    expect(mock.lastUrl).toBe(before);
    expect(mock.totalRequests).toBe(0);
  });

  it('sends the key to an address the user allowed for it, and Test connection never returns it', async () => {
    const allowed = await serve.call<{ ok: boolean }>('testConnection', { provider: at({ keyId: 'custom' }) });
    expect(allowed.ok).toBe(true);
    expect(mock.lastHeaders.authorization).toBe(`Bearer ${CUSTOM_KEY}`);

    // A server that quotes the request back: a 401 from the model list, then (405) from the one-token request.
    for (const status of [401, 405]) {
      mock.updateOptions({ echoHeaders: { status, as: 'json' } });
      const echoed = await serve.call<{ ok: boolean; message: string }>('testConnection', {
        provider: at({ keyId: 'custom' }),
      });
      expect(echoed.ok).toBe(false);
      expect(echoed.message).toContain('Your request was: authorization: Bearer …6667');
      expect(echoed.message).not.toContain(CUSTOM_KEY);
    }
    mock.updateOptions({ echoHeaders: undefined });
  });

  it('keeps a key that straddles the cut of an error body, and a gateway token, out of row errors and exports', async () => {
    // Plain text, the key placed across the 300th character, where the quoted body is cut.
    mock.updateOptions({ echoHeaders: { status: 400, as: 'text', pad: 300 - 'authorization: Bearer '.length - 8 } });
    const cut = await serve.call<JobDetail>('createJob', {
      sheetId,
      template: 'Row {{n}}',
      provider: at({ keyId: 'custom' }),
    });
    await serve.call('startJob', { jobId: cut.id });
    expect((await finished(serve, cut.id)).counts.failed).toBe(2);
    const cutText = await everythingAbout(serve, cut.id);
    expect(cutText).toContain('The provider answered 400');
    expect(cutText).not.toContain(CUSTOM_KEY.slice(0, 8));

    mock.updateOptions({ echoHeaders: { status: 400, as: 'json' } });
    await serve.call('startJob', { jobId: gatewayJobId });
    expect((await finished(serve, gatewayJobId)).counts.failed).toBe(2);
    const gatewayText = await everythingAbout(serve, gatewayJobId);
    expect(gatewayText).toContain('x-gateway-token: …2223');
    expect(gatewayText).not.toContain(GATEWAY_TOKEN);
    expect(gatewayText).not.toContain(CUSTOM_KEY);
    mock.updateOptions({ echoHeaders: undefined });
  });
});

describe('rowbot run: keys and --http-header values', () => {
  let mock: MockLlmServer;
  let dir: string;

  beforeAll(async () => {
    mock = await startMockLlmServer({ echoHeaders: { status: 400, as: 'json' } });
    dir = mkdtempSync(join(tmpdir(), 'rowbot-keys-cli-'));
    writeFileSync(join(dir, 'in.csv'), 'n\n1\n2\n');
  });

  afterAll(async () => {
    await mock?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function rowbot(...args: string[]): Promise<{ status: number | null; stdout: string; output: string }> {
    const env = { ...process.env, ROWBOT_DB: join(dir, 'cli.db'), ROWBOT_API_KEY: CUSTOM_KEY };
    return new Promise((done) => {
      const child = spawn(process.execPath, [join(ROOT, 'bin', 'rowbot.js'), ...args], { env });
      let stdout = '';
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        output += chunk.toString();
      });
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.on('close', (status) => done({ status, stdout, output }));
    });
  }

  it('sends the key to the --base-url typed on the same command line, and keeps both out of its output and export', async () => {
    const out = join(dir, 'out.csv');
    const result = await rowbot(
      'run',
      join(dir, 'in.csv'),
      '--template',
      'Row {{n}}',
      '--provider',
      'custom',
      '--base-url',
      mock.baseUrl,
      '--model',
      'm',
      '--http-header',
      `X-Gateway-Token: ${GATEWAY_TOKEN}`,
      '--out',
      out,
      '--json',
    );
    expect(result.status).toBe(1);
    expect(mock.lastHeaders.authorization).toBe(`Bearer ${CUSTOM_KEY}`);
    const written = readFileSync(out, 'utf8');
    expect(written).toContain('x-gateway-token: …2223');
    for (const text of [result.output, written]) {
      expect(text).not.toContain(GATEWAY_TOKEN);
      expect(text).not.toContain(CUSTOM_KEY);
    }

    // Resumed, the job's stored address is not on the command line: the key goes there only when allowed.
    const { jobId } = JSON.parse(result.stdout.trim().split('\n').at(-1) ?? '{}') as { jobId: string };
    mock.updateOptions({ echoHeaders: undefined });
    mock.resetCounters();
    const refused = await rowbot('run', '--resume', jobId, '--retry-failed');
    expect(refused.status).toBe(2);
    expect(refused.output).toContain('Rowbot sends your Other OpenAI-compatible API key only to addresses you allowed');
    expect(refused.output).toContain(`--allow-key-to custom=${new URL(mock.baseUrl).origin}`);
    expect(mock.totalRequests).toBe(0);
    const allowed = await rowbot(
      'run',
      '--resume',
      jobId,
      '--retry-failed',
      '--allow-key-to',
      `custom=${new URL(mock.baseUrl).origin}`,
    );
    expect(allowed.output).toContain('2 of 2 rows done, 0 failed.');
    expect(allowed.status).toBe(0);
    expect(mock.lastHeaders.authorization).toBe(`Bearer ${CUSTOM_KEY}`);
  });
});
