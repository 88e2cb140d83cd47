/**
 * The OpenAI chat completions wire, as OpenAI's API reference and its official SDK (openai/openai-node)
 * define it, against the real mock server: what a request carries and what Rowbot makes of answers
 * that are not an answer.
 *
 * Sources (looked up for this file):
 * - Refusals: the chat completion message is `{content: string | null, refusal: string | null}`
 *   (openai-node src/resources/chat/completions/completions.ts, `ChatCompletionMessage`), and the
 *   Structured Outputs guide (https://platform.openai.com/docs/guides/structured-outputs#refusals)
 *   shows a refusal as `"message": {"role": "assistant", "refusal": "I'm sorry, I cannot assist
 *   with that request."}` with `finish_reason: "stop"` and the usage billed.
 * - finish_reason: "`stop` if the model hit a natural stop point or a provided stop sequence,
 *   `length` if the maximum number of tokens specified in the request was reached,
 *   `content_filter` if content was omitted due to a flag from our content filters" (same file,
 *   `ChatCompletion.Choice`).
 * - JSON mode: "when using JSON mode, you must also instruct the model to produce JSON yourself via
 *   a system or user message" (openai-node src/resources/beta/assistants.ts, `response_format`);
 *   Azure's JSON mode page (https://learn.microsoft.com/azure/ai-services/openai/how-to/json-mode)
 *   quotes the 400 sent otherwise: "'messages' must contain the word 'json' in some form, to use
 *   'response_format' of type 'json_object'". Nothing like it is documented for `json_schema`
 *   (Structured Outputs): the schema itself says what to write, and the guide's examples have no
 *   such word.
 * - max_completion_tokens: "`max_tokens` … is now deprecated in favor of `max_completion_tokens`,
 *   and is not compatible with o-series models" (openai-node, `ChatCompletionCreateParamsBase`);
 *   Azure OpenAI's reasoning models take only `max_completion_tokens`
 *   (https://learn.microsoft.com/azure/foundry/openai/how-to/reasoning).
 * - x-should-retry: openai-node src/client.ts `shouldRetry`: "If the server explicitly says whether
 *   or not to retry, obey." (`true` retries, `false` does not, before any status rule).
 * - User-Agent: openai-node src/client.ts sends `'User-Agent': this.getUserAgent()` on every request.
 * - Error bodies `{statusCode, error, message}`: Fastify's (test/validation-error-handling.test.js:
 *   `{statusCode: 400, code: 'FST_ERR_VALIDATION', error: 'Bad Request', message: "body must have
 *   required property 'name'"}`), and its not-found answer `{message: "Route POST:/chat/completions
 *   not found", error: "Not Found", statusCode: 404}` (lib/fourOhFour.js), what a server built on it
 *   says to an address that lacks its /v1.
 */
import { readFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ProviderConfig, RunSettings } from '../../shared/api.ts';
import { HttpClient } from '../../electron/engine/http/client.ts';
import { testConnection } from '../../electron/engine/providers/connection.ts';
import { OpenAiCompatibleProvider } from '../../electron/engine/providers/openai.ts';
import { ProviderError, type CompletionRequest, type RequestParams } from '../../electron/engine/providers/provider.ts';
import { mockReply, startMockLlmServer, type MockLlmServer, type MockReplyParts } from '../fixtures/mock-llm-server.ts';
import { openBench, prompt, type Bench } from './harness.ts';
import { firstCells } from '../fixtures/cells.ts';

const VERSION = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

/** A chat completion as OpenAI sends it, with this message and finish reason. */
const completion =
  (message: Record<string, unknown>, finishReason: string, usage = { prompt_tokens: 81, completion_tokens: 11 }) =>
  (parts: MockReplyParts) => ({
    id: parts.id,
    object: 'chat.completion',
    created: parts.created,
    model: 'gpt-4o-2024-08-06',
    choices: [{ index: 0, message: { role: 'assistant', ...message }, logprobs: null, finish_reason: finishReason }],
    usage: {
      ...usage,
      total_tokens: usage.prompt_tokens + usage.completion_tokens,
      prompt_tokens_details: { cached_tokens: 64 },
      completion_tokens_details: { reasoning_tokens: 0 },
    },
    system_fingerprint: 'fp_3407719c7f',
  });

const REFUSAL = "I'm sorry, I cannot assist with that request.";
const BILLED = { promptTokens: 81, completionTokens: 11, cachedTokens: 64 };
const NO_PARAMS: RequestParams = { temperature: null, topP: null, stop: [], jsonOutput: null };

describe('OpenAI answers that are not an answer (provider against the mock)', () => {
  let mock: MockLlmServer;
  let http: HttpClient;
  beforeAll(async () => {
    mock = await startMockLlmServer();
    http = new HttpClient({ connections: 2 });
  });
  afterEach(() => mock.setOptions({}));
  afterAll(async () => {
    await http.close();
    await mock.close();
  });

  function ask(
    options: Partial<ConstructorParameters<typeof OpenAiCompatibleProvider>[0]> = {},
    request: Partial<CompletionRequest> = {},
  ) {
    const provider = new OpenAiCompatibleProvider({
      http,
      baseUrl: mock.baseUrl,
      model: 'gpt-4o',
      apiKey: 'sk-test-1234567890',
      ...options,
    });
    return provider.complete({
      prompt: 'Row 1',
      systemPrompt: '',
      maxOutputTokens: null,
      timeoutMs: 5000,
      signal: new AbortController().signal,
      ...request,
    });
  }

  it('a refusal fails the row in the model’s words, with the billed usage', async () => {
    mock.setOptions({ replyBody: completion({ content: null, refusal: REFUSAL }, 'stop') });
    const error = await ask().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({
      kind: 'row',
      httpStatus: 200,
      message: `The model refused: “${REFUSAL}”`,
      usage: BILLED,
    });
  });

  it.each([
    ['empty text', { content: '' }, 'stop', 'The model returned an empty answer.'],
    ['only whitespace', { content: ' \n\t ' }, 'stop', 'The model returned an empty answer.'],
    ['no text parts', { content: [] }, 'stop', 'The model returned an empty answer.'],
    [
      'nothing before the output limit',
      { content: null },
      'length',
      'The model returned an empty answer. It was cut off at the output limit before any text: raise the maximum answer length (a reasoning model spends part of it thinking), or leave it unset.',
    ],
    [
      'withheld by the content filter',
      { content: '' },
      'content_filter',
      'The model returned an empty answer. The provider’s content filter withheld it.',
    ],
  ])('an empty answer (%s) fails the row at once, with the billed usage', async (_, message, finish, words) => {
    mock.setOptions({ replyBody: completion(message, finish) });
    await expect(ask()).rejects.toMatchObject({ kind: 'row', httpStatus: 200, message: words, usage: BILLED });
  });

  it.each(['stop', 'length', 'content_filter'])('passes finish_reason "%s" on with the answer', async (finish) => {
    mock.setOptions({ replyBody: completion({ content: 'Paris' }, finish) });
    await expect(ask()).resolves.toMatchObject({ text: 'Paris', finishReason: finish, ...BILLED });
  });

  it('JSON mode: adds the JSON instruction when neither prompt says “JSON”, and only then', async () => {
    const json: RequestParams = { ...NO_PARAMS, jsonOutput: { fields: [] } };
    await ask({}, { systemPrompt: 'Be brief.', params: json });
    expect(mock.lastRequest?.messages).toEqual([
      { role: 'system', content: 'Be brief.\n\nAnswer with one JSON object only, no other text.' },
      { role: 'user', content: 'Row 1' },
    ]);
    await ask({}, { params: json });
    expect(mock.lastRequest?.messages?.[0]).toEqual({
      role: 'system',
      content: 'Answer with one JSON object only, no other text.',
    });
    // The word, in any case, in either message is enough: nothing is added.
    await ask({}, { systemPrompt: 'Be brief.', prompt: 'Row 1 as json', params: json });
    expect(mock.lastRequest?.messages).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Row 1 as json' },
    ]);
    // A JSON schema has no such rule.
    await ask(
      {},
      { systemPrompt: 'Be brief.', params: { ...NO_PARAMS, jsonOutput: { fields: [{ name: 'a', type: 'string' }] } } },
    );
    expect(mock.lastRequest?.messages?.[0]).toEqual({ role: 'system', content: 'Be brief.' });
    expect(mock.lastRequest?.response_format?.type).toBe('json_schema');
  });

  it('sends the output limit as max_completion_tokens to OpenAI and Azure, as max_tokens elsewhere', async () => {
    const limitOf = async (options: Partial<ConstructorParameters<typeof OpenAiCompatibleProvider>[0]>) => {
      await ask(options, { maxOutputTokens: 64 });
      const body = mock.lastRequest as Record<string, unknown>;
      return { max_tokens: body.max_tokens, max_completion_tokens: body.max_completion_tokens };
    };
    expect(await limitOf({ keyId: 'openai' })).toEqual({ max_tokens: undefined, max_completion_tokens: 64 });
    expect(await limitOf({ keyId: 'azure', azureApiVersion: '2024-10-21' })).toEqual({
      max_tokens: undefined,
      max_completion_tokens: 64,
    });
    // Ollama, LM Studio, vLLM (no key), any other server.
    expect(await limitOf({ keyId: null })).toEqual({ max_tokens: 64, max_completion_tokens: undefined });
    expect(await limitOf({ keyId: 'custom' })).toEqual({ max_tokens: 64, max_completion_tokens: undefined });
  });

  it('says a timeout is a timeout, not an unreachable server', async () => {
    mock.setOptions({ faultRates: { hang: 1 } });
    await expect(ask({}, { timeoutMs: 200 })).rejects.toMatchObject({
      kind: 'transient',
      message: 'The provider sent no answer within 0.2 s (the timeout).',
    });
  });

  it('sends User-Agent: Rowbot/<version> with every request; a User-Agent the user set goes instead, once', async () => {
    await ask();
    expect(mock.lastHeaders['user-agent']).toBe(`Rowbot/${VERSION}`);
    await testConnection({ kind: 'openai', baseUrl: mock.baseUrl, model: 'gpt-4o' }, http, undefined, {
      complete: () => Promise.reject(new Error('not called')),
    });
    expect(mock.lastUrl).toBe('/v1/models');
    expect(mock.lastHeaders['user-agent']).toBe(`Rowbot/${VERSION}`);
    await ask({ headers: { 'User-Agent': 'CorpGateway/2' } });
    expect(mock.lastHeaders['user-agent']).toBe('CorpGateway/2');
  });
});

describe('Test connection', () => {
  let mock: MockLlmServer;
  let http: HttpClient;
  let silent: Server;
  const sockets: Socket[] = [];
  beforeAll(async () => {
    mock = await startMockLlmServer();
    http = new HttpClient({ connections: 2 });
    // Accepts the connection and never answers.
    silent = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    await http.close();
    await mock.close();
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => silent.close(resolve));
  });

  const configAt = (baseUrl: string): ProviderConfig => ({ kind: 'openai', baseUrl, model: 'gpt-4o', keyId: null });
  const providerAt = (baseUrl: string) => new OpenAiCompatibleProvider({ http, baseUrl, model: 'gpt-4o' });

  it('a server without a model list that answers the one-token request with no text is connected', async () => {
    // One token is often too few for any text: the answer comes back empty, cut at the limit.
    mock.setOptions({ replyBody: completion({ content: '' }, 'length', { prompt_tokens: 9, completion_tokens: 1 }) });
    const verdict = await testConnection(configAt(mock.baseUrl), http, undefined, providerAt(mock.baseUrl));
    expect(verdict).toEqual({
      ok: true,
      message: 'Connected (this server does not list its models; a one-token request worked).',
      models: [],
    });
  });

  it('a server that never answers: no answer within the timeout, in those words', async () => {
    const baseUrl = `http://127.0.0.1:${(silent.address() as AddressInfo).port}/v1`;
    const verdict = await testConnection(configAt(baseUrl), http, undefined, providerAt(baseUrl), { timeoutMs: 200 });
    expect(verdict).toEqual({
      ok: false,
      message: `No answer from ${baseUrl} within 0.2 s. Is the address right, and is the server running?`,
      models: [],
    });
  });
});

describe('OpenAI-compatible jobs end to end', () => {
  let bench: Bench;
  afterEach(async () => {
    await bench?.close();
  });

  async function run(
    provider: Partial<ProviderConfig> & { model: string },
    rows: number,
    settings: Partial<RunSettings> = {},
  ) {
    const lines = ['n', ...Array.from({ length: rows }, (_, i) => String(i + 1))];
    const preview = await bench.engine.importBytes('rows.csv', Buffer.from(lines.join('\n')));
    const jobId = bench.engine.createJob({
      sheetId: preview.sheetId,
      template: 'Row {{n}}',
      provider: { kind: 'openai', baseUrl: bench.mock.baseUrl, ...provider } as ProviderConfig,
      settings: { concurrency: 1, useCache: false, maxAttempts: 3, ...settings },
    }).id;
    bench.engine.startJob(jobId);
    const summary = await bench.engine.waitForJob(jobId);
    return { jobId, summary, rows: firstCells(bench.engine.getRows(jobId)) };
  }

  it('a refusal and an empty answer fail their rows at once, without a retry', async () => {
    bench = await openBench({
      replyBody: (parts) =>
        parts.prompt === prompt(1)
          ? completion({ content: null, refusal: REFUSAL }, 'stop')(parts)
          : parts.prompt === prompt(2)
            ? completion({ content: '' }, 'stop')(parts)
            : completion({ content: mockReply(parts.prompt) }, 'stop')(parts),
    });
    const { summary, rows } = await run({ model: 'gpt-4o' }, 3);
    expect(summary.counts).toMatchObject({ done: 1, failed: 2 });
    expect(rows[0]).toMatchObject({ status: 'failed', attempts: 1, error: `The model refused: “${REFUSAL}”` });
    expect(rows[1]).toMatchObject({ status: 'failed', attempts: 1, error: 'The model returned an empty answer.' });
    expect(bench.mock.requestsByPrompt.get(prompt(1))).toBe(1);
    expect(bench.mock.requestsByPrompt.get(prompt(2))).toBe(1);
  });

  it('an OpenAI job sends max_completion_tokens (the engine passes the key slot to the provider)', async () => {
    bench = await openBench();
    bench.engine.setKey('openai', 'sk-test-1234567890');
    const { summary } = await run({ model: 'o3-mini', keyId: 'openai' }, 1, { maxOutputTokens: 256 });
    expect(summary.counts.done).toBe(1);
    expect(bench.mock.lastRequest).toMatchObject({ model: 'o3-mini', max_completion_tokens: 256 });
    expect(bench.mock.lastRequest).not.toHaveProperty('max_tokens');
  });

  it('a reasoning model with a temperature or top-p is refused when the job is created, in plain words', async () => {
    bench = await openBench();
    const preview = await bench.engine.importBytes('rows.csv', Buffer.from('n\n1\n'));
    const create = (model: string, settings: Partial<RunSettings>) =>
      bench.engine.createJob({
        sheetId: preview.sheetId,
        template: 'Row {{n}}',
        provider: { kind: 'openai', baseUrl: bench.mock.baseUrl, model, keyId: 'openai' },
        settings,
      });
    expect(() => create('o3-mini', { temperature: 0.2 })).toThrow(
      expect.objectContaining({
        code: 'BAD_REQUEST',
        message:
          '“o3-mini” is a reasoning model: it takes no temperature or top-p, and the provider would refuse every row with temperature 0.2. Clear the temperature and top-p (in the CLI, leave out --temperature and --top-p), or choose another model.',
      }),
    );
    expect(() => create('gpt-5-mini', { topP: 0.9 })).toThrow(/with top-p 0\.9\./);
    // Their default, 1, is accepted; so is any temperature for a model that takes one.
    expect(create('o3-mini', { temperature: 1 }).provider.model).toBe('o3-mini');
    expect(create('gpt-4o', { temperature: 0.2, topP: 0.9 }).settings.temperature).toBe(0.2);
    // Nor can one be given to an existing job (a running one's settings, or --resume --temperature).
    const existing = create('o3-mini', {});
    expect(() => bench.engine.updateJobSettings(existing.id, { temperature: 0.5 })).toThrow(/with temperature 0\.5\./);
    expect(bench.engine.getJob(existing.id).settings.temperature).toBeNull();
    expect(bench.mock.totalRequests).toBe(0);
  });

  it('x-should-retry: true retries a 400; false fails a 500 at once', async () => {
    bench = await openBench({
      fault: (p, attempt) =>
        p === prompt(1) && attempt === 1
          ? { status: 400, headers: { 'x-should-retry': 'true' } }
          : p === prompt(2)
            ? { status: 500, headers: { 'x-should-retry': 'false' } }
            : undefined,
    });
    const { jobId, summary, rows } = await run({ model: 'gpt-4o' }, 2);
    expect(summary.counts).toMatchObject({ done: 1, failed: 1 });
    expect(bench.engine.getRow(jobId, 0).attemptLog.map((a) => [a.outcome, a.httpStatus])).toEqual([
      ['retry', 400],
      ['done', 200],
    ]);
    expect(rows[1]).toMatchObject({
      status: 'failed',
      attempts: 1,
      error: 'The provider answered 500: Mock fault 500',
    });
  });

  it('an {error, message} body is quoted by its message; a 404 from an address without /v1 says to check it', async () => {
    bench = await openBench({
      fault: (p) =>
        p === prompt(1)
          ? {
              status: 400,
              body: {
                statusCode: 400,
                code: 'FST_ERR_VALIDATION',
                error: 'Bad Request',
                message: 'body/temperature must be <= 2',
              },
            }
          : undefined,
    });
    const { rows } = await run({ model: 'gpt-4o' }, 2);
    expect(rows[0]).toMatchObject({
      status: 'failed',
      error: 'The provider answered 400: body/temperature must be <= 2',
    });

    bench.mock.setOptions({
      fault: () => ({
        status: 404,
        body: { message: 'Route POST:/chat/completions not found', error: 'Not Found', statusCode: 404 },
      }),
    });
    const origin = new URL(bench.mock.baseUrl).origin;
    const missing = await run({ model: 'gpt-4o', baseUrl: origin }, 2);
    expect(missing.summary.status).toBe('paused');
    expect(missing.summary.pauseReason).toContain(
      `(404: Route POST:/chat/completions not found. Nothing answers at ${origin}/chat/completions: check the API address (does it end in /v1?))`,
    );
  });
});
