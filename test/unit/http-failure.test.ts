import { describe, expect, it } from 'vitest';
import type { HttpClient } from '../../electron/engine/http/client.ts';
import { httpFailure, postJson, providerMessage, redact } from '../../electron/engine/providers/http-failure.ts';
import { ProviderError } from '../../electron/engine/providers/provider.ts';

const openAiError = (message: string, code: string | null = null, type = 'invalid_request_error'): string =>
  JSON.stringify({ error: { message, type, param: null, code } });
const anthropicError = (type: string, message: string): string =>
  JSON.stringify({ type: 'error', error: { type, message } });

function classify(status: number, body: string, headers: Record<string, string> = {}) {
  const error = httpFailure({ status, headers, body });
  return { kind: error.kind, message: error.message, retryAfterMs: error.retryAfterMs, dailyLimit: error.dailyLimit };
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

/** Google's error as its OpenAI-compatible endpoint sends it: inside an array. */
const googleError = (code: number, status: string, message: string, details: unknown[] = []): string =>
  JSON.stringify([{ error: { code, message, status, details } }]);
const quotaFailure = (quotaId: string) => ({
  '@type': 'type.googleapis.com/google.rpc.QuotaFailure',
  violations: [{ quotaMetric: 'generativelanguage.googleapis.com/generate_content_free_tier_requests', quotaId }],
});
const retryInfo = (retryDelay: string) => ({ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay });

describe('httpFailure: each provider’s own error bodies', () => {
  it('Google: a bad key is a 400 inside an array, and still stops the line as a key problem', () => {
    const body = googleError(400, 'INVALID_ARGUMENT', 'API key not valid. Please pass a valid API key.', [
      {
        '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
        reason: 'API_KEY_INVALID',
        domain: 'googleapis.com',
        metadata: { service: 'generativelanguage.googleapis.com' },
      },
    ]);
    expect(classify(400, body)).toMatchObject({
      kind: 'auth',
      message: 'The provider answered 400: API key not valid. Please pass a valid API key.',
    });
    // The reason alone is enough.
    expect(classify(400, googleError(400, 'INVALID_ARGUMENT', 'Bad key.', [{ reason: 'API_KEY_INVALID' }])).kind).toBe(
      'auth',
    );
    // Other 400s from Google are still the row's.
    expect(classify(400, googleError(400, 'INVALID_ARGUMENT', 'Invalid JSON payload received.')).kind).toBe('row');
  });

  it('Google: a 429 per minute waits as long as RetryInfo says; per day, or with no allowance at all, stops', () => {
    const message = 'You exceeded your current quota, please check your plan and billing details.';
    expect(
      classify(
        429,
        googleError(429, 'RESOURCE_EXHAUSTED', message, [
          quotaFailure('GenerateRequestsPerMinutePerProjectPerModel-FreeTier'),
          retryInfo('38s'),
        ]),
      ),
    ).toMatchObject({ kind: 'rate_limited', retryAfterMs: 38_000 });
    expect(
      classify(
        429,
        googleError(429, 'RESOURCE_EXHAUSTED', message, [
          quotaFailure('GenerateRequestsPerDayPerProjectPerModel-FreeTier'),
          retryInfo('3600s'),
        ]),
      ).kind,
    ).toBe('quota');
    expect(
      classify(
        429,
        googleError(
          429,
          'RESOURCE_EXHAUSTED',
          `${message} * Quota exceeded for metric: generativelanguage.googleapis.com/generate_content_free_tier_requests, limit: 0, model: gemini-3-pro\nPlease retry in 45.578569677s.`,
        ),
      ).kind,
    ).toBe('quota');
    // The older, plainer answer is a wait too, not a used-up account.
    expect(
      classify(429, googleError(429, 'RESOURCE_EXHAUSTED', 'Resource has been exhausted (e.g. check quota).')).kind,
    ).toBe('rate_limited');
    // "Please retry in …" in the words alone gives the wait.
    expect(classify(429, googleError(429, 'RESOURCE_EXHAUSTED', `${message} Please retry in 12.5s.`))).toMatchObject({
      kind: 'rate_limited',
      retryAfterMs: 12_500,
    });
  });

  it('Groq: per minute is a wait (retry-after); per day is a wait when it comes back within minutes, else it stops the line', () => {
    const groq = (message: string, type: string) =>
      JSON.stringify({ error: { message, type, code: 'rate_limit_exceeded' } });
    expect(
      classify(
        429,
        groq(
          'Rate limit reached for model `llama-3.1-8b-instant` in organization `org_01` service tier `on_demand` on tokens per minute (TPM): Limit 6000, Used 5000, Requested 1500. Please try again in 5s.',
          'tokens',
        ),
        { 'retry-after': '2' },
      ),
    ).toMatchObject({ kind: 'rate_limited', retryAfterMs: 2000 });
    // A rolling day: capacity is back in 86 s, so the row waits rather than the job pausing.
    expect(
      classify(
        429,
        groq(
          'Rate limit reached for model `llama-3.3-70b-versatile` in organization `org_01` on requests per day (RPD): Limit 1000, Used 1000, Requested 1. Please try again in 1m26.4s.',
          'requests',
        ),
      ),
    ).toMatchObject({ kind: 'rate_limited', retryAfterMs: 86_400, dailyLimit: false });
    for (const [limit, type] of [
      ['requests per day (RPD): Limit 1000, Used 1000, Requested 1. Please try again in 2h13m4.4s.', 'requests'],
      ['tokens per day (TPD): Limit 100000, Used 97050, Requested 3619. Please try again in 9m38.016s.', 'tokens'],
    ]) {
      expect(
        classify(
          429,
          groq(
            `Rate limit reached for model \`llama-3.3-70b-versatile\` in organization \`org_01\` on ${limit}`,
            type!,
          ),
        ),
      ).toMatchObject({ kind: 'quota', dailyLimit: true });
    }
  });

  it('words echoed from the row in a raw error body never stop the whole job', () => {
    // A 422 from a validating proxy that quotes the request back, with no message field of its own.
    const echo = JSON.stringify({
      detail: [{ loc: ['body', 'messages'], input: 'Customer: my invalid api key keeps failing; Sales quota for Q3' }],
    });
    expect(classify(422, echo).kind).toBe('row');
    // The same words as the provider's own message do.
    expect(
      classify(400, JSON.stringify({ error: { message: 'API key not valid. Please pass a valid API key.' } })).kind,
    ).toBe('auth');
  });

  it('OpenRouter: numeric codes, 402 out of credits, a model ID it does not know, per-day free limits', () => {
    const openRouter = (code: number, message: string, metadata?: unknown) =>
      JSON.stringify({ error: { code, message, ...(metadata ? { metadata } : {}) } });
    expect(
      classify(402, openRouter(402, 'Insufficient credits. Add more using https://openrouter.ai/credits')),
    ).toMatchObject({
      kind: 'quota',
      message: 'The provider answered 402: Insufficient credits. Add more using https://openrouter.ai/credits',
    });
    expect(classify(401, openRouter(401, 'No auth credentials found')).kind).toBe('auth');
    expect(classify(400, openRouter(400, 'claude-sonnet-4-6 is not a valid model ID')).kind).toBe('model');
    expect(
      classify(
        429,
        openRouter(
          429,
          'Rate limit exceeded: free-models-per-day. Add 10 credits to unlock 1000 free model requests per day',
          {
            headers: { 'X-RateLimit-Limit': '50', 'X-RateLimit-Remaining': '0', 'X-RateLimit-Reset': '1745798400000' },
          },
        ),
      ).kind,
    ).toBe('quota');
    expect(classify(429, openRouter(429, 'Rate limit exceeded: free-models-per-min.')).kind).toBe('rate_limited');
  });

  it('OpenRouter: the model host’s own error, passed on in metadata.raw, is quoted too', () => {
    const raw = JSON.stringify({
      error: { code: 400, message: 'Invalid JSON payload received. Unknown name "text".', status: 'INVALID_ARGUMENT' },
    });
    const body = JSON.stringify({
      error: { message: 'Provider returned error', code: 400, metadata: { raw, provider_name: 'Google AI Studio' } },
      user_id: 'user_2x',
    });
    expect(classify(400, body)).toMatchObject({
      kind: 'row',
      message:
        'The provider answered 400: Provider returned error (Google AI Studio: Invalid JSON payload received. Unknown name "text".)',
    });
  });

  it('Together AI: a rejected key, and a model it does not serve', () => {
    expect(
      classify(
        401,
        JSON.stringify({
          id: 'okkMWqL-2kFHot',
          error: {
            message:
              'Invalid API key provided. You can find your API key at https://api.together.xyz/settings/api-keys.',
            type: 'invalid_request_error',
            param: null,
            code: 'invalid_api_key',
          },
        }),
      ).kind,
    ).toBe('auth');
    expect(
      classify(
        400,
        JSON.stringify({
          error: {
            message: 'Unable to access non-serverless model mistralai/Mixtral-8x7B-Instruct-v0.1.',
            type: 'invalid_request_error',
            param: null,
            code: 'model_not_available',
          },
        }),
      ).kind,
    ).toBe('model');
  });

  it('Ollama: its OpenAI-compatible error, and its own {"error": "…"} string', () => {
    expect(
      classify(
        404,
        JSON.stringify({
          error: {
            message: 'model "llama3.1" not found, try pulling it first',
            type: 'api_error',
            param: null,
            code: null,
          },
        }),
      ),
    ).toMatchObject({
      kind: 'model',
      message: 'The provider answered 404: model "llama3.1" not found, try pulling it first',
    });
    expect(classify(404, JSON.stringify({ error: 'model "llama3.1" not found, try pulling it first' })).message).toBe(
      'The provider answered 404: model "llama3.1" not found, try pulling it first',
    );
  });

  it('vLLM: the message at the top level with a numeric code, and its key check’s bare string', () => {
    const vllm = (code: number, type: string, message: string) =>
      JSON.stringify({ object: 'error', message, type, param: null, code });
    expect(
      classify(400, vllm(400, 'BadRequestError', "This model's maximum context length is 8192 tokens.")),
    ).toMatchObject({
      kind: 'row',
      message: "The provider answered 400: This model's maximum context length is 8192 tokens.",
    });
    expect(classify(404, vllm(404, 'NotFoundError', 'The model `x` does not exist.')).kind).toBe('model');
    expect(classify(401, JSON.stringify({ error: 'Unauthorized' }))).toMatchObject({
      kind: 'auth',
      message: 'The provider answered 401: Unauthorized',
    });
  });

  it('LM Studio: a model it does not have', () => {
    expect(
      classify(
        404,
        JSON.stringify({
          error: {
            message: 'Model "default" not found. Please specify a valid model.\n\nYour models:\n\nqwen3-32b',
            type: 'invalid_request_error',
            param: 'model',
            code: 'model_not_found',
          },
        }),
      ),
    ).toMatchObject({
      kind: 'model',
      message:
        'The provider answered 404: Model "default" not found. Please specify a valid model. Your models: qwen3-32b',
    });
  });

  it('reads a FastAPI {"detail": …} body, and says so when there is nothing to read', () => {
    expect(providerMessage(null, JSON.stringify({ detail: 'Not Found' })).message).toBe('Not Found');
    expect(providerMessage(null, '   ').message).toBe('(no message)');
  });
});

describe('postJson: an error inside a 200', () => {
  const answering = (body: unknown): HttpClient =>
    ({
      postJson: () => Promise.resolve({ status: 200, headers: {}, body: JSON.stringify(body) }),
    }) as unknown as HttpClient;
  const send = (body: unknown) =>
    postJson(
      answering(body),
      'http://x/v1/chat/completions',
      {},
      {
        headers: {},
        signal: new AbortController().signal,
        timeoutMs: 1000,
      },
    );

  it('OpenRouter: an error after the model started comes with status 200; its code stands for the status', async () => {
    const error = await send({ error: { code: 502, message: 'Upstream error from the model host' } }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({
      kind: 'transient',
      httpStatus: 502,
      message: 'The provider answered 502: Upstream error from the model host',
    });
  });

  it('vLLM’s error object in a 200; an answer with choices is an answer', async () => {
    await expect(
      send({
        object: 'error',
        message: 'The model `x` does not exist.',
        type: 'NotFoundError',
        param: null,
        code: 404,
      }),
    ).rejects.toMatchObject({ kind: 'model', httpStatus: 404 });
    await expect(send({ choices: [{ message: { content: 'hi' } }], error: null })).resolves.toMatchObject({
      body: { choices: [{ message: { content: 'hi' } }] },
    });
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

describe('httpFailure: x-should-retry, as openai-node obeys it', () => {
  // openai-node src/client.ts `shouldRetry`: "If the server explicitly says whether or not to
  // retry, obey." `true` and `false` are read before any status rule.
  it('true makes a request error worth another try', () => {
    expect(classify(400, openAiError('x'), { 'x-should-retry': 'true' }).kind).toBe('transient');
    expect(classify(422, openAiError('x'), { 'x-should-retry': 'true' }).kind).toBe('transient');
  });

  it('true leaves a key, model or quota problem stopping the line (Resume tries again)', () => {
    expect(classify(401, openAiError('x'), { 'x-should-retry': 'true' }).kind).toBe('auth');
    expect(classify(404, openAiError('The model `x` does not exist'), { 'x-should-retry': 'true' }).kind).toBe('model');
  });

  it('false fails what the status would retry', () => {
    expect(classify(500, openAiError('x'), { 'x-should-retry': 'false' }).kind).toBe('row');
    expect(classify(503, openAiError('x'), { 'x-should-retry': 'false', 'retry-after': '1' }).kind).toBe('row');
    expect(classify(429, openAiError('slow down'), { 'x-should-retry': 'false' }).kind).toBe('row');
    expect(classify(401, openAiError('x'), { 'x-should-retry': 'false' }).kind).toBe('auth');
  });

  it('any other value is ignored', () => {
    expect(classify(400, openAiError('x'), { 'x-should-retry': 'maybe' }).kind).toBe('row');
  });
});

describe('httpFailure: Retry-After on every status', () => {
  it('a 500 with Retry-After: 3 is retried after 3 s', () => {
    expect(classify(500, openAiError('The server had an error'), { 'retry-after': '3' })).toMatchObject({
      kind: 'transient',
      retryAfterMs: 3000,
    });
    expect(classify(502, 'Bad gateway', { 'retry-after-ms': '250' })).toMatchObject({ retryAfterMs: 250 });
  });
});

describe('httpFailure: {error: "<name>", message: "…"} bodies', () => {
  // Fastify (test/validation-error-handling.test.js), hapi/Boom, NestJS and Spring answer so.
  it('shows the message, and the name only when it says more than the status', () => {
    expect(
      classify(
        400,
        JSON.stringify({
          statusCode: 400,
          code: 'FST_ERR_VALIDATION',
          error: 'Bad Request',
          message: "body must have required property 'model'",
        }),
      ).message,
    ).toBe("The provider answered 400: body must have required property 'model'");
    expect(
      classify(400, JSON.stringify({ error: 'context_length_exceeded', message: 'Too long: 9000 tokens' })),
    ).toMatchObject({
      kind: 'row',
      message: 'The provider answered 400: Too long: 9000 tokens (context_length_exceeded)',
    });
    // NestJS's validation pipe sends a list.
    expect(
      classify(
        400,
        JSON.stringify({ statusCode: 400, message: ['temperature must not be greater than 2'], error: 'Bad Request' }),
      ).message,
    ).toBe('The provider answered 400: temperature must not be greater than 2');
    // The name is the code the job is classified by.
    expect(classify(400, JSON.stringify({ error: 'invalid_api_key', message: 'The key is wrong.' })).kind).toBe('auth');
    // A bare name is still shown as it is.
    expect(classify(401, JSON.stringify({ error: 'Unauthorized' })).message).toBe(
      'The provider answered 401: Unauthorized',
    );
  });
});

describe('httpFailure: a 404 that is not about a model points at the address', () => {
  const notFound = (body: string, url: string) => httpFailure({ status: 404, headers: {}, body }, url).message;

  it('asks whether the address ends in /v1 when it has no version in its path', () => {
    expect(notFound(JSON.stringify({ detail: 'Not Found' }), 'http://localhost:8000/chat/completions')).toBe(
      'The provider answered 404: Not Found. Nothing answers at http://localhost:8000/chat/completions: check the API address (does it end in /v1?)',
    );
  });

  it('only says to check the address when it has a version, or is Azure’s (api-version in the query)', () => {
    expect(notFound('404 page not found', 'https://example.com/v1/v1/chat/completions')).toBe(
      'The provider answered 404: 404 page not found. Nothing answers at https://example.com/v1/v1/chat/completions: check the API address',
    );
    expect(
      notFound(
        JSON.stringify({
          error: { code: 'DeploymentNotFound', message: 'The API deployment for this resource does not exist.' },
        }),
        'https://r.openai.azure.com/openai/deployments/d/chat/completions?api-version=2024-10-21',
      ),
    ).toBe(
      'The provider answered 404: The API deployment for this resource does not exist. Nothing answers at https://r.openai.azure.com/openai/deployments/d/chat/completions: check the API address',
    );
  });

  it('says nothing more when the provider speaks of the model', () => {
    expect(
      notFound(
        JSON.stringify({ error: { message: 'model "llama3.1" not found, try pulling it first', type: 'api_error' } }),
        'http://localhost:11434/v1/chat/completions',
      ),
    ).toBe('The provider answered 404: model "llama3.1" not found, try pulling it first');
    expect(
      notFound(
        JSON.stringify([
          { error: { code: 404, message: 'models/gemini-x is not found for API version v1beta', status: 'NOT_FOUND' } },
        ]),
        'https://generativelanguage.googleapis.com/v1beta/openai/chat/completions',
      ),
    ).toBe('The provider answered 404: models/gemini-x is not found for API version v1beta');
  });
});

describe('redact keeps the billed usage', () => {
  it('a redacted error still carries what the answer used', () => {
    const key = 'sk-proj-abcdefghijklmnopqrstuv';
    const error = redact(
      new ProviderError(`The model refused: “${key}”`, {
        kind: 'row',
        httpStatus: 200,
        usage: { promptTokens: 5, completionTokens: 2, cachedTokens: 0 },
      }),
      key,
    );
    expect(error).toMatchObject({
      message: 'The model refused: “…stuv”',
      usage: { promptTokens: 5, completionTokens: 2 },
    });
  });
});
