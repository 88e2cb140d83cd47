import type { HttpClient } from '../http/client.ts';
import { serverLimits } from '../http/rate-limit-headers.ts';
import { asCount, postJson, unreadableAnswer } from './http-failure.ts';
import {
  endpoint,
  jsonSchemaOf,
  type CompletionRequest,
  type CompletionResult,
  type Endpoint,
  type Provider,
  type RequestParams,
} from './provider.ts';

interface ChatCompletion {
  choices?: { message?: { content?: unknown }; finish_reason?: unknown }[];
  usage?: {
    prompt_tokens?: unknown;
    completion_tokens?: unknown;
    /** OpenAI: the prompt tokens its prompt cache served, a part of prompt_tokens. */
    prompt_tokens_details?: { cached_tokens?: unknown } | null;
  };
}

/** The OpenAI chat completions wire format, spoken by OpenAI and most compatible servers. */
export class OpenAiCompatibleProvider implements Provider {
  readonly #endpoint: Endpoint;
  readonly #azureApiVersion: string | undefined;
  readonly #headers: Record<string, string>;

  constructor(options: {
    http: HttpClient;
    baseUrl: string;
    model: string;
    apiKey?: string;
    azureApiVersion?: string;
    headers?: Record<string, string>;
  }) {
    this.#endpoint = endpoint(options, '/chat/completions');
    this.#azureApiVersion = options.azureApiVersion;
    // Lower-cased, so a user's `Authorization` is replaced by the saved key, not sent beside it.
    this.#headers = Object.fromEntries(
      Object.entries(options.headers ?? {}).map(([name, value]) => [name.toLowerCase(), value]),
    );
  }

  /** Azure wants the api-version in the query and the key in `api-key`; everyone else a Bearer token. */
  #request(): { url: string; headers: Record<string, string> } {
    const key = this.#endpoint.apiKey;
    const auth: Record<string, string> = key
      ? this.#azureApiVersion
        ? { 'api-key': key }
        : { authorization: `Bearer ${key}` }
      : {};
    const url = this.#azureApiVersion
      ? `${this.#endpoint.url}?api-version=${encodeURIComponent(this.#azureApiVersion)}`
      : this.#endpoint.url;
    return { url, headers: { ...this.#headers, ...auth } };
  }

  async complete({
    prompt,
    systemPrompt,
    maxOutputTokens,
    params,
    timeoutMs,
    signal,
  }: CompletionRequest): Promise<CompletionResult> {
    const messages = [
      ...(systemPrompt ? [{ role: 'system', content: systemPrompt }] : []),
      { role: 'user', content: prompt },
    ];
    const request = this.#request();
    const { response, body } = await postJson(
      this.#endpoint.http,
      request.url,
      {
        model: this.#endpoint.model,
        messages,
        ...(maxOutputTokens === null ? {} : { max_tokens: maxOutputTokens }),
        ...openAiParams(params),
      },
      {
        headers: request.headers,
        signal,
        timeoutMs,
        secret: this.#endpoint.apiKey,
      },
    );
    const completion = body as ChatCompletion;
    const content = completion.choices?.[0]?.message?.content;
    if (typeof content !== 'string') throw unreadableAnswer(response.status, 'no message text in it');
    return {
      text: content,
      httpStatus: response.status,
      promptTokens: asCount(completion.usage?.prompt_tokens),
      completionTokens: asCount(completion.usage?.completion_tokens),
      cachedTokens: asCount(completion.usage?.prompt_tokens_details?.cached_tokens) ?? 0,
      limits: serverLimits(response.headers),
      finishReason:
        typeof completion.choices?.[0]?.finish_reason === 'string' ? completion.choices[0].finish_reason : null,
    };
  }
}

/** temperature, top_p, stop and response_format (JSON mode, or a strict JSON schema). */
function openAiParams(params: RequestParams | undefined): Record<string, unknown> {
  if (!params) return {};
  const { temperature, topP, stop, jsonOutput } = params;
  return {
    ...(temperature === null ? {} : { temperature }),
    ...(topP === null ? {} : { top_p: topP }),
    ...(stop.length === 0 ? {} : { stop }),
    ...(jsonOutput === null
      ? {}
      : jsonOutput.fields.length === 0
        ? { response_format: { type: 'json_object' } }
        : {
            response_format: {
              type: 'json_schema',
              json_schema: { name: 'row', strict: true, schema: jsonSchemaOf(jsonOutput) },
            },
          }),
  };
}
