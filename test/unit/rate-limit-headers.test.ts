import { describe, expect, it } from 'vitest';
import { parseDuration, retryAfterMs, serverLimits } from '../../electron/engine/http/rate-limit-headers.ts';

describe('retryAfterMs', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');

  it('prefers retry-after-ms', () => {
    expect(retryAfterMs({ 'retry-after-ms': '250', 'retry-after': '3' }, now)).toBe(250);
  });

  it('reads seconds and HTTP dates', () => {
    expect(retryAfterMs({ 'retry-after': '3' }, now)).toBe(3000);
    expect(retryAfterMs({ 'retry-after': 'Thu, 01 Jan 2026 00:00:05 GMT' }, now)).toBe(5000);
  });

  it('is null when absent or unreadable', () => {
    expect(retryAfterMs({}, now)).toBeNull();
    expect(retryAfterMs({ 'retry-after': 'soon' }, now)).toBeNull();
  });
});

describe('parseDuration (OpenAI reset headers)', () => {
  it.each([
    ['1s', 1000],
    ['20ms', 20],
    ['6m0s', 360_000],
    ['1h2m3.5s', 3_723_500],
    ['0.5', 500],
  ])('%s', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });
});

describe('serverLimits', () => {
  it('reads OpenAI headers', () => {
    expect(
      serverLimits({
        'x-ratelimit-limit-requests': '500',
        'x-ratelimit-remaining-requests': '3',
        'x-ratelimit-reset-requests': '1.5s',
        'x-ratelimit-remaining-tokens': '900',
        'x-ratelimit-reset-tokens': '250ms',
      }),
    ).toEqual({
      requestsLimit: 500,
      requestsRemaining: 3,
      requestsResetMs: 1500,
      tokensLimit: undefined,
      tokensRemaining: 900,
      tokensResetMs: 250,
    });
  });

  it('reads Anthropic headers', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(
      serverLimits(
        {
          'anthropic-ratelimit-requests-remaining': '0',
          'anthropic-ratelimit-requests-reset': '2026-01-01T00:00:02Z',
        },
        now,
      ),
    ).toMatchObject({ requestsRemaining: 0, requestsResetMs: 2000 });
  });

  it('Groq: its request limit is per day, so it is never passed off as a per-minute allowance', () => {
    // Groq's documented example: "x-ratelimit-limit-requests … Always refers to Requests Per Day (RPD)",
    // tokens per minute. 30 requests used, back in full in 2m59.56s: 6 s each, 10 a minute.
    const groq = serverLimits({
      'x-ratelimit-limit-requests': '14400',
      'x-ratelimit-limit-tokens': '18000',
      'x-ratelimit-remaining-requests': '14370',
      'x-ratelimit-remaining-tokens': '17997',
      'x-ratelimit-reset-requests': '2m59.56s',
      'x-ratelimit-reset-tokens': '7.66s',
    });
    expect(groq).toMatchObject({
      requestsRemaining: 14370,
      requestsResetMs: 179_560,
      tokensLimit: 18000,
      tokensRemaining: 17997,
      tokensResetMs: 7660,
    });
    expect(groq?.requestsLimit).toBeCloseTo(10, 1);
    // One used, 6 s to get it back: still per day, not 14,400 a minute.
    expect(
      serverLimits({
        'x-ratelimit-limit-requests': '14400',
        'x-ratelimit-remaining-requests': '14399',
        'x-ratelimit-reset-requests': '6s',
      })?.requestsLimit,
    ).toBeCloseTo(10, 1);
    // The day almost used up: the rate it comes back at, under one a minute.
    expect(
      serverLimits({
        'x-ratelimit-limit-requests': '1000',
        'x-ratelimit-remaining-requests': '0',
        'x-ratelimit-reset-requests': '23h59m0s',
      })?.requestsLimit,
    ).toBeLessThan(1);
  });

  it('OpenAI: a per-minute limit stays as it is', () => {
    expect(
      serverLimits({
        'x-ratelimit-limit-requests': '10000',
        'x-ratelimit-remaining-requests': '9999',
        'x-ratelimit-reset-requests': '6ms',
      })?.requestsLimit,
    ).toBe(10000);
    expect(
      serverLimits({
        'x-ratelimit-limit-requests': '60',
        'x-ratelimit-remaining-requests': '0',
        'x-ratelimit-reset-requests': '1m0s',
      })?.requestsLimit,
    ).toBe(60);
  });

  it('Together AI: x-ratelimit-remaining and x-ratelimit-reset in seconds; its limit, of no stated window, is left out', () => {
    expect(serverLimits({ 'x-ratelimit-limit': '10', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '2' })).toEqual(
      {
        requestsLimit: undefined,
        requestsRemaining: 0,
        requestsResetMs: 2000,
        tokensLimit: undefined,
        tokensRemaining: undefined,
        tokensResetMs: undefined,
      },
    );
  });

  it('OpenRouter: x-ratelimit-reset is a moment in milliseconds since 1970', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(
      serverLimits({ 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(now + 30_000) }, now),
    ).toMatchObject({ requestsRemaining: 0, requestsResetMs: 30_000 });
    expect(
      serverLimits({ 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(now / 1000 + 5) }, now),
    ).toMatchObject({ requestsResetMs: 5000 });
  });

  it('is null without rate-limit headers', () => {
    expect(serverLimits({ 'content-type': 'application/json' })).toBeNull();
  });
});
