// Import → run → export through the real engine and the mock LLM server, each file read back by a
// reader that did not write it: CSV by papaparse, .xlsx by ExcelJS (Rowbot writes results
// workbooks part by part with fflate), and the CLI's --out the same way.
import ExcelJS from 'exceljs';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Papa from 'papaparse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MockReplyParts } from '../fixtures/mock-llm-server.ts';
import { readXlsx } from '../../electron/engine/sheets/xlsx.ts';
import { openBench, type Bench } from './harness.ts';

const BIN = resolve(import.meta.dirname, '../../bin/rowbot.js');

/** A model answer of several lines, with every kind of line break and the characters CSV quotes. */
const answer = (prompt: string): string =>
  `Answer to ${prompt}\nsecond line, with "quotes"\r\nthird;\tline\rlast line\n`;

function multiLineReplies({ id, created, model, prompt, usage }: MockReplyParts): unknown {
  const content = prompt.startsWith('JSON') ? '{"score": 4.5, "ok": true, "note": "two\\nlines"}' : answer(prompt);
  return {
    id,
    object: 'chat.completion',
    created,
    model,
    choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
    usage,
  };
}

let bench: Bench;
beforeAll(async () => {
  bench = await openBench({ replyBody: multiLineReplies });
});
afterAll(async () => {
  await bench.close();
});

async function runJob(bytes: Uint8Array, fileName: string, template: string, extra: object = {}): Promise<string> {
  const preview = await bench.engine.importBytes(fileName, bytes);
  const job = bench.engine.createJob({
    sheetId: preview.sheetId,
    template,
    provider: { kind: 'openai', baseUrl: bench.mock.baseUrl, model: 'mock-1' },
    ...extra,
  });
  bench.engine.startJob(job.id);
  const summary = await bench.engine.waitForJob(job.id);
  expect(summary.counts.done).toBe(summary.counts.total);
  return job.id;
}

function readCsv(path: string, delimiter: string): string[][] {
  const text = readFileSync(path, 'utf8');
  expect(text.startsWith('\uFEFF')).toBe(true);
  const parsed = Papa.parse<string[]>(text.slice(1), { delimiter, skipEmptyLines: true });
  expect(parsed.errors).toEqual([]);
  return parsed.data;
}

/** A first line that has the separator outside quotes: which one the file was written with. */
function separatorOf(path: string): string {
  const first = readFileSync(path, 'utf8').slice(1).split('\r\n')[0] ?? '';
  return [',', ';', '\t'].filter((d) => first.includes(d)).join('');
}

const PEOPLE = [
  ['name', 'city', 'zip'],
  ['Zoë', 'Köln', '01067'],
  ['François', 'Besançon', '25000'],
  ['Ægir; the "first"', 'Reykjavík', '00101'],
];

describe('import → run → export, read back independently (issue 12)', () => {
  it.each([
    [
      'UTF-8 with commas',
      'people.csv',
      Buffer.from(
        PEOPLE.map((r) => r.map((c) => (/[",;]/.test(c) ? `"${c.replaceAll('"', '""')}"` : c)).join(',')).join('\r\n'),
      ),
      ',',
    ],
    [
      'Windows-1252 with semicolons',
      'people-1252.csv',
      Buffer.from(
        PEOPLE.map((r) => r.map((c) => (/[";]/.test(c) ? `"${c.replaceAll('"', '""')}"` : c)).join(';')).join('\r\n'),
        'latin1',
      ),
      ';',
    ],
    [
      'UTF-16 LE with tabs (Excel "Unicode text")',
      'people-utf16.txt',
      Buffer.concat([
        Buffer.from([0xff, 0xfe]),
        Buffer.from(
          PEOPLE.map((r) => r.map((c) => (/["\t]/.test(c) ? `"${c.replaceAll('"', '""')}"` : c)).join('\t')).join(
            '\r\n',
          ),
          'utf16le',
        ),
      ]),
      '\t',
    ],
  ] as const)(
    'CSV: %s comes back with its own separator, every multi-line answer in one cell',
    async (_name, fileName, bytes, delimiter) => {
      const jobId = await runJob(bytes, fileName, 'Where is {{city}}?');
      const out = join(bench.dir, `${fileName}.out.csv`);
      expect(await bench.engine.exportTo(jobId, out, { format: 'csv', rows: 'all' })).toEqual({ notes: [] });
      expect(separatorOf(out)).toBe(delimiter);
      const [header, ...records] = readCsv(out, delimiter);
      expect(header?.slice(0, 5)).toEqual(['name', 'city', 'zip', 'output', 'status']);
      expect(records).toHaveLength(3);
      expect(records.map((r) => r.slice(0, 3))).toEqual(PEOPLE.slice(1));
      expect(records.map((r) => r[3])).toEqual(PEOPLE.slice(1).map((r) => answer(`Where is ${r[1]}?`)));

      // The same job, with the separator chosen.
      const tabbed = join(bench.dir, `${fileName}.tab.csv`);
      await bench.engine.exportTo(jobId, tabbed, {
        format: 'csv',
        rows: 'all',
        delimiter: delimiter === '\t' ? ';' : '\t',
      });
      const other = delimiter === '\t' ? ';' : '\t';
      expect(separatorOf(tabbed)).toBe(other);
      expect(readCsv(tabbed, other)).toEqual([header, ...records]);

      // A new workbook of a delimited file: its cells stay text (zip codes keep their zeros).
      const book = join(bench.dir, `${fileName}.xlsx`);
      await bench.engine.exportTo(jobId, book, { format: 'xlsx', rows: 'all' });
      const sheet = (await loadWorkbook(book)).worksheets[0]!;
      expect(sheet.getCell('C2').value).toBe('01067');
      expect(sheet.getCell('D2').value).toBe(answer('Where is Köln?'));
      expect(typeof sheet.getCell('G2').value).toBe('number'); // attempts
      expect(typeof sheet.getCell('H2').value).toBe('number'); // latency
      expect(typeof sheet.getCell('I2').value).toBe('number'); // prompt tokens
    },
  );

  it('JSON lines in, JSON lines and CSV out: every value and every multi-line answer as it was', async () => {
    const people = PEOPLE.slice(1).map(([name, city, zip]) => ({ name, city: `${city}\nline two`, zip }));
    const jobId = await runJob(
      Buffer.from(people.map((person) => JSON.stringify(person)).join('\n')),
      'people.jsonl',
      'Where is {{city}}?',
    );
    const out = join(bench.dir, 'people.out.jsonl');
    await bench.engine.exportTo(jobId, out, { format: 'jsonl', rows: 'all' });
    const records = readFileSync(out, 'utf8')
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(records.map(({ name, city, zip }) => ({ name, city, zip }))).toEqual(people);
    expect(records.map((r) => r.output)).toEqual(people.map((p) => answer(`Where is ${p.city}?`)));

    const csv = join(bench.dir, 'people.jsonl.csv');
    await bench.engine.exportTo(jobId, csv, { format: 'csv', rows: 'all' });
    const [header, ...rows] = readCsv(csv, ',');
    expect(header?.slice(0, 4)).toEqual(['name', 'city', 'zip', 'output']);
    expect(rows.map((r) => r.slice(0, 4))).toEqual(
      people.map((p) => [p.name, p.city, p.zip, answer(`Where is ${p.city}?`)]),
    );
  });

  it('XLSX: numbers, dates and booleans of an imported workbook stay typed in their formats; JSON fields, tokens and latency are numbers', async () => {
    const source = new ExcelJS.Workbook();
    const products = source.addWorksheet('Products');
    products.addRow(['sku', 'price', 'since', 'share', 'stock', 'active', 'note']);
    const rows: [string, number, Date, number, number, boolean, string][] = [
      ['00042', 1234.5, new Date(Date.UTC(2024, 0, 31)), 0.125, 7, true, 'plain'],
      ['00043', 0.99, new Date(Date.UTC(1999, 11, 1)), 1, 0, false, '=not a formula'],
    ];
    for (const row of rows) products.addRow(row);
    products.getColumn(2).numFmt = '#,##0.00 "€"';
    products.getColumn(3).numFmt = 'yyyy-mm-dd';
    products.getColumn(4).numFmt = '0.0%';
    products.getCell('E3').value = { formula: 'E2-7', result: 0 };
    const path = join(bench.dir, 'products.xlsx');
    await source.xlsx.writeFile(path);

    bench.engine.setPrice({ model: 'mock-1', input: 0.15, cachedInput: null, output: 0.6 });
    const jobId = await runJob(readFileSync(path), 'products.xlsx', 'JSON about {{sku}} at {{price}}', {
      settings: {
        jsonOutput: {
          fields: [
            { name: 'score', type: 'number' },
            { name: 'ok', type: 'boolean' },
            { name: 'note', type: 'string' },
          ],
        },
      },
    });
    const out = join(bench.dir, 'products-results.xlsx');
    expect(await bench.engine.exportTo(jobId, out, { format: 'xlsx', rows: 'all' })).toEqual({ notes: [] });
    const sheet = (await loadWorkbook(out)).worksheets[0]!;
    const header = (sheet.getRow(1).values as unknown[]).slice(1);
    expect(header).toEqual([
      'sku',
      'price',
      'since',
      'share',
      'stock',
      'active',
      'note',
      'output',
      'output.score',
      'output.ok',
      'output.note',
      'status',
      'error',
      'attempts',
      'latency_ms',
      'prompt_tokens',
      'completion_tokens',
      'cost',
      'finish',
    ]);
    const cell = (ref: string): ExcelJS.Cell => sheet.getCell(ref);
    expect(cell('A2').value).toBe('00042');
    expect(cell('B2').value).toBe(1234.5);
    expect(cell('B2').numFmt).toBe('#,##0.00 "€"');
    expect(cell('C2').value).toEqual(new Date(Date.UTC(2024, 0, 31)));
    expect(cell('C2').numFmt).toBe('yyyy-mm-dd');
    expect(cell('D2').value).toBe(0.125);
    expect(cell('D2').numFmt).toBe('0.0%');
    expect(cell('E2').value).toBe(7);
    expect(cell('E3').value).toBe(0); // a formula's saved result, as a number
    expect(cell('F2').value).toBe(true);
    expect(cell('F3').value).toBe(false);
    expect(cell('G3').value).toBe('=not a formula');
    expect(cell('G3').numFmt).toBe('@');
    expect(cell('I2').value).toBe(4.5);
    expect(cell('J2').value).toBe(true);
    expect(cell('K2').value).toBe('two\nlines');
    for (const ref of ['N2', 'O2', 'P2', 'Q2', 'R2']) expect(typeof cell(ref).value).toBe('number');
    expect(cell('R2').value).toBeGreaterThan(0); // the cost, in dollars
    expect(cell('R2').numFmt).toBe('"$"#,##0.00#######');
  });

  it("XLSX: an answer longer than Excel's limit is cut and marked in its row, and the export says so", async () => {
    const long = 'Ω😀'.repeat(20_000);
    const longBench = await openBench({
      replyBody: (parts) => ({
        ...(multiLineReplies(parts) as object),
        choices: [
          {
            index: 0,
            message: { role: 'assistant', content: parts.prompt.endsWith('2') ? long : 'short' },
            finish_reason: 'stop',
          },
        ],
      }),
    });
    try {
      const preview = await longBench.engine.importBytes('n.csv', Buffer.from('n\n1\n2\n3\n'));
      const job = longBench.engine.createJob({
        sheetId: preview.sheetId,
        template: 'Row {{n}}',
        provider: { kind: 'openai', baseUrl: longBench.mock.baseUrl, model: 'm' },
      });
      longBench.engine.startJob(job.id);
      await longBench.engine.waitForJob(job.id);
      const out = join(longBench.dir, 'long.xlsx');
      const report = await longBench.engine.exportTo(job.id, out, { format: 'xlsx', rows: 'all' });
      expect(report.notes).toEqual([
        '1 cell was longer than the 32,767 characters Excel holds in a cell, so it was cut and marked "[cut: …]" (row 2, output). Export as CSV or JSON lines for the full text.',
      ]);
      const cut = (await loadWorkbook(out)).worksheets[0]!.getCell('B3').value as string;
      expect(cut.length).toBeLessThanOrEqual(32_767);
      expect(cut).toMatch(
        / … \[cut: 60,000 characters, more than the 32,767 Excel holds in a cell; export as CSV or JSON lines for the full text\]$/,
      );
      expect(long.startsWith(cut.slice(0, cut.indexOf(' … [cut:')))).toBe(true);
      const csv = join(longBench.dir, 'long.csv');
      expect(await longBench.engine.exportTo(job.id, csv, { format: 'csv', rows: 'all' })).toEqual({ notes: [] });
      expect(readCsv(csv, ',')[2]?.[1]).toBe(long);

      // Written back into the user's own workbook (by ExcelJS), read back by Rowbot's own reader.
      const source = new ExcelJS.Workbook();
      source.addWorksheet('Numbers').addRows([['n'], [1], [2], [3]]);
      const book = join(longBench.dir, 'numbers.xlsx');
      await source.xlsx.writeFile(book);
      const imported = await longBench.engine.importFile(book);
      const own = longBench.engine.createJob({
        sheetId: imported.sheetId,
        template: 'Row {{n}}',
        provider: { kind: 'openai', baseUrl: longBench.mock.baseUrl, model: 'm' },
      });
      longBench.engine.startJob(own.id);
      await longBench.engine.waitForJob(own.id);
      const back = join(longBench.dir, 'numbers-with-results.xlsx');
      expect(
        (await longBench.engine.exportTo(own.id, back, { format: 'xlsx', rows: 'all', writeBack: true })).notes,
      ).toEqual(report.notes);
      const written = await readXlsx(readFileSync(back), 'numbers-with-results.xlsx');
      expect(written.rows[0]).toEqual(['n', 'output', 'status', 'error']);
      expect(written.rows[1]).toEqual(['1', 'short', 'done']);
      expect(written.rows[2]?.[1]).toBe(cut);
    } finally {
      await longBench.close();
    }
  });
});

async function loadWorkbook(path: string): Promise<ExcelJS.Workbook> {
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.load(readFileSync(path) as unknown as ArrayBuffer);
  return workbook;
}

describe('rowbot run --out (issue 12)', () => {
  function rowbot(...args: string[]): Promise<{ status: number | null; stderr: string }> {
    return new Promise((done) => {
      const child = spawn(process.execPath, [BIN, ...args], {
        env: { ...process.env, ROWBOT_DB: join(bench.dir, 'cli.db') },
      });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.on('close', (status) => done({ status, stderr }));
    });
  }

  it('writes 300 multi-line answers as 300 records, with the input file’s separator or the one asked for', async () => {
    const input = join(bench.dir, 'many.csv');
    writeFileSync(
      input,
      ['id;text', ...Array.from({ length: 300 }, (_, i) => `${String(i).padStart(4, '0')};item ${i}`)].join('\n'),
    );
    const flags = [
      '--template',
      'Say {{text}}',
      '--provider',
      'openai',
      '--base-url',
      bench.mock.baseUrl,
      '--model',
      'm',
      '--concurrency',
      '8',
    ];
    const out = join(bench.dir, 'many-out.csv');
    const result = await rowbot('run', input, ...flags, '--out', out);
    expect(result.stderr).toContain('300 of 300 rows done');
    expect(result.status).toBe(0);
    expect(separatorOf(out)).toBe(';');
    const records = readCsv(out, ';');
    expect(records).toHaveLength(301);
    expect(records[1]?.slice(0, 3)).toEqual(['0000', 'item 0', answer('Say item 0')]);

    const tabbed = join(bench.dir, 'many-out.tsv.csv');
    expect((await rowbot('run', input, ...flags, '--out', tabbed, '--out-delimiter', 'tab')).status).toBe(0);
    expect(separatorOf(tabbed)).toBe('\t');
    expect(readCsv(tabbed, '\t')).toHaveLength(301);

    const wrong = await rowbot('run', input, ...flags, '--out', tabbed, '--out-delimiter', 'pipe');
    expect(wrong.status).toBe(2);
    expect(wrong.stderr).toContain('--out-delimiter must be comma, semicolon or tab, not "pipe".');
    // A separator for a file that has none is a mistake worth saying, not ignoring.
    const book = join(bench.dir, 'many-out.xlsx');
    const notCsv = await rowbot('run', input, ...flags, '--out', book, '--out-delimiter', 'tab');
    expect(notCsv.status).toBe(2);
    expect(notCsv.stderr).toContain(
      `--out-delimiter sets the separator of a CSV file: use it with --out FILE.csv, not with ${book}.`,
    );
  });
});
