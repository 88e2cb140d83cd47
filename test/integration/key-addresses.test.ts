import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { JobDetail, KeyStatus, ProviderConfig } from '../../shared/api.ts';
import { startServe, type RunningServer } from '../../electron/cli/serve.ts';
import { Engine } from '../../electron/engine/engine.ts';
import { MemoryKeyStore } from '../../electron/engine/keys.ts';
import { SafeStorageKeyStore, type SafeStorageLike } from '../../electron/main/safe-key-store.ts';
import { startMockLlmServer, type MockLlmServer } from '../fixtures/mock-llm-server.ts';

// Addresses saved with a key in Settings (issue 13: 7): the key goes to its service's own address
// and to those, and where it may go changes only when the key is typed again.

const CUSTOM_KEY = 'rk-custom-secret-1112223334445556';
const OPENAI_KEY = 'sk-openai-secret-7778889990001112';
const ENV_CUSTOM_KEY = 'rk-env-secret-9990001112223334';

/** One command over HTTP with the serve token, as the browser UI sends it. */
function callOver(server: RunningServer, name: string, input: unknown): Promise<unknown> {
  return new Promise((done, fail) => {
    const req = request(
      `${server.origin}/api/call/${name}`,
      { method: 'POST', headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const result = JSON.parse(Buffer.concat(chunks).toString('utf8')) as
            { ok: true; value: unknown } | { ok: false; error: { code: string; message: string } };
          if (result.ok) done(result.value);
          else fail(Object.assign(new Error(result.error.message), { code: result.error.code }));
        });
      },
    );
    req.on('error', fail);
    req.end(JSON.stringify(input));
  });
}

describe('rowbot serve: a key goes to the addresses saved with it, and nowhere else', () => {
  let dir: string;
  let engine: Engine;
  let server: RunningServer;
  /** The user's own server, saved with the key. */
  let mine: MockLlmServer;
  /** Anyone else's server: whoever holds the serve token would like the key sent here. */
  let theirs: MockLlmServer;
  let sheetId: string;
  const api = <T>(name: string, input: unknown): Promise<T> => callOver(server, name, input) as Promise<T>;
  const at = (mock: MockLlmServer, keyId: 'custom' | 'openai' = 'custom'): ProviderConfig => ({
    kind: 'openai',
    baseUrl: mock.baseUrl,
    model: 'mock-1',
    keyId,
  });
  const origin = (mock: MockLlmServer): string => new URL(mock.baseUrl).origin;

  async function finished(jobId: string): Promise<JobDetail> {
    for (let i = 0; i < 400; i += 1) {
      const job = await api<JobDetail>('getJob', { jobId });
      if (job.status !== 'running' && job.status !== 'ready') return job;
      await new Promise((wait) => setTimeout(wait, 25));
    }
    throw new Error('the job did not finish');
  }

  /** Runs a two-row job at `provider` to the end. */
  async function run(provider: ProviderConfig): Promise<JobDetail> {
    const job = await api<JobDetail>('createJob', { sheetId, template: 'Row {{n}}', provider });
    await api('startJob', { jobId: job.id });
    return finished(job.id);
  }

  /** Test connection, a new job and a stored job at `provider`: all refused, saying what to do. */
  async function expectRefused(provider: ProviderConfig, storedJobId?: string): Promise<void> {
    const advice =
      /not to http:\/\/127\.0\.0\.1:\d+, so nothing was sent\. .*save the key again in Settings → API keys with this address added/;
    await expect(api('testConnection', { provider })).rejects.toMatchObject({
      code: 'FORBIDDEN',
      message: expect.stringMatching(advice),
    });
    await expect(api('createJob', { sheetId, template: 'Row {{n}}', provider })).rejects.toMatchObject({
      code: 'FORBIDDEN',
      message: expect.stringMatching(advice),
    });
    if (storedJobId) await expect(api('startJob', { jobId: storedJobId })).rejects.toMatchObject({ code: 'FORBIDDEN' });
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rowbot-key-addresses-'));
    mine = await startMockLlmServer({ models: ['mock-1'], latencyMs: 1 });
    theirs = await startMockLlmServer({ models: ['mock-1'], latencyMs: 1 });
    // No ROWBOT_ALLOW_KEY_TO: the only allowances are those saved with the keys.
    engine = new Engine({
      dbFile: join(dir, 'rowbot.db'),
      keys: new MemoryKeyStore({ ROWBOT_API_KEY: ENV_CUSTOM_KEY }),
    });
    server = await startServe({ engine, staticDir: resolve(dir, 'static') });
    const imported = await api<{ preview: { sheetId: string } }>('importUpload', {
      fileName: 'rows.csv',
      dataBase64: Buffer.from('n\n1\n2\n').toString('base64'),
    });
    sheetId = imported.preview.sheetId;
  });

  afterAll(async () => {
    await server?.close();
    await engine?.close();
    await mine?.close();
    await theirs?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a custom key needs an address, in plain words', async () => {
    await expect(api('setKey', { provider: 'custom', key: CUSTOM_KEY })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message:
        'Bad setKey request: origins needs the address of your server: the Other OpenAI-compatible API key is sent only to the addresses saved with it, such as http://10.0.0.5:8000.',
    });
    await expect(
      api('setKey', { provider: 'custom', key: CUSTOM_KEY, origins: [`${origin(mine)}/v1`] }),
    ).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringContaining('without a path') });
  });

  it('saved with an address, the key goes there: a job runs and the server receives the key', async () => {
    const keys = await api<KeyStatus[]>('setKey', { provider: 'custom', key: CUSTOM_KEY, origins: [origin(mine)] });
    expect(keys.find((k) => k.provider === 'custom')).toMatchObject({
      set: true,
      lastFour: '5556',
      source: 'session',
      origins: [origin(mine)],
      savedOrigins: [origin(mine)],
    });
    expect(JSON.stringify(keys)).not.toContain(CUSTOM_KEY);
    mine.resetCounters();
    const done = await run(at(mine));
    expect(done.counts.done).toBe(2);
    expect(mine.totalRequests).toBe(2);
    expect(mine.lastHeaders.authorization).toBe(`Bearer ${CUSTOM_KEY}`);
    const tested = await api<{ ok: boolean }>('testConnection', { provider: at(mine) });
    expect(tested.ok).toBe(true);
  });

  it('another address is refused before anything is sent, and no call adds one without the key', async () => {
    theirs.resetCounters();
    // A job already in the database that points at their server (written by whoever could).
    const writer = new Engine({ dbFile: join(dir, 'rowbot.db'), keys: new MemoryKeyStore({}) });
    const stored = writer.createJob({ sheetId, template: 'Row {{n}}', provider: at(theirs) }).id;
    await writer.close();
    await expectRefused(at(theirs), stored);
    // Every way of naming the address without the key is refused by the schema.
    for (const input of [
      { provider: 'custom', origins: [origin(theirs)] },
      { provider: 'custom', key: '', origins: [origin(theirs)] },
      { provider: 'custom', key: null, origins: [origin(theirs)] },
      { provider: 'custom', key: CUSTOM_KEY.slice(-4), origins: [origin(theirs)] },
    ]) {
      await expect(api('setKey', input)).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    }
    await expectRefused(at(theirs), stored);
    expect(theirs.totalRequests).toBe(0);
    expect(theirs.lastUrl).toBe('');
  });

  it('saving another key with their address replaces the key: they get their own key back, never the saved one', async () => {
    const attackerKey = 'rk-attacker-0000000000000000';
    await api('setKey', { provider: 'custom', key: attackerKey, origins: [origin(theirs)] });
    const done = await run(at(theirs));
    expect(done.counts.done).toBe(2);
    expect(theirs.lastHeaders.authorization).toBe(`Bearer ${attackerKey}`);
    // The saved addresses were replaced with the key: the user's server is no longer among them.
    mine.resetCounters();
    await expectRefused(at(mine));
    expect(mine.totalRequests).toBe(0);
    // Removed, the session key takes its addresses with it: the environment's key goes nowhere saved.
    const cleared = await api<KeyStatus[]>('clearKey', { provider: 'custom' });
    expect(cleared.find((k) => k.provider === 'custom')).toMatchObject({
      source: 'environment',
      origins: [],
      savedOrigins: [],
    });
    theirs.resetCounters();
    await expectRefused(at(theirs));
    expect(theirs.totalRequests).toBe(0);
    expect(JSON.stringify(theirs.lastHeaders)).not.toContain(ENV_CUSTOM_KEY);
  });

  it('an OpenAI key saved with a company gateway goes to the gateway and to OpenAI, not elsewhere', async () => {
    const keys = await api<KeyStatus[]>('setKey', { provider: 'openai', key: OPENAI_KEY, origins: [origin(mine)] });
    expect(keys.find((k) => k.provider === 'openai')?.origins).toEqual(['https://api.openai.com', origin(mine)]);
    const done = await run(at(mine, 'openai'));
    expect(done.counts.done).toBe(2);
    expect(mine.lastHeaders.authorization).toBe(`Bearer ${OPENAI_KEY}`);
    theirs.resetCounters();
    await expectRefused(at(theirs, 'openai'));
    // Saved again without addresses: only OpenAI's own.
    const plain = await api<KeyStatus[]>('setKey', { provider: 'openai', key: OPENAI_KEY });
    expect(plain.find((k) => k.provider === 'openai')).toMatchObject({
      origins: ['https://api.openai.com'],
      savedOrigins: [],
    });
    await expectRefused(at(mine, 'openai'));
    expect(theirs.totalRequests).toBe(0);
  });
});

const fakeSafeStorage: SafeStorageLike = {
  isEncryptionAvailable: () => true,
  // Not a cipher: a reversible transform so the test can check nothing is stored in the clear.
  encryptString: (text) => Buffer.from([...Buffer.from(text)].map((b) => b ^ 0x5a)),
  decryptString: (sealed) => Buffer.from([...sealed].map((b) => b ^ 0x5a)).toString(),
};
const seal = (text: string): string => fakeSafeStorage.encryptString(text).toString('base64');

describe('the desktop key store keeps each key’s addresses with it', () => {
  let dir: string;
  let file: string;
  let mock: MockLlmServer;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rowbot-safe-keys-'));
    file = join(dir, 'keys.json');
    mock = await startMockLlmServer({ models: ['mock-1'], latencyMs: 1 });
  });

  afterEach(async () => {
    await mock.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('across a restart: the key and its addresses come back, sealed together, and a job runs there', async () => {
    const gateway = new URL(mock.baseUrl).origin;
    new SafeStorageKeyStore(file, fakeSafeStorage, {}).set('custom', CUSTOM_KEY, [gateway, 'https://llm.corp.example']);
    const text = readFileSync(file, 'utf8');
    expect(text).not.toContain(CUSTOM_KEY);
    // The addresses are sealed with the key: nobody edits where a key goes in the file.
    expect(text).not.toContain('127.0.0.1');
    expect(JSON.parse(text)).toMatchObject({ version: 2, keys: { custom: { sealed: expect.any(String) } } });

    const reopened = new SafeStorageKeyStore(file, fakeSafeStorage, {});
    expect(reopened.get('custom')).toBe(CUSTOM_KEY);
    expect(reopened.origins('custom')).toEqual([gateway, 'https://llm.corp.example']);
    expect(reopened.status().find((k) => k.provider === 'custom')).toMatchObject({
      set: true,
      source: 'saved',
      origins: [gateway, 'https://llm.corp.example'],
      savedOrigins: [gateway, 'https://llm.corp.example'],
    });

    const engine = new Engine({ dbFile: join(dir, 'rowbot.db'), keys: reopened });
    try {
      const tested = await engine.testConnection({
        kind: 'openai',
        baseUrl: mock.baseUrl,
        model: 'mock-1',
        keyId: 'custom',
      });
      expect(tested.ok).toBe(true);
      expect(mock.lastHeaders.authorization).toBe(`Bearer ${CUSTOM_KEY}`);
      // Saved again without them: gone after the next restart too.
      engine.setKey('custom', CUSTOM_KEY);
      expect(new SafeStorageKeyStore(file, fakeSafeStorage, {}).origins('custom')).toEqual([]);
      mock.resetCounters();
      expect(() =>
        engine.testConnection({ kind: 'openai', baseUrl: mock.baseUrl, model: 'mock-1', keyId: 'custom' }),
      ).toThrow(/Settings → API keys/);
      expect(mock.totalRequests).toBe(0);
    } finally {
      await engine.close();
    }
  });

  it('keeps the keys of the old file (before addresses), which go to their service’s own address only', () => {
    writeFileSync(file, JSON.stringify({ openai: seal(OPENAI_KEY), custom: seal(CUSTOM_KEY), bogus: seal('x') }));
    const store = new SafeStorageKeyStore(file, fakeSafeStorage, {});
    expect(store.get('openai')).toBe(OPENAI_KEY);
    expect(store.get('custom')).toBe(CUSTOM_KEY);
    expect(store.origins('custom')).toEqual([]);
    expect(store.status().find((k) => k.provider === 'openai')).toMatchObject({
      set: true,
      lastFour: '1112',
      source: 'saved',
      origins: ['https://api.openai.com'],
      savedOrigins: [],
    });
    // The next change writes the new format, the old keys in it as they were.
    store.set('groq', 'gsk-groq-0123456789', ['https://gw.example.com']);
    const migrated = JSON.parse(readFileSync(file, 'utf8')) as { version: number; keys: Record<string, unknown> };
    expect(migrated.version).toBe(2);
    expect(Object.keys(migrated.keys).sort()).toEqual(['custom', 'groq', 'openai']);
    const again = new SafeStorageKeyStore(file, fakeSafeStorage, {});
    expect(again.get('openai')).toBe(OPENAI_KEY);
    expect(again.origins('openai')).toEqual([]);
    expect(again.get('groq')).toBe('gsk-groq-0123456789');
    expect(again.origins('groq')).toEqual(['https://gw.example.com']);
  });

  it('a key sealed elsewhere, or a damaged entry, opens as no key and no address', () => {
    writeFileSync(
      file,
      JSON.stringify({ version: 2, keys: { openai: { sealed: seal('not json') }, custom: { sealed: 42 } } }),
    );
    const store = new SafeStorageKeyStore(file, fakeSafeStorage, {});
    expect(store.get('openai')).toBeUndefined();
    expect(store.get('custom')).toBeUndefined();
    expect(store.status().every((k) => !k.set && k.savedOrigins.length === 0)).toBe(true);
  });
});
