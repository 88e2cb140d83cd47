import { createRequire } from 'node:module';
import type { ProviderConfig } from '../../shared/api.ts';

/** About four characters per token for English text: the labelled estimate for models without a known tokenizer. */
export function estimateTokens(text: string): number {
  return text ? Math.ceil(text.length / 4) : 0;
}

export interface TokenCounter {
  count(text: string): number;
  /** True when the model's own tokenizer is used; false for the four-characters estimate. */
  exact: boolean;
  /** Tokens a chat request adds around its messages (roles, separators). */
  perMessage: number;
}

const ESTIMATE: TokenCounter = { count: estimateTokens, exact: false, perMessage: 4 };
// Not named `require`: the bundler declares its own `require` in the same chunk.
const requireCjs = createRequire(import.meta.url);
const loaded = new Map<string, TokenCounter>();

/** OpenAI's encodings by model family; other providers publish no tokenizer, so they are estimated. */
export function encodingFor(provider: ProviderConfig): 'o200k_base' | 'cl100k_base' | null {
  if (provider.kind !== 'openai') return null;
  const model = provider.model.toLowerCase().replace(/^.*\//, '');
  if (/^(gpt-4o|gpt-4\.1|gpt-4\.5|gpt-5|o1|o3|o4|chatgpt-4o)/.test(model)) return 'o200k_base';
  if (/^(gpt-4|gpt-3\.5|text-embedding-3)/.test(model)) return 'cl100k_base';
  return null;
}

/** A counter for the provider's model: its real tokenizer when known (loaded once, on first use). */
export function tokenCounterFor(provider: ProviderConfig): TokenCounter {
  const encoding = encodingFor(provider);
  if (!encoding) return ESTIMATE;
  let counter = loaded.get(encoding);
  if (!counter) {
    const module = requireCjs(`gpt-tokenizer/cjs/encoding/${encoding}`) as { countTokens: (text: string) => number };
    counter = { count: (text) => (text ? module.countTokens(text) : 0), exact: true, perMessage: 4 };
    loaded.set(encoding, counter);
  }
  return counter;
}

/** The prompt tokens of one chat request: system and user messages with their framing. */
export function promptTokens(counter: TokenCounter, systemPrompt: string, prompt: string): number {
  const system = systemPrompt ? counter.count(systemPrompt) + counter.perMessage : 0;
  return system + counter.count(prompt) + counter.perMessage + 3;
}
