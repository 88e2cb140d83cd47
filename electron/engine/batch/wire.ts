/**
 * The providers' Batch APIs on the wire (docs/batch-apis.md has the shapes, from the official SDKs):
 * OpenAI's Files + Batches (openai-node src/resources/files.ts, batches.ts), spoken as well by Azure
 * OpenAI and Groq, and Anthropic's Message Batches (anthropic-sdk-typescript
 * src/resources/messages/batches.ts). Request files are streamed up and results streamed down, one
 * line at a time: a 100,000-row batch is never held whole.
 */
import { createInterface } from 'node:readline';
import type { HttpClient } from '../http/client.ts';
import { readMessage, ANTHROPIC_VERSION } from '../providers/anthropic.ts';
import { callJson, httpFailure, redactText, type Secrets } from '../providers/http-failure.ts';
import { readChatCompletion } from '../providers/openai.ts';
import { ProviderError, type CompletionResult } from '../providers/provider.ts';

export type BatchKind = 'openai' | 'anthropic';

/** A batch as the provider describes it, in Rowbot's terms. */
export interface RemoteBatch {
  remoteId: string;
  /** The provider's own word: validating, in_progress, finalizing, completed, ended, … */
  status: string;
  phase: 'checking' | 'in_progress' | 'finishing' | 'canceling' | 'ended';
  /** Requests answered and failed so far (Anthropic counts only once the batch has ended). */
  succeeded: number;
  errored: number;
  /** Why the provider refused the whole batch (a file that did not validate), when it did. */
  failure: string | null;
  /** When the provider created it, ms since the epoch. */
  createdAt: number;
  inputFileId: string | null;
  outputFileId: string | null;
  errorFileId: string | null;
  resultsUrl: string | null;
}

/** One request's outcome in a batch's results. */
export type BatchOutcome =
  | { customId: string; kind: 'done'; answer: Omit<CompletionResult, 'limits'> }
  | {
      customId: string;
      kind: 'failed' | 'expired' | 'canceled';
      error: string;
      usage?: { promptTokens: number | null; completionTokens: number | null };
      httpStatus: number | null;
    };

export interface BatchLimits {
  requests: number;
  bytes: number;
}

/** What the provider documents: OpenAI 50,000 requests / 200 MB per file, Anthropic 100,000 / 256 MB. */
export const BATCH_LIMITS: Record<BatchKind, BatchLimits> = {
  openai: { requests: 50_000, bytes: 200 * 1024 * 1024 },
  anthropic: { requests: 100_000, bytes: 256 * 1024 * 1024 },
};

export interface BatchWire {
  readonly kind: BatchKind;
  /** One request of the batch as it goes in the file, without the newline. */
  line(customId: string, body: Record<string, unknown>): string;
  /**
   * Sends the batch: `lines()` gives its requests (`count` of them, `bytes` in all, newlines
   * included), `stored` is told each identifier as soon as the provider returns it (the input
   * file's, then the batch's), so that a crash in between leaves a trail to find it by.
   */
  submit(
    batchId: string,
    lines: () => AsyncIterable<string>,
    size: { count: number; bytes: number },
    stored: (ids: { inputFileId?: string; remoteId?: string }) => void,
  ): Promise<RemoteBatch>;
  /** The batch created for `batchId` whose answer was lost (a crash, a cut connection), or null. */
  find(
    batchId: string,
    known: { inputFileId: string | null; createdAfter: number; count: number; taken: ReadonlySet<string> },
  ): Promise<RemoteBatch | null>;
  get(remoteId: string): Promise<RemoteBatch>;
  cancel(remoteId: string): Promise<RemoteBatch>;
  /** Every request's outcome, in the order the provider wrote them (any order). */
  results(batch: RemoteBatch): AsyncIterable<BatchOutcome>;
}

export interface WireOptions {
  http: HttpClient;
  /** The API address, as for live requests (…/v1). */
  baseUrl: string;
  apiKey: string | undefined;
  /** Extra headers (a gateway's), as for live requests. */
  headers?: Record<string, string>;
  /** Azure: the api-version, which also puts the key in `api-key`. */
  azureApiVersion?: string;
  signal: AbortSignal;
}

/** JSON calls (create, get, cancel, list): a minute. A file up or down: half an hour. */
const CALL_MS = 60_000;
const TRANSFER_MS = 30 * 60_000;

function base(url: string): string {
  return url.replace(/\/+$/, '');
}

/** A newline-separated stream of text lines (JSONL), as it arrives. */
async function* linesOf(body: AsyncIterable<Uint8Array> & NodeJS.ReadableStream): AsyncGenerator<string> {
  const reader = createInterface({ input: body, crlfDelay: Infinity });
  for await (const line of reader) if (line.trim() !== '') yield line;
}

function parseLine(line: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}

const str = (value: unknown): string | null => (typeof value === 'string' ? value : null);
const num = (value: unknown): number => (typeof value === 'number' && Number.isFinite(value) ? value : 0);

/** A streamed request or download, its failure in the same plain words as a JSON call's. */
async function streamed(
  http: HttpClient,
  method: 'GET' | 'POST',
  url: string,
  options: Parameters<HttpClient['stream']>[2] & { secret: Secrets },
): Promise<Awaited<ReturnType<HttpClient['stream']>>> {
  const response = await http.stream(method, url, options);
  if (response.status >= 200 && response.status < 300) return response;
  let text = '';
  for await (const chunk of response.body) {
    text += Buffer.from(chunk).toString('utf8');
    if (text.length > 64_000) break;
  }
  response.body.destroy();
  throw httpFailure(
    { status: response.status, headers: response.headers, body: redactText(text, options.secret) },
    url,
  );
}

/** The lines of a results file, each with its custom_id, as they arrive; lines without one are skipped. */
async function* resultItems(
  http: HttpClient,
  url: string,
  options: { headers: Record<string, string>; signal: AbortSignal; secret: Secrets },
): AsyncGenerator<{ customId: string; item: Record<string, unknown> }> {
  const download = await streamed(http, 'GET', url, { ...options, timeoutMs: TRANSFER_MS });
  for await (const line of linesOf(download.body)) {
    const item = parseLine(line);
    const customId = str(item?.custom_id);
    if (item && customId) yield { customId, item };
  }
}

/** A request body streamed from `lines`: `head`, each line as `piece` makes it, `tail`, in chunks of ~64 KB. */
async function* chunkedBody(
  head: string,
  lines: AsyncIterable<string>,
  piece: (line: string, first: boolean) => string,
  tail: string,
): AsyncGenerator<Uint8Array> {
  yield Buffer.from(head);
  let chunk = '';
  let first = true;
  for await (const line of lines) {
    chunk += piece(line, first);
    first = false;
    if (chunk.length >= 64 * 1024) {
      yield Buffer.from(chunk);
      chunk = '';
    }
  }
  yield Buffer.from(chunk + tail);
}

export const EXPIRED = 'The batch expired before this row was answered (24 hours).';
export const CANCELED = 'The batch was canceled before this row was answered.';

/** How a failed request reads in a row's error: the provider's own message, else its code. */
function failureText(error: unknown, status: number | null): string {
  const inner = typeof error === 'object' && error !== null ? (error as Record<string, unknown>) : {};
  const nested =
    typeof inner.error === 'object' && inner.error !== null ? (inner.error as Record<string, unknown>) : inner;
  const message = str(nested.message) ?? str(inner.message);
  const code = str(nested.code) ?? str(nested.type) ?? str(inner.code);
  const words = message ?? code ?? 'no reason given';
  return status === null
    ? `The provider could not answer this row in the batch: ${words}`
    : `The provider answered ${status} for this row in the batch: ${words}`;
}

// ---------------------------------------------------------------------------------------------
// OpenAI (and Azure OpenAI, Groq): Files + Batches.

/** The Batch object's status in Rowbot's terms (openai-node batches.ts `Batch.status`). */
function openAiPhase(status: string): RemoteBatch['phase'] {
  if (status === 'validating') return 'checking';
  if (status === 'in_progress') return 'in_progress';
  if (status === 'finalizing') return 'finishing';
  if (status === 'cancelling') return 'canceling';
  return 'ended';
}

function openAiBatch(body: Record<string, unknown>): RemoteBatch {
  const status = str(body.status) ?? 'unknown';
  const counts = (body.request_counts ?? {}) as Record<string, unknown>;
  const errors = ((body.errors as { data?: unknown } | null)?.data ?? []) as { message?: unknown; line?: unknown }[];
  const failure =
    status === 'failed'
      ? errors
          .map((e) => `${str(e.message) ?? 'refused'}${typeof e.line === 'number' ? ` (line ${e.line})` : ''}`)
          .join('; ') || 'the provider refused the batch without saying why'
      : null;
  return {
    remoteId: str(body.id) ?? '',
    status,
    phase: openAiPhase(status),
    succeeded: num(counts.completed),
    errored: num(counts.failed),
    failure,
    createdAt: num(body.created_at) * 1000,
    inputFileId: str(body.input_file_id),
    outputFileId: str(body.output_file_id),
    errorFileId: str(body.error_file_id),
    resultsUrl: null,
  };
}

export function openAiBatchWire(options: WireOptions): BatchWire {
  const root = base(options.baseUrl);
  const query = options.azureApiVersion ? `?api-version=${encodeURIComponent(options.azureApiVersion)}` : '';
  const auth: Record<string, string> = options.apiKey
    ? options.azureApiVersion
      ? { 'api-key': options.apiKey }
      : { authorization: `Bearer ${options.apiKey}` }
    : {};
  const headers = { ...options.headers, ...auth };
  const secret: Secrets = [options.apiKey, ...Object.values(options.headers ?? {})];
  const call = async (method: 'GET' | 'POST', path: string, payload?: unknown): Promise<Record<string, unknown>> =>
    (
      await callJson(
        options.http,
        { method, url: `${root}${path}${path.includes('?') ? query.replace('?', '&') : query}`, payload },
        { headers, signal: options.signal, timeoutMs: CALL_MS, secret },
      )
    ).body;
  // Azure's deployments take the path without /v1 (docs/batch-apis.md §3).
  const endpoint = options.azureApiVersion ? '/chat/completions' : '/v1/chat/completions';

  return {
    kind: 'openai',
    line: (customId, body) => JSON.stringify({ custom_id: customId, method: 'POST', url: endpoint, body }),

    async submit(batchId, lines, size, stored) {
      const boundary = `rowbot-${batchId}-${Date.now().toString(36)}`;
      const head =
        `--${boundary}\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nbatch\r\n` +
        `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="rowbot-${batchId}.jsonl"\r\n` +
        'Content-Type: application/jsonl\r\n\r\n';
      const tail = `\r\n--${boundary}--\r\n`;
      const upload = await streamed(options.http, 'POST', `${root}/files${query}`, {
        headers,
        signal: options.signal,
        timeoutMs: TRANSFER_MS,
        body: chunkedBody(head, lines(), (line) => `${line}\n`, tail),
        length: Buffer.byteLength(head) + size.bytes + Buffer.byteLength(tail),
        contentType: `multipart/form-data; boundary=${boundary}`,
        secret,
      });
      let text = '';
      for await (const chunk of upload.body) text += Buffer.from(chunk).toString('utf8');
      const file = parseLine(text);
      const inputFileId = str(file?.id);
      if (!inputFileId)
        throw new ProviderError('The provider took the batch file but sent back no file id.', {
          kind: 'transient',
          httpStatus: upload.status,
        });
      stored({ inputFileId });
      const created = openAiBatch(
        await call('POST', '/batches', {
          input_file_id: inputFileId,
          endpoint,
          completion_window: '24h',
          metadata: { rowbot_batch: batchId },
        }),
      );
      stored({ remoteId: created.remoteId });
      return created;
    },

    async find(batchId, known) {
      let after: string | null = null;
      // The list has no filter (docs/batch-apis.md §1): read the newest few pages.
      for (let page = 0; page < 5; page += 1) {
        const list = await call('GET', `/batches?limit=100${after ? `&after=${encodeURIComponent(after)}` : ''}`);
        const data = Array.isArray(list.data) ? (list.data as Record<string, unknown>[]) : [];
        for (const item of data) {
          const metadata = (item.metadata ?? {}) as Record<string, unknown>;
          const mine =
            metadata.rowbot_batch === batchId ||
            (known.inputFileId !== null && item.input_file_id === known.inputFileId);
          if (mine && !known.taken.has(str(item.id) ?? '')) return openAiBatch(item);
        }
        const last = data.at(-1);
        if (list.has_more !== true || !last) return null;
        if (num(last.created_at) * 1000 < known.createdAfter - 60_000) return null;
        after = str(last.id);
      }
      return null;
    },

    get: async (remoteId) => openAiBatch(await call('GET', `/batches/${encodeURIComponent(remoteId)}`)),
    cancel: async (remoteId) => openAiBatch(await call('POST', `/batches/${encodeURIComponent(remoteId)}/cancel`)),

    async *results(batch) {
      for (const fileId of [batch.outputFileId, batch.errorFileId]) {
        if (!fileId) continue;
        const url = `${root}/files/${encodeURIComponent(fileId)}/content${query}`;
        for await (const { customId, item } of resultItems(options.http, url, {
          headers,
          signal: options.signal,
          secret,
        }))
          yield openAiOutcome(customId, item);
      }
    },
  };
}

/** One line of an output or error file: `{custom_id, response: {status_code, body}, error}`. */
function openAiOutcome(customId: string, item: Record<string, unknown>): BatchOutcome {
  const response = (item.response ?? null) as { status_code?: unknown; body?: unknown } | null;
  const error = item.error as { code?: unknown; message?: unknown } | null | undefined;
  const code = str(error?.code);
  if (code === 'batch_expired') return { customId, kind: 'expired', error: EXPIRED, httpStatus: null };
  if (code === 'batch_cancelled') return { customId, kind: 'canceled', error: CANCELED, httpStatus: null };
  const status = typeof response?.status_code === 'number' ? response.status_code : null;
  if (status === 200 && !error) return settled(customId, () => readChatCompletion(response?.body, 200));
  return { customId, kind: 'failed', error: failureText(error ?? response?.body, status), httpStatus: status };
}

/** A 200 result read with the live checks: a refusal or an empty answer fails the row, billed all the same. */
function settled(customId: string, read: () => Omit<CompletionResult, 'limits'>): BatchOutcome {
  try {
    return { customId, kind: 'done', answer: read() };
  } catch (error) {
    const failure = error instanceof ProviderError ? error : null;
    return {
      customId,
      kind: 'failed',
      error: failure?.message ?? String(error),
      usage: failure?.usage ?? undefined,
      httpStatus: failure?.httpStatus ?? 200,
    };
  }
}

// ---------------------------------------------------------------------------------------------
// Anthropic: Message Batches.

function anthropicBatch(body: Record<string, unknown>): RemoteBatch {
  const status = str(body.processing_status) ?? 'unknown';
  const counts = (body.request_counts ?? {}) as Record<string, unknown>;
  return {
    remoteId: str(body.id) ?? '',
    status,
    phase: status === 'ended' ? 'ended' : status === 'canceling' ? 'canceling' : 'in_progress',
    succeeded: num(counts.succeeded),
    errored: num(counts.errored) + num(counts.expired) + num(counts.canceled),
    failure: null,
    createdAt: Date.parse(str(body.created_at) ?? '') || 0,
    inputFileId: null,
    outputFileId: null,
    errorFileId: null,
    resultsUrl: str(body.results_url),
  };
}

/** Every request of an Anthropic batch, whatever its state (the counts are all zero but processing until it ends). */
function anthropicTotal(body: Record<string, unknown>): number {
  const counts = (body.request_counts ?? {}) as Record<string, unknown>;
  return ['processing', 'succeeded', 'errored', 'canceled', 'expired'].reduce((sum, key) => sum + num(counts[key]), 0);
}

export function anthropicBatchWire(options: WireOptions): BatchWire {
  const root = `${base(options.baseUrl)}/messages/batches`;
  const headers: Record<string, string> = {
    ...options.headers,
    'anthropic-version': ANTHROPIC_VERSION,
    ...(options.apiKey ? { 'x-api-key': options.apiKey } : {}),
  };
  const secret: Secrets = [options.apiKey, ...Object.values(options.headers ?? {})];
  const call = async (method: 'GET' | 'POST', url: string, payload?: unknown): Promise<Record<string, unknown>> =>
    (
      await callJson(
        options.http,
        { method, url, payload },
        { headers, signal: options.signal, timeoutMs: CALL_MS, secret },
      )
    ).body;

  return {
    kind: 'anthropic',
    line: (customId, body) => JSON.stringify({ custom_id: customId, params: body }),

    async submit(_batchId, lines, size, stored) {
      const open = '{"requests":[';
      const close = ']}';
      // `bytes` counts a newline per line: here a comma between lines, and none after the last.
      const response = await streamed(options.http, 'POST', root, {
        headers,
        signal: options.signal,
        timeoutMs: TRANSFER_MS,
        body: chunkedBody(open, lines(), (line, first) => (first ? line : `,${line}`), close),
        length: Buffer.byteLength(open) + size.bytes - 1 + Buffer.byteLength(close),
        contentType: 'application/json',
        secret,
      });
      let text = '';
      for await (const chunk of response.body) text += Buffer.from(chunk).toString('utf8');
      const created = parseLine(text);
      if (!created || !str(created.id))
        throw new ProviderError('The provider took the batch but sent back no batch id.', {
          kind: 'transient',
          httpStatus: response.status,
        });
      const batch = anthropicBatch(created);
      stored({ remoteId: batch.remoteId });
      return batch;
    },

    async find(_batchId, known) {
      // No metadata on a Message Batch (docs/batch-apis.md §2, §4): the one made in the window, of the
      // same size, that no other batch of ours holds. Its custom_ids are checked when its results come.
      let after: string | null = null;
      for (let page = 0; page < 5; page += 1) {
        const list = await call('GET', `${root}?limit=100${after ? `&after_id=${encodeURIComponent(after)}` : ''}`);
        const data = Array.isArray(list.data) ? (list.data as Record<string, unknown>[]) : [];
        for (const item of data) {
          const batch = anthropicBatch(item);
          if (
            batch.createdAt >= known.createdAfter - 60_000 &&
            anthropicTotal(item) === known.count &&
            !known.taken.has(batch.remoteId)
          )
            return batch;
        }
        const last = data.at(-1);
        if (list.has_more !== true || !last || anthropicBatch(last).createdAt < known.createdAfter - 60_000)
          return null;
        after = str(list.last_id) ?? str(last.id);
      }
      return null;
    },

    get: async (remoteId) => anthropicBatch(await call('GET', `${root}/${encodeURIComponent(remoteId)}`)),
    cancel: async (remoteId) => anthropicBatch(await call('POST', `${root}/${encodeURIComponent(remoteId)}/cancel`)),

    async *results(batch) {
      if (!batch.resultsUrl) return;
      const items = resultItems(options.http, batch.resultsUrl, { headers, signal: options.signal, secret });
      for await (const { customId, item } of items) {
        const result = (item.result ?? {}) as Record<string, unknown>;
        if (result.type === 'succeeded') yield settled(customId, () => readMessage(result.message, 200));
        else if (result.type === 'expired') yield { customId, kind: 'expired', error: EXPIRED, httpStatus: null };
        else if (result.type === 'canceled') yield { customId, kind: 'canceled', error: CANCELED, httpStatus: null };
        else yield { customId, kind: 'failed', error: failureText(result.error, null), httpStatus: null };
      }
    },
  };
}
