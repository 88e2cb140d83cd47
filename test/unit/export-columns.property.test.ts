// Exports of two or three AI columns with any cells, read back by readers that did not write them:
// papaparse (CSV), JSON.parse (JSON lines), ExcelJS (XLSX). Every cell comes back under its own
// column, as it was, but for each format's stated convention (CSV: a formula-like cell gets a
// leading '; XLSX: a formula-like text is stored as text under the Text format).
import ExcelJS from 'exceljs';
import fc from 'fast-check';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Papa from 'papaparse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportResults } from '../../electron/engine/sheets/export.ts';
import type { ExportColumn } from '../../electron/engine/sheets/export-table.ts';
import type { RowResult, RowView } from '../../shared/api.ts';

let dir: string;
let file = 0;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rowbot-columns-property-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
const nextPath = (ext: string): string => join(dir, `columns-${(file += 1)}.${ext}`);

const PIECES = [
  '\n',
  '\r\n',
  '\r',
  '"',
  ',',
  ';',
  '\t',
  "'",
  '=',
  '+',
  '-',
  '@',
  ' ',
  'é',
  '😀',
  '東京',
  '=SUM(A1)',
  '{',
];
const piece = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...PIECES) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 6 }) },
);
const text = fc.array(piece, { maxLength: 8 }).map((parts) => parts.join(''));
const formulaLike = fc.tuple(fc.constantFrom('=', '+', '-', '@', '\t', '\r'), text).map(([a, b]) => a + b);
const anyText = fc.oneof({ weight: 4, arbitrary: text }, { weight: 1, arbitrary: formulaLike });

/** Amounts and how the text formats print them: spelled out, not computed by the code under test. */
const COSTS: [number | null, string][] = [
  [null, ''],
  [0, '0'],
  [0.25, '0.25'],
  [1.5, '1.5'],
  [0.000000345, '0.000000345'],
];

const STATUSES = ['done', 'failed', 'queued', 'skipped'] as const;

/** Names of AI columns: one line without braces, not empty, none a prefix of another's fields. */
const NAMES = ['summary', 'label', 'reply', 'Réponse 2', '=risky', 'a,b'];

interface Sample {
  inputs: string[];
  ai: ExportColumn[];
  rows: RowView[];
  /** Per row, per column, the cost's expected text. */
  costTexts: string[][];
}

const sample: fc.Arbitrary<Sample> = fc
  .tuple(fc.integer({ min: 1, max: 2 }), fc.shuffledSubarray(NAMES, { minLength: 2, maxLength: 3 }))
  .chain(([inputCount, names]) => {
    const inputs = ['in 1', 'in 2'].slice(0, inputCount);
    // Ids are not positions: a column moved, or one removed, leaves them out of order.
    const ai = names.map((name, i) => ({ id: (i * 7 + 3) % 11, name, jsonFields: [] }));
    const cellDraft = fc.record({
      output: fc.option(anyText, { nil: null }),
      error: fc.option(anyText, { nil: null }),
      status: fc.constantFrom(...STATUSES),
      cost: fc.integer({ min: 0, max: COSTS.length - 1 }),
    });
    const rowDraft = fc.record({
      values: fc.array(anyText, { minLength: inputCount, maxLength: inputCount }),
      cells: fc.array(cellDraft, { minLength: ai.length, maxLength: ai.length }),
      reversed: fc.boolean(),
    });
    return fc.array(rowDraft, { minLength: 1, maxLength: 5 }).map((drafts): Sample => {
      const rows = drafts.map((draft, index): RowView => {
        const cells = draft.cells.map((c, position): RowResult => ({
          index,
          col: ai[position]!.id,
          status: c.status,
          output: c.output,
          error: c.error,
          attempts: 1,
          latencyMs: 1,
          promptTokens: 1,
          completionTokens: 1,
          cost: COSTS[c.cost]![0],
          cached: false,
          finish: null,
          stale: false,
          edited: false,
        }));
        return { index, values: draft.values, cells: draft.reversed ? cells.reverse() : cells };
      });
      const costTexts = drafts.map((draft) => draft.cells.map((c) => COSTS[c.cost]![1]));
      return { inputs, ai, rows, costTexts };
    });
  });

/** The table as text, each AI column's answer, status, error and cost after the inputs. */
function expectedTable({ inputs, ai, rows, costTexts }: Sample): string[][] {
  const header = [...inputs, ...ai.flatMap(({ name }) => [name, `${name}.status`, `${name}.error`, `${name}.cost`])];
  const body = rows.map((row, r) => [
    ...row.values,
    ...ai.flatMap(({ id }, position) => {
      const cell = row.cells.find((c) => c.col === id)!;
      return [cell.output ?? '', cell.status, cell.error ?? '', costTexts[r]![position]!];
    }),
  ]);
  return [header, ...body];
}

const owasp = (value: string): string => (/^[=+\-@\t\r]/.test(value) ? `'${value}` : value);

async function csvRoundTrip(s: Sample): Promise<void> {
  const path = nextPath('csv');
  await exportResults(path, s.inputs, s.rows, { format: 'csv' }, s.ai);
  const content = await readFile(path, 'utf8');
  const parsed = Papa.parse<string[]>(content.slice(1), { delimiter: ',' });
  expect(parsed.errors).toEqual([]);
  const records = parsed.data.at(-1)?.join('') === '' ? parsed.data.slice(0, -1) : parsed.data;
  expect(records).toEqual(expectedTable(s).map((record) => record.map(owasp)));
}

async function jsonlRoundTrip(s: Sample): Promise<void> {
  const path = nextPath('jsonl');
  await exportResults(path, s.inputs, s.rows, { format: 'jsonl' }, s.ai);
  const lines = (await readFile(path, 'utf8')).split('\n');
  expect(lines.pop()).toBe('');
  const [header, ...body] = expectedTable(s);
  const records = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  records.forEach((record, r) => {
    expect(Object.keys(record)).toEqual(header);
    const row = s.rows[r]!;
    s.ai.forEach(({ id, name }) => {
      const cell = row.cells.find((c) => c.col === id)!;
      expect(record[name]).toBe(cell.output);
      expect(record[`${name}.error`]).toBe(cell.error);
      expect(record[`${name}.cost`]).toBe(cell.cost);
    });
    expect(header!.slice(0, s.inputs.length).map((name) => record[name])).toEqual(body[r]!.slice(0, s.inputs.length));
  });
}

function excelText(value: ExcelJS.CellValue): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'object' && 'richText' in value) return value.richText.map((run) => run.text).join('');
  return String(value);
}

async function xlsxRoundTrip(s: Sample): Promise<void> {
  const path = nextPath('xlsx');
  await exportResults(path, s.inputs, s.rows, { format: 'xlsx' }, s.ai);
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.load((await readFile(path)) as unknown as ArrayBuffer);
  const sheet = workbook.worksheets[0]!;
  const expected = expectedTable(s);
  const costColumns = new Set(s.ai.map((_, position) => s.inputs.length + 4 * position + 3));
  expected.forEach((record, r) => {
    record.forEach((value, c) => {
      const got = sheet.getRow(r + 1).getCell(c + 1);
      if (r > 0 && costColumns.has(c)) {
        expect(got.value ?? null).toBe(value === '' ? null : Number(value));
        return;
      }
      // ExcelJS leaves Excel's _xHHHH_ escapes alone; the pieces above never make one.
      expect(excelText(got.value)).toBe(value);
      if (/^[=+\-@\t\r]/.test(value)) expect(got.numFmt).toBe('@');
    });
  });
}

describe('exports of 2 or 3 AI columns read back the same in an independent reader (property)', () => {
  it('CSV: papaparse reads every cell back under its column, formula-like ones with a leading quote', async () => {
    await fc.assert(fc.asyncProperty(sample, csvRoundTrip), { numRuns: 200 });
  });

  it('JSON lines: JSON.parse reads every cell back unchanged', async () => {
    await fc.assert(fc.asyncProperty(sample, jsonlRoundTrip), { numRuns: 200 });
  });

  it('XLSX: ExcelJS reads every cell back, costs as numbers, formula-like texts under the Text format', async () => {
    await fc.assert(fc.asyncProperty(sample, xlsxRoundTrip), { numRuns: 100 });
  }, 60_000);
});
