import { createRequire } from 'node:module';
import { Readable } from 'node:stream';
import type { Dispatcher, Pool as UndiciPool } from 'undici';
import packageJson from '../../../package.json' with { type: 'json' };

/**
 * Sent with every request, as the official SDKs send theirs (openai-node src/client.ts:
 * `'User-Agent': this.getUserAgent()`), so a provider can tell Rowbot's traffic apart. The version
 * is package.json's, as a JSON import: Node reads it when the module loads (from sources, the CLI),
 * electron-vite inlines it in the main bundle, so no path is looked up at run time.
 */
export const USER_AGENT = `Rowbot/${packageJson.version}`;

/**
 * Only the two parts of undici Rowbot uses: its index also loads fetch, WebSocket, the caches and
 * more, ~40 ms of every command's start. `request` is the function undici's index installs as
 * `Dispatcher.prototype.request`; here it is called on the pool instead of patched in.
 */
const requireCjs = createRequire(import.meta.url);
const Pool = requireCjs('undici/lib/dispatcher/pool.js') as typeof UndiciPool;
const request = requireCjs('undici/lib/api/api-request.js') as Dispatcher['request'];
type Pool = UndiciPool;

export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface PostOptions {
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** Applies to the whole request: connect, headers and body. */
  timeoutMs: number;
}

export class HttpTimeoutError extends Error {
  readonly code = 'HTTP_TIMEOUT';
  /** The timeout in seconds, to one decimal place. */
  readonly seconds: number;
  constructor(timeoutMs: number) {
    const seconds = Math.round(timeoutMs / 100) / 10;
    super(`no answer within ${seconds} s`);
    this.name = 'HttpTimeoutError';
    this.seconds = seconds;
  }
}

/**
 * One keep-alive connection pool per origin, shared by every request to it, so a job
 * reuses a handful of TCP connections instead of opening one per row.
 */
export class HttpClient {
  readonly #pools = new Map<string, { pool: Pool; connections: number }>();
  #connections: number;

  constructor(options: { connections: number }) {
    this.#connections = options.connections;
  }

  /**
   * Makes room for at least `value` requests at once. A pool that is too small is
   * replaced; the old one finishes its requests in flight and then closes.
   */
  ensureConnections(value: number): void {
    if (value <= this.#connections) return;
    this.#connections = value;
    for (const [origin, entry] of this.#pools) {
      if (entry.connections >= value) continue;
      this.#pools.delete(origin);
      void entry.pool.close().catch(() => undefined);
    }
  }

  async postJson(url: string, payload: unknown, options: PostOptions): Promise<HttpResponse> {
    return this.#request('POST', url, JSON.stringify(payload), options);
  }

  async get(url: string, options: PostOptions): Promise<HttpResponse> {
    return this.#request('GET', url, undefined, options);
  }

  /** POST with no body (a batch's cancel). */
  async post(url: string, options: PostOptions): Promise<HttpResponse> {
    return this.#request('POST', url, undefined, options);
  }

  async #request(
    method: 'GET' | 'POST',
    url: string,
    body: string | undefined,
    options: PostOptions,
  ): Promise<HttpResponse> {
    const { response, done, failure } = await this.#send(method, url, options, {
      headers: { accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body,
    });
    try {
      const text = await response.body.text();
      return { status: response.statusCode, headers: response.headers, body: text };
    } catch (error) {
      throw failure(error);
    } finally {
      done();
    }
  }

  /**
   * A request whose body goes out as it is produced (`body`, of `length` bytes when known) and whose
   * answer is handed over as a stream: a batch's 200 MB input file or its results are never held
   * whole. The timeout covers the whole exchange, until the answer has been read to its end.
   */
  async stream(
    method: 'GET' | 'POST',
    url: string,
    options: PostOptions & { body?: AsyncIterable<Uint8Array> | string; length?: number; contentType?: string },
  ): Promise<{ status: number; headers: HttpResponse['headers']; body: AsyncIterable<Uint8Array> & Readable }> {
    const { response, done } = await this.#send(method, url, options, {
      headers: {
        ...(options.contentType ? { 'content-type': options.contentType } : {}),
        ...(options.length === undefined ? {} : { 'content-length': String(options.length) }),
      },
      body: typeof options.body === 'object' ? Readable.from(options.body, { objectMode: false }) : options.body,
    });
    response.body.once('close', done);
    return { status: response.statusCode, headers: response.headers, body: response.body };
  }

  /**
   * Sends one request on its origin's pool under its deadline (see deadline()). The caller calls
   * `done` once the answer has been read, and passes a failure while reading it through `failure`.
   */
  async #send(
    method: 'GET' | 'POST',
    url: string,
    options: PostOptions,
    sent: { headers: Record<string, string>; body: string | Readable | undefined },
  ): Promise<{ response: Dispatcher.ResponseData<unknown>; done: () => void; failure: (error: unknown) => unknown }> {
    const target = new URL(url);
    const { signal, done, failure } = deadline(options);
    try {
      const response = await request.call(this.#pool(target.origin), {
        method,
        path: `${target.pathname}${target.search}`,
        headers: {
          'user-agent': USER_AGENT,
          ...sent.headers,
          // Lower-cased so that a header the user set on purpose (a gateway that wants its own
          // User-Agent) replaces ours instead of going out beside it, as the SDK's defaultHeaders do.
          ...lowerCased(options.headers),
        },
        body: sent.body,
        signal,
      });
      return { response, done, failure };
    } catch (error) {
      done();
      throw failure(error);
    }
  }

  /**
   * Closes every connection at once. The engine calls it when nothing is in flight any more
   * (its runners were cancelled and waited for), so there is nothing to let finish; closing each
   * keep-alive socket gracefully waited for every server to answer the FIN (500 of them took ~0.1 s).
   */
  async close(): Promise<void> {
    const entries = [...this.#pools.values()];
    this.#pools.clear();
    await Promise.all(entries.map(({ pool }) => pool.destroy()));
  }

  #pool(origin: string): Pool {
    const existing = this.#pools.get(origin);
    if (existing) return existing.pool;
    const pool = new Pool(origin, {
      connections: this.#connections,
      pipelining: 1,
      keepAliveTimeout: 30_000,
      connect: { timeout: 10_000 },
    });
    this.#pools.set(origin, { pool, connections: this.#connections });
    return pool;
  }
}

/**
 * A request's end: its timeout, or the caller's signal. One timer per request, cleared by `done` as
 * soon as it ends (AbortSignal.timeout would keep every timer, and its signal, alive for the whole
 * timeout). `failure` turns the abort the timer caused into an HttpTimeoutError.
 */
function deadline(options: PostOptions): {
  signal: AbortSignal;
  done: () => void;
  failure: (error: unknown) => unknown;
} {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new HttpTimeoutError(options.timeoutMs)), options.timeoutMs);
  const outer = options.signal;
  const onAbort = (): void => controller.abort(outer?.reason);
  if (outer?.aborted) onAbort();
  else outer?.addEventListener('abort', onAbort, { once: true });
  return {
    signal: controller.signal,
    done: () => {
      clearTimeout(timer);
      outer?.removeEventListener('abort', onAbort);
    },
    failure: (error) =>
      controller.signal.reason instanceof HttpTimeoutError && !outer?.aborted ? controller.signal.reason : error,
  };
}

function lowerCased(headers: Record<string, string> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(headers ?? {}).map(([name, value]) => [name.toLowerCase(), value]));
}
