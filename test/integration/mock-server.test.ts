// Checks the mock LLM server itself with Node's own fetch, not with our engine.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import {
  formatResetDuration,
  mockReply,
  mockTokenCost,
  mockUsage,
  pickFault,
  startMockLlmServer,
  type MockFaultRates,
  type MockLlmServer,
  type MockOptions,
} from '../fixtures/mock-llm-server.ts';

interface OpenAiErrorBody {
  error: { message: string; type: string; param: null; code: string | null };
}

const servers: MockLlmServer[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function start(options: MockOptions = {}): Promise<MockLlmServer> {
  const server = await startMockLlmServer(options);
  servers.push(server);
  return server;
}

function post(server: MockLlmServer, prompt: string, signal?: AbortSignal): Promise<Response> {
  return fetch(`${server.baseUrl}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'mock-1', messages: [{ role: 'user', content: prompt }] }),
    signal,
  });
}

async function waitFor(condition: () => boolean, timeoutMs = 1000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > until) throw new Error('Timed out waiting for a condition');
    await sleep(2);
  }
}

/** Reads a whole response; a failure of the transport comes back as `error`. */
async function readAll(
  server: MockLlmServer,
  prompt: string,
): Promise<{ response?: Response; text?: string; error?: unknown }> {
  let response: Response | undefined;
  try {
    response = await post(server, prompt);
    return { response, text: await response.text() };
  } catch (error) {
    return { response, error };
  }
}

describe('mock LLM server', () => {
  it('answers with the mock reply and its usage, total_tokens included', async () => {
    const server = await start();
    const res = await post(server, 'hello there');
    expect(res.status).toBe(200);
    const body = (await res.json()) as { choices: { message: { content: string } }[]; usage: unknown };
    expect(body.choices[0]?.message.content).toBe(mockReply('hello there'));
    const usage = mockUsage('hello there', mockReply('hello there'));
    expect(body.usage).toEqual({ ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens });
    expect(server.tokensServed).toBe(mockTokenCost('hello there'));
    expect(res.headers.get('x-ratelimit-limit-requests')).toBeNull();
  });

  it('formats reset durations like OpenAI', () => {
    expect(formatResetDuration(0)).toBe('0s');
    expect(formatResetDuration(250)).toBe('250ms');
    expect(formatResetDuration(249.2)).toBe('250ms');
    expect(formatResetDuration(1000)).toBe('1s');
    expect(formatResetDuration(1500)).toBe('1.5s');
    expect(formatResetDuration(360_000)).toBe('6m0s');
    expect(formatResetDuration(3_725_000)).toBe('1h2m5s');
  });

  it('enforces rpm with a 429, retry-after headers and OpenAI rate-limit headers, without charging 429s', async () => {
    // 600 rpm: a bucket of 10 requests refilled one every 100 ms.
    const server = await start({ rpm: 600 });
    const first = await post(server, 'r');
    expect(first.status).toBe(200);
    expect(first.headers.get('x-ratelimit-limit-requests')).toBe('600');
    expect(first.headers.get('x-ratelimit-remaining-requests')).toBe('9');
    expect(first.headers.get('x-ratelimit-reset-requests')).toMatch(/^\d+ms$/);
    await first.text();

    let limited: Response | undefined;
    for (let i = 0; i < 50 && !limited; i++) {
      const res = await post(server, `r${i}`);
      if (res.status === 429) limited = res;
      else await res.text();
    }
    if (!limited) throw new Error('never rate limited');
    const limitedAt = performance.now();
    const waitMs = Number(limited.headers.get('retry-after-ms'));
    expect(waitMs).toBeGreaterThan(0);
    expect(waitMs).toBeLessThanOrEqual(100);
    expect(limited.headers.get('retry-after')).toBe('1');
    expect(limited.headers.get('x-ratelimit-limit-requests')).toBe('600');
    expect(limited.headers.get('x-ratelimit-remaining-requests')).toBe('0');
    expect(limited.headers.get('x-ratelimit-reset-requests')).toMatch(/^\d+ms$/);
    const body = (await limited.json()) as OpenAiErrorBody;
    expect(body.error).toMatchObject({ type: 'requests', param: null, code: 'rate_limit_exceeded' });
    expect(body.error.message).toMatch(/^Rate limit reached for requests/);

    // More refusals right away do not delay the first one's retry: 429s charge nothing.
    for (let i = 0; i < 3; i++) {
      const again = await post(server, 'again');
      expect(again.status).toBe(429);
      await again.text();
    }
    await sleep(Math.max(0, limitedAt + waitMs + 2 - performance.now()));
    const retried = await post(server, 'retried');
    expect(retried.status).toBe(200);
    await retried.text();
    expect(server.rateLimited).toBe(4);
    expect(server.peakConcurrent).toBe(1);
  });

  it('enforces tpm on prompt + completion tokens with type "tokens"', async () => {
    const big = 'a'.repeat(400);
    const small = 'b'.repeat(24);
    const bigCost = mockTokenCost(big);
    const smallCost = mockTokenCost(small);
    // A bucket that the big request empties exactly; the small one then waits ~smallCost / bigCost seconds.
    const server = await start({ tpm: bigCost * 60 });

    const first = await post(server, big);
    expect(first.status).toBe(200);
    expect(first.headers.get('x-ratelimit-limit-tokens')).toBe(String(bigCost * 60));
    expect(first.headers.get('x-ratelimit-remaining-tokens')).toBe('0');
    await first.text();

    const limited = await post(server, small);
    expect(limited.status).toBe(429);
    const limitedAt = performance.now();
    const waitMs = Number(limited.headers.get('retry-after-ms'));
    expect(waitMs).toBeGreaterThan(0);
    expect(waitMs).toBeLessThanOrEqual(Math.ceil((smallCost / bigCost) * 1000));
    expect(limited.headers.get('retry-after')).toBe('1');
    const body = (await limited.json()) as OpenAiErrorBody;
    expect(body.error).toMatchObject({ type: 'tokens', param: null, code: 'rate_limit_exceeded' });
    expect(body.error.message).toMatch(/^Rate limit reached for tokens/);

    await sleep(Math.max(0, limitedAt + waitMs + 2 - performance.now()));
    const retried = await post(server, small);
    expect(retried.status).toBe(200);
    await retried.text();
    expect(server.tokensServed).toBe(bigCost + smallCost);
    expect(server.rateLimited).toBe(1);
  });

  it('injects a 500 with an OpenAI error body', async () => {
    const server = await start({ faultRates: { status500: 1 } });
    const res = await post(server, 'x');
    expect(res.status).toBe(500);
    const body = (await res.json()) as OpenAiErrorBody;
    expect(body.error.type).toBe('server_error');
    expect(server.status5xx).toBe(1);
    expect(server.faultsInjected.status500).toBe(1);
    expect(server.tokensServed).toBe(0);
  });

  it('injects a 503, with retry-after only when asked', async () => {
    const server = await start({ faultRates: { status503: 1 } });
    const plain = await post(server, 'x');
    expect(plain.status).toBe(503);
    expect(plain.headers.get('retry-after')).toBeNull();
    expect(((await plain.json()) as OpenAiErrorBody).error.type).toBe('server_error');

    server.updateOptions({ retryAfterOn503: true });
    const withHeader = await post(server, 'x');
    expect(withHeader.status).toBe(503);
    expect(withHeader.headers.get('retry-after')).toBe('1');
    await withHeader.text();
    expect(server.status5xx).toBe(2);
    expect(server.faultsInjected.status503).toBe(2);
  });

  it('resets the connection mid-response', async () => {
    const server = await start({ faultRates: { reset: 1 } });
    const result = await readAll(server, 'x');
    expect(result.error).toBeInstanceOf(Error);
    expect(((result.error as Error).cause as NodeJS.ErrnoException | undefined)?.code).toBe('ECONNRESET');
    expect(server.faultsInjected.reset).toBe(1);
    await waitFor(() => server.inFlight === 0);
  });

  it('sends a malformed JSON body with status 200', async () => {
    const server = await start({ faultRates: { malformed: 1 } });
    const res = await post(server, 'x');
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(() => JSON.parse(text)).toThrow();
    expect(server.faultsInjected.malformed).toBe(1);
  });

  it('truncates the body short of its content-length', async () => {
    const server = await start({ faultRates: { truncated: 1 } });
    const result = await readAll(server, 'x');
    expect(result.response?.status).toBe(200);
    if (result.error === undefined) {
      const declared = Number(result.response?.headers.get('content-length'));
      expect(Buffer.byteLength(result.text ?? '')).toBeLessThan(declared);
    } else {
      expect(result.error).toBeInstanceOf(Error);
    }
    expect(server.faultsInjected.truncated).toBe(1);
    await waitFor(() => server.inFlight === 0);
  });

  it('hangs until the client gives up, and close() still ends a hung request', async () => {
    const server = await start({ faultRates: { hang: 1 } });
    await expect(post(server, 'x', AbortSignal.timeout(300))).rejects.toThrow();
    await waitFor(() => server.inFlight === 0);

    const other = await startMockLlmServer({ faultRates: { hang: 1 } });
    const pending = post(other, 'y').then(
      () => 'answered',
      () => 'failed',
    );
    await waitFor(() => other.inFlight === 1);
    await other.close();
    expect(await pending).toBe('failed');
    expect(other.faultsInjected.hang).toBe(1);
  });

  it('refuses requests beyond maxConcurrent with 429 concurrency_limit', async () => {
    const server = await start({ maxConcurrent: 2, latencyMs: 100 });
    const responses = await Promise.all([post(server, 'a'), post(server, 'b'), post(server, 'c')]);
    const refused = responses.filter((r) => r.status === 429);
    expect(responses.map((r) => r.status).sort()).toEqual([200, 200, 429]);
    expect(refused[0]?.headers.get('retry-after-ms')).toBe('100');
    const body = (await refused[0]?.json()) as OpenAiErrorBody;
    expect(body.error.code).toBe('concurrency_limit');
    await Promise.all(responses.map((r) => (r.bodyUsed ? undefined : r.text())));

    expect(server.concurrencyRejected).toBe(1);
    expect(server.rateLimited).toBe(1);
    expect(server.peakConcurrent).toBe(2);
    expect(server.totalRequests).toBe(3);
    expect(server.concurrencyTimeline.map((s) => s.inFlight)).toEqual([1, 2, 1, 0]);
  });

  it('lets the fault hook win over fault rates', async () => {
    const server = await start({
      faultRates: { status500: 1 },
      fault: (prompt) => (prompt === 'teapot' ? { status: 418 } : undefined),
    });
    const hooked = await post(server, 'teapot');
    expect(hooked.status).toBe(418);
    await hooked.text();
    const rated = await post(server, 'other');
    expect(rated.status).toBe(500);
    await rated.text();
    expect(server.faultsInjected).toMatchObject({ hook: 1, status500: 1 });
  });

  it('decides rate faults deterministically per (seed, prompt, attempt)', async () => {
    const rates: MockFaultRates = { status500: 0.3, status503: 0.2, malformed: 0.2 };
    const server = await start({ faultRates: rates, seed: 7 });
    const prompts = Array.from({ length: 20 }, (_, i) => `prompt ${i}`);

    async function outcomes(): Promise<string[]> {
      const seen: string[] = [];
      for (const attempt of [1, 2]) {
        for (const prompt of prompts) {
          const res = await post(server, prompt);
          const text = await res.text();
          let kind = 'ok';
          if (res.status === 500) kind = 'status500';
          else if (res.status === 503) kind = 'status503';
          else if (!text.startsWith('{"id"')) kind = 'malformed';
          seen.push(`${prompt}#${attempt}:${kind}`);
        }
      }
      return seen;
    }

    const expected = [1, 2].flatMap((attempt) =>
      prompts.map((prompt) => `${prompt}#${attempt}:${pickFault(rates, 7, prompt, attempt) ?? 'ok'}`),
    );
    const firstRun = await outcomes();
    expect(firstRun).toEqual(expected);
    expect(new Set(firstRun.map((o) => o.split(':')[1])).size).toBeGreaterThan(2);

    server.resetCounters();
    expect(await outcomes()).toEqual(firstRun);

    const otherSeed = [1, 2].flatMap((attempt) =>
      prompts.map((prompt) => `${prompt}#${attempt}:${pickFault(rates, 8, prompt, attempt) ?? 'ok'}`),
    );
    expect(otherSeed).not.toEqual(expected);
  });
});
