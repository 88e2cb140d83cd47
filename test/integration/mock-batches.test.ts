// Checks the mock server's Batch APIs (test/fixtures/mock-batches.ts) over real HTTP with Node's own fetch,
// not with Rowbot's code. Shapes asserted here are those of the official SDKs (snapshots in docs/batch-apis.md):
// - OpenAI: openai/openai-node src/resources/files.ts (FileObject), src/resources/batches.ts (Batch,
//   BatchRequestCounts, BatchUsage, cancel), src/core/pagination.ts (CursorPage), and the output/error line
//   (BatchRequestOutput) of OpenAI's OpenAPI schema as quoted in docs/batch-apis.md §1.
// - Anthropic: anthropics/anthropic-sdk-typescript src/resources/messages/batches.ts (MessageBatch,
//   MessageBatchRequestCounts, MessageBatchIndividualResponse), src/core/pagination.ts (Page),
//   src/resources/shared.ts (ErrorResponse).
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { parseMultipart } from '../fixtures/mock-batches.ts';
import {
  mockReply,
  mockUsage,
  startMockLlmServer,
  type MockLlmServer,
  type MockOptions,
} from '../fixtures/mock-llm-server.ts';

const servers: MockLlmServer[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

/** A clock the tests move by hand (batch.clock), starting at a round second. */
function manualClock(): { now: () => number; advance: (ms: number) => void; set: (ms: number) => void } {
  const start = 1_780_000_000_000;
  let t = start;
  return { now: () => t, advance: (ms) => (t += ms), set: (ms) => (t = start + ms) };
}

async function start(options: MockOptions = {}): Promise<MockLlmServer> {
  const server = await startMockLlmServer(options);
  servers.push(server);
  return server;
}

interface OpenAiBatch {
  id: string;
  object: 'batch';
  endpoint: string;
  errors: {
    object: string;
    data: { code: string; line: number | null; message: string; param: string | null }[];
  } | null;
  input_file_id: string;
  completion_window: string;
  status: string;
  output_file_id: string | null;
  error_file_id: string | null;
  created_at: number;
  in_progress_at: number | null;
  expires_at: number | null;
  finalizing_at: number | null;
  completed_at: number | null;
  failed_at: number | null;
  expired_at: number | null;
  cancelling_at: number | null;
  cancelled_at: number | null;
  request_counts: { total: number; completed: number; failed: number };
  metadata: Record<string, string> | null;
  model: string | null;
  usage: {
    input_tokens: number;
    input_tokens_details: { cached_tokens: number };
    output_tokens: number;
    output_tokens_details: { reasoning_tokens: number };
    total_tokens: number;
  };
}

interface OutputLine {
  id: string;
  custom_id: string;
  response: { status_code: number; request_id: string; body: Record<string, unknown> } | null;
  error: { code: string; message: string } | null;
}

interface MessageBatch {
  id: string;
  type: 'message_batch';
  processing_status: 'in_progress' | 'canceling' | 'ended';
  request_counts: { processing: number; succeeded: number; errored: number; canceled: number; expired: number };
  ended_at: string | null;
  created_at: string;
  expires_at: string;
  archived_at: string | null;
  cancel_initiated_at: string | null;
  results_url: string | null;
}

interface ResultLine {
  custom_id: string;
  result:
    | { type: 'succeeded'; message: Record<string, unknown> }
    | { type: 'errored'; error: { type: 'error'; error: { type: string; message: string }; request_id: string | null } }
    | { type: 'canceled' }
    | { type: 'expired' };
}

const prompts = (n: number): string[] => Array.from({ length: n }, (_, i) => `Row ${i + 1}: say something`);

function jsonl(rows: string[]): string {
  return rows
    .map((prompt, i) =>
      JSON.stringify({
        custom_id: `row-${i + 1}`,
        method: 'POST',
        url: '/v1/chat/completions',
        body: { model: 'gpt-4o-mini', messages: [{ role: 'user', content: prompt }] },
      }),
    )
    .join('\n');
}

async function upload(server: MockLlmServer, text: string, purpose = 'batch'): Promise<Response> {
  const form = new FormData();
  form.append('purpose', purpose);
  form.append('file', new Blob([text], { type: 'application/jsonl' }), 'rows.jsonl');
  return fetch(`${server.baseUrl}/files`, { method: 'POST', body: form });
}

async function json<T>(res: Response): Promise<T> {
  return (await res.json()) as T;
}

async function createOpenAi(
  server: MockLlmServer,
  rows: string[],
  metadata: Record<string, string> | null = { rowbot_job: 'job-1' },
): Promise<OpenAiBatch> {
  const file = await json<{ id: string }>(await upload(server, jsonl(rows)));
  const res = await fetch(`${server.baseUrl}/batches`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      input_file_id: file.id,
      endpoint: '/v1/chat/completions',
      completion_window: '24h',
      metadata,
    }),
  });
  expect(res.status).toBe(200);
  return json<OpenAiBatch>(res);
}

const getBatch = async (server: MockLlmServer, id: string): Promise<OpenAiBatch> =>
  json<OpenAiBatch>(await fetch(`${server.baseUrl}/batches/${id}`));

async function fileLines(server: MockLlmServer, id: string | null): Promise<OutputLine[]> {
  if (id === null) return [];
  const res = await fetch(`${server.baseUrl}/files/${id}/content`);
  expect(res.status).toBe(200);
  const text = await res.text();
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as OutputLine);
}

/** The chat.completion the live endpoint sends for a prompt (mock-llm-server.ts, POST /chat/completions). */
function expectLiveAnswer(body: Record<string, unknown>, prompt: string): void {
  const reply = mockReply(prompt);
  const usage = mockUsage(prompt, reply);
  expect(body).toMatchObject({
    object: 'chat.completion',
    model: 'mock-1',
    choices: [{ index: 0, message: { role: 'assistant', content: reply }, finish_reason: 'stop' }],
    usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens },
  });
}

const anthropicHeaders = {
  'content-type': 'application/json',
  'anthropic-version': '2023-06-01',
  'x-api-key': 'sk-ant-test',
};

async function createAnthropic(server: MockLlmServer, rows: string[], headers = anthropicHeaders): Promise<Response> {
  return fetch(`${server.baseUrl}/messages/batches`, {
    method: 'POST',
    headers,
    body: JSON.stringify({
      requests: rows.map((prompt, i) => ({
        custom_id: `row-${i + 1}`,
        params: { model: 'claude-sonnet-4-20250514', max_tokens: 256, messages: [{ role: 'user', content: prompt }] },
      })),
    }),
  });
}

async function anthropicGet<T>(url: string): Promise<T> {
  const res = await fetch(url, { headers: anthropicHeaders });
  expect(res.status).toBe(200);
  return json<T>(res);
}

async function anthropicResults(batch: MessageBatch): Promise<ResultLine[]> {
  expect(batch.results_url).not.toBeNull();
  const res = await fetch(batch.results_url!, { headers: anthropicHeaders });
  expect(res.status).toBe(200);
  return (await res.text())
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as ResultLine);
}

describe('mock OpenAI Files API (openai-node src/resources/files.ts)', () => {
  it('takes a multipart upload with purpose batch and serves the same bytes back', async () => {
    const server = await start();
    const text = jsonl(prompts(3));
    const res = await upload(server, text);
    expect(res.status).toBe(200);
    const file = await json<Record<string, unknown>>(res);
    // FileObject.
    expect(file).toMatchObject({
      object: 'file',
      bytes: Buffer.byteLength(text),
      filename: 'rows.jsonl',
      purpose: 'batch',
      status: 'processed',
    });
    expect(file.id).toMatch(/^file-/);
    expect(typeof file.created_at).toBe('number');
    expect(server.filesUploaded).toBe(1);
    const content = await fetch(`${server.baseUrl}/files/${String(file.id)}/content`);
    expect(await content.text()).toBe(text);
    expect(await json<unknown>(await fetch(`${server.baseUrl}/files/${String(file.id)}`))).toEqual(file);
  });

  it('refuses an upload without purpose or file, or not multipart, and 404s unknown files', async () => {
    const server = await start();
    const noPurpose = new FormData();
    noPurpose.append('file', new Blob(['{}']), 'x.jsonl');
    const res = await fetch(`${server.baseUrl}/files`, { method: 'POST', body: noPurpose });
    expect(res.status).toBe(400);
    expect(await json<{ error: { param: string } }>(res)).toMatchObject({ error: { param: 'purpose' } });
    const noFile = new FormData();
    noFile.append('purpose', 'batch');
    expect((await fetch(`${server.baseUrl}/files`, { method: 'POST', body: noFile })).status).toBe(400);
    const plain = await fetch(`${server.baseUrl}/files`, { method: 'POST', body: '{}' });
    expect(plain.status).toBe(400);
    expect((await fetch(`${server.baseUrl}/files/file-nope/content`)).status).toBe(404);
    expect(server.filesUploaded).toBe(0);
  });

  it('parses multipart bodies with quoted parameters and binary data', () => {
    const body = Buffer.concat([
      Buffer.from('preamble\r\n--XyZ\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nbatch\r\n'),
      Buffer.from('--XyZ\r\nContent-Disposition: form-data; name="file"; filename="a \\"b\\".jsonl"\r\n'),
      Buffer.from('Content-Type: application/octet-stream\r\n\r\n'),
      Buffer.from([0, 13, 10, 45, 45, 255]),
      Buffer.from('\r\n--XyZ--\r\n'),
    ]);
    const parts = parseMultipart(body, 'multipart/form-data; boundary="XyZ"');
    expect(parts.map((p) => p.name)).toEqual(['purpose', 'file']);
    expect(parts[0]?.data.toString()).toBe('batch');
    expect(parts[1]?.filename).toBe('a "b".jsonl');
    expect(parts[1]?.contentType).toBe('application/octet-stream');
    expect([...parts[1]!.data]).toEqual([0, 13, 10, 45, 45, 255]);
  });
});

describe('mock OpenAI Batch API (openai-node src/resources/batches.ts)', () => {
  it('creates a batch (validating), then moves through in_progress and finalizing to completed', async () => {
    const clock = manualClock();
    const server = await start({ batch: { completeAfterMs: 1000, clock: clock.now } });
    const rows = prompts(10);
    const created = await createOpenAi(server, rows);
    // Batch, as the create example of the OpenAPI spec shows it.
    expect(created).toMatchObject({
      object: 'batch',
      endpoint: '/v1/chat/completions',
      completion_window: '24h',
      status: 'validating',
      output_file_id: null,
      error_file_id: null,
      errors: null,
      in_progress_at: null,
      completed_at: null,
      request_counts: { total: 0, completed: 0, failed: 0 },
      metadata: { rowbot_job: 'job-1' },
      model: 'gpt-4o-mini',
    });
    expect(created.id).toMatch(/^batch_/);
    expect(created.created_at).toBe(Math.floor(clock.now() / 1000));
    expect(created.expires_at).toBe(created.created_at + 24 * 3600);
    expect(server.batchesCreated).toBe(1);
    expect(server.batchRequests).toBe(10);
    expect(server.lastBatchMetadata).toEqual({ rowbot_job: 'job-1' });

    clock.set(50);
    expect((await getBatch(server, created.id)).status).toBe('validating');
    clock.set(300);
    const early = await getBatch(server, created.id);
    expect(early.status).toBe('in_progress');
    expect(early.in_progress_at).not.toBeNull();
    expect(early.request_counts).toEqual({ total: 10, completed: 2, failed: 0 });
    clock.set(700);
    const later = await getBatch(server, created.id);
    expect(later.request_counts).toEqual({ total: 10, completed: 7, failed: 0 });
    expect(later.output_file_id).toBeNull();
    clock.set(950);
    const finalizing = await getBatch(server, created.id);
    expect(finalizing.status).toBe('finalizing');
    expect(finalizing.request_counts.completed).toBe(10);
    expect(finalizing.finalizing_at).not.toBeNull();
    clock.set(1000);
    const done = await getBatch(server, created.id);
    expect(done.status).toBe('completed');
    expect(done.completed_at).not.toBeNull();
    expect(done.request_counts).toEqual({ total: 10, completed: 10, failed: 0 });
    expect(done.error_file_id).toBeNull();
    const usage = rows.map((p) => mockUsage(p, mockReply(p)));
    const input = usage.reduce((s, u) => s + u.prompt_tokens, 0);
    const output = usage.reduce((s, u) => s + u.completion_tokens, 0);
    // BatchUsage.
    expect(done.usage).toEqual({
      input_tokens: input,
      input_tokens_details: { cached_tokens: 0 },
      output_tokens: output,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: input + output,
    });
    expect(server.batches).toMatchObject([{ id: created.id, dialect: 'openai', status: 'completed', succeeded: 10 }]);

    const lines = await fileLines(server, done.output_file_id);
    expect(lines.map((l) => l.custom_id)).toEqual(rows.map((_, i) => `row-${i + 1}`));
    for (const [i, line] of lines.entries()) {
      // BatchRequestOutput.
      expect(line.id).toMatch(/^batch_req_/);
      expect(line.error).toBeNull();
      expect(line.response?.status_code).toBe(200);
      expect(typeof line.response?.request_id).toBe('string');
      expectLiveAnswer(line.response!.body, rows[i]!);
    }
    // The output file is a FileObject of purpose batch_output.
    const outputFile = await json<{ purpose: string }>(await fetch(`${server.baseUrl}/files/${done.output_file_id}`));
    expect(outputFile.purpose).toBe('batch_output');
  });

  it('progresses in real time too', async () => {
    const server = await start({ batch: { completeAfterMs: 150 } });
    const created = await createOpenAi(server, prompts(4));
    const seen = new Set<string>();
    let batch = created;
    const until = Date.now() + 5000;
    while (batch.status !== 'completed' && Date.now() < until) {
      await sleep(10);
      batch = await getBatch(server, created.id);
      seen.add(batch.status);
    }
    expect(batch.status).toBe('completed');
    expect(seen.has('in_progress')).toBe(true);
    expect((await fileLines(server, batch.output_file_id)).length).toBe(4);
  });

  it('gives shuffled results, the same for the same seed, that map back by custom_id', async () => {
    const rows = prompts(30);
    const orders: string[][] = [];
    for (const seed of [7, 7, 8]) {
      const server = await start({ batch: { shuffle: true, seed } });
      const batch = await getBatch(server, (await createOpenAi(server, rows)).id);
      const lines = await fileLines(server, batch.output_file_id);
      orders.push(lines.map((l) => l.custom_id));
      const byId = new Map(lines.map((l) => [l.custom_id, l]));
      expect(byId.size).toBe(30);
      rows.forEach((prompt, i) => expectLiveAnswer(byId.get(`row-${i + 1}`)!.response!.body, prompt));
    }
    const inputOrder = rows.map((_, i) => `row-${i + 1}`);
    expect(orders[0]).not.toEqual(inputOrder);
    expect(orders[1]).toEqual(orders[0]);
    expect(orders[2]).not.toEqual(orders[0]);
  });

  it('errors a deterministic share of requests into the error file', async () => {
    const rows = prompts(40);
    const run = async (): Promise<{ batch: OpenAiBatch; errors: OutputLine[]; output: OutputLine[] }> => {
      const server = await start({ batch: { errorRate: 0.25, seed: 3 } });
      const batch = await getBatch(server, (await createOpenAi(server, rows)).id);
      return {
        batch,
        errors: await fileLines(server, batch.error_file_id),
        output: await fileLines(server, batch.output_file_id),
      };
    };
    const first = await run();
    const second = await run();
    expect(first.errors.length).toBeGreaterThan(3);
    expect(first.errors.length).toBeLessThan(20);
    expect(second.errors.map((l) => l.custom_id)).toEqual(first.errors.map((l) => l.custom_id));
    expect(first.batch.request_counts).toEqual({
      total: 40,
      completed: 40 - first.errors.length,
      failed: first.errors.length,
    });
    expect(first.output.length + first.errors.length).toBe(40);
    for (const line of first.errors) {
      expect(line.response?.status_code).toBe(400);
      expect(line.response?.body).toMatchObject({ error: { type: 'invalid_request_error', param: null, code: null } });
      expect(line.error).toBeNull();
    }
  });

  it('expires: requests done before the window ends are in the output, the rest batch_expired', async () => {
    const clock = manualClock();
    const server = await start({ batch: { completeAfterMs: 1000, expireAfterMs: 500, clock: clock.now } });
    const created = await createOpenAi(server, prompts(8));
    expect(created.expires_at).toBe(created.created_at); // 500 ms later, same second
    clock.set(499);
    expect((await getBatch(server, created.id)).status).toBe('in_progress');
    clock.set(600);
    const batch = await getBatch(server, created.id);
    expect(batch.status).toBe('expired');
    expect(batch.expired_at).not.toBeNull();
    // 500 ms: 400 of the 800 ms in progress, so half the requests.
    expect(batch.request_counts).toEqual({ total: 8, completed: 4, failed: 4 });
    const output = await fileLines(server, batch.output_file_id);
    expect(output.map((l) => l.custom_id)).toEqual(['row-1', 'row-2', 'row-3', 'row-4']);
    const errors = await fileLines(server, batch.error_file_id);
    expect(errors.map((l) => l.custom_id)).toEqual(['row-5', 'row-6', 'row-7', 'row-8']);
    for (const line of errors) {
      expect(line.response).toBeNull();
      expect(line.error?.code).toBe('batch_expired');
    }
  });

  it('cancels: cancelling, then cancelled with the finished requests in the output and the rest batch_cancelled', async () => {
    const clock = manualClock();
    const server = await start({ batch: { completeAfterMs: 1000, cancelAfterMs: 100, clock: clock.now } });
    const created = await createOpenAi(server, prompts(10));
    clock.set(500);
    const res = await fetch(`${server.baseUrl}/batches/${created.id}/cancel`, { method: 'POST' });
    expect(res.status).toBe(200);
    const cancelling = await json<OpenAiBatch>(res);
    expect(cancelling.status).toBe('cancelling');
    expect(cancelling.cancelling_at).not.toBeNull();
    clock.set(550);
    expect((await getBatch(server, created.id)).status).toBe('cancelling');
    clock.set(600);
    const cancelled = await getBatch(server, created.id);
    expect(cancelled.status).toBe('cancelled');
    expect(cancelled.cancelled_at).not.toBeNull();
    expect(cancelled.request_counts).toEqual({ total: 10, completed: 5, failed: 5 });
    expect((await fileLines(server, cancelled.output_file_id)).length).toBe(5);
    const errors = await fileLines(server, cancelled.error_file_id);
    expect(errors.map((l) => l.error?.code)).toEqual(Array(5).fill('batch_cancelled'));
    // An ended batch cannot be cancelled again.
    expect((await fetch(`${server.baseUrl}/batches/${created.id}/cancel`, { method: 'POST' })).status).toBe(400);
  });

  it('fails a batch whose input file has bad lines, with errors.data naming the lines', async () => {
    const clock = manualClock();
    const server = await start({ batch: { completeAfterMs: 1000, clock: clock.now } });
    const text = `${jsonl(prompts(2))}\nnot json\n${jsonl(prompts(1))}`;
    const file = await json<{ id: string }>(await upload(server, text));
    const created = await json<OpenAiBatch>(
      await fetch(`${server.baseUrl}/batches`, {
        method: 'POST',
        body: JSON.stringify({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' }),
      }),
    );
    expect(created.status).toBe('validating');
    clock.set(200);
    const failed = await getBatch(server, created.id);
    expect(failed.status).toBe('failed');
    expect(failed.failed_at).not.toBeNull();
    expect([failed.output_file_id, failed.error_file_id]).toEqual([null, null]);
    // Batch.errors: {object, data: BatchError[]}.
    expect(failed.errors?.data.map((e) => [e.code, e.line])).toEqual([
      ['invalid_json_line', 3],
      ['duplicate_custom_id', 4],
    ]);
    const bad = await fetch(`${server.baseUrl}/batches`, {
      method: 'POST',
      body: JSON.stringify({ input_file_id: 'file-nope', endpoint: '/v1/chat/completions', completion_window: '24h' }),
    });
    expect(bad.status).toBe(400);
  });

  it('lists batches newest first in cursor pages (CursorPage: after, limit, has_more, first_id, last_id)', async () => {
    const server = await start();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await createOpenAi(server, prompts(1), { n: String(i) })).id);
    const newest = [...ids].reverse();
    type List = { object: string; data: OpenAiBatch[]; has_more: boolean; first_id: string; last_id: string };
    const first = await json<List>(await fetch(`${server.baseUrl}/batches?limit=2`));
    expect(first.object).toBe('list');
    expect(first.data.map((b) => b.id)).toEqual(newest.slice(0, 2));
    expect(first).toMatchObject({ has_more: true, first_id: newest[0], last_id: newest[1] });
    const second = await json<List>(await fetch(`${server.baseUrl}/batches?limit=2&after=${first.last_id}`));
    expect(second.data.map((b) => b.id)).toEqual(newest.slice(2, 4));
    const third = await json<List>(await fetch(`${server.baseUrl}/batches?limit=2&after=${second.last_id}`));
    expect(third.data.map((b) => b.id)).toEqual(newest.slice(4));
    expect(third.has_more).toBe(false);
    expect((await json<List>(await fetch(`${server.baseUrl}/batches`))).data).toHaveLength(5);
    expect((await fetch(`${server.baseUrl}/batches?limit=101`)).status).toBe(400);
  });

  it('loses a create response after creating the batch, so the orphan is found by its metadata', async () => {
    const server = await start({ batch: { loseCreateResponse: 1 } });
    const file = await json<{ id: string }>(await upload(server, jsonl(prompts(3))));
    const create = (): Promise<Response> =>
      fetch(`${server.baseUrl}/batches`, {
        method: 'POST',
        body: JSON.stringify({
          input_file_id: file.id,
          endpoint: '/v1/chat/completions',
          completion_window: '24h',
          metadata: { rowbot_job: 'job-42' },
        }),
      });
    await expect(create()).rejects.toThrow();
    expect(server.batchesCreated).toBe(1);
    expect(server.batchCreateResponsesLost).toBe(1);
    const list = await json<{ data: OpenAiBatch[] }>(await fetch(`${server.baseUrl}/batches`));
    const orphan = list.data.find((b) => b.metadata?.rowbot_job === 'job-42');
    expect(orphan?.input_file_id).toBe(file.id);
    // Armed once: the next create answers.
    expect((await create()).status).toBe(200);
    expect(server.batchesCreated).toBe(2);

    server.updateOptions({ batch: { loseCreateResponse: 1, loseCreateResponseAs: 'status500' } });
    const lost = await create();
    expect(lost.status).toBe(500);
    expect(server.batchesCreated).toBe(3);
  });

  it('requires the key like the chat endpoint does, and resetCounters keeps the stored batches', async () => {
    const server = await start({ requireKey: 'sk-right' });
    expect((await upload(server, jsonl(prompts(1)))).status).toBe(401);
    server.updateOptions({ requireKey: undefined });
    await createOpenAi(server, prompts(2));
    server.resetCounters();
    expect(server.batchesCreated).toBe(0);
    expect(server.batchRequests).toBe(0);
    expect(server.lastBatchMetadata).toBeNull();
    expect(server.batches).toHaveLength(1);
  });
});

describe('mock Anthropic Message Batches (anthropic-sdk-typescript src/resources/messages/batches.ts)', () => {
  it('requires anthropic-version and x-api-key', async () => {
    const server = await start({ requireKey: 'sk-ant-test' });
    const { 'anthropic-version': _v, ...noVersion } = anthropicHeaders;
    const { 'x-api-key': _k, ...noKey } = anthropicHeaders;
    expect((await createAnthropic(server, prompts(1), noVersion as typeof anthropicHeaders)).status).toBe(400);
    const missing = await createAnthropic(server, prompts(1), noKey as typeof anthropicHeaders);
    expect(missing.status).toBe(401);
    // ErrorResponse.
    expect(await json<unknown>(missing)).toEqual({
      type: 'error',
      error: { type: 'authentication_error', message: 'x-api-key header is required' },
    });
    const wrong = await createAnthropic(server, prompts(1), { ...anthropicHeaders, 'x-api-key': 'sk-wrong' });
    expect(wrong.status).toBe(401);
    expect(server.batchesCreated).toBe(0);
    expect((await createAnthropic(server, prompts(1))).status).toBe(200);
  });

  it('creates a batch in progress, counts stay at processing until it ends, then results_url serves the messages', async () => {
    const clock = manualClock();
    const server = await start({ batch: { completeAfterMs: 1000, clock: clock.now } });
    const rows = prompts(6);
    const res = await createAnthropic(server, rows);
    expect(res.status).toBe(200);
    const created = await json<MessageBatch>(res);
    // MessageBatch.
    expect(created).toMatchObject({
      type: 'message_batch',
      processing_status: 'in_progress',
      request_counts: { processing: 6, succeeded: 0, errored: 0, canceled: 0, expired: 0 },
      ended_at: null,
      archived_at: null,
      cancel_initiated_at: null,
      results_url: null,
    });
    expect(created.id).toMatch(/^msgbatch_/);
    expect(created.created_at).toBe(new Date(clock.now()).toISOString());
    expect(Date.parse(created.expires_at) - Date.parse(created.created_at)).toBe(24 * 3600 * 1000);
    expect(server.batchRequests).toBe(6);
    expect(server.lastBatchMetadata).toBeNull();

    clock.set(600);
    const running = await anthropicGet<MessageBatch>(`${server.baseUrl}/messages/batches/${created.id}`);
    expect(running.processing_status).toBe('in_progress');
    // "Requests start as `processing` and move to one of the other statuses only once processing of the entire
    // batch ends" (MessageBatchRequestCounts), though the mock has done some.
    expect(running.request_counts.processing).toBe(6);
    expect(server.batches[0]?.succeeded).toBe(3);
    const early = await fetch(`${server.baseUrl}/messages/batches/${created.id}/results`, {
      headers: anthropicHeaders,
    });
    expect(early.status).toBe(404);

    clock.set(1000);
    const ended = await anthropicGet<MessageBatch>(`${server.baseUrl}/messages/batches/${created.id}`);
    expect(ended.processing_status).toBe('ended');
    expect(ended.ended_at).toBe(new Date(clock.now()).toISOString());
    expect(ended.request_counts).toEqual({ processing: 0, succeeded: 6, errored: 0, canceled: 0, expired: 0 });
    expect(ended.results_url).toBe(`${server.baseUrl}/messages/batches/${created.id}/results`);
    const lines = await anthropicResults(ended);
    expect(lines.map((l) => l.custom_id)).toEqual(rows.map((_, i) => `row-${i + 1}`));
    for (const [i, line] of lines.entries()) {
      const reply = mockReply(rows[i]!);
      const usage = mockUsage(rows[i]!, reply);
      // MessageBatchSucceededResult: the Messages API body of mock-llm-server.ts POST /messages.
      expect(line.result).toMatchObject({
        type: 'succeeded',
        message: {
          type: 'message',
          role: 'assistant',
          model: 'claude-sonnet-4-20250514',
          content: [{ type: 'text', text: reply }],
          stop_reason: 'end_turn',
          stop_sequence: null,
          usage: { input_tokens: usage.prompt_tokens, output_tokens: usage.completion_tokens },
        },
      });
    }
  });

  it('shuffles, errors and expires by the same knobs', async () => {
    const clock = manualClock();
    const server = await start({
      batch: { completeAfterMs: 1000, expireAfterMs: 700, shuffle: true, errorRate: 0.3, seed: 5, clock: clock.now },
    });
    const rows = prompts(20);
    const created = await json<MessageBatch>(await createAnthropic(server, rows));
    clock.set(800);
    const ended = await anthropicGet<MessageBatch>(`${server.baseUrl}/messages/batches/${created.id}`);
    expect(ended.processing_status).toBe('ended');
    // 700 ms: 600 of the 800 ms in progress, so 15 of 20 done.
    const { succeeded, errored, expired, canceled, processing } = ended.request_counts;
    expect([succeeded + errored, expired, canceled, processing]).toEqual([15, 5, 0, 0]);
    expect(errored).toBeGreaterThan(0);
    const lines = await anthropicResults(ended);
    expect(lines).toHaveLength(20);
    expect(lines.map((l) => l.custom_id)).not.toEqual(rows.map((_, i) => `row-${i + 1}`));
    const types = lines.map((l) => l.result.type);
    expect(types.filter((t) => t === 'expired')).toHaveLength(5);
    expect(types.filter((t) => t === 'errored')).toHaveLength(errored);
    for (const line of lines) {
      const prompt = rows[Number(line.custom_id.slice(4)) - 1]!;
      if (line.result.type === 'succeeded') {
        expect(line.result.message.content).toEqual([{ type: 'text', text: mockReply(prompt) }]);
      } else if (line.result.type === 'errored') {
        // MessageBatchErroredResult: ErrorResponse.
        expect(line.result.error).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
        expect(typeof line.result.error.request_id).toBe('string');
      }
    }
  });

  it('errors a request the live endpoint would refuse (no max_tokens)', async () => {
    const server = await start();
    const res = await fetch(`${server.baseUrl}/messages/batches`, {
      method: 'POST',
      headers: anthropicHeaders,
      body: JSON.stringify({
        requests: [{ custom_id: 'a', params: { model: 'claude', messages: [{ role: 'user', content: 'x' }] } }],
      }),
    });
    const batch = await anthropicGet<MessageBatch>(
      `${server.baseUrl}/messages/batches/${(await json<MessageBatch>(res)).id}`,
    );
    const [line] = await anthropicResults(batch);
    expect(line?.result).toMatchObject({
      type: 'errored',
      error: { type: 'error', error: { type: 'invalid_request_error', message: 'max_tokens: Field required' } },
    });
    const duplicate = await fetch(`${server.baseUrl}/messages/batches`, {
      method: 'POST',
      headers: anthropicHeaders,
      body: JSON.stringify({
        requests: [
          { custom_id: 'a', params: { max_tokens: 5 } },
          { custom_id: 'a', params: { max_tokens: 5 } },
        ],
      }),
    });
    expect(duplicate.status).toBe(400);
  });

  it('cancels: canceling, then ended with canceled requests', async () => {
    const clock = manualClock();
    const server = await start({ batch: { completeAfterMs: 1000, cancelAfterMs: 100, clock: clock.now } });
    const created = await json<MessageBatch>(await createAnthropic(server, prompts(10)));
    clock.set(300);
    const res = await fetch(`${server.baseUrl}/messages/batches/${created.id}/cancel`, {
      method: 'POST',
      headers: anthropicHeaders,
    });
    const canceling = await json<MessageBatch>(res);
    expect(canceling.processing_status).toBe('canceling');
    expect(canceling.cancel_initiated_at).toBe(new Date(clock.now()).toISOString());
    clock.set(400);
    const ended = await anthropicGet<MessageBatch>(`${server.baseUrl}/messages/batches/${created.id}`);
    expect(ended.processing_status).toBe('ended');
    expect(ended.request_counts).toEqual({ processing: 0, succeeded: 2, errored: 0, canceled: 8, expired: 0 });
    const lines = await anthropicResults(ended);
    expect(lines.filter((l) => l.result.type === 'canceled')).toHaveLength(8);
  });

  it('lists newest first with after_id and before_id (Page: data, has_more, first_id, last_id)', async () => {
    const server = await start();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await json<MessageBatch>(await createAnthropic(server, prompts(1)))).id);
    const newest = [...ids].reverse();
    type List = { data: MessageBatch[]; has_more: boolean; first_id: string | null; last_id: string | null };
    const base = `${server.baseUrl}/messages/batches`;
    const first = await anthropicGet<List>(`${base}?limit=2`);
    expect(first.data.map((b) => b.id)).toEqual(newest.slice(0, 2));
    expect(first).toMatchObject({ has_more: true, first_id: newest[0], last_id: newest[1] });
    const second = await anthropicGet<List>(`${base}?limit=2&after_id=${first.last_id}`);
    expect(second.data.map((b) => b.id)).toEqual(newest.slice(2, 4));
    const third = await anthropicGet<List>(`${base}?limit=2&after_id=${second.last_id}`);
    expect(third).toMatchObject({ has_more: false, first_id: newest[4], last_id: newest[4] });
    const back = await anthropicGet<List>(`${base}?limit=2&before_id=${third.first_id}`);
    expect(back.data.map((b) => b.id)).toEqual(newest.slice(2, 4));
    expect(back.has_more).toBe(true);
  });

  it('loses a create response after creating the batch', async () => {
    const server = await start({ batch: { loseCreateResponse: 1 } });
    await expect(createAnthropic(server, prompts(3))).rejects.toThrow();
    expect(server.batchesCreated).toBe(1);
    const list = await anthropicGet<{ data: MessageBatch[] }>(`${server.baseUrl}/messages/batches`);
    expect(list.data).toHaveLength(1);
    expect(list.data[0]!.request_counts.processing + list.data[0]!.request_counts.succeeded).toBe(3);
    expect(server.batches[0]?.customIds).toEqual(['row-1', 'row-2', 'row-3']);
    expect((await createAnthropic(server, prompts(3))).status).toBe(200);
  });
});
