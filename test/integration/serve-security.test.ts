import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
): Promise<Reply> {
  return new Promise((done, fail) => {
    const req = request(url, { method: options.method ?? 'GET', headers: options.headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => done({ status: res.statusCode ?? 0, headers: res.headers, body }));
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
    expect(String(reply.headers['set-cookie'])).toMatch(/rowbot_token=.+; HttpOnly; SameSite=Strict; Path=\//);
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
});
