/**
 * What providers tell us about their limits, in their own headers: Retry-After (RFC 9110),
 * retry-after-ms, OpenAI's x-ratelimit-* (also sent by Groq, whose request allowance is per day),
 * Anthropic's anthropic-ratelimit-*, and the plain x-ratelimit-remaining / x-ratelimit-reset pair
 * of Together AI (seconds) and OpenRouter (a time, in milliseconds since 1970).
 */
export type Headers = Record<string, string | string[] | undefined>;

export interface ServerLimits {
  /**
   * Requests per minute, when the provider says it. For an allowance over a longer window (Groq's
   * x-ratelimit-limit-requests is per day), the rate at which it comes back, per minute, never the
   * day's total: the pacer waits by it for the provider to earn a few requests back.
   */
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

/**
 * A bare x-ratelimit-reset: seconds from now (Together AI), or a moment as milliseconds or
 * seconds since 1970 (OpenRouter sends milliseconds). Numbers that large are not waits.
 */
function untilReset(value: string | undefined, now: number): number | undefined {
  const n = number(value);
  if (n === undefined || n < 0) return undefined;
  if (n >= 1e12) return Math.max(0, n - now);
  if (n >= 1e9) return Math.max(0, n * 1000 - now);
  return n * 1000;
}

const MINUTE_MS = 60_000;
/** A per-minute allowance comes back within about a minute; rounding of the reset is allowed for. */
const LONGEST_MINUTE_MS = 2 * MINUTE_MS;

/**
 * OpenAI's x-ratelimit-limit-requests is per minute; Groq sends the same header for requests per
 * day. Both reset headers say how long until the allowance is full again, so what is used, the
 * limit and that time give the window: over a minute, the limit is not a per-minute allowance and
 * what comes back in a minute is reported instead (Groq's documented example, 14,400 a day with
 * 30 used and "2m59.56s" to go, comes to 10 a minute). With nothing used yet there is no telling:
 * the limit is kept as it is, unless the reset is more than two minutes away.
 */
function requestsPerMinute(
  limit: number | undefined,
  remaining: number | undefined,
  resetMs: number | undefined,
): number | undefined {
  if (limit === undefined || remaining === undefined || resetMs === undefined || resetMs <= 0) return limit;
  const used = limit - remaining;
  if (used <= 0) return resetMs > LONGEST_MINUTE_MS ? undefined : limit;
  const windowMs = (resetMs * limit) / used;
  return windowMs > LONGEST_MINUTE_MS ? (used * MINUTE_MS) / resetMs : limit;
}

export function serverLimits(headers: Headers, now = Date.now()): ServerLimits | null {
  const openAiLimit = number(header(headers, 'x-ratelimit-limit-requests'));
  const openAiRemaining = number(header(headers, 'x-ratelimit-remaining-requests'));
  const openAiReset = parseDuration(header(headers, 'x-ratelimit-reset-requests'));
  const limits: ServerLimits = {
    // x-ratelimit-limit (Together, OpenRouter) is left out: neither says over what window, and
    // OpenRouter's is its free models' allowance per day.
    requestsLimit:
      requestsPerMinute(openAiLimit, openAiRemaining, openAiReset) ??
      number(header(headers, 'anthropic-ratelimit-requests-limit')),
    requestsRemaining:
      openAiRemaining ??
      number(header(headers, 'anthropic-ratelimit-requests-remaining')) ??
      number(header(headers, 'x-ratelimit-remaining')),
    requestsResetMs:
      openAiReset ??
      untilDate(header(headers, 'anthropic-ratelimit-requests-reset'), now) ??
      untilReset(header(headers, 'x-ratelimit-reset'), now),
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
