/**
 * What providers tell us about their limits, in their own headers: Retry-After (RFC 9110),
 * retry-after-ms, OpenAI's x-ratelimit-* and Anthropic's anthropic-ratelimit-*.
 */
export type Headers = Record<string, string | string[] | undefined>;

export interface ServerLimits {
  /** The allowance per minute, when the provider says it. */
  requestsLimit?: number;
  requestsRemaining?: number;
  /** Milliseconds until the request allowance is back to full. */
  requestsResetMs?: number;
  tokensLimit?: number;
  tokensRemaining?: number;
  tokensResetMs?: number;
}

function header(headers: Headers, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function number(value: string | undefined): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const n = Number(value);
  return Number.isFinite(n) ? n : undefined;
}

/** Milliseconds to wait from `retry-after-ms`, or `retry-after` in seconds or as an HTTP date. */
export function retryAfterMs(headers: Headers, now = Date.now()): number | null {
  const ms = number(header(headers, 'retry-after-ms'));
  if (ms !== undefined && ms >= 0) return ms;
  const raw = header(headers, 'retry-after');
  if (raw === undefined) return null;
  const seconds = number(raw);
  if (seconds !== undefined) return seconds >= 0 ? seconds * 1000 : null;
  const date = Date.parse(raw);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}

/** OpenAI's reset durations: "1s", "6m0s", "20ms", "1h2m3.5s". */
export function parseDuration(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const plain = number(value);
  if (plain !== undefined) return plain * 1000;
  let total = 0;
  let matched = false;
  for (const [, amount, unit] of value.matchAll(/(\d+(?:\.\d+)?)(ms|h|m|s)/g)) {
    matched = true;
    const n = Number(amount);
    total += unit === 'h' ? n * 3_600_000 : unit === 'm' ? n * 60_000 : unit === 's' ? n * 1000 : n;
  }
  return matched ? total : undefined;
}

function untilDate(value: string | undefined, now: number): number | undefined {
  if (value === undefined) return undefined;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

export function serverLimits(headers: Headers, now = Date.now()): ServerLimits | null {
  const limits: ServerLimits = {
    requestsLimit:
      number(header(headers, 'x-ratelimit-limit-requests')) ??
      number(header(headers, 'anthropic-ratelimit-requests-limit')),
    requestsRemaining:
      number(header(headers, 'x-ratelimit-remaining-requests')) ??
      number(header(headers, 'anthropic-ratelimit-requests-remaining')),
    requestsResetMs:
      parseDuration(header(headers, 'x-ratelimit-reset-requests')) ??
      untilDate(header(headers, 'anthropic-ratelimit-requests-reset'), now),
    tokensLimit:
      number(header(headers, 'x-ratelimit-limit-tokens')) ??
      number(header(headers, 'anthropic-ratelimit-tokens-limit')),
    tokensRemaining:
      number(header(headers, 'x-ratelimit-remaining-tokens')) ??
      number(header(headers, 'anthropic-ratelimit-tokens-remaining')),
    tokensResetMs:
      parseDuration(header(headers, 'x-ratelimit-reset-tokens')) ??
      untilDate(header(headers, 'anthropic-ratelimit-tokens-reset'), now),
  };
  return Object.values(limits).some((v) => v !== undefined) ? limits : null;
}
