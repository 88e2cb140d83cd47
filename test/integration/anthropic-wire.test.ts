/**
 * Anthropic's Messages API answers that are not an answer, against the real mock server's Anthropic
 * dialect, as the official SDK (anthropics/anthropic-sdk-typescript) types them in
 * src/resources/messages/messages.ts:
 * - `stop_reason`: "end_turn" (a natural stopping point), "max_tokens" (the requested `max_tokens`
 *   was exceeded), "stop_sequence", "tool_use", "pause_turn", "refusal" ("when streaming
 *   classifiers intervene to handle potential policy violations"), "model_context_window_exceeded";
 * - `stop_details: RefusalStopDetails | null`, `{type: "refusal", category, explanation}`, the
 *   explanation "Human-readable … `null` when no explanation is available";
 * - `usage`: input_tokens, output_tokens, cache_read_input_tokens, cache_creation_input_tokens.
 * https://docs.anthropic.com/en/api/messages documents the same response.
 */
import { readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { HttpClient } from '../../electron/engine/http/client.ts';
import { AnthropicProvider } from '../../electron/engine/providers/anthropic.ts';
import { ProviderError } from '../../electron/engine/providers/provider.ts';
import { startMockLlmServer, type MockLlmServer, type MockReplyParts } from '../fixtures/mock-llm-server.ts';
import { openBench, prompt, type Bench } from './harness.ts';
import { firstCells } from '../fixtures/cells.ts';

const VERSION = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

/** A Messages API response with these content blocks and stop reason. */
const message =
  (content: unknown[], stopReason: string, extra: Record<string, unknown> = {}) =>
  (parts: MockReplyParts) => ({
    id: `msg_${parts.id}`,
    type: 'message',
    role: 'assistant',
    model: 'claude-sonnet-4-20250514',
    content,
    stop_reason: stopReason,
    stop_sequence: null,
    usage: { input_tokens: 20, cache_read_input_tokens: 100, cache_creation_input_tokens: 0, output_tokens: 7 },
    ...extra,
  });

/** input_tokens plus what the cache read and wrote is the prompt. */
const BILLED = { promptTokens: 120, completionTokens: 7, cachedTokens: 100 };
const EXPLANATION = 'This request could enable cyber harm, such as malware development.';

describe('Anthropic answers that are not an answer (provider against the mock)', () => {
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

  const ask = () =>
    new AnthropicProvider({
      http,
      baseUrl: mock.baseUrl,
      model: 'claude-sonnet-4-20250514',
      apiKey: 'sk-ant-test-123456',
    }).complete({
      prompt: 'Row 1',
      systemPrompt: '',
      maxOutputTokens: null,
      timeoutMs: 5000,
      signal: new AbortController().signal,
    });

  it('stop_reason "refusal" fails the row with the explanation, and the billed usage', async () => {
    mock.setOptions({
      replyBody: message([], 'refusal', {
        stop_details: { type: 'refusal', category: 'cyber', explanation: EXPLANATION },
      }),
    });
    const error = await ask().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({
      kind: 'row',
      httpStatus: 200,
      message: `The model refused: “${EXPLANATION}”`,
      usage: BILLED,
    });
  });

  it('a refusal with no explanation quotes what was written before it, or says so plainly', async () => {
    mock.setOptions({ replyBody: message([{ type: 'text', text: 'I can’t help with' }], 'refusal') });
    await expect(ask()).rejects.toMatchObject({ kind: 'row', message: 'The model refused: “I can’t help with”' });
    mock.setOptions({ replyBody: message([], 'refusal', { stop_details: null }) });
    await expect(ask()).rejects.toMatchObject({
      kind: 'row',
      message: 'The model refused to answer this row (the provider gave no reason).',
      usage: BILLED,
    });
  });

  it('an empty answer fails the row at once, saying when it was cut off', async () => {
    mock.setOptions({ replyBody: message([], 'end_turn') });
    await expect(ask()).rejects.toMatchObject({
      kind: 'row',
      message: 'The model returned an empty answer.',
      usage: BILLED,
    });
    mock.setOptions({ replyBody: message([{ type: 'text', text: '  ' }], 'max_tokens') });
    await expect(ask()).rejects.toMatchObject({
      kind: 'row',
      message:
        'The model returned an empty answer. It was cut off at the output limit before any text: raise the maximum answer length (a reasoning model spends part of it thinking), or leave it unset.',
    });
  });

  it.each([
    ['end_turn', 'stop'],
    ['stop_sequence', 'stop'],
    ['max_tokens', 'length'],
  ])('stop_reason %s is passed on as finish reason %s', async (stopReason, finish) => {
    mock.setOptions({ replyBody: message([{ type: 'text', text: 'Paris' }], stopReason) });
    await expect(ask()).resolves.toMatchObject({ text: 'Paris', finishReason: finish, ...BILLED });
  });

  it('sends User-Agent: Rowbot/<version>', async () => {
    await ask();
    expect(mock.lastHeaders['user-agent']).toBe(`Rowbot/${VERSION}`);
  });
});

describe('Anthropic jobs', () => {
  let bench: Bench;
  afterEach(async () => {
    await bench?.close();
  });

  it('a refused row fails at once, without a retry; the others are done', async () => {
    bench = await openBench({
      replyBody: (parts) =>
        parts.prompt === prompt(1)
          ? message([], 'refusal', { stop_details: { type: 'refusal', category: 'cyber', explanation: EXPLANATION } })(
              parts,
            )
          : message([{ type: 'text', text: parts.content }], 'end_turn')(parts),
    });
    bench.engine.setKey('anthropic', 'sk-ant-test-123456');
    const preview = await bench.engine.importBytes('rows.csv', Buffer.from('n\n1\n2\n'));
    const jobId = bench.engine.createJob({
      sheetId: preview.sheetId,
      template: 'Row {{n}}',
      provider: { kind: 'anthropic', baseUrl: bench.mock.baseUrl, model: 'claude-sonnet-4-20250514' },
      settings: { concurrency: 1, useCache: false, maxAttempts: 3 },
    }).id;
    bench.engine.startJob(jobId);
    const summary = await bench.engine.waitForJob(jobId);
    expect(summary.counts).toMatchObject({ done: 1, failed: 1 });
    expect(firstCells(bench.engine.getRows(jobId))[0]).toMatchObject({
      status: 'failed',
      attempts: 1,
      error: `The model refused: “${EXPLANATION}”`,
    });
    expect(bench.mock.requestsByPrompt.get(prompt(1))).toBe(1);
  });
});
