import { describe, expect, it } from 'vitest';
import { httpFailure, redact } from '../../electron/engine/providers/http-failure.ts';

const openAiError = (message: string, code: string | null = null, type = 'invalid_request_error'): string =>
  JSON.stringify({ error: { message, type, param: null, code } });
const anthropicError = (type: string, message: string): string =>
  JSON.stringify({ type: 'error', error: { type, message } });

function classify(status: number, body: string, headers: Record<string, string> = {}) {
  const error = httpFailure({ status, headers, body });
  return { kind: error.kind, message: error.message, retryAfterMs: error.retryAfterMs };
}

describe('httpFailure', () => {
  it.each([
    [400, 'row'],
    [422, 'row'],
    [413, 'row'],
    [401, 'auth'],
    [403, 'auth'],
    [404, 'model'],
    [408, 'transient'],
    [409, 'transient'],
    [500, 'transient'],
    [502, 'transient'],
    [503, 'transient'],
    [529, 'transient'],
    [429, 'rate_limited'],
  ])('%i is %s', (status, kind) => {
    expect(classify(status, openAiError('x')).kind).toBe(kind);
  });

  it('quotes the provider’s own message (OpenAI and Anthropic bodies)', () => {
    expect(classify(400, openAiError('Invalid value for temperature')).message).toBe(
      'The provider answered 400: Invalid value for temperature',
    );
    expect(classify(401, anthropicError('authentication_error', 'invalid x-api-key')).message).toBe(
      'The provider answered 401: invalid x-api-key',
    );
  });

  it('tells a used-up quota from a rate limit', () => {
    expect(
      classify(429, openAiError('You exceeded your current quota', 'insufficient_quota', 'insufficient_quota')).kind,
    ).toBe('quota');
    expect(classify(400, anthropicError('invalid_request_error', 'Your credit balance is too low')).kind).toBe('quota');
  });

  it('reads Retry-After, and makes a 503 that carries one a rate limit', () => {
    expect(classify(429, openAiError('slow down'), { 'retry-after': '2' })).toMatchObject({ retryAfterMs: 2000 });
    expect(classify(503, 'busy', { 'retry-after-ms': '150' })).toMatchObject({
      kind: 'rate_limited',
      retryAfterMs: 150,
    });
  });

  it('survives a body that is not JSON', () => {
    expect(classify(502, '<html>Bad gateway</html>').message).toBe(
      'The provider answered 502: <html>Bad gateway</html>',
    );
  });
});

describe('redact', () => {
  it('never lets the key through in a provider’s error message', () => {
    const key = 'sk-proj-abcdefghijklmnopqrstuv';
    const error = redact(
      httpFailure({ status: 401, headers: {}, body: openAiError(`Incorrect API key provided: ${key}.`) }),
      key,
    );
    expect(error.message).toBe('The provider answered 401: Incorrect API key provided: …stuv.');
    expect(error.kind).toBe('auth');
  });
});
