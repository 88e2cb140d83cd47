export interface CompletionRequest {
  prompt: string;
  systemPrompt: string;
  signal: AbortSignal;
}

export interface CompletionResult {
  text: string;
  httpStatus: number | null;
  promptTokens: number | null;
  completionTokens: number | null;
}

/** A failed call, with the provider's own words and whether trying again could help. */
export class ProviderError extends Error {
  readonly httpStatus: number | null;
  readonly retryable: boolean;

  constructor(message: string, options: { httpStatus: number | null; retryable: boolean }) {
    super(message);
    this.name = 'ProviderError';
    this.httpStatus = options.httpStatus;
    this.retryable = options.retryable;
  }
}

export interface Provider {
  complete(request: CompletionRequest): Promise<CompletionResult>;
}
