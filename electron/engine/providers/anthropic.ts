import type { HttpClient } from '../http/client.ts';
import { serverLimits } from '../http/rate-limit-headers.ts';
import { asCount, postJson, unreadableAnswer } from './http-failure.ts';
import {
  endpoint,
  jsonInstruction,
  type CompletionRequest,
  type CompletionResult,
  type Endpoint,
  type Provider,
  type RequestParams,
} from './provider.ts';

export const ANTHROPIC_VERSION = '2023-06-01';
/** The Messages API requires an output limit; this is used when the job sets none. */
export const ANTHROPIC_DEFAULT_MAX_TOKENS = 1024;

interface MessagesResponse {
  content?: { type?: unknown; text?: unknown }[];
  stop_reason?: unknown;
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

  async complete({
    prompt,
    systemPrompt,
    maxOutputTokens,
    params,
    timeoutMs,
    signal,
  }: CompletionRequest): Promise<CompletionResult> {
    const headers: Record<string, string> = { 'anthropic-version': ANTHROPIC_VERSION };
    if (this.#endpoint.apiKey) headers['x-api-key'] = this.#endpoint.apiKey;
    const { response, body } = await postJson(
      this.#endpoint.http,
      this.#endpoint.url,
      {
        model: this.#endpoint.model,
        max_tokens: maxOutputTokens ?? ANTHROPIC_DEFAULT_MAX_TOKENS,
        ...anthropicSystem(systemPrompt, params),
        ...(typeof params?.temperature === 'number' ? { temperature: params.temperature } : {}),
        ...(typeof params?.topP === 'number' ? { top_p: params.topP } : {}),
        ...(params && params.stop.length > 0 ? { stop_sequences: params.stop } : {}),
        messages: [{ role: 'user', content: prompt }],
      },
      { headers, signal, timeoutMs, secret: this.#endpoint.apiKey },
    );
    const message = body as MessagesResponse;
    const parts = (message.content ?? []).filter((part) => part.type === 'text' && typeof part.text === 'string');
    if (parts.length === 0) throw unreadableAnswer(response.status, 'no text in the message');
    const input = asCount(message.usage?.input_tokens);
    const cacheRead = asCount(message.usage?.cache_read_input_tokens) ?? 0;
    const cacheWrite = asCount(message.usage?.cache_creation_input_tokens) ?? 0;
    return {
      text: parts.map((part) => part.text as string).join(''),
      httpStatus: response.status,
      promptTokens: input === null ? null : input + cacheRead + cacheWrite,
      cachedTokens: cacheRead,
      completionTokens: asCount(message.usage?.output_tokens),
      limits: serverLimits(response.headers),
      finishReason: anthropicFinish(message.stop_reason),
    };
  }
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
