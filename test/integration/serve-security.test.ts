import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { STYLE_NONCE_PLACEHOLDER } from '../../shared/csp.ts';
import { startServe, type RunningServer } from '../../electron/cli/serve.ts';
import { Engine } from '../../electron/engine/engine.ts';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function call(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Reply & { bytes: number }> {
  return new Promise((done, fail) => {
    const req = request(url, { method: options.method ?? 'GET', headers: options.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const bytes = Buffer.concat(chunks);
        done({ status: res.statusCode ?? 0, headers: res.headers, body: bytes.toString('utf8'), bytes: bytes.length });
      });
    });
    req.on('error', fail);
    req.end(options.body);
  });
}

describe('rowbot serve: loopback, token, and validated calls', () => {
  let dir: string;
  let engine: Engine;
  let server: RunningServer;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rowbot-serve-'));
    engine = new Engine({ dbFile: join(dir, 'rowbot.db') });
    // A static folder that need not exist: these tests only touch the API.
    server = await startServe({ engine, staticDir: resolve(dir, 'static') });
  });

  afterAll(async () => {
    await server.close();
    await engine.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const auth = (): Record<string, string> => ({ authorization: `Bearer ${server.token}` });

  it('listens on 127.0.0.1 only', () => {
    expect(new URL(server.origin).hostname).toBe('127.0.0.1');
  });

  it('refuses requests without the token', async () => {
    const reply = await call(`${server.origin}/api/call/listJobs`, { method: 'POST', body: '{}' });
    expect(reply.status).toBe(401);
    expect(reply.body).toContain('access token');
    expect((await call(`${server.origin}/`)).status).toBe(401);
    expect((await call(`${server.origin}/?token=wrong`)).status).toBe(401);
  });

  it('turns the printed link into an HttpOnly, SameSite=Strict cookie', async () => {
    const reply = await call(server.url);
    expect(reply.status).toBe(303);
    expect(String(reply.headers['set-cookie'])).toMatch(/rowbot_token_\d+=.+; HttpOnly; SameSite=Strict; Path=\//);
    const cookie = String(reply.headers['set-cookie']).split(';')[0] ?? '';
    const listed = await call(`${server.origin}/api/call/listJobs`, {
      method: 'POST',
      body: '{}',
      headers: { cookie },
    });
    expect(JSON.parse(listed.body)).toEqual({ ok: true, value: [] });
  });

  it('refuses a foreign Host header (DNS rebinding) even with the token', async () => {
    const reply = await call(`${server.origin}/api/call/listJobs`, {
      method: 'POST',
      body: '{}',
      headers: { ...auth(), host: 'evil.example:80' },
    });
    expect(reply.status).toBe(421);
  });

  it('refuses cross-origin POSTs', async () => {
    const reply = await call(`${server.origin}/api/call/listJobs`, {
      method: 'POST',
      body: '{}',
      headers: { ...auth(), origin: 'http://evil.example' },
    });
    expect(reply.status).toBe(403);
  });

  it('answers unknown commands and bad arguments with coded errors', async () => {
    const unknown = await call(`${server.origin}/api/call/dropTables`, { method: 'POST', body: '{}', headers: auth() });
    expect(JSON.parse(unknown.body)).toMatchObject({ ok: false, error: { code: 'UNKNOWN_COMMAND' } });
    const bad = await call(`${server.origin}/api/call/getJob`, {
      method: 'POST',
      body: '{"jobId":"../../etc"}',
      headers: auth(),
    });
    expect(JSON.parse(bad.body)).toMatchObject({
      ok: false,
      error: { code: 'BAD_REQUEST', message: expect.stringContaining('jobId') },
    });
    const extra = await call(`${server.origin}/api/call/listJobs`, {
      method: 'POST',
      body: '{"x":1}',
      headers: auth(),
    });
    expect(JSON.parse(extra.body)).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    const notJson = await call(`${server.origin}/api/call/listJobs`, { method: 'POST', body: '{', headers: auth() });
    expect(notJson.status).toBe(400);
    const missing = await call(`${server.origin}/api/call/getJob`, {
      method: 'POST',
      body: '{"jobId":"nope"}',
      headers: auth(),
    });
    expect(JSON.parse(missing.body)).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
  });

  it('sends a strict Content-Security-Policy and no-sniff on every answer', async () => {
    const reply = await call(`${server.origin}/`, { headers: auth() });
    expect(reply.headers['content-security-policy']).toContain("script-src 'self'");
    expect(reply.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(reply.headers['x-content-type-options']).toBe('nosniff');
  });

  it('serves the page with a fresh style nonce each time, the same in its policy header and in the page', async () => {
    // The built page's head, as renderer/index.html has it.
    const html = readFileSync(resolve(import.meta.dirname, '../../renderer/index.html'), 'utf8');
    mkdirSync(resolve(dir, 'static'), { recursive: true });
    writeFileSync(resolve(dir, 'static', 'index.html'), html);
    const nonces = [];
    for (let i = 0; i < 2; i += 1) {
      const reply = await call(`${server.origin}/jobs`, { headers: auth() });
      const policy = String(reply.headers['content-security-policy']);
      const nonce = /style-src 'self' 'nonce-([^']+)'/.exec(policy)?.[1] ?? '';
      expect(nonce).toMatch(/^[A-Za-z0-9+/]{24}$/);
      expect(reply.body).toContain(`<meta name="rowbot-style-nonce" content="${nonce}" />`);
      expect(reply.body).toContain(`'nonce-${nonce}'`);
      expect(reply.body).not.toContain(STYLE_NONCE_PLACEHOLDER);
      nonces.push(nonce);
    }
    expect(nonces[0]).not.toBe(nonces[1]);
    rmSync(resolve(dir, 'static'), { recursive: true, force: true });
  });

  /** One command over HTTP with the token; its answer's value, or it throws the error's message. */
  async function api<T>(name: string, input: unknown, at: RunningServer = server): Promise<T> {
    const reply = await call(`${at.origin}/api/call/${name}`, {
      method: 'POST',
      body: JSON.stringify(input),
      headers: { authorization: `Bearer ${at.token}` },
    });
    const result = JSON.parse(reply.body) as { ok: boolean; value: T; error?: { message: string } };
    if (!result.ok) throw new Error(result.error?.message);
    return result.value;
  }

  /** A job on the Demo model from a file of that name, and an export of it waiting to be downloaded. */
  async function exported(fileName: string, at: RunningServer = server): Promise<{ url: string; fileName: string }> {
    const imported = await api<{ preview: { sheetId: string } }>(
      'importUpload',
      { fileName, dataBase64: Buffer.from('city\nParis\nLima\n').toString('base64') },
      at,
    );
    const job = await api<{ id: string }>(
      'createJob',
      {
        sheetId: imported.preview.sheetId,
        // Named after the file alone: the download's name is what is under test here.
        name: fileName.replace(/\.csv$/, ''),
        template: 'About {{city}}',
        provider: { kind: 'demo', model: 'demo' },
      },
      at,
    );
    return api('exportJob', { jobId: job.id, format: 'csv', rows: 'all' }, at);
  }

  it('names its cookie after its port: another server on this computer neither takes it nor overwrites it', async () => {
    const other = await startServe({ engine, staticDir: resolve(dir, 'static') });
    try {
      const mine = String((await call(server.url)).headers['set-cookie']).split(';')[0] ?? '';
      const theirs = String((await call(other.url)).headers['set-cookie']).split(';')[0] ?? '';
      expect(mine.startsWith(`rowbot_token_${new URL(server.origin).port}=`)).toBe(true);
      expect(theirs.startsWith(`rowbot_token_${new URL(other.origin).port}=`)).toBe(true);
      // A browser sends both cookies to both ports: each server finds its own.
      const both = `${mine}; ${theirs}`;
      for (const at of [server, other]) {
        const listed = await call(`${at.origin}/api/call/listJobs`, {
          method: 'POST',
          body: '{}',
          headers: { cookie: both },
        });
        expect(listed.status).toBe(200);
      }
      // The other server's cookie is no use here, nor a token under the old shared name.
      const foreign = await call(`${server.origin}/api/call/listJobs`, {
        method: 'POST',
        body: '{}',
        headers: { cookie: `${theirs}; rowbot_token=${server.token}` },
      });
      expect(foreign.status).toBe(401);
    } finally {
      await other.close();
    }
  });

  it('downloads a file whose name is not Latin-1, with RFC 6266 filename* and an ASCII fallback', async () => {
    for (const [name, expected, fallback] of [
      ['日本語.csv', '日本語-results.csv', '___-results.csv'],
      ['résumé.csv', 'résumé-results.csv', 'resume-results.csv'],
    ] as const) {
      const download = await exported(name);
      expect(download.fileName).toBe(expected);
      const reply = await call(`${server.origin}${download.url}`, { headers: auth() });
      expect(reply.status).toBe(200);
      expect(Number(reply.headers['content-length'])).toBe(reply.bytes);
      expect(reply.body).toContain('Paris');
      const disposition = String(reply.headers['content-disposition']);
      expect(disposition).toContain(`filename="${fallback}"`);
      const star = /filename\*=UTF-8''([^;]+)/.exec(disposition)?.[1] ?? '';
      expect(decodeURIComponent(star)).toBe(expected);
    }
  });

  it('answers a body over the limit with the coded 413, and a badly encoded address with a plain 400', async () => {
    const small = await startServe({ engine, staticDir: resolve(dir, 'static'), maxBodyBytes: 64 * 1024 });
    const logged = vi.spyOn(console, 'error');
    try {
      const big = JSON.stringify({ fileName: 'big.csv', dataBase64: 'A'.repeat(100 * 1024) });
      const reply = await call(`${small.origin}/api/call/importUpload`, {
        method: 'POST',
        body: big,
        headers: { authorization: `Bearer ${small.token}` },
      });
      expect(reply.status).toBe(413);
      expect(JSON.parse(reply.body)).toMatchObject({ ok: false, error: { code: 'FILE_TOO_LARGE' } });
      // The connection is still good for the next call.
      expect(
        (
          await call(`${small.origin}/api/call/listJobs`, {
            method: 'POST',
            body: '{}',
            headers: { authorization: `Bearer ${small.token}` },
          })
        ).status,
      ).toBe(200);

      const badName = await call(`${server.origin}/api/call/%E0%A4%A`, { method: 'POST', body: '{}', headers: auth() });
      expect(badName.status).toBe(400);
      expect(JSON.parse(badName.body)).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
      const badPage = await call(`${server.origin}/%E0%A4%A`, { headers: auth() });
      expect(badPage.status).toBe(400);
      expect(badPage.body).not.toContain('URIError');
      expect(logged).not.toHaveBeenCalled();
    } finally {
      logged.mockRestore();
      await small.close();
    }
  });

  it('keeps exports private (0600 in a 0700 folder), deletes them once downloaded or after a while, and on close', async () => {
    const temp = mkdtempSync(join(tmpdir(), 'rowbot-serve-temp-'));
    // What a server that was killed left behind: its process is gone.
    const dead = spawnSync(process.execPath, ['-e', '']).pid;
    mkdirSync(join(temp, `rowbot-exports-${dead}-abcd1234`));
    writeFileSync(join(temp, `rowbot-exports-${dead}-abcd1234`, 'old.csv'), 'secret results');
    mkdirSync(join(temp, `rowbot-uploads-${dead}-abcd1234`));
    mkdirSync(join(temp, 'rowbot-exports-1-keep')); // pid 1 runs: not ours to touch
    const own = await startServe({ engine, staticDir: resolve(dir, 'static'), tempDir: temp, downloadTtlMs: 300 });
    try {
      expect(readdirSync(temp).sort()).toEqual(['rowbot-exports-1-keep']);
      const first = await exported('private.csv', own);
      const [folder] = readdirSync(temp).filter((name) => name.startsWith(`rowbot-exports-${process.pid}-`));
      const exportDir = join(temp, folder ?? '');
      expect(statSync(exportDir).mode & 0o777).toBe(0o700);
      const [file] = readdirSync(exportDir);
      expect(statSync(join(exportDir, file ?? '')).mode & 0o777).toBe(0o600);
      const reply = await call(`${own.origin}${first.url}`, { headers: { authorization: `Bearer ${own.token}` } });
      expect(reply.status).toBe(200);
      await until(() => readdirSync(exportDir).length === 0, 'the downloaded export to be deleted');
      expect(
        (await call(`${own.origin}${first.url}`, { headers: { authorization: `Bearer ${own.token}` } })).status,
      ).toBe(404);
      // One nobody downloads goes after a while.
      await exported('forgotten.csv', own);
      expect(readdirSync(exportDir)).toHaveLength(1);
      await until(() => readdirSync(exportDir).length === 0, 'the forgotten export to expire');
      await exported('left.csv', own);
    } finally {
      await own.close();
    }
    expect(existsSync(join(temp, readdirSync(temp).find((n) => n.includes(`-${process.pid}-`)) ?? 'none'))).toBe(false);
    rmSync(temp, { recursive: true, force: true });
  });
});

async function until(predicate: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const start = performance.now();
  while (!predicate()) {
    if (performance.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
