import type { HttpClient } from '../http/client.ts';
import { serverLimits } from '../http/rate-limit-headers.ts';
import { outputLimitField, type KeyId, type OutputLimitField } from '../../../shared/providers.ts';
import { asCount, postJson, unreadableAnswer } from './http-failure.ts';
import {
  emptyAnswerError,
  endpoint,
  jsonInstruction,
  jsonSchemaOf,
  refusalError,
  type BodyRequest,
  type CompletionRequest,
  type CompletionResult,
  type Endpoint,
  type Provider,
  type RequestParams,
  type Usage,
} from './provider.ts';

interface ChatCompletion {
  choices?: { message?: { content?: unknown; refusal?: unknown } | null; finish_reason?: unknown }[];
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
  readonly #outputLimit: OutputLimitField;

  constructor(options: {
    http: HttpClient;
    baseUrl: string;
    model: string;
    apiKey?: string;
    /** Which service's key this is: with the address, it tells which field carries the output limit. */
    keyId?: KeyId | null;
    azureApiVersion?: string;
    headers?: Record<string, string>;
  }) {
    this.#endpoint = endpoint(options, '/chat/completions');
    this.#azureApiVersion = options.azureApiVersion;
    this.#outputLimit = outputLimitField(options);
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

  /** The chat completions body of one request (also one line of a batch). */
  body({ prompt, systemPrompt, maxOutputTokens, params }: BodyRequest): Record<string, unknown> {
    const system = withJsonWord(systemPrompt, prompt, params);
    const messages = [...(system ? [{ role: 'system', content: system }] : []), { role: 'user', content: prompt }];
    return {
      model: this.#endpoint.model,
      messages,
      ...(maxOutputTokens === null ? {} : { [this.#outputLimit]: maxOutputTokens }),
      ...openAiParams(params),
    };
  }

  async complete(request: CompletionRequest): Promise<CompletionResult> {
    const { url, headers } = this.#request();
    const { response, body } = await postJson(this.#endpoint.http, url, this.body(request), {
      headers,
      signal: request.signal,
      timeoutMs: request.timeoutMs,
      secret: [this.#endpoint.apiKey, ...Object.values(this.#headers)],
    });
    return { ...readChatCompletion(body, response.status), limits: serverLimits(response.headers) };
  }
}

/**
 * The answer of a chat completion (a live response, or one line of a batch's results): its text,
 * usage and finish reason, or the ProviderError that says why there is no answer to keep.
 */
export function readChatCompletion(body: unknown, status: number): Omit<CompletionResult, 'limits'> {
  const completion = body as ChatCompletion;
  const choice = completion.choices?.[0];
  const message = choice?.message;
  if (!message || typeof message !== 'object') throw unreadableAnswer(status, 'no message in it');
  const usage = openAiUsage(completion.usage);
  const finishReason = typeof choice.finish_reason === 'string' ? choice.finish_reason : null;
  // https://platform.openai.com/docs/guides/structured-outputs#refusals: `refusal` holds the
  // model's words and `content` is null.
  if (typeof message.refusal === 'string' && message.refusal.trim() !== '')
    throw refusalError(message.refusal, status, usage);
  const text = contentText(message.content);
  if (text === null && message.content !== null && message.content !== undefined)
    throw unreadableAnswer(status, 'no message text in it');
  if (text === null || text.trim() === '') throw emptyAnswerError(finishReason, status, usage);
  return { text, httpStatus: status, ...usage, finishReason };
}

/** The answer's text: a string, or (some compatible servers) an array of `{type:"text",text}` parts. */
function contentText(content: unknown): string | null {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return null;
  const parts = content.filter(
    (part): part is { text: string } =>
      typeof part === 'object' && part !== null && typeof (part as { text?: unknown }).text === 'string',
  );
  return parts.map((part) => part.text).join('');
}

/** What an answer used, read once for a kept answer and for one that fails (a refusal, an empty answer). */
function openAiUsage(usage: ChatCompletion['usage']): Usage & { cachedTokens: number } {
  return {
    promptTokens: asCount(usage?.prompt_tokens),
    completionTokens: asCount(usage?.completion_tokens),
    cachedTokens: asCount(usage?.prompt_tokens_details?.cached_tokens) ?? 0,
  };
}

/**
 * JSON mode is refused (400 "'messages' must contain the word 'json' in some form, to use
 * 'response_format' of type 'json_object'") unless the word JSON is somewhere in the messages
 * (https://learn.microsoft.com/azure/ai-services/openai/how-to/json-mode; openai-node documents
 * `json_object`: "you must also instruct the model to produce JSON yourself via a system or user
 * message"). When neither the system prompt nor the prompt says it, the instruction is added to
 * the system prompt. A JSON schema (`json_schema`) carries no such rule: it is left alone.
 */
function withJsonWord(systemPrompt: string, prompt: string, params: RequestParams | undefined): string {
  const json = params?.jsonOutput;
  if (!json || json.fields.length > 0 || /json/i.test(`${systemPrompt}\n${prompt}`)) return systemPrompt;
  return [systemPrompt, jsonInstruction(json)].filter(Boolean).join('\n\n');
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
