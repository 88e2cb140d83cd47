import type { ModelPrice, PriceList, PriceListEntry, ProviderConfig } from '../../shared/api.ts';

type Price = Omit<ModelPrice, 'model'>;

/**
 * List prices in US dollars per million tokens, as the providers published them on this date.
 * The key is a model name; it also covers that model's dated releases (see `coversModel`).
 * Users can edit any of them and add their own in Settings → Prices; theirs win over these.
 */
export const PRICES_CHECKED_ON = '2025-06-01';
export const SHIPPED_PRICES: Readonly<Record<string, Price>> = {
  'gpt-4o-mini': { input: 0.15, cachedInput: 0.075, output: 0.6 },
  'gpt-4o': { input: 2.5, cachedInput: 1.25, output: 10 },
  // The first gpt-4o release kept its own, higher price.
  'gpt-4o-2024-05-13': { input: 5, cachedInput: null, output: 15 },
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
 * A dated or numbered release of the same model: `-2024-07-18`, `-20250514`, `-001`, `-latest`,
 * and a `:tag` (OpenRouter's `:free`, Ollama's sizes). Anything else is another model with its
 * own price — `o3-pro` is not `o3`, `gpt-4o-realtime-preview` is not `gpt-4o` — and gets none
 * rather than a wrong one.
 */
const RELEASE_SUFFIX = /^(?:-(?:\d{4}-\d{2}-\d{2}|\d{8}|\d{3,4}|latest))?(?::[\w.-]+)?$/;

export function coversModel(key: string, model: string): boolean {
  return model.startsWith(key) && RELEASE_SUFFIX.test(model.slice(key.length));
}

/**
 * The price of the provider's model: the entry for its name or a release of it (the longest
 * such entry wins, so a dated release can have its own), with or without a router's `vendor/`
 * in front (OpenRouter's `openai/gpt-4o-mini`). The Demo provider is free; an unknown model
 * has no price (null), never a guessed one.
 */
export function priceOf(provider: ProviderConfig, list: PriceList): PriceListEntry | null {
  if (provider.kind === 'demo') {
    return { model: provider.model, input: 0, cachedInput: 0, output: 0, source: 'shipped' };
  }
  const full = priceKey(provider.model);
  const bare = full.replace(/^.*\//, '');
  let best: PriceListEntry | null = null;
  for (const entry of list.prices) {
    const matches = coversModel(entry.model, full) || coversModel(entry.model, bare);
    if (matches && (!best || entry.model.length > best.model.length)) best = entry;
  }
  return best;
}

/**
 * Money is kept in whole nanodollars (1e-9 US dollar) wherever it is stored or added up: sums of
 * integers are exact, where sums of dollar floats drift (0.0000034499999999999996). A nanodollar
 * is far below anything a provider bills, and 2^53 of them is over nine million dollars.
 */
export const NANOS_PER_DOLLAR = 1_000_000_000;

/** Dollars, as worked out in floating point, in whole nanodollars. */
export function toNanos(dollars: number): number;
export function toNanos(dollars: number | null): number | null;
export function toNanos(dollars: number | null): number | null {
  return dollars === null ? null : Math.round(dollars * NANOS_PER_DOLLAR);
}

/** Whole nanodollars as dollars: the double nearest the exact amount, which prints without float noise. */
export function fromNanos(nanos: number): number;
export function fromNanos(nanos: number | null): number | null;
export function fromNanos(nanos: number | null): number | null {
  return nanos === null ? null : nanos / NANOS_PER_DOLLAR;
}

/** Whole nanodollars as a plain decimal: 3450 is "0.00000345", never "3.45e-6" nor a long tail of digits. */
export function formatNanos(nanos: number): string {
  const digits = String(Math.abs(Math.round(nanos))).padStart(10, '0');
  const fraction = digits.slice(-9).replace(/0+$/, '');
  return `${nanos < 0 ? '-' : ''}${digits.slice(0, -9)}${fraction ? `.${fraction}` : ''}`;
}

/** Dollars as a plain decimal, rounded to the nanodollar (exports, where a number is written as text). */
export function formatDollars(dollars: number): string {
  return formatNanos(toNanos(dollars));
}

/**
 * What the providers' Batch APIs charge against the live price: half, for input and output
 * (OpenAI's Batch API and Anthropic's Message Batches both document 50% off; docs/batch-apis.md).
 * A price the user set is halved the same way.
 */
export const BATCH_DISCOUNT = 0.5;

export function batchPrice<P extends Price>(price: P | null): P | null {
  if (!price) return null;
  return {
    ...price,
    input: price.input * BATCH_DISCOUNT,
    output: price.output * BATCH_DISCOUNT,
    cachedInput: price.cachedInput === null ? null : price.cachedInput * BATCH_DISCOUNT,
  };
}

/**
 * Nanodollars for one answer, rounded to a whole one. `cachedTokens` are the part of the prompt the
 * provider served from its prompt cache, billed at the cached-input price (the input price when none
 * is known). Prices are dollars per million tokens, so one token at $1 is 1,000 nanodollars.
 */
export function costNanos(
  price: Price | null,
  promptTokens: number | null,
  completionTokens: number | null,
  cachedTokens = 0,
): number | null {
  if (!price || promptTokens === null || completionTokens === null) return null;
  const cached = Math.min(Math.max(cachedTokens, 0), promptTokens);
  const fresh = promptTokens - cached;
  const perMillion =
    fresh * price.input + cached * (price.cachedInput ?? price.input) + completionTokens * price.output;
  return Math.round(perMillion * (NANOS_PER_DOLLAR / 1e6));
}

/** Dollars for one answer: `costNanos` in dollars, so every cost is a whole number of nanodollars. */
export function costOf(
  price: Price | null,
  promptTokens: number | null,
  completionTokens: number | null,
  cachedTokens = 0,
): number | null {
  return fromNanos(costNanos(price, promptTokens, completionTokens, cachedTokens));
}
