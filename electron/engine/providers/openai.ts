import type { HttpClient } from '../http/client.ts';
import { HttpTimeoutError } from '../http/client.ts';
import { ProviderError, type CompletionRequest, type CompletionResult, type Provider } from './provider.ts';

interface ChatCompletion {
  choices?: { message?: { content?: unknown } }[];
  usage?: { prompt_tokens?: unknown; completion_tokens?: unknown };
  error?: { message?: unknown };
}

const RETRYABLE_STATUS = new Set([408, 409, 429]);

/** The OpenAI chat completions wire format, spoken by OpenAI and most compatible servers. */
export class OpenAiCompatibleProvider implements Provider {
  readonly #http: HttpClient;
  readonly #url: string;
  readonly #model: string;
  readonly #apiKey: string | undefined;
  readonly #timeoutMs: number;

  constructor(options: { http: HttpClient; baseUrl: string; model: string; apiKey?: string; timeoutMs: number }) {
    this.#http = options.http;
    this.#url = `${options.baseUrl.replace(/\/+$/, '')}/chat/completions`;
    this.#model = options.model;
    this.#apiKey = options.apiKey;
    this.#timeoutMs = options.timeoutMs;
  }

  async complete({ prompt, systemPrompt, signal }: CompletionRequest): Promise<CompletionResult> {
    const messages = [
      ...(systemPrompt ? [{ role: 'system', content: systemPrompt }] : []),
      { role: 'user', content: prompt },
    ];
    const headers: Record<string, string> = this.#apiKey ? { authorization: `Bearer ${this.#apiKey}` } : {};
    let response;
    try {
      response = await this.#http.postJson(
        this.#url,
        { model: this.#model, messages },
        { headers, signal, timeoutMs: this.#timeoutMs },
      );
    } catch (error) {
      if (signal.aborted) throw error;
      const reason = error instanceof HttpTimeoutError ? `timed out: ${error.message}` : describeNetworkError(error);
      throw new ProviderError(`The provider could not be reached (${reason}).`, { httpStatus: null, retryable: true });
    }
    const parsed = parseJson(response.body);
    if (response.status < 200 || response.status >= 300) {
      const said = typeof parsed?.error?.message === 'string' ? parsed.error.message : response.body.slice(0, 300);
      throw new ProviderError(`The provider answered ${response.status}: ${said}`, {
        httpStatus: response.status,
        retryable: RETRYABLE_STATUS.has(response.status) || response.status >= 500,
      });
    }
    const content = parsed?.choices?.[0]?.message?.content;
    if (typeof content !== 'string') {
      throw new ProviderError('The provider sent an answer Rowbot could not read (no message text in it).', {
        httpStatus: response.status,
        retryable: true,
      });
    }
    return {
      text: content,
      httpStatus: response.status,
      promptTokens: asCount(parsed?.usage?.prompt_tokens),
      completionTokens: asCount(parsed?.usage?.completion_tokens),
    };
  }
}

function parseJson(body: string): ChatCompletion | null {
  try {
    const value: unknown = JSON.parse(body);
    return typeof value === 'object' && value !== null ? (value as ChatCompletion) : null;
  } catch {
    return null;
  }
}

function asCount(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

function describeNetworkError(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  if (code === 'ECONNREFUSED') return 'connection refused: check the address and that the server is running';
  if (code === 'ENOTFOUND') return 'no such host: check the address';
  return typeof code === 'string' ? code : 'network error';
}
