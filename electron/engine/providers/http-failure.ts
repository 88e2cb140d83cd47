import { HttpTimeoutError, type HttpClient, type HttpResponse } from '../http/client.ts';
import { parseDuration, retryAfterMs, serverLimits } from '../http/rate-limit-headers.ts';
import { isJsonObject } from '../../../shared/json-output.ts';
import { ProviderError, type FailureKind } from './provider.ts';

const QUOTA_WORDS = /insufficient_quota|quota|billing|credit balance|exceeded your current/i;

/** Google answers a bad key with 400 INVALID_ARGUMENT (reason API_KEY_INVALID), not 401. */
const KEY_REJECTED =
  /\bAPI_KEY_(?:INVALID|EXPIRED)\b|\bapi[ _-]?key (?:not valid|not found|expired|is invalid|invalid)|\binvalid[ _-]api[ _-]key\b|\bincorrect api key\b/i;
/** A 400 that is about the model, not the row: OpenRouter "… is not a valid model ID", Together model_not_available. */
const MODEL_UNKNOWN =
  /\bnot a valid model\b|\bmodel_not_(?:found|available)\b|\bunable to access (?:non-serverless )?model\b|\bmodel\b[^.]{0,120}\b(?:does not exist|not found)\b/i;
/** A limit per day: Groq "(RPD)"/"(TPD)", OpenRouter "free-models-per-day", Google "…PerDay…" quota ids. */
const PER_DAY = /per[ _-]?day|\bdaily\b|\((?:RPD|TPD)\)/i;
/** A limit per minute: Groq and OpenAI "(RPM)"/"(TPM)", OpenRouter "per-min", Google "…PerMinute…" quota ids. */
const PER_MINUTE = /per[ _-]?min(?:ute)?\b|PerMinute|\((?:RPM|TPM|ITPM|OTPM)\)/i;
/** Google's "limit: 0": this model has no allowance at all on the plan (no free tier), so waiting will not help. */
const NO_ALLOWANCE = /\blimit: 0(?![\d.])/;
/** Money, not speed: OpenAI's insufficient_quota, "check your plan and billing details", credits. */
const BILLING = /insufficient_quota|billing|credit|exceeded your current quota|payment/i;
/** "Please retry in 45.5s." (Google), "Please try again in 1m26.4s." (Groq, OpenAI). */
const RETRY_IN = /\b(?:retry|try again) in ([\d.]+(?:ms|h|m|s)(?:[\d.]+(?:ms|h|m|s))*)/i;

/** What the provider said went wrong, from whichever error body it uses. */
export interface ProviderSaid {
  /** In its own words. */
  message: string;
  /**
   * False when the body had no message field and `message` is its raw text: that may echo the
   * row's own prompt, so its words are never used to decide that the whole job must stop.
   */
  own: boolean;
  /** Its code or type (`invalid_api_key`, `RESOURCE_EXHAUSTED`; OpenRouter's and vLLM's are numbers). */
  code: string | null;
  /** Other machine-readable words in the body (Google's error reasons and quota ids), to classify by. */
  hints: string;
  /** How long the body says to wait (Google's RetryInfo, or "Please retry in 38s."). */
  retryDelayMs: number | null;
}

type Json = Record<string, unknown>;

function parseJson(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return null;
  }
}

function text(value: unknown): string | null {
  if (typeof value === 'string' && value.trim() !== '') return value;
  return typeof value === 'number' && Number.isFinite(value) ? String(value) : null;
}

/** Error reasons, quota ids and metrics, and the wait, from Google's `details`. */
function googleDetails(details: unknown): { hints: string[]; retryDelayMs: number | null } {
  const hints: string[] = [];
  let retryDelayMs: number | null = null;
  for (const detail of Array.isArray(details) ? details : []) {
    if (!isJsonObject(detail)) continue;
    for (const key of ['reason', 'domain'] as const) {
      const word = text(detail[key]);
      if (word) hints.push(word);
    }
    for (const violation of Array.isArray(detail.violations) ? detail.violations : []) {
      if (!isJsonObject(violation)) continue;
      for (const key of ['quotaId', 'quotaMetric'] as const) {
        const word = text(violation[key]);
        if (word) hints.push(word);
      }
    }
    const delay = typeof detail.retryDelay === 'string' ? parseDuration(detail.retryDelay) : undefined;
    if (delay !== undefined) retryDelayMs = delay;
  }
  return { hints, retryDelayMs };
}

/**
 * The provider's own message, whichever error body it sends:
 * - OpenAI and most compatible servers: `{error:{message,type,code}}` (OpenRouter's and vLLM's code is a number);
 * - Anthropic: `{type:"error",error:{type,message}}`;
 * - Google's OpenAI-compatible endpoint: the same in an array, `[{error:{code,message,status,details}}]`;
 * - a plain string: `{error:"…"}` (Ollama's own API, vLLM's key check);
 * - a name and a message: `{error:"Bad Request", message:"…"}` (Fastify, hapi, NestJS, Spring), the
 *   message shown, the name kept as the code (and shown too when it says more than the status);
 * - older vLLM: `{object:"error",message,type,code}`, the message at the top;
 * - OpenRouter passing on the model host's own error in `error.metadata.raw`, which is added.
 */
export function providerMessage(body: unknown, raw: string): ProviderSaid {
  return readError(body, raw, true);
}

function readError(body: unknown, raw: string, outer: boolean): ProviderSaid {
  let value = body ?? parseJson(raw);
  if (Array.isArray(value)) value = value[0];
  const top = isJsonObject(value) ? value : {};
  const error = top.error;
  const detail = isJsonObject(error) ? error : top;
  const named = typeof error === 'string' ? namedError(error, top.message) : null;
  const said =
    named?.message ??
    (typeof error === 'string'
      ? error
      : (text(detail.message) ?? text(top.message) ?? (typeof top.detail === 'string' ? top.detail : null)));
  let message = (said ?? (raw.trim().slice(0, 300) || '(no message)')).replace(/\s+/g, ' ').trim();
  const code =
    (typeof detail.code === 'string' ? detail.code : null) ??
    named?.name ??
    text(detail.type) ??
    text(detail.status) ??
    text(detail.code);
  const hints = [detail.type, detail.status, detail.code].map(text).filter((word) => word !== null);
  const google = googleDetails(detail.details);
  hints.push(...google.hints);
  let retryDelayMs = google.retryDelayMs;
  const metadata = isJsonObject(detail.metadata) ? detail.metadata : null;
  if (outer && metadata && metadata.raw !== undefined) {
    const inner = readError(
      typeof metadata.raw === 'string' ? parseJson(metadata.raw) : metadata.raw,
      typeof metadata.raw === 'string' ? metadata.raw : '',
      false,
    );
    if (inner.message !== '(no message)' && inner.message !== message) {
      const who = text(metadata.provider_name) ?? 'the model host';
      message = `${message} (${who}: ${inner.message})`;
    }
    hints.push(inner.code ?? '', inner.hints);
    retryDelayMs ??= inner.retryDelayMs;
  }
  const retryIn = RETRY_IN.exec(message)?.[1];
  retryDelayMs ??= retryIn === undefined ? null : (parseDuration(retryIn) ?? null);
  return { message, own: said !== null, code, hints: hints.join(' ').trim(), retryDelayMs };
}

/** HTTP's own reason phrases ("Bad Request", "Not Found"): a name that only repeats the status. */
// From the CommonJS module: an ES import of node:http builds its whole namespace, which loads
// Node's bundled fetch (~70 ms before a run's first request).
const REASON_PHRASES = new Set(
  Object.values(process.getBuiltinModule('node:http').STATUS_CODES).map((phrase) => phrase?.toLowerCase()),
);

/**
 * `{error:"<name>", message:"…"}`: the message is what went wrong, the name what kind of error it
 * was. The name is added when it says more than the status does (not "Bad Request") and is not in
 * the message already. NestJS sends its validation messages as an array.
 */
function namedError(name: string, said: unknown): { message: string; name: string } | null {
  const words = Array.isArray(said)
    ? said.filter((part): part is string => typeof part === 'string' && part.trim() !== '').join('; ')
    : text(said);
  if (!words) return null;
  const plain = REASON_PHRASES.has(name.trim().toLowerCase()) || words.toLowerCase().includes(name.toLowerCase());
  return { message: plain ? words : `${words} (${name})`, name };
}

export function parseJsonObject(raw: string): Record<string, unknown> | null {
  const value = parseJson(raw);
  return isJsonObject(value) ? value : null;
}

/** A wait the provider asks for that is worth making rather than pausing the job: a rolling window refilling. */
const SHORT_WAIT_MS = 5 * 60_000;

/**
 * A 429 is a wait, unless what ran out is a day's allowance or money: then every row would wait
 * for hours. A per-day limit that says to come back in seconds is a rolling window: wait.
 */
function rateLimitKind(words: string, wait: number | null): { kind: FailureKind; daily: boolean } {
  if (NO_ALLOWANCE.test(words) || /insufficient_quota/i.test(words)) return { kind: 'quota', daily: false };
  if (wait !== null && wait <= SHORT_WAIT_MS) return { kind: 'rate_limited', daily: false };
  if (PER_DAY.test(words)) return { kind: 'quota', daily: true };
  if (PER_MINUTE.test(words) || RETRY_IN.test(words)) return { kind: 'rate_limited', daily: false };
  return { kind: BILLING.test(words) ? 'quota' : 'rate_limited', daily: false };
}

function kindOf(status: number, said: ProviderSaid, wait: number | null): { kind: FailureKind; daily: boolean } {
  const words = `${said.code ?? ''} ${said.hints} ${said.own ? said.message : ''}`;
  if (status === 429) return rateLimitKind(words, wait);
  return { kind: plainKindOf(status, words), daily: false };
}

function plainKindOf(status: number, words: string): FailureKind {
  if (status === 401 || status === 403) return 'auth';
  if (status >= 400 && status < 500 && KEY_REJECTED.test(words)) return 'auth';
  if (status === 404) return 'model';
  if (status === 402) return 'quota';
  if (status === 408 || status === 409 || status >= 500) return 'transient';
  if (MODEL_UNKNOWN.test(words)) return 'model';
  if (QUOTA_WORDS.test(words)) return 'quota';
  return 'row';
}

/**
 * `x-should-retry: true|false` wins over the status, as in openai-node's `shouldRetry`
 * (src/client.ts: "If the server explicitly says whether or not to retry, obey."). `true` makes a
 * request error worth another try; a key, model or quota problem still stops the line (Resume
 * tries again). `false` means another try would fail the same way: the row fails now.
 */
function obeyShouldRetry(kind: FailureKind, headers: HttpResponse['headers']): FailureKind {
  const value = headers['x-should-retry'];
  const said = (Array.isArray(value) ? value[0] : value)?.trim().toLowerCase();
  if (said === 'true' && kind === 'row') return 'transient';
  if (said === 'false' && (kind === 'transient' || kind === 'rate_limited')) return 'row';
  return kind;
}

/**
 * A 404 that is not about a model (no "model" in the provider's own words or code) means nothing
 * answers at that address: an address without its /v1 is the usual cause.
 */
function addressHint(said: ProviderSaid, url: string | undefined): string {
  const words = `${said.code ?? ''} ${said.hints} ${said.own ? said.message : ''}`;
  if (!url || /\bmodels?\b|model_/i.test(words)) return '';
  let versioned = true;
  try {
    const target = new URL(url);
    versioned = /\/v\d/.test(target.pathname) || target.searchParams.has('api-version');
  } catch {
    // Not a URL: say nothing about its path.
  }
  const where = url.replace(/\?.*$/, '');
  const stop = /[.!?]$/.test(said.message) ? '' : '.';
  return `${stop} Nothing answers at ${where}: check the API address${versioned ? '' : ' (does it end in /v1?)'}`;
}

/** Turns a non-2xx answer into a ProviderError that says what happened in the provider's words. */
export function httpFailure(response: HttpResponse, url?: string): ProviderError {
  const said = providerMessage(parseJsonObject(response.body), response.body);
  // Retry-After and retry-after-ms are read whatever the status (a 500 may say when to come back).
  const wait = retryAfterMs(response.headers) ?? said.retryDelayMs;
  const { kind, daily } = kindOf(response.status, said, wait);
  // A 503 that says when to come back is a request to slow down, like a 429.
  const paced = kind === 'transient' && response.status === 503 && wait !== null ? 'rate_limited' : kind;
  const hint = response.status === 404 ? addressHint(said, url) : '';
  return new ProviderError(`The provider answered ${response.status}: ${said.message}${hint}`, {
    kind: obeyShouldRetry(paced, response.headers),
    httpStatus: response.status,
    retryAfterMs: wait,
    limits: serverLimits(response.headers),
    dailyLimit: daily,
  });
}

/**
 * A 2xx whose body is an error, not an answer: OpenRouter reports an error that happens after the
 * model has started with status 200 and `{error:{code,message}}`; vLLM behind some proxies does
 * the same with its `{object:"error",code}`. The code it carries stands for the status.
 */
function errorInsideSuccess(body: Json): number | null {
  if ('choices' in body || 'content' in body) return null;
  const error = body.error;
  const carried = isJsonObject(error) ? error.code : typeof error === 'string' ? undefined : body.code;
  if (!isJsonObject(error) && typeof error !== 'string' && body.object !== 'error') return null;
  const status = typeof carried === 'number' ? carried : Number(carried);
  return Number.isInteger(status) && status >= 400 && status <= 599 ? status : 502;
}

/** Network errors and timeouts: always worth another try. A timeout is not "could not be reached": the server may be slow. */
export function networkFailure(error: unknown): ProviderError {
  const message =
    error instanceof HttpTimeoutError
      ? `The provider sent no answer within ${error.seconds} s (the timeout).`
      : `The provider could not be reached (${describeNetworkError(error)}).`;
  return new ProviderError(message, { kind: 'transient', httpStatus: null });
}

export function unreadableAnswer(status: number, what: string): ProviderError {
  return new ProviderError(`The provider sent an answer Rowbot could not read (${what}).`, {
    kind: 'transient',
    httpStatus: status,
  });
}

function describeNetworkError(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  if (code === 'ECONNREFUSED') return 'connection refused: check the address and that the server is running';
  if (code === 'ENOTFOUND') return 'no such host: check the address';
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET') return 'the connection was cut';
  return typeof code === 'string' ? code : 'network error';
}

export interface JsonCallOptions {
  headers: Record<string, string>;
  signal: AbortSignal;
  timeoutMs: number;
  secret?: Secrets;
}

/** POSTs JSON and returns the answer, or throws a classified ProviderError. */
export async function postJson(
  http: HttpClient,
  url: string,
  payload: unknown,
  options: JsonCallOptions,
): Promise<{ response: HttpResponse; body: Record<string, unknown> }> {
  return callJson(http, { method: 'POST', url, payload }, options);
}

/**
 * Sends a request (JSON `payload`, or none: a GET, or a POST such as a batch's cancel) and returns
 * the JSON object it answered, or throws a classified ProviderError in plain words.
 */
export async function callJson(
  http: HttpClient,
  call: { method: 'GET' | 'POST'; url: string; payload?: unknown },
  options: JsonCallOptions,
): Promise<{ response: HttpResponse; body: Record<string, unknown> }> {
  const { url } = call;
  let response: HttpResponse;
  try {
    response =
      call.method === 'GET'
        ? await http.get(url, options)
        : call.payload === undefined
          ? await http.post(url, options)
          : await http.postJson(url, call.payload, options);
  } catch (error) {
    if (options.signal.aborted) throw error;
    throw networkFailure(error);
  }
  // Redacted before anything is read or cut from it: a key that straddles a cut would escape.
  const failed = (status: number): ProviderError =>
    redact(httpFailure({ ...response, status, body: redactText(response.body, options.secret) }, url), options.secret);
  if (response.status < 200 || response.status >= 300) throw failed(response.status);
  const body = parseJsonObject(response.body);
  if (!body) throw unreadableAnswer(response.status, 'not JSON, or cut short');
  const carried = errorInsideSuccess(body);
  if (carried !== null) throw failed(carried);
  return { response, body };
}

export function asCount(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

/** Keys and extra-header values (a gateway's token) that must never appear in what Rowbot shows or stores. */
export type Secrets = string | readonly (string | null | undefined)[] | null | undefined;

/** Values under 8 characters are not secrets worth the name, and replacing them would garble the message. */
function secretList(secrets: Secrets): string[] {
  const list = typeof secrets === 'string' ? [secrets] : [...(secrets ?? [])];
  return list
    .filter((value): value is string => typeof value === 'string' && value.length >= 8)
    .sort((a, b) => b.length - a.length);
}

/** Each secret in `text` replaced by its last four characters. */
export function redactText(text: string, secrets: Secrets): string {
  let out = text;
  for (const secret of secretList(secrets)) out = out.replaceAll(secret, `…${secret.slice(-4)}`);
  return out;
}

/** A provider may quote the key back in its error; that text reaches the UI, logs and exports, so the key never does. */
export function redact(error: ProviderError, secrets: Secrets): ProviderError {
  const message = redactText(error.message, secrets);
  if (message === error.message) return error;
  return new ProviderError(message, {
    kind: error.kind,
    httpStatus: error.httpStatus,
    retryAfterMs: error.retryAfterMs,
    limits: error.limits,
    dailyLimit: error.dailyLimit,
    usage: error.usage,
  });
}
