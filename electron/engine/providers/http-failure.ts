import { HttpTimeoutError, type HttpClient, type HttpResponse } from '../http/client.ts';
import { retryAfterMs, serverLimits } from '../http/rate-limit-headers.ts';
import { ProviderError, type FailureKind } from './provider.ts';

const QUOTA_WORDS = /insufficient_quota|quota|billing|credit balance|exceeded your current/i;

/** The provider's own message from an OpenAI `{error:{message}}` or Anthropic `{type:"error",error:{message}}` body. */
export function providerMessage(body: unknown, raw: string): { message: string; code: string | null } {
  const error = (body as { error?: { message?: unknown; code?: unknown; type?: unknown } } | null)?.error;
  const message = typeof error?.message === 'string' ? error.message : raw.trim().slice(0, 300) || '(no message)';
  const code = typeof error?.code === 'string' ? error.code : typeof error?.type === 'string' ? error.type : null;
  return { message, code };
}

export function parseJsonObject(raw: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(raw);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}

function kindOf(status: number, code: string | null, message: string): FailureKind {
  const quota = QUOTA_WORDS.test(`${code ?? ''} ${message}`);
  if (status === 401 || status === 403) return 'auth';
  if (status === 404) return 'model';
  if (status === 402) return 'quota';
  if (status === 429) return quota ? 'quota' : 'rate_limited';
  if (status === 408 || status === 409 || status >= 500) return 'transient';
  if (quota) return 'quota';
  return 'row';
}

/** Turns a non-2xx answer into a ProviderError that says what happened in the provider's words. */
export function httpFailure(response: HttpResponse): ProviderError {
  const { message, code } = providerMessage(parseJsonObject(response.body), response.body);
  const kind = kindOf(response.status, code, message);
  const wait = retryAfterMs(response.headers);
  return new ProviderError(`The provider answered ${response.status}: ${message}`, {
    // A 503 that says when to come back is a request to slow down, like a 429.
    kind: kind === 'transient' && response.status === 503 && wait !== null ? 'rate_limited' : kind,
    httpStatus: response.status,
    retryAfterMs: wait,
    limits: serverLimits(response.headers),
  });
}

/** Network errors and timeouts: always worth another try. */
export function networkFailure(error: unknown): ProviderError {
  const reason = error instanceof HttpTimeoutError ? `timed out: ${error.message}` : describeNetworkError(error);
  return new ProviderError(`The provider could not be reached (${reason}).`, { kind: 'transient', httpStatus: null });
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

/** POSTs JSON and returns the answer, or throws a classified ProviderError. */
export async function postJson(
  http: HttpClient,
  url: string,
  payload: unknown,
  options: { headers: Record<string, string>; signal: AbortSignal; timeoutMs: number; secret?: string },
): Promise<{ response: HttpResponse; body: Record<string, unknown> }> {
  let response: HttpResponse;
  try {
    response = await http.postJson(url, payload, options);
  } catch (error) {
    if (options.signal.aborted) throw error;
    throw networkFailure(error);
  }
  if (response.status < 200 || response.status >= 300) throw redact(httpFailure(response), options.secret);
  const body = parseJsonObject(response.body);
  if (!body) throw unreadableAnswer(response.status, 'not JSON, or cut short');
  return { response, body };
}

export function asCount(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

/** A provider may quote the key back in its error; that text reaches the UI, logs and exports, so the key never does. */
export function redact(error: ProviderError, secret: string | undefined): ProviderError {
  if (!secret || secret.length < 8 || !error.message.includes(secret)) return error;
  return new ProviderError(error.message.replaceAll(secret, `…${secret.slice(-4)}`), {
    kind: error.kind,
    httpStatus: error.httpStatus,
    retryAfterMs: error.retryAfterMs,
    limits: error.limits,
  });
}
