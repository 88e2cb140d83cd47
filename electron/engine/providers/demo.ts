import { estimateTokens } from '../tokens.ts';
import type { CompletionRequest, CompletionResult, Provider } from './provider.ts';

/**
 * An offline provider for first runs and demos: no key, no network. The text is
 * deterministic (same prompt, same reply) and the latency is simulated.
 */
export class DemoProvider implements Provider {
  readonly #latencyMs: readonly [number, number];

  constructor(options: { latencyMs?: readonly [number, number] } = {}) {
    this.#latencyMs = options.latencyMs ?? [250, 900];
  }

  async complete({ prompt, systemPrompt, signal }: CompletionRequest): Promise<CompletionResult> {
    const hash = fnv1a(`${systemPrompt}\u0000${prompt}`);
    const [min, max] = this.#latencyMs;
    await delay(min + (hash % (max - min + 1)), signal);
    const text = demoReply(prompt);
    return {
      text,
      httpStatus: null,
      promptTokens: estimateTokens(systemPrompt) + estimateTokens(prompt),
      completionTokens: estimateTokens(text),
      limits: null,
      finishReason: 'stop',
    };
  }
}

export function demoReply(prompt: string): string {
  const words = prompt.trim().split(/\s+/).filter(Boolean);
  const gist = words.slice(0, 12).join(' ');
  return `Demo answer (${words.length} words in): “${gist}${words.length > 12 ? '…' : ''}”`;
}

function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason as Error);
      return;
    }
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal.reason as Error);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
