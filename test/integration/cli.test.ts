import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Papa from 'papaparse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mockReply, startMockLlmServer, type MockLlmServer } from '../fixtures/mock-llm-server.ts';

const BIN = resolve(import.meta.dirname, '../../bin/rowbot.js');

describe('the rowbot CLI', () => {
  let dir: string;
  let mock: MockLlmServer;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rowbot-cli-'));
    mock = await startMockLlmServer({ latencyMs: 5 });
    writeFileSync(join(dir, 'in.csv'), 'city,country\nParis,France\nLima,Peru\nOslo,Norway\n');
  });

  afterAll(async () => {
    await mock.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const rowbot = (...args: string[]) => rowbotWith({}, ...args);

  // The mock server runs in this process, so the CLI must run asynchronously beside it.
  async function rowbotWith(
    env: NodeJS.ProcessEnv,
    ...args: string[]
  ): Promise<{ status: number | null; stdout: string; stderr: string }> {
    const { spawn } = await import('node:child_process');
    return new Promise((done) => {
      const child = spawn(process.execPath, [BIN, ...args], {
        env: { ...process.env, ROWBOT_DB: join(dir, 'cli.db'), ...env },
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.on('close', (status) => done({ status, stdout, stderr }));
    });
  }

  it('runs a file against an OpenAI-compatible server and writes the CSV', async () => {
    const out = join(dir, 'out.csv');
    const result = await rowbot(
      'run',
      join(dir, 'in.csv'),
      '--template',
      'Capital of {{country}}? Hint: {{city}}',
      '--provider',
      'openai',
      '--base-url',
      mock.baseUrl,
      '--model',
      'mock-1',
      '--concurrency',
      '2',
      '--out',
      out,
      '--json',
    );
    expect(result.stderr).toContain('3 of 3 rows done, 0 failed.');
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout.trim().split('\n').at(-1) ?? '')).toMatchObject({
      status: 'completed',
      rows: 3,
      done: 3,
      failed: 0,
      promptTokens: expect.any(Number),
      completionTokens: expect.any(Number),
    });
    const [header, ...rows] = Papa.parse<string[]>(readFileSync(out, 'utf8').slice(1), { skipEmptyLines: true }).data;
    expect(header?.slice(0, 4)).toEqual(['city', 'country', 'output', 'status']);
    expect(rows.map((r) => r[2])).toEqual([
      mockReply('Capital of France? Hint: Paris'),
      mockReply('Capital of Peru? Hint: Lima'),
      mockReply('Capital of Norway? Hint: Oslo'),
    ]);
  });

  it('refuses a template with an unknown column before sending anything', async () => {
    mock.resetCounters();
    const result = await rowbot(
      'run',
      join(dir, 'in.csv'),
      '--template',
      'About {{contry}}',
      '--provider',
      'openai',
      '--base-url',
      mock.baseUrl,
      '--model',
      'm',
    );
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('{{contry}} is not a column of this file. Did you mean {{country}}?');
    expect(mock.totalRequests).toBe(0);
  });

  it('explains a file that cannot be read', async () => {
    writeFileSync(join(dir, 'empty.csv'), '');
    const result = await rowbot('run', join(dir, 'empty.csv'), '--template', 'x');
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('"empty.csv" is empty');
    const missing = await rowbot('run', join(dir, 'nope.csv'), '--template', 'x');
    expect(missing.stderr).toContain('cannot open');
  });

  it.each([
    [['--concurrency', '0'], '--concurrency must be a whole number from 1 to 1,000, not "0"'],
    [['--concurrency', '2.5'], '--concurrency must be a whole number'],
    [['--rpm=-5'], '--rpm must be a whole number from 1'],
    [['--provider', 'foo'], '--provider must be one of demo, openai, anthropic, ollama'],
    [
      ['--provider', 'openai', '--base-url', 'ftp://x', '--model', 'm'],
      '--base-url must be an http:// or https:// address',
    ],
    [
      ['--provider', 'anthropic', '--base-url', 'http://127.0.0.1:9/v1'],
      '--model is required with --provider anthropic',
    ],
    [['--out', 'results.pdf'], 'name the file .csv, .xlsx or .jsonl'],
    [['--max-rows', '2'], 'has more than 2 rows; Rowbot takes at most 2 per job'],
    [['--delimiter', 'ab'], '--delimiter must be one character'],
    [['--encoding', 'klingon'], '--encoding must be one of utf-8'],
  ])('refuses bad usage with exit 2 before sending anything: %j', async (flags, message) => {
    mock.resetCounters();
    const result = await rowbot('run', join(dir, 'in.csv'), '--template', 'x {{city}}', ...flags);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(message);
    expect(mock.totalRequests).toBe(0);
  });

  it('writes .jsonl and .xlsx, and resumes a job by id', async () => {
    const jsonl = join(dir, 'out.jsonl');
    const first = await rowbot(
      'run',
      join(dir, 'in.csv'),
      '--template',
      'Hello {{city}}',
      '--provider',
      'openai',
      '--base-url',
      mock.baseUrl,
      '--model',
      'mock-1',
      '--out',
      jsonl,
      '--json',
    );
    expect(first.status).toBe(0);
    const records = readFileSync(jsonl, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(records.map((r) => [r.city, r.country, r.output, r.status])).toEqual([
      ['Paris', 'France', mockReply('Hello Paris'), 'done'],
      ['Lima', 'Peru', mockReply('Hello Lima'), 'done'],
      ['Oslo', 'Norway', mockReply('Hello Oslo'), 'done'],
    ]);
    const { jobId } = JSON.parse(first.stdout.trim().split('\n').at(-1) ?? '{}') as { jobId: string };

    mock.resetCounters();
    const xlsx = join(dir, 'out.xlsx');
    const resumed = await rowbot('run', '--resume', jobId, '--out', xlsx, '--json');
    expect(resumed.status).toBe(0);
    expect(mock.totalRequests).toBe(0);
    expect(readFileSync(xlsx).subarray(0, 2).toString()).toBe('PK');
  });

  it('inspect shows what Rowbot sees, as text and as JSON, and stores nothing', async () => {
    const file = join(dir, 'euro.csv');
    writeFileSync(file, Buffer.from('name;price\nCafé;3,50\nThé;2,10\n', 'latin1'));
    const text = await rowbot('inspect', file);
    expect(text.status).toBe(0);
    expect(text.stdout).toContain('Format:    Delimited text (CSV, TSV…)');
    expect(text.stdout).toContain('Encoding:  Windows-1252 / Latin-1 (Western Europe)');
    expect(text.stdout).toContain('Delimiter: Semicolon (;)');
    expect(text.stdout).toContain('Columns:   2: name, price');
    expect(text.stdout).toContain('Café');
    const json = await rowbot('inspect', file, '--json', '--delimiter', 'comma');
    expect(JSON.parse(json.stdout)).toMatchObject({
      format: 'csv',
      encoding: 'windows-1252',
      delimiter: ',',
      rowCount: 2,
    });
    const missing = await rowbot('inspect', join(dir, 'nope.xlsx'));
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain('cannot open');
  });

  it('--estimate prints what the run would cost and sends nothing', async () => {
    mock.resetCounters();
    const estimateOf = (model: string, ...more: string[]) =>
      rowbot(
        'run',
        join(dir, 'in.csv'),
        '--template',
        'About {{city}}',
        '--provider',
        'openai',
        '--base-url',
        mock.baseUrl,
        '--model',
        model,
        '--estimate',
        ...more,
      );
    const result = await estimateOf('gpt-4o-mini', '--max-tokens', '50', '--json');
    expect(result.status).toBe(0);
    const estimate = JSON.parse(result.stdout) as {
      rows: number;
      cost: [number, number];
      tokensEstimated: boolean;
      outputTokens: number[];
    };
    expect(estimate).toMatchObject({ rows: 3, tokensEstimated: false, outputTokens: [90, 150] });
    expect(estimate.cost[1]).toBeGreaterThan(estimate.cost[0]);
    expect(mock.totalRequests).toBe(0);
    const text = await rowbot('run', join(dir, 'in.csv'), '--template', 'About {{city}}', '--estimate');
    expect(text.stdout).toContain('Rows to send: 3');
    expect(text.stdout).toContain('Cost:         $0.0000–$0.0000');
    const priced = await estimateOf('gpt-4o-mini-2024-07-18');
    expect(priced.stdout).toMatch(
      /Price: +gpt-4o-mini: \$0\.15 in, \$0\.6 out per million tokens \(list price checked \d{4}-\d\d-\d\d\)/,
    );
    const bad = await rowbot('run', join(dir, 'in.csv'), '--template', 'x {{city}}', '--max-cost', 'lots');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--max-cost must be an amount in US dollars');
  });

  it('skips rows whose placeholders are all empty, unless --keep-empty', async () => {
    writeFileSync(join(dir, 'gaps.csv'), 'city,note\nParis,x\n,y\nOslo,z\n');
    mock.resetCounters();
    const skipped = await rowbot(
      'run',
      join(dir, 'gaps.csv'),
      '--template',
      'About {{city}}',
      '--provider',
      'openai',
      '--base-url',
      mock.baseUrl,
      '--model',
      'm',
      '--json',
    );
    expect(skipped.status).toBe(0);
    expect(JSON.parse(skipped.stdout.trim().split('\n').at(-1) ?? '{}')).toMatchObject({ rows: 3, done: 2 });
    expect(mock.totalRequests).toBe(2);
    const kept = await rowbot(
      'run',
      join(dir, 'gaps.csv'),
      '--template',
      'About {{city}}',
      '--provider',
      'openai',
      '--base-url',
      mock.baseUrl,
      '--model',
      'm',
      '--keep-empty',
      '--no-cache',
      '--json',
    );
    expect(JSON.parse(kept.stdout.trim().split('\n').at(-1) ?? '{}')).toMatchObject({ rows: 3, done: 3 });
  });

  it('prints usage for help and for an unknown option', () => {
    const help = spawnSync(process.execPath, [BIN, 'help'], { encoding: 'utf8' });
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('rowbot run <file.csv>');
    const bad = spawnSync(process.execPath, [BIN, 'run', 'x.csv', '--nope'], { encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('Run "rowbot help"');
  });

  it('sends the run parameters and a JSON schema from a file; each field becomes a column', async () => {
    mock.resetCounters();
    const schema = join(dir, 'schema.json');
    writeFileSync(
      schema,
      JSON.stringify({ type: 'object', properties: { capital: { type: 'string' }, population: { type: 'integer' } } }),
    );
    const out = join(dir, 'fields.csv');
    const result = await rowbotWith(
      { GROQ_API_KEY: 'gsk-cli-key-1234' },
      'run',
      join(dir, 'in.csv'),
      '--template',
      'Capital of {{country}}?',
      '--provider',
      'groq',
      '--base-url',
      mock.baseUrl,
      '--model',
      'llama-3.1-8b-instant',
      '--temperature',
      '0.2',
      '--top-p',
      '0.9',
      '--stop',
      'END',
      '--stop',
      '###',
      '--max-tokens',
      '64',
      '--json-schema',
      schema,
      '--out',
      out,
    );
    expect(result.stderr).toContain('3 of 3 rows done, 0 failed.');
    expect(result.status).toBe(0);
    expect(mock.lastHeaders.authorization).toBe('Bearer gsk-cli-key-1234');
    expect(mock.lastRequest).toMatchObject({
      model: 'llama-3.1-8b-instant',
      temperature: 0.2,
      top_p: 0.9,
      stop: ['END', '###'],
      max_tokens: 64,
      response_format: {
        type: 'json_schema',
        json_schema: {
          strict: true,
          schema: {
            properties: { capital: { type: 'string' }, population: { type: 'number' } },
            required: ['capital', 'population'],
          },
        },
      },
    });
    const [header] = Papa.parse<string[]>(readFileSync(out, 'utf8').replace(/^\uFEFF/, '')).data;
    expect(header).toEqual(expect.arrayContaining(['output.capital', 'output.population']));
  });

  it('explains a bad parameter, a bad schema file and an Azure address left as the example, and sends nothing', async () => {
    mock.resetCounters();
    const base = ['run', join(dir, 'in.csv'), '--template', 'x {{city}}'];
    const hot = await rowbot(...base, '--temperature', '3');
    expect(hot.status).toBe(2);
    expect(hot.stderr).toContain('--temperature (from 0 to 2)');
    const listSchema = join(dir, 'list-schema.json');
    writeFileSync(listSchema, JSON.stringify({ tags: 'array' }));
    const list = await rowbot(...base, '--json-schema', listSchema);
    expect(list.status).toBe(2);
    expect(list.stderr).toContain('Field "tags"');
    expect(list.stderr).toContain('must be a string, number or boolean');
    const broken = join(dir, 'broken-schema.json');
    writeFileSync(broken, '{"title": ');
    const notJson = await rowbot(...base, '--json-schema', broken);
    expect(notJson.stderr).toContain('is not valid JSON');
    const azure = await rowbotWith(
      { AZURE_OPENAI_API_KEY: 'az-key-12345678' },
      ...base,
      '--provider',
      'azure',
      '--model',
      'gpt-4o',
    );
    expect(azure.status).toBe(2);
    expect(azure.stderr).toContain('Azure OpenAI needs your deployment’s address');
    const header = await rowbot(
      ...base,
      '--provider',
      'custom',
      '--base-url',
      mock.baseUrl,
      '--model',
      'm',
      '--http-header',
      'no colon',
    );
    expect(header.stderr).toContain('--http-header must look like "Name: value"');
    const version = await rowbot(...base, '--provider', 'openai', '--model', 'm', '--api-version', '2024-10-21');
    expect(version.stderr).toContain('--api-version is for --provider azure only.');
    const resumeWithTemplate = await rowbot('run', '--resume', 'any-job', '--template', 'other {{city}}');
    expect(resumeWithTemplate.status).toBe(2);
    expect(resumeWithTemplate.stderr).toContain(
      'A resumed job keeps its file, prompt and provider: leave out --template',
    );
    expect(mock.totalRequests).toBe(0);
  });

  it('Azure: the deployment address, api-version and api-key; a resumed job finds its own provider’s key', async () => {
    const azure = await startMockLlmServer({ requireKey: 'az-right-12345678' });
    try {
      const deployment = `${azure.baseUrl.replace(/\/v1$/, '')}/openai/deployments/gpt4o-prod`;
      const args = ['--provider', 'azure', '--base-url', deployment, '--model', 'gpt-4o', '--json'];
      const wrong = await rowbotWith(
        { AZURE_OPENAI_API_KEY: 'az-wrong-12345678', OPENAI_API_KEY: 'az-right-12345678' },
        'run',
        join(dir, 'in.csv'),
        '--template',
        'About {{city}}',
        ...args,
        '--api-version',
        '2025-01-01-preview',
      );
      expect(wrong.status).toBe(1);
      expect(azure.lastUrl).toBe('/openai/deployments/gpt4o-prod/chat/completions?api-version=2025-01-01-preview');
      expect(azure.lastHeaders['api-key']).toBe('az-wrong-12345678');
      expect(azure.lastHeaders.authorization).toBeUndefined();
      const { jobId } = JSON.parse(wrong.stdout.trim().split('\n').at(-1) ?? '{}') as { jobId: string };
      // The job is Azure's: resuming it reads AZURE_OPENAI_API_KEY, not OPENAI_API_KEY. Its address is
      // not Azure's own, so the key goes there only when the command line names it again.
      const resumed = await rowbotWith(
        { AZURE_OPENAI_API_KEY: 'az-right-12345678', OPENAI_API_KEY: 'sk-not-this-one' },
        'run',
        '--resume',
        jobId,
        '--base-url',
        deployment,
        '--json',
      );
      expect(resumed.stderr).toContain('3 of 3 rows done, 0 failed.');
      expect(azure.lastHeaders['api-key']).toBe('az-right-12345678');
    } finally {
      await azure.close();
    }
  });
});
