// `rowbot run` with several AI columns (issue 17): the real CLI process against the mock LLM server
// on 127.0.0.1, a real database file, the CSV read back by papaparse. A later column's template
// uses the answers of the columns before it; each column may have its own model; mistakes are
// refused before anything is sent; --resume takes the same flags again.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Papa from 'papaparse';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { mockReply, startMockLlmServer, type MockLlmServer } from '../fixtures/mock-llm-server.ts';
import { rowbot, STACK_LINE } from './cli-process.ts';
import { EXPECTED_RESULT_COLUMNS } from '../fixtures/expected.ts';

let dir: string;
let mock: MockLlmServer;
let runs = 0;

const NAMES = ['Ada', 'Bo "the bold"', 'Cy\nsecond line'];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rowbot-cli-columns-'));
  writeFileSync(
    join(dir, 'in.csv'),
    `name,lang\n${NAMES.map((name) => `"${name.replaceAll('"', '""')}",fr`).join('\n')}\n`,
  );
});
afterAll(async () => {
  await mock.close();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(async () => {
  await mock?.close();
  // Each answer says which model wrote it, so a column's own model shows in its cells.
  mock = await startMockLlmServer({
    latencyMs: 2,
    replyBody: ({ id, created, model, content, usage }) => ({
      id,
      object: 'chat.completion',
      created,
      model,
      choices: [{ index: 0, message: { role: 'assistant', content: `[${model}] ${content}` }, finish_reason: 'stop' }],
      usage,
    }),
  });
});

/** `rowbot run in.csv` against the mock with a database of its own (or the one given). */
function run(flags: string[], db = join(dir, `run-${(runs += 1)}.db`)) {
  return rowbot([
    'run',
    join(dir, 'in.csv'),
    '--provider',
    'openai',
    '--base-url',
    mock.baseUrl,
    '--model',
    'mock-1',
    '--db',
    db,
    ...flags,
  ]);
}

const answer = (model: string, prompt: string): string => `[${model}] ${mockReply(prompt)}`;

function readCsv(path: string): Record<string, string>[] {
  const parsed = Papa.parse<Record<string, string>>(readFileSync(path, 'utf8').replace(/^\uFEFF/, ''), {
    header: true,
    skipEmptyLines: true,
  });
  expect(parsed.errors).toEqual([]);
  return parsed.data;
}

function headerOf(path: string): string[] {
  return Papa.parse<string[]>(readFileSync(path, 'utf8').replace(/^\uFEFF/, ''), { preview: 1 }).data[0] ?? [];
}

describe('rowbot run --column', () => {
  it('runs chained columns: each answer is built on the answers of the columns it uses', async () => {
    const out = join(dir, 'chained.csv');
    const result = await run([
      '--column',
      'summary=Summarize {{name}}',
      '--column',
      'label=Label {{summary}}',
      '--column',
      'reply=Reply in {{lang}}: {{label}}',
      '--column-model',
      'label=mock-2',
      '--out',
      out,
      '--json',
    ]);
    expect(result.stderr).not.toMatch(STACK_LINE);
    expect(result.status).toBe(0);
    expect(result.stderr).toContain('9 of 9 cells done, 0 failed.');
    expect(result.stderr).toContain('summary 3/3 · label 3/3 · reply 3/3');
    expect(JSON.parse(result.stdout.trim().split('\n').at(-1) ?? '')).toMatchObject({
      status: 'completed',
      rows: 3,
      cells: 9,
      done: 9,
      failed: 0,
      columns: [
        { name: 'summary', model: 'mock-1', done: 3 },
        { name: 'label', model: 'mock-2', done: 3 },
        { name: 'reply', model: 'mock-1', done: 3 },
      ],
    });
    expect(headerOf(out)).toEqual([
      'name',
      'lang',
      'summary',
      'summary.status',
      'summary.error',
      'summary.cost',
      'label',
      'label.status',
      'label.error',
      'label.cost',
      'reply',
      'reply.status',
      'reply.error',
      'reply.cost',
    ]);
    const rows = readCsv(out);
    expect(rows.map((row) => row.name)).toEqual(NAMES);
    for (const row of rows) {
      const summary = answer('mock-1', `Summarize ${row.name}`);
      const label = answer('mock-2', `Label ${summary}`);
      expect(row).toMatchObject({
        summary,
        label,
        reply: answer('mock-1', `Reply in fr: ${label}`),
        'summary.status': 'done',
        'label.status': 'done',
        'reply.status': 'done',
      });
    }
    expect(mock.totalRequests).toBe(9);
  });

  it('makes --template the first column, output, and the --column flags follow it', async () => {
    const out = join(dir, 'template-first.csv');
    const result = await run(['--template', 'Summarize {{name}}', '--column', 'label=Label {{output}}', '--out', out]);
    expect(result.status).toBe(0);
    expect(headerOf(out).slice(2)).toEqual([
      'output',
      'output.status',
      'output.error',
      'output.cost',
      'label',
      'label.status',
      'label.error',
      'label.cost',
    ]);
    const [first] = readCsv(out);
    const output = answer('mock-1', 'Summarize Ada');
    expect(first).toMatchObject({ output, label: answer('mock-1', `Label ${output}`) });
  });

  it('keeps the export of a lone --template as it was', async () => {
    const out = join(dir, 'one.csv');
    const result = await run(['--template', 'Summarize {{name}}', '--out', out]);
    expect(result.status).toBe(0);
    expect(result.stderr).toContain('3 of 3 rows done, 0 failed.');
    expect(headerOf(out)).toEqual(['name', 'lang', ...EXPECTED_RESULT_COLUMNS]);
  });

  it("gives each column's JSON fields their own columns; a later column uses one field of an earlier answer", async () => {
    mock.setOptions({ latencyMs: 2 }); // the mock's own JSON answers, each field filled from the prompt
    const schema = join(dir, 'schema.json');
    writeFileSync(schema, JSON.stringify({ tone: 'string', score: 'number' }));
    const out = join(dir, 'fields.csv');
    const result = await run([
      '--json-schema',
      schema,
      '--column',
      'summary=Rate {{name}}',
      '--column',
      'reply=Reply in a {{summary.tone}} tone',
      '--out',
      out,
    ]);
    expect(result.stderr).not.toMatch(STACK_LINE);
    expect(result.status).toBe(0);
    expect(headerOf(out).slice(2)).toEqual([
      'summary',
      'summary.tone',
      'summary.score',
      'summary.status',
      'summary.error',
      'summary.cost',
      'reply',
      'reply.tone',
      'reply.score',
      'reply.status',
      'reply.error',
      'reply.cost',
    ]);
    const [ada] = readCsv(out);
    const replyPrompt = 'Reply in a tone of Rate Ada tone';
    expect(ada).toMatchObject({
      'summary.tone': 'tone of Rate Ada',
      'summary.score': String('Rate Ada'.length),
      'reply.tone': `tone of ${replyPrompt}`,
      'reply.score': String(replyPrompt.length),
    });
    expect(JSON.parse(ada?.reply ?? '')).toEqual({ tone: `tone of ${replyPrompt}`, score: replyPrompt.length });
  });

  it.each([
    [['--column', 'summary'], '--column "summary" has no "=": write it as NAME=TEMPLATE'],
    [['--column', '=Summarize {{name}}'], 'has no name before the "="'],
    [['--column', 'a=x {{name}}', '--column', 'a=y {{name}}'], 'Two AI columns are named "a"'],
    [['--column', 'a=x {{name}}', '--column-model', 'b=mock-2'], '--column-model "b=mock-2" names no column'],
    [
      ['--column', 'label=Label {{reply}}', '--column', 'reply=Reply {{name}}'],
      '{{reply}} is a later AI column: “label” can only use the columns before it. Move “label” after “reply”',
    ],
    [['--column', 'name=Again {{lang}}'], '--column name: “name” is already a column of the file'],
    [['--column', 'a=About {{nmae}}'], '{{nmae}} is not a column of this file. Did you mean {{name}}?'],
  ])('refuses %j with exit 2 in plain words, before sending anything', async (flags, message) => {
    const result = await run(flags);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(message);
    expect(result.stderr).not.toMatch(STACK_LINE);
    expect(mock.totalRequests).toBe(0);
  });

  it('--rows failed writes the rows with any failed cell; --rows done those whose every cell is done', async () => {
    // The reply to Bo is refused (a 400 is not retried): its row has a failed cell.
    mock.updateOptions({
      fault: (prompt) =>
        prompt.startsWith('Reply') && prompt.includes('Bo')
          ? { status: 400, body: { error: { message: 'Refused for the test', type: 'invalid_request_error' } } }
          : undefined,
    });
    const db = join(dir, 'failed.db');
    const columns = ['--column', 'summary=Summarize {{name}}', '--column', 'reply=Reply {{summary}}'];
    const failedOut = join(dir, 'failed.csv');
    const result = await run([...columns, '--out', failedOut, '--rows', 'failed', '--json'], db);
    expect(result.stderr).not.toMatch(STACK_LINE);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('5 of 6 cells done, 1 failed.');
    expect(result.stderr).toContain('To retry the failed cells:');
    const failed = readCsv(failedOut);
    expect(failed.map((row) => row.name)).toEqual(['Bo "the bold"']);
    expect(failed[0]).toMatchObject({ 'summary.status': 'done', 'reply.status': 'failed', reply: '' });
    expect(failed[0]?.['reply.error']).toContain('Refused for the test');
    const { jobId } = JSON.parse(result.stdout.trim().split('\n').at(-1) ?? '') as { jobId: string };
    const doneOut = join(dir, 'done.csv');
    const again = await run([...columns, '--resume', jobId, '--out', doneOut, '--rows', 'done'], db);
    expect(again.status).toBe(1);
    expect(readCsv(doneOut).map((row) => row.name)).toEqual([NAMES[0], NAMES[2]]);
    // The service answers again: --retry-failed sends the one failed cell, and nothing else.
    mock.updateOptions({ fault: undefined });
    const sentBefore = mock.totalRequests;
    const retried = await run([...columns, '--resume', jobId, '--retry-failed', '--out', doneOut], db);
    expect(retried.status).toBe(0);
    expect(retried.stderr).toContain('6 of 6 cells done, 0 failed.');
    expect(mock.totalRequests - sentBefore).toBe(1);
    expect(readCsv(doneOut).map((row) => row['reply.status'])).toEqual(['done', 'done', 'done']);
  });

  it('resumes a job given the same column flags again, and refuses different ones', async () => {
    const db = join(dir, 'resume.db');
    const flags = ['--column', 'summary=Summarize {{name}}', '--column', 'label=Label {{summary}}'];
    const first = await run([...flags, '--column-model', 'label=mock-2', '--json'], db);
    expect(first.status).toBe(0);
    const { jobId } = JSON.parse(first.stdout.trim().split('\n').at(-1) ?? '') as { jobId: string };
    const again = await run([...flags, '--column-model', 'label=mock-2', '--resume', jobId], db);
    expect(again.stderr).not.toMatch(STACK_LINE);
    expect(again.status).toBe(0);
    const changed = await run(
      ['--column', 'summary=Summarize {{name}}', '--column', 'label=Tag {{summary}}', '--resume', jobId],
      db,
    );
    expect(changed.status).toBe(2);
    expect(changed.stderr).toContain('--column label="Tag {{summary}}" (the job\'s is "Label {{summary}}")');
    const otherModel = await run([...flags, '--column-model', 'label=mock-3', '--resume', jobId], db);
    expect(otherModel.status).toBe(2);
    expect(otherModel.stderr).toContain('--column-model label="mock-3" (the job\'s column label uses "mock-2")');
    const fewer = await run(['--column', 'summary=Summarize {{name}}', '--resume', jobId], db);
    expect(fewer.status).toBe(2);
    expect(fewer.stderr).toContain("the AI columns summary (the job's are summary, label, in that order");
  });
});
