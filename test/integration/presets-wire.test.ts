/**
 * Every OpenAI-compatible preset end to end: a real engine, built from the preset's own data
 * (`presetById`: its address path, its key slot, its example model), against the real mock server
 * answering with each provider's success bodies, headers and error bodies as they are documented
 * or, where no documentation shows them, as they were captured in public bug reports.
 *
 * What was found, provider by provider (looked up for this file; quoted shapes are trimmed):
 *
 * Groq (https://api.groq.com/openai/v1, Bearer key)
 * - Rate-limit headers, https://console.groq.com/docs/rate-limits: "x-ratelimit-limit-requests 14400
 *   Always refers to Requests Per Day (RPD)", "x-ratelimit-limit-tokens 18000 Always refers to Tokens
 *   Per Minute (TPM)", remaining-requests 14370, remaining-tokens 17997, reset-requests "2m59.56s",
 *   reset-tokens "7.66s", "retry-after 2 In seconds", set only on a 429.
 * - Success body, https://console.groq.com/docs/api-reference (chat create example, used here as it
 *   is: usage.queue_time 0.037493756, prompt_tokens 18, completion_tokens 556 …, system_fingerprint
 *   "fp_179b0f92c9", `x_groq: {id: "req_01jbd6g2qdfw2adyrt2az8hz4w"}`); a live reply captured in
 *   BerriAI/litellm's sources also has `usage_breakdown: {models: null}`.
 * - Errors, https://console.groq.com/docs/errors: `{error:{message,type}}`; 429s as seen in
 *   danielmiessler/Fabric#364 and continuedev/continue#10920: type "tokens"/"requests", code
 *   "rate_limit_exceeded", "… on tokens per minute (TPM): Limit 7000, Used 0, Requested ~12903. Please
 *   try again in 50.59s." and "… on tokens per day (TPD): Limit 100000 …" (per day, same status).
 *
 * OpenRouter (https://openrouter.ai/api/v1, Bearer key)
 * - Errors, https://openrouter.ai/docs/errors: `{error:{code:number,message,metadata?}}`, the HTTP
 *   status equal to `code`; 402 "Your account or API key has insufficient credits"; the SDK docs'
 *   example message "Insufficient credits. Add more using https://openrouter.ai/credits"
 *   (https://openrouter.ai/docs/client-sdks/python/errors/paymentrequiredresponseerror.md). An error
 *   after the model has started comes with status 200 and the error in the body (the errors page).
 *   A model it does not know: 400 `{"error":{"message":"x is not a valid model ID","code":400},
 *   "user_id":"…"}` (OpenRouterTeam/openrouter-examples#74, sipeed/picoclaw#1790). The model host's own
 *   error is passed on in `metadata.raw` with `provider_name` (DanielEdrisian/AlexSideBar-Public#104).
 *   Per-day free limit: 429 "Rate limit exceeded: free-models-per-day …" with X-RateLimit-Limit 50,
 *   X-RateLimit-Remaining 0 and X-RateLimit-Reset (ms since 1970) in `metadata.headers`
 *   (Gitlawb/openclaude#936). A bad key: 401 `{"error":{"message":"No auth credentials found",
 *   "code":401}}` (musistudio/claude-code-router#227). No Retry-After is documented.
 * - Success body: the OpenAI shape (https://openrouter.ai/docs/agent-sdk/typescript/api-reference/
 *   models/chatresult) with `native_finish_reason` (reVrost/go-openrouter#43); `provider`,
 *   `usage.cost` and `usage.is_byok` are added as its usage accounting is known to send them, unverified.
 *
 * Together AI (https://api.together.xyz/v1, Bearer key)
 * - Headers, https://support.together.ai/en/articles/8988956-rate-limits: x-ratelimit-limit,
 *   x-ratelimit-remaining, x-ratelimit-reset ("the time until the rate limit … resets"); the window
 *   is not stated (one client maps them as per second). x-tokenlimit-limit / -remaining also appear.
 *   https://docs.together.ai/docs/rate-limits: 429 with error types "dynamic_request_limited" /
 *   "dynamic_token_limited"; at or below the dynamic rate a 503 instead. No Retry-After documented.
 * - Errors: `{"id":"…","error":{"message":"Invalid API key provided. You can find your API key at
 *   https://api.together.xyz/settings/api-keys.","type":"invalid_request_error","param":null,
 *   "code":"invalid_api_key"}}` (harshitv804/LawGPT#4); a model not served: 400, code
 *   "model_not_available", "Unable to access non-serverless model …" (HeyPuter/puter#3168).
 * - Success body: no documented or captured example was found. The OpenAI shape is used, with
 *   extra fields (`prompt: []`, `choices[].seed`, finish_reason "eos", `usage.cached_tokens`) that
 *   are assumed, not verified: they only check that unknown fields are ignored.
 *
 * Google Gemini, OpenAI-compatible endpoint (https://generativelanguage.googleapis.com/v1beta/openai,
 * Bearer key, https://ai.google.dev/gemini-api/docs/openai)
 * - Errors come as a JSON array: `[{"error":{"code":429,"message":"Resource has been exhausted (e.g.
 *   check quota).","status":"RESOURCE_EXHAUSTED"}}]` (n4ze3m/page-assist#406); a bad key is 400, not
 *   401: `[{"error":{"code":400,"message":"API key not valid. Please pass a valid API key.","status":
 *   "INVALID_ARGUMENT","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":
 *   "API_KEY_INVALID",…}]}}]` (continuedev/continue#8516). Newer 429s: "You exceeded your current
 *   quota, please check your plan and billing details. … Quota exceeded for metric: …, limit: 20 …
 *   Please retry in 45.5s." with QuotaFailure `quotaId` ("GenerateRequestsPerMinutePerProjectPerModel-
 *   FreeTier", "…PerDay…") and RetryInfo `retryDelay` ("38s") in `details` (continuedev/continue#9570
 *   and others). A model it does not have: 404 NOT_FOUND "models/x is not found for API version
 *   v1beta …" (continuedev/continue#9939). Its docs show no response example for the compatible endpoint; the success body here is
 *   the OpenAI shape with keys in the alphabetical order captured replies show. No rate-limit headers.
 *
 * Ollama, /v1 (no key; https://github.com/ollama/ollama/blob/main/openai/openai.go)
 * - `ErrorResponse{Error{Message,Type,Param,Code}}`: type "invalid_request_error" for 400,
 *   "not_found_error" for 404 in current code, "api_error" otherwise and in older versions:
 *   404 `{"error":{"message":"model \"x\" not found, try pulling it first","type":"api_error",
 *   "param":null,"code":null}}` (netease-youdao/QAnything#555). Its own API answers
 *   `{"error":"model \"x\" not found, try pulling it first"}` (stackblitz-labs/bolt.diy#434); the
 *   test sends that string form from /v1 with a 500, which was not seen there, to check it is read.
 *   Success: `system_fingerprint: "fp_ollama"`, usage from prompt_eval_count / eval_count.
 *
 * vLLM (no key by default; with --api-key a Bearer token, https://docs.vllm.ai)
 * - `ErrorResponse(object="error", message, type, param, code:int)` at the top level
 *   (vllm/entrypoints/openai/protocol.py), e.g. `{"code":404,"message":"The model `x` does not exist.",
 *   "object":"error","param":null,"type":"NotFoundError"}` (runpod-workers/worker-vllm#57, which also
 *   shows it inside a 200 behind a proxy). Newer vLLM nests it as `{"error":{message,type,param,code}}`.
 *   A wrong --api-key: 401 `{"error": "Unauthorized"}` (its AuthenticationMiddleware in
 *   server_utils.py, as quoted in a walk-through of the source; vLLM's docs do not show it).
 *
 * LM Studio (no key; http://localhost:1234/v1)
 * - Success body with `stats: {}` and `system_fingerprint` = the model (lmstudio-ai/lmstudio-bug-
 *   tracker#601, #619); a model it does not have: 404 `{"error":{"message":"Model \"default\" not found.
 *   Please specify a valid model. …","type":"invalid_request_error","param":"model",
 *   "code":"model_not_found"}}` (gitbutlerapp/gitbutler#8706). No rate-limit headers. No documented
 *   400 body was found; the OpenAI shape is used.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { OpenAiProviderConfig, RunSettings } from '../../shared/api.ts';
import { presetById, type KeyId } from '../../shared/providers.ts';
import { MemoryKeyStore } from '../../electron/engine/keys.ts';
import { mockReply, type MockFault, type MockOptions, type MockReplyParts } from '../fixtures/mock-llm-server.ts';
import { openBench, prompt, until, type Bench } from './harness.ts';
import { firstCells } from '../fixtures/cells.ts';

let bench: Bench;
afterEach(async () => {
  await bench?.close();
});

/** A bench with no keys but those the test sets, and backoff jitter of zero. */
async function start(mock: MockOptions = {}): Promise<Bench> {
  bench = await openBench(mock, { keys: new MemoryKeyStore({}), random: () => 0 });
  return bench;
}

/** The preset's provider, at the mock: its own address path on the mock's host, its key slot, its example model. */
function presetProvider(id: string): OpenAiProviderConfig {
  const preset = presetById(id);
  if (!preset || preset.kind !== 'openai') throw new Error(`no OpenAI-compatible preset ${id}`);
  return {
    kind: 'openai',
    baseUrl: `${new URL(bench.mock.baseUrl).origin}${new URL(preset.baseUrl).pathname}`,
    model: preset.exampleModel,
    keyId: preset.keyId,
  };
}

function pathOf(id: string): string {
  return `${new URL(presetById(id)?.baseUrl ?? '').pathname}/chat/completions`;
}

async function runPreset(id: string, rows: number, settings: Partial<RunSettings> = {}) {
  const lines = ['n', ...Array.from({ length: rows }, (_, i) => String(i + 1))];
  const preview = await bench.engine.importBytes('rows.csv', Buffer.from(lines.join('\n')));
  const jobId = bench.engine.createJob({
    sheetId: preview.sheetId,
    template: 'Row {{n}}',
    systemPrompt: 'Be brief.',
    provider: presetProvider(id),
    settings: { concurrency: 1, useCache: false, maxAttempts: 3, ...settings },
  }).id;
  bench.engine.startJob(jobId);
  const summary = await bench.engine.waitForJob(jobId);
  return { jobId, summary, rows: firstCells(bench.engine.getRows(jobId)) };
}

/** Faults by row number (prompt `Row <n>`) and attempt. */
function byRow(table: Record<number, (attempt: number) => MockFault | undefined>): MockOptions['fault'] {
  return (p, attempt) => table[Number(p.replace('Row ', ''))]?.(attempt);
}

const outcomes = (jobId: string, index: number) =>
  bench.engine.getRow(jobId, index).attemptLog.map((a) => [a.outcome, a.httpStatus]);

/** The request every preset sends: the model, the system prompt apart, the row's prompt, the settings. */
function expectRequest(id: string, lastRow: number) {
  expect(bench.mock.lastUrl).toBe(pathOf(id));
  expect(bench.mock.lastRequest).toEqual({
    model: presetById(id)?.exampleModel,
    messages: [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: prompt(lastRow) },
    ],
    max_tokens: 64,
    temperature: 0.2,
  });
}

const SHAPE: Partial<RunSettings> = { maxOutputTokens: 64, temperature: 0.2 };

describe('Groq', () => {
  const KEY = 'gsk_test_0123456789abcdef';
  /** Groq's documented chat completion, extra fields and all. */
  const groqReply = (parts: MockReplyParts) => ({
    id: parts.id,
    object: 'chat.completion',
    created: parts.created,
    model: parts.model,
    choices: [
      { index: 0, message: { role: 'assistant', content: parts.content }, logprobs: null, finish_reason: 'stop' },
    ],
    usage: {
      queue_time: 0.037493756,
      prompt_tokens: 18,
      prompt_time: 0.000680594,
      completion_tokens: 556,
      completion_time: 0.463333333,
      total_tokens: 574,
      total_time: 0.464013927,
    },
    usage_breakdown: { models: null },
    system_fingerprint: 'fp_179b0f92c9',
    x_groq: { id: 'req_01jbd6g2qdfw2adyrt2az8hz4w' },
  });
  /** The headers of Groq's documentation, as every answer carries them. */
  const groqHeaders = () => ({
    'x-ratelimit-limit-requests': '14400',
    'x-ratelimit-limit-tokens': '18000',
    'x-ratelimit-remaining-requests': '14370',
    'x-ratelimit-remaining-tokens': '17997',
    'x-ratelimit-reset-requests': '2m59.56s',
    'x-ratelimit-reset-tokens': '7.66s',
  });
  const groqError = (status: number, message: string, type: string, code?: string, headers = {}): MockFault => ({
    status,
    body: { error: { message, type, ...(code ? { code } : {}) } },
    headers,
  });
  const invalidKey = groqError(401, 'Invalid API Key', 'invalid_request_error', 'invalid_api_key');

  it('POSTs to /openai/v1/chat/completions with the Groq key; reads the answer and usage from Groq’s body', async () => {
    await start({ requireKey: KEY, keyRejection: invalidKey, replyBody: groqReply, replyHeaders: groqHeaders });
    bench.engine.setKey('groq', KEY);
    const { summary, rows } = await runPreset('groq', 2, SHAPE);
    expect(summary.counts.done).toBe(2);
    expect(bench.mock.lastHeaders.authorization).toBe(`Bearer ${KEY}`);
    expectRequest('groq', 2);
    expect(rows[0]).toMatchObject({
      status: 'done',
      output: mockReply(prompt(1)),
      promptTokens: 18,
      completionTokens: 556,
    });
  });

  it('a rejected key stops the line with Groq’s words', async () => {
    await start({ requireKey: KEY, keyRejection: invalidKey });
    bench.engine.setKey('groq', 'gsk_wrong_0000000000');
    const { summary } = await runPreset('groq', 3);
    expect(summary.status).toBe('paused');
    expect(summary.pauseReason).toBe(
      'Paused: the provider rejected the API key (401: Invalid API Key). Check the key, then press Resume.',
    );
    expect(summary.counts.failed).toBe(0);
  });

  it('a 429 per minute with retry-after is waited out; a bad request fails only its row', async () => {
    await start({
      replyBody: groqReply,
      fault: byRow({
        1: (attempt) =>
          attempt === 1
            ? groqError(
                429,
                'Rate limit reached for model `llama-3.1-8b-instant` in organization `org_01` service tier `on_demand` on tokens per minute (TPM): Limit 6000, Used 5990, Requested 600. Please try again in 5.9s.',
                'tokens',
                'rate_limit_exceeded',
                { 'retry-after': '0', ...groqHeaders() },
              )
            : undefined,
        2: () =>
          groqError(
            400,
            "'messages.1' : for 'role:user' the following must be satisfied[('messages.1.content' : value must be a string)]",
            'invalid_request_error',
          ),
      }),
    });
    bench.engine.setKey('groq', KEY);
    const { jobId, summary, rows } = await runPreset('groq', 3);
    expect(summary.counts).toMatchObject({ done: 2, failed: 1 });
    expect(outcomes(jobId, 0)).toEqual([
      ['rate_limited', 429],
      ['done', 200],
    ]);
    expect(rows[1]).toMatchObject({
      status: 'failed',
      error:
        "The provider answered 400: 'messages.1' : for 'role:user' the following must be satisfied[('messages.1.content' : value must be a string)]",
    });
    expect(rows[1]?.attempts).toBe(1);
  });

  it('a 429 for the day’s requests stops the line instead of waiting hours', async () => {
    await start({
      fault: () =>
        groqError(
          429,
          'Rate limit reached for model `llama-3.1-8b-instant` in organization `org_01` service tier `on_demand` on requests per day (RPD): Limit 14400, Used 14400, Requested 1. Please try again in 2h13m4.4s.',
          'requests',
          'rate_limit_exceeded',
          { 'retry-after': '7985' },
        ),
    });
    bench.engine.setKey('groq', KEY);
    const { summary } = await runPreset('groq', 3);
    expect(summary.status).toBe('paused');
    expect(summary.pauseReason).toMatch(/^Paused: the provider’s limit for the day is used up \(429: Rate limit/);
    expect(summary.pauseReason).toContain('on requests per day (RPD)');
    expect(summary.pauseReason).toMatch(/Press Resume when it resets/);
    expect(bench.mock.totalRequests).toBe(1);
  });

  it('its per-day request limit is not taken for a per-minute one: with the day used up, the next row waits minutes', async () => {
    // Read as a per-minute allowance, 1000 would have the pacer wait 120 ms for 2 requests to come back.
    await start({
      replyBody: groqReply,
      replyHeaders: () => ({
        'x-ratelimit-limit-requests': '1000',
        'x-ratelimit-remaining-requests': '0',
        'x-ratelimit-reset-requests': '23h59m0s',
        'x-ratelimit-limit-tokens': '6000',
        'x-ratelimit-remaining-tokens': '5400',
        'x-ratelimit-reset-tokens': '6s',
      }),
    });
    bench.engine.setKey('groq', KEY);
    const preview = await bench.engine.importBytes('rows.csv', Buffer.from('n\n1\n2\n3'));
    const jobId = bench.engine.createJob({
      sheetId: preview.sheetId,
      template: 'Row {{n}}',
      provider: presetProvider('groq'),
      settings: { concurrency: 1, useCache: false },
    }).id;
    bench.engine.startJob(jobId);
    await until(() => firstCells(bench.engine.getRows(jobId))[0]?.status === 'done', 'the first row');
    const waitingUntil = bench.engine.getJob(jobId).live?.waitingUntil;
    expect(waitingUntil).toBeTruthy();
    expect(Date.parse(waitingUntil ?? '') - Date.now()).toBeGreaterThan(60_000);
    expect(bench.mock.totalRequests).toBe(1);
    bench.engine.pauseJob(jobId);
  });
});

describe('OpenRouter', () => {
  const KEY = 'sk-or-v1-0123456789abcdef';
  const openRouterReply = (parts: MockReplyParts) => ({
    id: 'gen-1740000000-AbCdEf',
    provider: 'OpenAI',
    model: parts.model,
    object: 'chat.completion',
    created: parts.created,
    choices: [
      {
        logprobs: null,
        finish_reason: 'stop',
        native_finish_reason: 'stop',
        index: 0,
        message: { role: 'assistant', content: parts.content, refusal: null, reasoning: null },
      },
    ],
    usage: {
      prompt_tokens: 14,
      completion_tokens: 9,
      total_tokens: 23,
      cost: 0.0000075,
      is_byok: false,
      prompt_tokens_details: { cached_tokens: 0 },
      completion_tokens_details: { reasoning_tokens: 0 },
    },
  });
  const openRouterError = (status: number, message: string, metadata?: unknown): MockFault => ({
    status,
    body: { error: { code: status, message, ...(metadata ? { metadata } : {}) }, user_id: 'user_2x7D' },
  });

  it('POSTs to /api/v1/chat/completions with the OpenRouter key; reads the answer and usage', async () => {
    await start({
      requireKey: KEY,
      keyRejection: openRouterError(401, 'No auth credentials found'),
      replyBody: openRouterReply,
    });
    bench.engine.setKey('openrouter', KEY);
    const { summary, rows } = await runPreset('openrouter', 2, SHAPE);
    expect(summary.counts.done).toBe(2);
    expect(bench.mock.lastHeaders.authorization).toBe(`Bearer ${KEY}`);
    expectRequest('openrouter', 2);
    expect(rows[1]).toMatchObject({ output: mockReply(prompt(2)), promptTokens: 14, completionTokens: 9 });
  });

  it('a rejected key stops the line with OpenRouter’s words', async () => {
    await start({ requireKey: KEY, keyRejection: openRouterError(401, 'No auth credentials found') });
    bench.engine.setKey('openrouter', 'sk-or-v1-wrong000000');
    const { summary } = await runPreset('openrouter', 2);
    expect(summary.pauseReason).toBe(
      'Paused: the provider rejected the API key (401: No auth credentials found). Check the key, then press Resume.',
    );
  });

  it('402, out of credits, pauses the job as a used-up quota', async () => {
    await start({
      fault: () => openRouterError(402, 'Insufficient credits. Add more using https://openrouter.ai/credits'),
    });
    bench.engine.setKey('openrouter', KEY);
    const { summary } = await runPreset('openrouter', 3);
    expect(summary.pauseReason).toBe(
      'Paused: the provider says your quota or credit is used up (402: Insufficient credits. Add more using https://openrouter.ai/credits). Add credit or raise the limit in your provider account, then press Resume.',
    );
    expect(summary.counts).toMatchObject({ failed: 0, done: 0 });
  });

  it('a model ID it does not know (a 400) pauses the job instead of failing every row', async () => {
    await start({ fault: () => openRouterError(400, 'openai/gpt-4o-mini is not a valid model ID') });
    bench.engine.setKey('openrouter', KEY);
    const { summary } = await runPreset('openrouter', 3);
    expect(summary.pauseReason).toBe(
      'Paused: the provider does not know this model (openai/gpt-4o-mini) or the address is wrong (400: openai/gpt-4o-mini is not a valid model ID). Check the model name and the API address, then press Resume.',
    );
    expect(summary.counts.failed).toBe(0);
  });

  it('a 429 for the free models’ day pauses; an error inside a 200 is tried again; the model host’s 400 fails its row', async () => {
    await start({
      replyBody: openRouterReply,
      fault: byRow({
        1: (attempt) =>
          attempt === 1
            ? { status: 200, body: { error: { code: 502, message: 'Upstream error from OpenAI' } } }
            : undefined,
        2: () =>
          openRouterError(400, 'Provider returned error', {
            raw: JSON.stringify({
              error: { code: 400, message: 'Invalid JSON payload received.', status: 'INVALID_ARGUMENT' },
            }),
            provider_name: 'Google AI Studio',
          }),
      }),
    });
    bench.engine.setKey('openrouter', KEY);
    const { jobId, summary, rows } = await runPreset('openrouter', 3);
    expect(summary.counts).toMatchObject({ done: 2, failed: 1 });
    expect(outcomes(jobId, 0)).toEqual([
      ['retry', 502],
      ['done', 200],
    ]);
    expect(rows[1]?.error).toBe(
      'The provider answered 400: Provider returned error (Google AI Studio: Invalid JSON payload received.)',
    );

    bench.mock.setOptions({
      fault: () =>
        openRouterError(
          429,
          'Rate limit exceeded: free-models-per-day. Add 10 credits to unlock 1000 free model requests per day',
          {
            headers: { 'X-RateLimit-Limit': '50', 'X-RateLimit-Remaining': '0', 'X-RateLimit-Reset': '1745798400000' },
          },
        ),
    });
    const daily = await runPreset('openrouter', 2);
    expect(daily.summary.pauseReason).toContain(
      '(429: Rate limit exceeded: free-models-per-day. Add 10 credits to unlock 1000 free model requests per day)',
    );
  });
});

describe('Together AI', () => {
  const KEY = 'tgp_v1_0123456789abcdef';
  const togetherReply = (parts: MockReplyParts) => ({
    id: '8f2b3c4d5e6f7a8b-IAD',
    object: 'chat.completion',
    created: parts.created,
    model: parts.model,
    prompt: [],
    choices: [
      {
        finish_reason: 'eos',
        seed: 1234567890,
        logprobs: null,
        index: 0,
        message: { role: 'assistant', content: parts.content, tool_calls: [] },
      },
    ],
    usage: { prompt_tokens: 31, completion_tokens: 7, total_tokens: 38, cached_tokens: 0 },
  });
  const togetherError = (status: number, message: string, type: string, code: string | null): MockFault => ({
    status,
    body: { id: 'okkMWqL-2kFHot-a023f60e9b77ff7e', error: { message, type, param: null, code } },
  });
  const invalidKey = togetherError(
    401,
    'Invalid API key provided. You can find your API key at https://api.together.xyz/settings/api-keys.',
    'invalid_request_error',
    'invalid_api_key',
  );

  it('POSTs to /v1/chat/completions with the Together key; reads the answer and usage', async () => {
    await start({
      requireKey: KEY,
      keyRejection: invalidKey,
      replyBody: togetherReply,
      replyHeaders: () => ({
        'x-ratelimit-limit': '10',
        'x-ratelimit-remaining': '9',
        'x-ratelimit-reset': '1',
        'x-tokenlimit-limit': '200000',
        'x-tokenlimit-remaining': '199962',
      }),
    });
    bench.engine.setKey('together', KEY);
    const { summary, rows } = await runPreset('together', 2, SHAPE);
    expect(summary.counts.done).toBe(2);
    expect(bench.mock.lastHeaders.authorization).toBe(`Bearer ${KEY}`);
    expectRequest('together', 2);
    expect(rows[0]).toMatchObject({ output: mockReply(prompt(1)), promptTokens: 31, completionTokens: 7 });
  });

  it('a rejected key stops the line with Together’s words', async () => {
    await start({ requireKey: KEY, keyRejection: invalidKey });
    bench.engine.setKey('together', 'tgp_v1_wrong0000000');
    const { summary } = await runPreset('together', 2);
    expect(summary.pauseReason).toBe(
      'Paused: the provider rejected the API key (401: Invalid API key provided. You can find your API key at https://api.together.xyz/settings/api-keys.). Check the key, then press Resume.',
    );
  });

  it('a model it does not serve pauses; a 429 is waited out; a bad request fails its row', async () => {
    await start({
      replyBody: togetherReply,
      fault: byRow({
        1: (attempt) =>
          attempt === 1
            ? togetherError(429, 'Request was rate limited. Please retry later.', 'dynamic_request_limited', null)
            : undefined,
        2: () =>
          togetherError(
            400,
            'Input validation error: `inputs` tokens + `max_new_tokens` must be <= 8193. Given: 8100 `inputs` tokens and 512 `max_new_tokens`',
            'invalid_request_error',
            null,
          ),
      }),
    });
    bench.engine.setKey('together', KEY);
    const { jobId, summary, rows } = await runPreset('together', 3);
    expect(summary.counts).toMatchObject({ done: 2, failed: 1 });
    expect(outcomes(jobId, 0)).toEqual([
      ['rate_limited', 429],
      ['done', 200],
    ]);
    expect(rows[1]?.error).toBe(
      'The provider answered 400: Input validation error: `inputs` tokens + `max_new_tokens` must be <= 8193. Given: 8100 `inputs` tokens and 512 `max_new_tokens`',
    );

    bench.mock.setOptions({
      fault: () =>
        togetherError(
          400,
          'Unable to access non-serverless model meta-llama/Llama-3.3-70B-Instruct-Turbo. Please visit https://api.together.ai/models to create and start a new dedicated endpoint for the model.',
          'invalid_request_error',
          'model_not_available',
        ),
    });
    const missing = await runPreset('together', 2);
    expect(missing.summary.pauseReason).toMatch(
      /^Paused: the provider does not know this model \(meta-llama\/Llama-3\.3-70B-Instruct-Turbo\) or the address is wrong \(400: Unable to access non-serverless model/,
    );
  });
});

describe('Google Gemini (OpenAI-compatible endpoint)', () => {
  const KEY = 'AIzaSyTest0123456789abcdefghijklmnop';
  const geminiReply = (parts: MockReplyParts) => ({
    choices: [{ finish_reason: 'stop', index: 0, message: { content: parts.content, role: 'assistant' } }],
    created: parts.created,
    id: 'p6bXZ7XvNqOBn9kPq4D2gQs',
    model: parts.model,
    object: 'chat.completion',
    usage: { completion_tokens: 12, prompt_tokens: 8, total_tokens: 20 },
  });
  /** Google's errors, as its OpenAI-compatible endpoint sends them: inside an array. */
  const googleError = (code: number, status: string, message: string, details: unknown[] = []): MockFault => ({
    status: code,
    body: [{ error: { code, message, status, details } }],
  });
  const badKey = googleError(400, 'INVALID_ARGUMENT', 'API key not valid. Please pass a valid API key.', [
    {
      '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
      reason: 'API_KEY_INVALID',
      domain: 'googleapis.com',
      metadata: { service: 'generativelanguage.googleapis.com' },
    },
    {
      '@type': 'type.googleapis.com/google.rpc.LocalizedMessage',
      locale: 'en-US',
      message: 'API key not valid. Please pass a valid API key.',
    },
  ]);
  const quotaExceeded = (quotaId: string, retryDelay: string): MockFault =>
    googleError(
      429,
      'RESOURCE_EXHAUSTED',
      `You exceeded your current quota, please check your plan and billing details. For more information on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits.\n* Quota exceeded for metric: generativelanguage.googleapis.com/generate_content_free_tier_requests, limit: 15, model: gemini-2.0-flash\nPlease retry in ${retryDelay}.`,
      [
        {
          '@type': 'type.googleapis.com/google.rpc.QuotaFailure',
          violations: [
            {
              quotaMetric: 'generativelanguage.googleapis.com/generate_content_free_tier_requests',
              quotaId,
              quotaDimensions: { location: 'global', model: 'gemini-2.0-flash' },
              quotaValue: '15',
            },
          ],
        },
        {
          '@type': 'type.googleapis.com/google.rpc.Help',
          links: [
            {
              description: 'Learn more about Gemini API quotas',
              url: 'https://ai.google.dev/gemini-api/docs/rate-limits',
            },
          ],
        },
        { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay },
      ],
    );

  it('POSTs to /v1beta/openai/chat/completions with the Gemini key as a Bearer token; reads the answer and usage', async () => {
    await start({ requireKey: KEY, keyRejection: badKey, replyBody: geminiReply });
    bench.engine.setKey('gemini', KEY);
    const { summary, rows } = await runPreset('gemini', 2, SHAPE);
    expect(summary.counts.done).toBe(2);
    expect(bench.mock.lastHeaders.authorization).toBe(`Bearer ${KEY}`);
    expectRequest('gemini', 2);
    expect(rows[0]).toMatchObject({ output: mockReply(prompt(1)), promptTokens: 8, completionTokens: 12 });
  });

  it('a bad key, a 400 inside an array, stops the line as a key problem, not a row failure', async () => {
    await start({ requireKey: KEY, keyRejection: badKey });
    bench.engine.setKey('gemini', 'AIzaSyWrong000000000000');
    const { summary } = await runPreset('gemini', 3);
    expect(summary.pauseReason).toBe(
      'Paused: the provider rejected the API key (400: API key not valid. Please pass a valid API key.). Check the key, then press Resume.',
    );
    expect(summary.counts.failed).toBe(0);
  });

  it('a 429 per minute waits as RetryInfo says; a row’s own 400 fails it with Google’s words', async () => {
    await start({
      replyBody: geminiReply,
      fault: byRow({
        1: (attempt) =>
          attempt === 1 ? quotaExceeded('GenerateRequestsPerMinutePerProjectPerModel-FreeTier', '0.01s') : undefined,
        2: () =>
          googleError(400, 'INVALID_ARGUMENT', 'Invalid JSON payload received. Unknown name "foo": Cannot find field.'),
      }),
    });
    bench.engine.setKey('gemini', KEY);
    const { jobId, summary, rows } = await runPreset('gemini', 3);
    expect(summary.counts).toMatchObject({ done: 2, failed: 1 });
    expect(outcomes(jobId, 0)).toEqual([
      ['rate_limited', 429],
      ['done', 200],
    ]);
    expect(rows[1]?.error).toBe(
      'The provider answered 400: Invalid JSON payload received. Unknown name "foo": Cannot find field.',
    );
  });

  it('a 429 for the day’s quota, and a model it does not have, pause the job', async () => {
    await start({ fault: () => quotaExceeded('GenerateRequestsPerDayPerProjectPerModel-FreeTier', '3600s') });
    bench.engine.setKey('gemini', KEY);
    const daily = await runPreset('gemini', 2);
    // The day's limit is in Google's quota id, not the message: still said as a day's limit.
    expect(daily.summary.pauseReason).toMatch(
      /^Paused: the provider’s limit for the day is used up \(429: You exceeded your current quota/,
    );
    expect(bench.mock.totalRequests).toBe(1);

    bench.mock.setOptions({
      fault: () =>
        googleError(
          404,
          'NOT_FOUND',
          'models/gemini-2.0-flash is not found for API version v1beta, or is not supported for generateContent. Call ListModels to see the list of available models and their supported methods.',
        ),
    });
    const missing = await runPreset('gemini', 2);
    expect(missing.summary.pauseReason).toContain(
      '(404: models/gemini-2.0-flash is not found for API version v1beta, or is not supported for generateContent.',
    );
  });
});

describe('Ollama (/v1)', () => {
  const ollamaReply = (parts: MockReplyParts) => ({
    id: 'chatcmpl-123',
    object: 'chat.completion',
    created: parts.created,
    model: parts.model,
    system_fingerprint: 'fp_ollama',
    choices: [{ index: 0, message: { role: 'assistant', content: parts.content }, finish_reason: 'stop' }],
    usage: { prompt_tokens: 26, completion_tokens: 11, total_tokens: 37 },
  });
  const ollamaError = (status: number, message: string, type: string): MockFault => ({
    status,
    body: { error: { message, type, param: null, code: null } },
  });

  it('sends no key to this computer’s server, even with keys saved; reads Ollama’s answer and usage', async () => {
    await start({ replyBody: ollamaReply });
    bench.engine.setKey('openai', 'sk-should-not-be-sent-1234');
    bench.engine.setKey('custom', 'sk-should-not-be-sent-5678');
    const { summary, rows } = await runPreset('ollama', 2, SHAPE);
    expect(summary.counts.done).toBe(2);
    expect(bench.mock.lastHeaders.authorization).toBeUndefined();
    expectRequest('ollama', 2);
    expect(rows[1]).toMatchObject({ output: mockReply(prompt(2)), promptTokens: 26, completionTokens: 11 });
  });

  it('a model not pulled yet pauses the job with Ollama’s words', async () => {
    await start({ fault: () => ollamaError(404, 'model "llama3.1" not found, try pulling it first', 'api_error') });
    const { summary } = await runPreset('ollama', 3);
    expect(summary.pauseReason).toBe(
      'Paused: the provider does not know this model (llama3.1) or the address is wrong (404: model "llama3.1" not found, try pulling it first). Check the model name and the API address, then press Resume.',
    );
  });

  it('a bad request fails its row; a 500 in its own {"error": "…"} form is tried again, then quoted', async () => {
    await start({
      replyBody: ollamaReply,
      fault: byRow({
        1: () => ollamaError(400, 'invalid message format', 'invalid_request_error'),
        2: () => ({
          status: 500,
          body: { error: 'model requires more system memory (9.4 GiB) than is available (3.2 GiB)' },
        }),
      }),
    });
    const { summary, rows } = await runPreset('ollama', 3, { maxAttempts: 2 });
    expect(summary.counts).toMatchObject({ done: 1, failed: 2 });
    expect(rows[0]).toMatchObject({ error: 'The provider answered 400: invalid message format', attempts: 1 });
    expect(rows[1]).toMatchObject({
      error:
        'The provider answered 500: model requires more system memory (9.4 GiB) than is available (3.2 GiB) Gave up after 2 tries.',
      attempts: 2,
    });
  });
});

describe('LM Studio', () => {
  const lmStudioReply = (parts: MockReplyParts) => ({
    id: 'chatcmpl-t8tsxqx7kwi9ekj70xwwl',
    object: 'chat.completion',
    created: parts.created,
    model: parts.model,
    choices: [
      { index: 0, logprobs: null, finish_reason: 'stop', message: { role: 'assistant', content: parts.content } },
    ],
    usage: { prompt_tokens: 21, completion_tokens: 5, total_tokens: 26 },
    stats: {},
    system_fingerprint: parts.model,
  });

  it('sends no key; reads LM Studio’s answer and usage (its extra `stats` ignored)', async () => {
    await start({ replyBody: lmStudioReply });
    bench.engine.setKey('custom', 'sk-should-not-be-sent-5678');
    const { summary, rows } = await runPreset('lmstudio', 2, SHAPE);
    expect(summary.counts.done).toBe(2);
    expect(bench.mock.lastHeaders.authorization).toBeUndefined();
    expectRequest('lmstudio', 2);
    expect(rows[0]).toMatchObject({ output: mockReply(prompt(1)), promptTokens: 21, completionTokens: 5 });
  });

  it('a model it does not have pauses the job; a bad request fails its row', async () => {
    await start({
      fault: () => ({
        status: 404,
        body: {
          error: {
            message: 'Model "local-model" not found. Please specify a valid model.\n\nYour models:\n\nqwen3-32b',
            type: 'invalid_request_error',
            param: 'model',
            code: 'model_not_found',
          },
        },
      }),
    });
    const missing = await runPreset('lmstudio', 2);
    expect(missing.summary.pauseReason).toBe(
      'Paused: the provider does not know this model (local-model) or the address is wrong (404: Model "local-model" not found. Please specify a valid model. Your models: qwen3-32b). Check the model name and the API address, then press Resume.',
    );

    bench.mock.setOptions({
      replyBody: lmStudioReply,
      fault: byRow({
        1: () => ({
          status: 400,
          body: {
            error: {
              message: "Invalid 'max_tokens': must be a positive integer",
              type: 'invalid_request_error',
              param: 'max_tokens',
              code: null,
            },
          },
        }),
      }),
    });
    const { summary, rows } = await runPreset('lmstudio', 2);
    expect(summary.counts).toMatchObject({ done: 1, failed: 1 });
    expect(rows[0]?.error).toBe("The provider answered 400: Invalid 'max_tokens': must be a positive integer");
  });
});

describe('vLLM', () => {
  const vllmReply = (parts: MockReplyParts) => ({
    id: 'chatcmpl-b4d0e2f1c3a5',
    object: 'chat.completion',
    created: parts.created,
    model: parts.model,
    choices: [
      {
        index: 0,
        message: { role: 'assistant', reasoning_content: null, content: parts.content, tool_calls: [] },
        logprobs: null,
        finish_reason: 'stop',
        stop_reason: null,
      },
    ],
    usage: { prompt_tokens: 42, total_tokens: 49, completion_tokens: 7, prompt_tokens_details: null },
    prompt_logprobs: null,
  });
  const vllmError = (code: number, type: string, message: string): MockFault => ({
    status: code,
    body: { object: 'error', message, type, param: null, code },
  });

  it('sends no key; reads vLLM’s answer and usage', async () => {
    await start({ replyBody: vllmReply });
    const { summary, rows } = await runPreset('vllm', 2, SHAPE);
    expect(summary.counts.done).toBe(2);
    expect(bench.mock.lastHeaders.authorization).toBeUndefined();
    expectRequest('vllm', 2);
    expect(rows[1]).toMatchObject({ output: mockReply(prompt(2)), promptTokens: 42, completionTokens: 7 });
  });

  it('a server started with --api-key refuses the preset (it sends none): its bare "Unauthorized" stops the line', async () => {
    await start({ requireKey: 'token-abc123', keyRejection: { status: 401, body: { error: 'Unauthorized' } } });
    const { summary } = await runPreset('vllm', 2);
    expect(summary.pauseReason).toBe(
      'Paused: the provider rejected the API key (401: Unauthorized). Check the key, then press Resume.',
    );
  });

  it('its top-level message with a numeric code: a 400 fails the row in its words; a 404 pauses', async () => {
    await start({
      replyBody: vllmReply,
      fault: byRow({
        1: () =>
          vllmError(
            400,
            'BadRequestError',
            "This model's maximum context length is 8192 tokens. However, you requested 9000 tokens (8000 in the messages, 1000 in the completion). Please reduce the length of the messages or completion.",
          ),
      }),
    });
    const { summary, rows } = await runPreset('vllm', 2);
    expect(summary.counts).toMatchObject({ done: 1, failed: 1 });
    expect(rows[0]?.error).toBe(
      "The provider answered 400: This model's maximum context length is 8192 tokens. However, you requested 9000 tokens (8000 in the messages, 1000 in the completion). Please reduce the length of the messages or completion.",
    );

    bench.mock.setOptions({
      fault: () => vllmError(404, 'NotFoundError', 'The model `meta-llama/Llama-3.1-8B-Instruct` does not exist.'),
    });
    const missing = await runPreset('vllm', 2);
    expect(missing.summary.pauseReason).toContain(
      '(404: The model `meta-llama/Llama-3.1-8B-Instruct` does not exist.)',
    );
  });
});

/** Every OpenAI-compatible preset but Azure and "Other" is covered above, with its own key slot or none. */
it('covers the presets as they are', () => {
  const keyOf = (id: string): KeyId | null | undefined => presetById(id)?.keyId;
  expect(['groq', 'openrouter', 'together', 'gemini', 'ollama', 'lmstudio', 'vllm'].map(keyOf)).toEqual([
    'groq',
    'openrouter',
    'together',
    'gemini',
    null,
    null,
    null,
  ]);
});
