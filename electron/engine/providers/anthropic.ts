import type { HttpClient } from '../http/client.ts';
import { serverLimits } from '../http/rate-limit-headers.ts';
import { asCount, postJson, unreadableAnswer } from './http-failure.ts';
import {
  emptyAnswerError,
  endpoint,
  jsonInstruction,
  refusalError,
  type BodyRequest,
  type CompletionRequest,
  type CompletionResult,
  type Endpoint,
  type Provider,
  type RequestParams,
  type Usage,
} from './provider.ts';

export const ANTHROPIC_VERSION = '2023-06-01';
/** The Messages API requires an output limit; this is used when the job sets none. */
export const ANTHROPIC_DEFAULT_MAX_TOKENS = 1024;

interface MessagesResponse {
  content?: { type?: unknown; text?: unknown }[];
  stop_reason?: unknown;
  /** With `stop_reason: "refusal"`: `{type:"refusal", category, explanation}`. */
  stop_details?: { explanation?: unknown } | null;
  /** input_tokens leaves out what the prompt cache read and wrote; the prompt is all three. */
  usage?: {
    input_tokens?: unknown;
    output_tokens?: unknown;
    cache_read_input_tokens?: unknown;
    cache_creation_input_tokens?: unknown;
  };
}

/** Anthropic's Messages API: `x-api-key`, `anthropic-version`, `system` apart from the messages. */
export class AnthropicProvider implements Provider {
  readonly #endpoint: Endpoint;

  constructor(options: { http: HttpClient; baseUrl: string; model: string; apiKey?: string }) {
    this.#endpoint = endpoint(options, '/messages');
  }

  /** The Messages API body of one request (also the `params` of a batch request). */
  body({ prompt, systemPrompt, maxOutputTokens, params }: BodyRequest): Record<string, unknown> {
    return {
      model: this.#endpoint.model,
      max_tokens: maxOutputTokens ?? ANTHROPIC_DEFAULT_MAX_TOKENS,
      ...anthropicSystem(systemPrompt, params),
      ...(typeof params?.temperature === 'number' ? { temperature: params.temperature } : {}),
      ...(typeof params?.topP === 'number' ? { top_p: params.topP } : {}),
      ...(params && params.stop.length > 0 ? { stop_sequences: params.stop } : {}),
      messages: [{ role: 'user', content: prompt }],
    };
  }

  async complete(request: CompletionRequest): Promise<CompletionResult> {
    const headers: Record<string, string> = { 'anthropic-version': ANTHROPIC_VERSION };
    if (this.#endpoint.apiKey) headers['x-api-key'] = this.#endpoint.apiKey;
    const { response, body } = await postJson(this.#endpoint.http, this.#endpoint.url, this.body(request), {
      headers,
      signal: request.signal,
      timeoutMs: request.timeoutMs,
      secret: this.#endpoint.apiKey,
    });
    return { ...readMessage(body, response.status), limits: serverLimits(response.headers) };
  }
}

/**
 * The answer of a Messages API response (live, or a batch's succeeded result): its text, usage and
 * finish reason, or the ProviderError that says why there is no answer to keep.
 */
export function readMessage(body: unknown, status: number): Omit<CompletionResult, 'limits'> {
  const message = body as MessagesResponse;
  if (!Array.isArray(message.content)) throw unreadableAnswer(status, 'no content in the message');
  const usage = anthropicUsage(message.usage);
  const finishReason = anthropicFinish(message.stop_reason);
  const text = message.content
    .filter((part) => part.type === 'text' && typeof part.text === 'string')
    .map((part) => part.text as string)
    .join('');
  // https://docs.anthropic.com/en/api/messages: "refusal" when the safety classifiers stop the
  // answer; the SDK's RefusalStopDetails carries a human-readable `explanation` when there is one.
  if (message.stop_reason === 'refusal') {
    const explanation = message.stop_details?.explanation;
    throw refusalError(typeof explanation === 'string' ? explanation : text || null, status, usage);
  }
  if (text.trim() === '') throw emptyAnswerError(finishReason, status, usage);
  return { text, httpStatus: status, ...usage, finishReason };
}

/** input_tokens leaves out what the prompt cache read and wrote: the prompt is all three. Read once for every outcome. */
function anthropicUsage(usage: MessagesResponse['usage']): Usage & { cachedTokens: number } {
  const input = asCount(usage?.input_tokens);
  const cacheRead = asCount(usage?.cache_read_input_tokens) ?? 0;
  const cacheWrite = asCount(usage?.cache_creation_input_tokens) ?? 0;
  return {
    promptTokens: input === null ? null : input + cacheRead + cacheWrite,
    completionTokens: asCount(usage?.output_tokens),
    cachedTokens: cacheRead,
  };
}

/** The Messages API has no JSON mode: the instruction goes with the system prompt. */
function anthropicSystem(systemPrompt: string, params: RequestParams | undefined): { system?: string } {
  const json = params?.jsonOutput ? jsonInstruction(params.jsonOutput) : '';
  const system = [systemPrompt, json].filter(Boolean).join('\n\n');
  return system ? { system } : {};
}

/** Anthropic's stop_reason in OpenAI's words (https://docs.anthropic.com/en/api/messages: end_turn, max_tokens, stop_sequence, tool_use, pause_turn, refusal). */
function anthropicFinish(reason: unknown): string | null {
  if (typeof reason !== 'string') return null;
  const words: Record<string, string> = {
    end_turn: 'stop',
    stop_sequence: 'stop',
    max_tokens: 'length',
    tool_use: 'tool_calls',
    refusal: 'content_filter',
  };
  return words[reason] ?? reason;
}
