import type { ConnectionTest, ProviderConfig } from '../../../shared/api.ts';
import { closestNames } from '../../../shared/template.ts';
import type { HttpClient } from '../http/client.ts';
import { ANTHROPIC_VERSION } from './anthropic.ts';
import { HttpTimeoutError } from '../http/client.ts';
import { networkFailure, parseJsonObject, providerMessage, redactText, type Secrets } from './http-failure.ts';
import { ProviderError, type Provider } from './provider.ts';

const TIMEOUT_MS = 10_000;

function modelIds(body: string): string[] {
  const data = parseJsonObject(body)?.data;
  if (!Array.isArray(data)) return [];
  return data
    .map((item: unknown) => (item as { id?: unknown }).id)
    .filter((id): id is string => typeof id === 'string')
    .sort((a, b) => a.localeCompare(b));
}

function verdict(config: ProviderConfig, models: string[], how: string): ConnectionTest {
  if (models.length === 0 || config.kind === 'demo' || models.includes(config.model)) {
    return {
      ok: true,
      message: `Connected${how}.${models.length > 0 ? ` ${models.length} models available.` : ''}`,
      models,
    };
  }
  const near = closestNames(config.model, models, 3);
  return {
    ok: false,
    message: `Connected, but the provider has no model called “${config.model}”.${near.length > 0 ? ` Did you mean ${near.map((m) => `“${m}”`).join(' or ')}?` : ' Pick one from its list.'}`,
    models,
  };
}

/** Plain words for a failed check: bad key, wrong address, no server, no network. */
function failure(status: number, body: string, url: string): ConnectionTest {
  const { message } = providerMessage(parseJsonObject(body), body);
  if (status === 401 || status === 403)
    return {
      ok: false,
      message: `The provider rejected the API key (${message}). Check the key in Settings.`,
      models: [],
    };
  if (status === 404) return { ok: false, message: `Nothing at ${url}: check the API address.`, models: [] };
  return { ok: false, message: `The provider answered ${status}: ${message}`, models: [] };
}

/** Every message the check returns, with the key and extra-header values in it redacted: a server may echo the request. */
function redacted(result: ConnectionTest, secrets: Secrets): ConnectionTest {
  return { ...result, message: redactText(result.message, secrets) };
}

/**
 * "Test connection": lists the models where the API offers that (OpenAI-compatible and
 * Anthropic both have GET /models); a server without that list is asked for one token.
 */
export async function testConnection(
  config: ProviderConfig,
  http: HttpClient,
  apiKey: string | undefined,
  provider: Provider,
  options: { timeoutMs?: number } = {},
): Promise<ConnectionTest> {
  const secrets = [apiKey, ...Object.values(config.kind === 'openai' ? (config.headers ?? {}) : {})];
  return redacted(await check(config, http, apiKey, provider, options.timeoutMs ?? TIMEOUT_MS, secrets), secrets);
}

async function check(
  config: ProviderConfig,
  http: HttpClient,
  apiKey: string | undefined,
  provider: Provider,
  timeoutMs: number,
  secrets: Secrets,
): Promise<ConnectionTest> {
  if (config.kind === 'demo')
    return { ok: true, message: 'The Demo model works offline: nothing to test.', models: ['demo'] };
  const url = `${config.baseUrl.replace(/\/+$/, '')}/models`;
  const headers: Record<string, string> =
    config.kind === 'anthropic'
      ? { 'anthropic-version': ANTHROPIC_VERSION, ...(apiKey ? { 'x-api-key': apiKey } : {}) }
      : apiKey
        ? { authorization: `Bearer ${apiKey}` }
        : {};
  let response;
  try {
    response = await http.get(url, { headers, timeoutMs });
  } catch (error) {
    const message =
      error instanceof HttpTimeoutError
        ? `No answer from ${config.baseUrl} within ${error.seconds} s. Is the address right, and is the server running?`
        : `Nothing answers at ${config.baseUrl} ${networkFailure(error).message.replace(/^The provider could not be reached /, '')} Is the address right, and is the server running?`;
    return { ok: false, message, models: [] };
  }
  if (response.status >= 200 && response.status < 300) return verdict(config, modelIds(response.body), '');
  if (response.status !== 404 && response.status !== 405)
    return failure(response.status, redactText(response.body, secrets), url);
  // No model list here: ask for a single token instead.
  try {
    await provider.complete({
      prompt: 'Say OK.',
      systemPrompt: '',
      maxOutputTokens: 1,
      timeoutMs,
      signal: new AbortController().signal,
    });
    return {
      ok: true,
      message: 'Connected (this server does not list its models; a one-token request worked).',
      models: [],
    };
  } catch (error) {
    // An answer came back and was billed (a refusal, or nothing written in one token): the
    // address, key and model work.
    if (error instanceof ProviderError && error.usage !== null)
      return {
        ok: true,
        message: 'Connected (this server does not list its models; a one-token request worked).',
        models: [],
      };
    const message = error instanceof Error ? error.message : String(error);
    return { ok: false, message, models: [] };
  }
}
