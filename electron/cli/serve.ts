import { randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { chmod, mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { MAX_UPLOAD_BASE64_CHARS } from '../../shared/api.ts';
import { CONTENT_SECURITY_POLICY, contentSecurityPolicy, withStyleNonce } from '../../shared/csp.ts';
import type { Engine } from '../engine/engine.ts';
import { createHandlers, dispatch, type ShellHooks } from '../engine/handlers.ts';
import { exportFileName } from '../engine/sheets/export.ts';
import { processExists } from '../engine/store/leases.ts';

export interface ServeOptions {
  engine: Engine;
  /** The built renderer (out/renderer). */
  staticDir: string;
  port?: number;
  /** Fixed token for scripted use; a random one otherwise. */
  token?: string;
  /** Largest request body accepted (default: the largest upload, base64, and a margin). */
  maxBodyBytes?: number;
  /** Where exports wait to be downloaded (default: the system's temporary folder). */
  tempDir?: string;
  /** How long an export nobody downloads is kept (default 15 minutes). */
  downloadTtlMs?: number;
}

export interface RunningServer {
  /** Open this in a browser: it carries the access token. */
  url: string;
  origin: string;
  token: string;
  close(): Promise<void>;
}

/** Cookies go to every port of a host: each server names its own, so two never overwrite or accept each other's. */
const COOKIE_PREFIX = 'rowbot_token_';
const DOWNLOAD_TTL_MS = 15 * 60_000;
const DOWNLOAD_TYPES: Record<string, string> = {
  '.csv': 'text/csv; charset=utf-8',
  '.jsonl': 'application/jsonl; charset=utf-8',
  '.xlsx': 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
};
const MAX_BODY_BYTES = MAX_UPLOAD_BASE64_CHARS + 64 * 1024;
const HOST = '127.0.0.1';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
};

/**
 * The Rowbot UI over HTTP for a browser: loopback only, and every request must carry
 * the access token (as a cookie set from the printed link, or a Bearer header).
 */
export async function startServe(options: ServeOptions): Promise<RunningServer> {
  const token = options.token ?? randomBytes(24).toString('base64url');
  const staticDir = resolve(options.staticDir);
  const maxBodyBytes = options.maxBodyBytes ?? MAX_BODY_BYTES;
  const tempDir = options.tempDir ?? tmpdir();
  const downloads = new Map<string, { path: string; fileName: string; expiry: NodeJS.Timeout }>();
  await removeLeftovers(tempDir);
  const exportDir = join(tempDir, `rowbot-exports-${process.pid}-${randomUUID().slice(0, 8)}`);
  const clients = new Set<ServerResponse>();

  /** An export is deleted once downloaded, or when nobody came for it. */
  async function forget(id: string): Promise<void> {
    const download = downloads.get(id);
    if (!download) return;
    downloads.delete(id);
    clearTimeout(download.expiry);
    await rm(download.path, { force: true });
  }

  const hooks: ShellHooks = {
    importDialog: async () => ({ kind: 'cancelled' }),
    exportJob: async ({ jobId, ...exportOptions }) => {
      // Only this user may enter the folder or read what is in it: results may be confidential.
      await mkdir(exportDir, { recursive: true, mode: 0o700 });
      await chmod(exportDir, 0o700);
      const id = randomUUID();
      const ext = exportOptions.writeBack ? 'xlsx' : exportOptions.format;
      const path = join(exportDir, `${id}.${ext}`);
      const { notes } = await options.engine.exportTo(jobId, path, exportOptions);
      await chmod(path, 0o600);
      const fileName = exportFileName(options.engine.getJob(jobId).name, exportOptions);
      const expiry = setTimeout(() => void forget(id), options.downloadTtlMs ?? DOWNLOAD_TTL_MS);
      expiry.unref();
      downloads.set(id, { path, fileName, expiry });
      return { kind: 'download', url: `/api/downloads/${id}`, fileName, notes };
    },
    logError: (command, error) => console.error(`rowbot serve: ${command} failed:`, error),
  };
  const handlers = createHandlers(options.engine, hooks);
  const unsubscribe = options.engine.on((message) => {
    const frame = `data: ${JSON.stringify(message)}\n\n`;
    for (const client of clients) client.write(frame);
  });

  let origin = '';
  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      console.error('rowbot serve: request failed:', error);
      if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', 'Internal error');
      else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    securityHeaders(res);
    const host = req.headers.host ?? '';
    const port = new URL(origin).port;
    // Refuse other Host names: a DNS-rebinding page must not reach the API.
    if (host !== `${HOST}:${port}` && host !== `localhost:${port}`) {
      send(res, 421, 'text/plain; charset=utf-8', 'Wrong host');
      return;
    }
    const url = new URL(req.url ?? '/', `http://${host}`);
    const offered = url.searchParams.get('token');
    if (req.method === 'GET' && url.pathname === '/' && offered !== null) {
      if (!sameToken(offered, token)) {
        send(
          res,
          401,
          'text/plain; charset=utf-8',
          'This link has an old or wrong access token. Use the link rowbot serve printed.',
        );
        return;
      }
      res.writeHead(303, {
        location: '/',
        'set-cookie': `${COOKIE_PREFIX}${port}=${token}; HttpOnly; SameSite=Strict; Path=/`,
        'cache-control': 'no-store',
      });
      res.end();
      return;
    }
    if (!authorized(req, port)) {
      send(
        res,
        401,
        'text/plain; charset=utf-8',
        'Rowbot needs its access token. Open the full link that `rowbot serve` printed (it ends with ?token=…).',
      );
      return;
    }
    const requestOrigin = req.headers.origin;
    if (req.method !== 'GET' && requestOrigin !== undefined && requestOrigin !== `http://${host}`) {
      send(res, 403, 'text/plain; charset=utf-8', 'Cross-origin requests are refused.');
      return;
    }

    if (req.method === 'POST' && url.pathname.startsWith('/api/call/')) {
      const name = decodedPath(url.pathname.slice('/api/call/'.length));
      if (name === null) {
        await readBody(req, maxBodyBytes).catch(() => undefined);
        sendJson(res, 400, {
          ok: false,
          error: { code: 'BAD_REQUEST', message: 'The command name in the address is not valid: check the URL.' },
        });
        return;
      }
      let input: unknown;
      try {
        input = JSON.parse(await readBody(req, maxBodyBytes));
      } catch (error) {
        const tooBig = error instanceof BodyTooLarge;
        if (tooBig && error.drained === false) res.setHeader('connection', 'close');
        sendJson(res, tooBig ? 413 : 400, {
          ok: false,
          error: tooBig
            ? {
                code: 'FILE_TOO_LARGE',
                message:
                  'That upload is too large for the browser version. Use the desktop app or the CLI for files this size.',
              }
            : { code: 'BAD_REQUEST', message: 'The request body is not valid JSON.' },
        });
        return;
      }
      sendJson(res, 200, await dispatch(handlers, name, input, hooks));
      return;
    }
    if (req.method === 'GET' && url.pathname === '/api/events') {
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        connection: 'keep-alive',
      });
      res.write('retry: 1000\n\n');
      clients.add(res);
      const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
      req.on('close', () => {
        clearInterval(heartbeat);
        clients.delete(res);
      });
      return;
    }
    if (req.method === 'GET' && url.pathname.startsWith('/api/downloads/')) {
      const id = url.pathname.slice('/api/downloads/'.length);
      const download = downloads.get(id);
      if (!download) {
        send(
          res,
          404,
          'text/plain; charset=utf-8',
          'That export has already been downloaded or has expired. Export again.',
        );
        return;
      }
      const { size } = await stat(download.path);
      res.writeHead(200, {
        'content-type': DOWNLOAD_TYPES[extname(download.path)] ?? 'application/octet-stream',
        'content-length': size,
        'content-disposition': contentDisposition(download.fileName),
        'cache-control': 'no-store',
      });
      res.once('close', () => void forget(id));
      createReadStream(download.path).pipe(res);
      return;
    }
    if (req.method === 'GET' && !url.pathname.startsWith('/api/')) {
      await serveStatic(url.pathname, res);
      return;
    }
    send(res, 404, 'text/plain; charset=utf-8', 'Not found');
  }

  function authorized(req: IncomingMessage, port: string): boolean {
    const bearer = req.headers.authorization?.match(/^Bearer (.+)$/)?.[1];
    if (bearer !== undefined) return sameToken(bearer, token);
    const cookie = (req.headers.cookie ?? '')
      .split(';')
      .map((part) => part.trim().split('='))
      .find(([key]) => key === `${COOKIE_PREFIX}${port}`)?.[1];
    return cookie !== undefined && sameToken(cookie, token);
  }

  async function serveStatic(pathname: string, res: ServerResponse): Promise<void> {
    const decoded = decodedPath(pathname);
    if (decoded === null) {
      send(res, 400, 'text/plain; charset=utf-8', 'That address is not valid.');
      return;
    }
    const relative = normalize(decoded).replace(/^([/\\])+/, '');
    let file = resolve(staticDir, relative || 'index.html');
    if (file !== staticDir && !file.startsWith(staticDir + sep)) {
      send(res, 404, 'text/plain; charset=utf-8', 'Not found');
      return;
    }
    let body: Buffer;
    try {
      body = await readFile(file);
    } catch {
      // Unknown paths are screens of the single-page app.
      file = join(staticDir, 'index.html');
      try {
        body = await readFile(file);
      } catch {
        send(
          res,
          500,
          'text/plain; charset=utf-8',
          'The UI has not been built. Run `npm run build`, then start rowbot serve again.',
        );
        return;
      }
    }
    const type = CONTENT_TYPES[extname(file)] ?? 'application/octet-stream';
    if (file.endsWith('.html')) {
      // A fresh nonce for the style elements of every page served (shared/csp.ts).
      const nonce = randomBytes(18).toString('base64');
      body = Buffer.from(withStyleNonce(body.toString('utf8'), nonce));
      securityHeaders(res, contentSecurityPolicy(nonce));
    }
    res.writeHead(200, {
      'content-type': type,
      'cache-control': file.endsWith('.html') ? 'no-store' : 'private, max-age=3600',
    });
    res.end(body);
  }

  await new Promise<void>((resolveListen, rejectListen) => {
    server.once('error', rejectListen);
    server.listen(options.port ?? 0, HOST, () => resolveListen());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('server has no port');
  origin = `http://${HOST}:${address.port}`;

  return {
    url: `${origin}/?token=${token}`,
    origin,
    token,
    async close() {
      unsubscribe();
      for (const client of clients) client.end();
      await new Promise<void>((done) => server.close(() => done()));
      server.closeAllConnections();
      for (const { expiry } of downloads.values()) clearTimeout(expiry);
      downloads.clear();
      await rm(exportDir, { recursive: true, force: true });
    },
  };
}

function securityHeaders(res: ServerResponse, policy: string = CONTENT_SECURITY_POLICY): void {
  res.setHeader('content-security-policy', `${policy}; frame-ancestors 'none'`);
  res.setHeader('x-content-type-options', 'nosniff');
  res.setHeader('referrer-policy', 'no-referrer');
  res.setHeader('x-frame-options', 'DENY');
  res.setHeader('cross-origin-opener-policy', 'same-origin');
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(body);
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  send(res, status, 'application/json; charset=utf-8', JSON.stringify(value));
}

function sameToken(offered: string, expected: string): boolean {
  const a = Buffer.from(offered);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** A body over the limit; `drained` when all of it was read, so the connection can carry the answer and go on. */
class BodyTooLarge extends Error {
  readonly drained: boolean;

  constructor(drained: boolean) {
    super('too large');
    this.drained = drained;
  }
}

/**
 * The body as text. One over `max` bytes is read on and thrown away, up to as much again, so the
 * client is reading when the 413 comes (a connection reset mid-upload shows the user nothing);
 * past that, or when its declared length is past that, the 413 is sent at once and the
 * connection closed after it.
 */
function readBody(req: IncomingMessage, max: number): Promise<string> {
  const discardUpTo = max * 2;
  return new Promise((resolveBody, rejectBody) => {
    if (Number(req.headers['content-length'] ?? 0) > discardUpTo) {
      req.resume();
      rejectBody(new BodyTooLarge(false));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > discardUpTo) {
        req.pause();
        rejectBody(new BodyTooLarge(false));
      } else if (size <= max) {
        chunks.push(chunk);
      }
    });
    req.on('end', () =>
      size > max ? rejectBody(new BodyTooLarge(true)) : resolveBody(Buffer.concat(chunks).toString('utf8')),
    );
    req.on('error', rejectBody);
  });
}

/** A percent-encoded path part, decoded; null when it is not valid UTF-8 percent-encoding (`%E0%A4%A`). */
function decodedPath(raw: string): string | null {
  try {
    return decodeURIComponent(raw);
  } catch {
    return null;
  }
}

/**
 * RFC 6266 with RFC 5987's `filename*` for the real name in UTF-8 (`日本語-results.csv`,
 * `résumé-results.csv`), and a plain ASCII `filename` for clients that read only that. A header
 * value is Latin-1 on the wire, so the name itself never goes there.
 */
export function contentDisposition(fileName: string): string {
  const ascii = fileName
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^\x20-\x7e]|["\\%]/g, '_');
  const encoded = encodeURIComponent(fileName).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}

/**
 * Export and upload folders of a Rowbot that is gone (it crashed, or was killed): their names carry
 * its process id. Folders of a process still running are left alone.
 */
async function removeLeftovers(dir: string): Promise<void> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const pid = Number(/^rowbot-(?:exports|uploads)-(\d+)(?:-|$)/.exec(name)?.[1]);
    if (!Number.isInteger(pid) || pid === process.pid || processExists(pid)) continue;
    await rm(join(dir, name), { recursive: true, force: true }).catch(() => undefined);
  }
}
