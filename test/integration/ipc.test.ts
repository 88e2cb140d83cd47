import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Engine } from '../../electron/engine/engine.ts';
import type { ShellHooks } from '../../electron/engine/handlers.ts';
import { registerIpc } from '../../electron/main/ipc.ts';
import { SafeStorageKeyStore, type SafeStorageLike } from '../../electron/main/safe-key-store.ts';
import { COMMAND_NAMES, IPC_PREFIX } from '../../shared/api.ts';
import type { Result } from '../../shared/errors.ts';

/** Only the Electron parts the handlers touch are doubles; the engine, SQLite and the key file are real. */
type Handler = (event: FakeEvent, input: unknown) => Promise<Result<unknown>>;
interface FakeEvent {
  sender: string;
}

const fakeSafeStorage: SafeStorageLike = {
  isEncryptionAvailable: () => true,
  // Not a cipher: a reversible transform so the test can check nothing is stored in the clear.
  encryptString: (text) => Buffer.from([...Buffer.from(text)].map((b) => b ^ 0x5a)),
  decryptString: (sealed) => Buffer.from([...sealed].map((b) => b ^ 0x5a)).toString(),
};

describe('the main-process IPC layer, with the real engine behind it', () => {
  let dir: string;
  let engine: Engine;
  let handlers: Map<string, Handler>;
  const trusted: FakeEvent = { sender: 'main-window' };
  const stranger: FakeEvent = { sender: 'some-other-frame' };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'rowbot-ipc-'));
    engine = new Engine({
      dbFile: join(dir, 'rowbot.db'),
      keys: new SafeStorageKeyStore(join(dir, 'keys.json'), fakeSafeStorage, {}),
    });
    handlers = new Map();
    const hooks: ShellHooks = {
      importDialog: async () => ({ kind: 'cancelled' }),
      exportJob: async () => ({ kind: 'cancelled' }),
    };
    registerIpc({
      ipcMain: {
        handle: (channel: string, handler: Handler) => handlers.set(channel, handler),
        removeHandler: (channel: string) => handlers.delete(channel),
      } as never,
      engine,
      hooks,
      isTrustedSender: (event) => (event as unknown as FakeEvent).sender === 'main-window',
    });
  });

  afterEach(async () => {
    await engine.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const call = (name: string, input: unknown, event = trusted): Promise<Result<unknown>> => {
    const handler = handlers.get(`${IPC_PREFIX}${name}`);
    if (!handler) throw new Error(`no handler for ${name}`);
    return handler(event, input);
  };

  it('has a handler for every channel of the contract, and no other', () => {
    expect([...handlers.keys()].sort()).toEqual(COMMAND_NAMES.map((name) => `${IPC_PREFIX}${name}`).sort());
  });

  it('refuses calls from any frame but the app’s own window', async () => {
    expect(await call('listJobs', {}, stranger)).toEqual({
      ok: false,
      error: { code: 'FORBIDDEN', message: 'This window may not call Rowbot.' },
    });
    expect(await call('listJobs', {})).toEqual({ ok: true, value: [] });
  });

  it('answers bad arguments with a coded error, never a crash', async () => {
    for (const [name, input] of [
      ['getJob', { jobId: '../../etc/passwd' }],
      ['getJob', {}],
      ['createJob', { sheetId: 'x', template: 1 }],
      ['updateJobSettings', { jobId: 'a', settings: { concurrency: 100_000 } }],
      ['setKey', { provider: 'openai', key: 'short' }],
      ['setPrice', { model: 'gpt-4o', input: -1, cachedInput: null, output: 1 }],
      ['setPrice', { model: 'two words', input: 1, cachedInput: null, output: 1 }],
      ['setPrice', { model: 'gpt-4o', input: 1, output: 1 }],
      ['resetPrice', { model: '' }],
      ['listJobs', null],
      ['listJobs', 'text'],
    ] as const) {
      const result = await call(name, input);
      expect(result.ok, `${name} ${JSON.stringify(input)}`).toBe(false);
      if (!result.ok) expect(result.error.code).toBe('BAD_REQUEST');
    }
    const negative = await call('setPrice', { model: 'gpt-4o', input: -1, cachedInput: null, output: 1 });
    expect(negative).toMatchObject({ ok: false, error: { message: expect.stringContaining('cannot be negative') } });
    const set = await call('setPrice', { model: ' GPT-4o ', input: 3, cachedInput: 1, output: 12 });
    expect(set).toMatchObject({ ok: true });
    const listed = (await call('getPrices', {})) as {
      ok: true;
      value: { prices: { model: string; source: string }[] };
    };
    expect(listed.value.prices.find((p) => p.model === 'gpt-4o')).toMatchObject({ source: 'edited' });
    const missing = await call('getJob', { jobId: 'nope' });
    expect(missing).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
  });

  it('keys go in, and only “set” and the last four characters come back; the file holds no plain key', async () => {
    const key = 'sk-live-abcdefghijklmnop1234';
    const set = await call('setKey', { provider: 'openai', key });
    expect(JSON.stringify(set)).not.toContain(key);
    const status = (await call('getKeys', {})) as { ok: true; value: { provider: string; set: boolean }[] };
    expect(status.value[0]).toEqual({
      provider: 'openai',
      set: true,
      lastFour: '1234',
      source: 'saved',
      envVar: 'OPENAI_API_KEY',
      origins: ['https://api.openai.com'],
      savedOrigins: [],
    });
    expect(status.value.slice(1).every((k) => !k.set)).toBe(true);
    expect(status.value.map((k) => k.provider)).toEqual([
      'openai',
      'anthropic',
      'azure',
      'openrouter',
      'groq',
      'together',
      'gemini',
      'custom',
    ]);
    expect(readFileSync(join(dir, 'keys.json'), 'utf8')).not.toContain(key);
    // A new store (the next launch) opens the same key.
    expect(new SafeStorageKeyStore(join(dir, 'keys.json'), fakeSafeStorage, {}).get('openai')).toBe(key);
    await call('clearKey', { provider: 'openai' });
    const cleared = (await call('getKeys', {})) as { value: { set: boolean }[] };
    expect(cleared.value.every((k) => !k.set)).toBe(true);
  });

  it('saves the addresses typed with a key, sealed with it, for the next launch', async () => {
    const key = 'rk-custom-abcdefghijklmnop5678';
    expect(await call('setKey', { provider: 'custom', key })).toMatchObject({
      ok: false,
      error: { code: 'BAD_REQUEST', message: expect.stringContaining('needs the address of your server') },
    });
    const set = (await call('setKey', { provider: 'custom', key, origins: ['http://10.0.0.5:8000'] })) as {
      ok: true;
      value: { provider: string; origins: string[] }[];
    };
    expect(set.value.find((k) => k.provider === 'custom')?.origins).toEqual(['http://10.0.0.5:8000']);
    expect(readFileSync(join(dir, 'keys.json'), 'utf8')).not.toContain('10.0.0.5');
    expect(new SafeStorageKeyStore(join(dir, 'keys.json'), fakeSafeStorage, {}).origins('custom')).toEqual([
      'http://10.0.0.5:8000',
    ]);
  });

  it('refuses to store a key when the system has no keychain', async () => {
    const store = new SafeStorageKeyStore(
      join(dir, 'k2.json'),
      { ...fakeSafeStorage, isEncryptionAvailable: () => false },
      {},
    );
    expect(() => store.set('openai', 'sk-123456789')).toThrow(/no keychain/);
  });
});
