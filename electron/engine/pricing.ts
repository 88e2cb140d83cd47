import type { ProviderConfig } from '../../shared/api.ts';

/** US dollars per million tokens. */
export interface ModelPrice {
  input: number;
  output: number;
}

/** List prices as published by the providers; checked on this date. Longest matching prefix wins. */
export const PRICES_CHECKED_ON = '2025-06-01';
export const MODEL_PRICES: Record<string, ModelPrice> = {
  'gpt-4o-mini': { input: 0.15, output: 0.6 },
  'gpt-4o': { input: 2.5, output: 10 },
  'gpt-4.1-nano': { input: 0.1, output: 0.4 },
  'gpt-4.1-mini': { input: 0.4, output: 1.6 },
  'gpt-4.1': { input: 2, output: 8 },
  'o4-mini': { input: 1.1, output: 4.4 },
  o3: { input: 2, output: 8 },
  'claude-3-5-haiku': { input: 0.8, output: 4 },
  'claude-3-5-sonnet': { input: 3, output: 15 },
  'claude-sonnet-4': { input: 3, output: 15 },
  'claude-opus-4': { input: 15, output: 75 },
};

export function priceOf(provider: ProviderConfig): ModelPrice | null {
  if (provider.kind === 'demo') return { input: 0, output: 0 };
  const model = provider.model.toLowerCase().replace(/^.*\//, '');
  const key = Object.keys(MODEL_PRICES)
    .filter((prefix) => model.startsWith(prefix))
    .sort((a, b) => b.length - a.length)[0];
  return key ? (MODEL_PRICES[key] ?? null) : null;
}

export function costOf(
  price: ModelPrice | null,
  promptTokens: number | null,
  completionTokens: number | null,
): number | null {
  if (!price || promptTokens === null || completionTokens === null) return null;
  return (promptTokens * price.input + completionTokens * price.output) / 1_000_000;
}
