import type { ModelPrice, PriceList, PriceListEntry, ProviderConfig } from '../../shared/api.ts';

type Price = Omit<ModelPrice, 'model'>;

/**
 * List prices in US dollars per million tokens, as the providers published them on this date.
 * The key is a model-name prefix; the longest matching one wins. Users can edit any of them
 * and add their own in Settings → Prices; theirs win over these.
 */
export const PRICES_CHECKED_ON = '2025-06-01';
export const SHIPPED_PRICES: Readonly<Record<string, Price>> = {
  'gpt-4o-mini': { input: 0.15, cachedInput: 0.075, output: 0.6 },
  'gpt-4o': { input: 2.5, cachedInput: 1.25, output: 10 },
  'gpt-4.1-nano': { input: 0.1, cachedInput: 0.025, output: 0.4 },
  'gpt-4.1-mini': { input: 0.4, cachedInput: 0.1, output: 1.6 },
  'gpt-4.1': { input: 2, cachedInput: 0.5, output: 8 },
  'o4-mini': { input: 1.1, cachedInput: 0.275, output: 4.4 },
  o3: { input: 2, cachedInput: 0.5, output: 8 },
  'claude-3-5-haiku': { input: 0.8, cachedInput: 0.08, output: 4 },
  'claude-3-5-sonnet': { input: 3, cachedInput: 0.3, output: 15 },
  'claude-3-7-sonnet': { input: 3, cachedInput: 0.3, output: 15 },
  'claude-sonnet-4': { input: 3, cachedInput: 0.3, output: 15 },
  'claude-opus-4': { input: 15, cachedInput: 1.5, output: 75 },
  'gemini-2.0-flash': { input: 0.1, cachedInput: 0.025, output: 0.4 },
  'llama-3.1-8b-instant': { input: 0.05, cachedInput: null, output: 0.08 },
  'llama-3.3-70b-versatile': { input: 0.59, cachedInput: null, output: 0.79 },
};

/** The shipped table with the user's edits and additions over it, sorted by model name. */
export function priceList(userPrices: readonly ModelPrice[]): PriceList {
  const byModel = new Map<string, PriceListEntry>(
    Object.entries(SHIPPED_PRICES).map(([model, price]) => [model, { model, ...price, source: 'shipped' }]),
  );
  for (const price of userPrices) {
    byModel.set(price.model, { ...price, source: byModel.has(price.model) ? 'edited' : 'added' });
  }
  return {
    checkedOn: PRICES_CHECKED_ON,
    prices: [...byModel.values()].sort((a, b) => a.model.localeCompare(b.model)),
  };
}

/** The model names a price key is written in: lower case, no surrounding space. */
export function priceKey(model: string): string {
  return model.trim().toLowerCase();
}

/**
 * The price of the provider's model: the entry whose name is the longest prefix of the model
 * name, with or without a router's `vendor/` in front (OpenRouter's `openai/gpt-4o-mini`).
 * The Demo provider is free; an unknown model has no price (null), never a guessed one.
 */
export function priceOf(provider: ProviderConfig, list: PriceList): PriceListEntry | null {
  if (provider.kind === 'demo') {
    return { model: provider.model, input: 0, cachedInput: 0, output: 0, source: 'shipped' };
  }
  const full = priceKey(provider.model);
  const bare = full.replace(/^.*\//, '');
  let best: PriceListEntry | null = null;
  for (const entry of list.prices) {
    const matches = full.startsWith(entry.model) || bare.startsWith(entry.model);
    if (matches && (!best || entry.model.length > best.model.length)) best = entry;
  }
  return best;
}

/**
 * Dollars for one answer. `cachedTokens` are the part of the prompt the provider served from
 * its prompt cache, billed at the cached-input price (the input price when none is known).
 */
export function costOf(
  price: Price | null,
  promptTokens: number | null,
  completionTokens: number | null,
  cachedTokens = 0,
): number | null {
  if (!price || promptTokens === null || completionTokens === null) return null;
  const cached = Math.min(Math.max(cachedTokens, 0), promptTokens);
  const fresh = promptTokens - cached;
  return (fresh * price.input + cached * (price.cachedInput ?? price.input) + completionTokens * price.output) / 1e6;
}
