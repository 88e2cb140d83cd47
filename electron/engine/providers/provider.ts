import type { HttpClient } from '../http/client.ts';
import type { JsonOutput } from '../../../shared/api.ts';
import type { ServerLimits } from '../http/rate-limit-headers.ts';

export interface CompletionRequest {
  prompt: string;
  systemPrompt: string;
  maxOutputTokens: number | null;
  /** Sampling and output shape; absent fields leave the provider's defaults. */
  params?: RequestParams;
  timeoutMs: number;
  signal: AbortSignal;
}

/** What shapes one request's body: a live request's, or a line of a batch. */
export type BodyRequest = Pick<CompletionRequest, 'prompt' | 'systemPrompt' | 'maxOutputTokens' | 'params'>;

export interface RequestParams {
  temperature: number | null;
  topP: number | null;
  stop: string[];
  jsonOutput: JsonOutput | null;
}

/** The JSON Schema of an answer with these fields, every field required, nothing else allowed. */
export function jsonSchemaOf(output: JsonOutput): Record<string, unknown> {
  return {
    type: 'object',
    properties: Object.fromEntries(output.fields.map((field) => [field.name, { type: field.type }])),
    required: output.fields.map((field) => field.name),
    additionalProperties: false,
  };
}

/** Told to the model when the API cannot enforce JSON itself. */
export function jsonInstruction(output: JsonOutput): string {
  return output.fields.length === 0
    ? 'Answer with one JSON object only, no other text.'
    : `Answer with one JSON object only, no other text, with exactly these fields: ${output.fields.map((f) => `"${f.name}" (${f.type})`).join(', ')}.`;
}

export interface CompletionResult {
  text: string;
  httpStatus: number | null;
  promptTokens: number | null;
  completionTokens: number | null;
  /** The part of the prompt tokens the provider's prompt cache served (billed at the cached-input price). */
  cachedTokens?: number;
  limits: ServerLimits | null;
  /**
   * Why the model stopped, normalised to OpenAI's words: `stop`, `length` (Anthropic `max_tokens`),
   * `content_filter`, `tool_calls`, or the provider's own word; null when it did not say.
   */
  finishReason: string | null;
}

/** Tokens a request used, as the provider reported them. */
export interface Usage {
  promptTokens: number | null;
  completionTokens: number | null;
  cachedTokens?: number;
}

/**
 * What a failure means for the run:
 * - transient: may pass; retry with backoff (network, timeouts, 408, 409, 5xx, unreadable bodies)
 * - rate_limited: the provider asked us to slow down (429); pace, do not count against attempts
 * - row: this row's request is wrong (400, 422); fail it with the provider's words
 * - auth / model / quota: every row would fail the same way; stop the line
 */
export type FailureKind = 'transient' | 'rate_limited' | 'row' | 'auth' | 'model' | 'quota';

export class ProviderError extends Error {
  readonly kind: FailureKind;
  readonly httpStatus: number | null;
  /** From Retry-After / retry-after-ms, when the provider said how long to wait. */
  readonly retryAfterMs: number | null;
  readonly limits: ServerLimits | null;
  /** With `quota`: what ran out is the day's allowance (it comes back by itself), not money. */
  readonly dailyLimit: boolean;
  /** Billed usage of an answer that came back but is not kept (a refusal, an empty or invalid answer). */
  readonly usage: Usage | null;

  constructor(
    message: string,
    options: {
      kind: FailureKind;
      httpStatus: number | null;
      retryAfterMs?: number | null;
      limits?: ServerLimits | null;
      dailyLimit?: boolean;
      usage?: Usage | null;
    },
  ) {
    super(message);
    this.name = 'ProviderError';
    this.kind = options.kind;
    this.httpStatus = options.httpStatus;
    this.retryAfterMs = options.retryAfterMs ?? null;
    this.limits = options.limits ?? null;
    this.dailyLimit = options.dailyLimit ?? false;
    this.usage = options.usage ?? null;
  }

  get retryable(): boolean {
    return this.kind === 'transient' || this.kind === 'rate_limited';
  }
}

export interface Provider {
  complete(request: CompletionRequest): Promise<CompletionResult>;
  /** The body of one request, for a provider whose requests can also go in a batch. */
  body?(request: BodyRequest): Record<string, unknown>;
}

/** Where and as whom an HTTP provider sends its requests. */
export interface Endpoint {
  http: HttpClient;
  /** The full URL requests are POSTed to. */
  url: string;
  model: string;
  apiKey: string | undefined;
}

export function endpoint(
  options: { http: Endpoint['http']; baseUrl: string; model: string; apiKey?: string },
  path: string,
): Endpoint {
  return {
    http: options.http,
    url: `${options.baseUrl.replace(/\/+$/, '')}${path}`,
    model: options.model,
    apiKey: options.apiKey,
  };
}

/**
 * The model declined to answer (OpenAI's `message.refusal`, Anthropic's `stop_reason: "refusal"`).
 * Asking again gets the same answer, so the row fails at once, with what the model said; the
 * tokens were billed all the same.
 */
export function refusalError(said: string | null, httpStatus: number, usage: Usage): ProviderError {
  const words = said?.replace(/\s+/g, ' ').trim();
  return new ProviderError(
    words ? `The model refused: “${words}”` : 'The model refused to answer this row (the provider gave no reason).',
    { kind: 'row', httpStatus, usage },
  );
}

/** Why an answer came back empty, in plain words, from the finish reason (OpenAI's words). */
function emptyBecause(finishReason: string | null): string {
  if (finishReason === 'length')
    return ' It was cut off at the output limit before any text: raise the maximum answer length (a reasoning model spends part of it thinking), or leave it unset.';
  if (finishReason === 'content_filter') return ' The provider’s content filter withheld it.';
  if (finishReason === null || finishReason === 'stop') return '';
  return ` (finish reason: ${finishReason})`;
}

/** An answer with no text: nothing to keep, and the same request would most likely come back the same. */
export function emptyAnswerError(finishReason: string | null, httpStatus: number, usage: Usage): ProviderError {
  return new ProviderError(`The model returned an empty answer.${emptyBecause(finishReason)}`, {
    kind: 'row',
    httpStatus,
    usage,
  });
}
