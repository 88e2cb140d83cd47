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

  it('is null without rate-limit headers', () => {
    expect(serverLimits({ 'content-type': 'application/json' })).toBeNull();
  });
});
